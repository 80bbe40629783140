package window_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gdgpu/gdgpu"
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
