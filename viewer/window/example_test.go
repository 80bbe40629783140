package window_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
	"github.com/gdgpu/gdgpu/viewer/window"
)

// Race Adam against SGD on Himmelblau's function in the live window, the
// landscape on the window's GPU, until the window is closed. Without
// -tags window, or without a display, Run says so.
func ExampleRun() {
	var racers []window.Racer
	for _, name := range []string{"adam", "sgd"} {
		job := gdgpu.NewJob()
		job.Problem, job.Dim, job.Steps, job.LogEvery = "himmelblau", 2, 500, 5
		job.Optimizer, _ = gdgpu.DefaultOptimizer(name)
		job.Optimizer.LR = 0.01
		if err := job.Validate(); err != nil {
			fmt.Println(err)
			return
		}
		racers = append(racers, window.Racer{Job: job})
	}
	races, err := window.Run(context.Background(), racers, window.Options{Width: 480, Height: 360})
	var we *window.Error
	switch {
	case errors.Is(err, window.ErrNotBuilt):
		fmt.Println("no window in this binary: draw to a file with viewer.NewScene and viewer.WritePNG")
	case errors.As(err, &we) && we.Headless:
		fmt.Println("no display:", we.Err)
	case err != nil:
		fmt.Println(err)
	}
	for _, r := range races {
		fmt.Println(r.Label())
	}
}

// Race Adam against SGD on Himmelblau's function on the CPU and write the
// picture gdgpu view --png draws: the landscape with both paths, beside
// the loss curves. No window or display is needed; a racer with CPU false
// runs on the GPU, on a GL context PictureOptions.GL opens.
func ExampleRunPicture() {
	var racers []window.Racer
	for _, name := range []string{"adam", "sgd"} {
		job := gdgpu.NewJob()
		job.Problem, job.Dim, job.Steps, job.LogEvery = "himmelblau", 2, 300, 5
		job.Optimizer, _ = gdgpu.DefaultOptimizer(name)
		job.Optimizer.LR = 0.01
		if err := job.Validate(); err != nil {
			fmt.Println(err)
			return
		}
		racers = append(racers, window.Racer{Job: job, CPU: true})
	}
	pic, err := window.RunPicture(context.Background(), racers, window.PictureOptions{Width: 480, Height: 360})
	if err != nil {
		fmt.Println(err)
		return
	}
	dir, err := os.MkdirTemp("", "gdgpu-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	if err := pic.WritePNG(filepath.Join(dir, "race.png")); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range pic.Races {
		fmt.Println(r.Label())
	}
	fmt.Println("landscape on", pic.Scene.LandscapeOn)
	// Output:
	// adam lr 0.01: f 0.4849 (StepLimit)
	// sgd lr 0.01: f 6.311e-30 (StepLimit)
	// landscape on cpu/f64
}

// Race the racers gdgpu view --race would on the CPU, from their text:
// viewer.RaceRequest.Build makes their jobs, NewRacers the racers, and
// RunPicture runs them and prepares the picture.
func ExampleNewRacers() {
	job := gdgpu.NewJobRequest()
	job.Problem, job.Device, job.Steps, job.Purpose = "himmelblau", "cpu", 300, gdgpu.PurposeRace
	req := viewer.RaceRequest{Job: job, Every: 5, Width: 480, Height: 360}
	for _, text := range []string{"adam lr=0.05", "sgd lr=0.01 momentum=0.9"} {
		rs, err := viewer.ParseRacer(text)
		if err != nil {
			fmt.Println(err)
			return
		}
		req.Racers = append(req.Racers, rs)
	}
	built, err := req.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	pic, err := window.RunPicture(context.Background(), window.NewRacers(built, true), window.PictureOptions{Width: req.Width, Height: req.Height})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range pic.Races {
		fmt.Println(r.Label())
	}
	fmt.Println("landscape on", pic.Scene.LandscapeOn)
	// Output:
	// adam lr 0.05: f 2.068e-11 (StepLimit)
	// sgd momentum=0.9 lr 0.01: f 1.049e-12 (StepLimit)
	// landscape on cpu/f64
}
