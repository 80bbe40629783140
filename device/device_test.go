package device_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
)

func newJob(t *testing.T, problem, optimizer string, dim int) *gdgpu.Job {
	t.Helper()
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps = problem, dim, 10
	var err error
	if job.Optimizer, err = gdgpu.DefaultOptimizer(optimizer); err != nil {
		t.Fatal(err)
	}
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return &job
}

// TestOpen: each device name opens its backend, says what runs it, and
// runs the job; Close closes the context Open opened.
func TestOpen(t *testing.T) {
	for _, tc := range []struct {
		device, optimizer string
		name, detail      string // "" detail: the GL renderer
	}{
		{device.CPU, "adam", "cpu/f64", "float64 reference"},
		{device.CPU, "gonum-lbfgs", "cpu/f64", "gonum optimize.LBFGS"},
		{device.GPU, "adam", "gpu/f32", ""},
	} {
		t.Run(tc.device+"/"+tc.optimizer, func(t *testing.T) {
			job := newJob(t, "rosenbrock", tc.optimizer, 4)
			d, err := device.Open(tc.device, job, engine.Options{Debug: true})
			if err != nil {
				t.Fatalf("no backend (GL tests are required, they do not skip): %v", err)
			}
			if got := d.Backend.Name(); got != tc.name {
				t.Errorf("backend %q, want %q", got, tc.name)
			}
			if tc.detail != "" && d.Detail != tc.detail || d.Detail == "" {
				t.Errorf("detail %q, want %q", d.Detail, tc.detail)
			}
			if want := tc.name + " (" + d.Detail + ")"; d.String() != want {
				t.Errorf("String() %q, want %q", d.String(), want)
			}
			if _, err := gdgpu.Run(t.Context(), job, d.Backend, job.StartPoint(), gdgpu.Hooks{}); err != nil {
				t.Errorf("run: %v", err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
}

// TestOpenOnShares: backends opened on a shared context leave it open
// for the next one; a nil context is the CPU.
func TestOpenOnShares(t *testing.T) {
	ec, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatalf("no GL context (GL tests are required, they do not skip): %v", err)
	}
	defer ec.Close()
	job := newJob(t, "himmelblau", "sgd", 2)
	for i, c := range []*engine.Context{ec, ec, nil} {
		d, err := device.OpenOn(c, job)
		if err != nil {
			t.Fatalf("backend %d: %v", i, err)
		}
		want := "gpu/f32"
		if c == nil {
			want = "cpu/f64"
		}
		if d.Backend.Name() != want {
			t.Errorf("backend %d on %v: %s, want %s", i, c != nil, d.Backend.Name(), want)
		}
		if d.Detail != ec.Info().Renderer && c != nil {
			t.Errorf("backend %d: detail %q, want the renderer %q", i, d.Detail, ec.Info().Renderer)
		}
		if err := d.Close(); err != nil {
			t.Errorf("backend %d: close: %v", i, err)
		}
	}
}

// TestOpenRefuses: the refusals are the backends' own, and a name that is
// no device names the argument, not a flag.
func TestOpenRefuses(t *testing.T) {
	for _, tc := range []struct {
		device, optimizer string
		want              string
		field             string
	}{
		{"tpu", "adam", `device: Open.name "tpu" is not a device: want cpu or gpu`, "Open.name"},
		{device.GPU, "gonum-lbfgs", "engine: Optimizer.Name gonum-lbfgs runs on the CPU only", "Optimizer.Name"},
	} {
		t.Run(tc.device, func(t *testing.T) {
			d, err := device.Open(tc.device, newJob(t, "rosenbrock", tc.optimizer, 4), engine.Options{Debug: true})
			if err == nil {
				d.Close()
				t.Fatal("opened")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error %q, want it to start %q", err, tc.want)
			}
			var fe *gdgpu.FieldError
			if !errors.As(err, &fe) || len(fe.Fields) == 0 || fe.Fields[0] != tc.field {
				t.Errorf("error %q: want a FieldError naming %s", err, tc.field)
			}
		})
	}
}
