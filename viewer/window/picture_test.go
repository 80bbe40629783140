package window

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
)

// racer is a validated two-parameter race of optimizer on problem.
func racer(t *testing.T, problem, optimizer string, lr float64, steps, every int, cpu bool) Racer {
	t.Helper()
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = problem, 2, steps, every
	var err error
	if job.Optimizer, err = gdgpu.DefaultOptimizer(optimizer); err != nil {
		t.Fatal(err)
	}
	if lr > 0 {
		job.Optimizer.LR = lr
	}
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return Racer{Job: job, CPU: cpu}
}

// TestPictureGonumIterates: a gonum method's race follows its iterates
// (more than the start and end points), on the CPU.
func TestPictureGonumIterates(t *testing.T) {
	pic, err := RunPicture(context.Background(), []Racer{racer(t, "rosenbrock", "gonum-lbfgs", 0, 100, 2, true)}, PictureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := pic.Races[0]
	distinct := map[[2]float64]bool{}
	for _, p := range r.Points {
		distinct[[2]float64{p[0], p[1]}] = true
	}
	if len(r.Points) < 5 || len(distinct) < len(r.Points)-1 {
		t.Errorf("lbfgs race: %d points, %d distinct", len(r.Points), len(distinct))
	}
}

// TestPictureFrames: on either device, frames every 25 steps of a
// 100-step race are frames 0 to 4, in order, the last one the final
// picture; the landscape is evaluated where the race runs.
func TestPictureFrames(t *testing.T) {
	for _, tc := range []struct {
		cpu bool
		on  string // Scene.LandscapeOn
	}{
		{true, "cpu/f64"},
		{false, "gpu/f32"},
	} {
		t.Run(tc.on, func(t *testing.T) {
			dir := t.TempDir()
			pic, err := RunPicture(context.Background(), []Racer{racer(t, "booth", "adam", 0.1, 100, 25, tc.cpu)},
				PictureOptions{Width: 256, Height: 192, GL: engine.Options{Debug: true}})
			if err != nil {
				t.Fatalf("(GL tests are required, they do not skip) %v", err)
			}
			if pic.Last != 100 || pic.Scene.LandscapeOn != tc.on {
				t.Errorf("last step %d, landscape on %s: want 100 and %s", pic.Last, pic.Scene.LandscapeOn, tc.on)
			}
			n, err := pic.WriteFrames(dir, 25)
			if err != nil || n != 5 {
				t.Fatalf("WriteFrames: %d frames, %v; want 5", n, err)
			}
			ents, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name())
			}
			if got, want := strings.Join(names, " "), "frame-00000.png frame-00001.png frame-00002.png frame-00003.png frame-00004.png"; got != want {
				t.Fatalf("frames %s, want %s", got, want)
			}
			final := filepath.Join(dir, "final.png")
			if err := pic.WritePNG(final); err != nil {
				t.Fatal(err)
			}
			a, errA := os.ReadFile(filepath.Join(dir, "frame-00004.png"))
			b, errB := os.ReadFile(final)
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Errorf("the last frame differs from WritePNG's picture (%v, %v)", errA, errB)
			}
		})
	}
}

// TestPictureRefused: options no picture can use are refused naming the
// field, and a race that cannot open on its device is a *RaceError
// naming it.
func TestPictureRefused(t *testing.T) {
	one := []Racer{racer(t, "booth", "adam", 0, 10, 5, true)}
	for _, tc := range []struct {
		racers []Racer
		o      PictureOptions
		field  string // the FieldError's first field; "" a plain error
	}{
		{nil, PictureOptions{}, ""},
		{one, PictureOptions{Height: -1}, "PictureOptions.Width"},
		{one, PictureOptions{Bounds: []float64{0, 1, 0}}, "PictureOptions.Bounds"},
		{one, PictureOptions{Bounds: []float64{0, 1, 1, 0}}, "PictureOptions.Bounds"},
	} {
		_, err := RunPicture(context.Background(), tc.racers, tc.o)
		if err == nil || !strings.HasPrefix(err.Error(), "window: ") {
			t.Errorf("%+v: %v, want a refusal of package window", tc.o, err)
			continue
		}
		var fe *gdgpu.FieldError
		if got := errors.As(err, &fe); got != (tc.field != "") || got && fe.Fields[0] != tc.field {
			t.Errorf("%+v: %v, want field %q", tc.o, err, tc.field)
		}
	}
	pic, err := RunPicture(context.Background(), one, PictureOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fe *gdgpu.FieldError
	if _, err := pic.WriteFrames(t.TempDir(), 0); !errors.As(err, &fe) || fe.Fields[0] != "WriteFrames.every" {
		t.Errorf("WriteFrames every 0: %v, want a refusal naming WriteFrames.every", err)
	}
	// The second racer, gonum's method, runs on the CPU only.
	racers := []Racer{racer(t, "booth", "adam", 0, 10, 5, false), racer(t, "booth", "gonum-lbfgs", 0, 10, 5, false)}
	_, err = RunPicture(context.Background(), racers, PictureOptions{GL: engine.Options{Debug: true}})
	var re *RaceError
	if !errors.As(err, &re) || re.Race != 1 || !strings.Contains(err.Error(), "runs on the CPU only") {
		t.Errorf("a gonum racer on the GPU: %v, want race 1's refusal", err)
	}
}
