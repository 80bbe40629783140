package gdgpu

import (
	"errors"
	"slices"
	"testing"
)

// TestCheckGPURefuses: a model without GPU kernels is refused naming the
// problem and the device, as JobRequest.Build and gdgpu gradcheck show it.
func TestCheckGPURefuses(t *testing.T) {
	saved := models
	defer func() { models = saved }()
	m := linearModel()
	m.Name, m.GPU = "cpu-only-linear", nil
	models = append(slices.Clone(saved), m)

	err := CheckGPU(m.Name)
	var fe *FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("CheckGPU(%s) = %v, want a *FieldError", m.Name, err)
	}
	if want := []string{"Job.Problem", "JobRequest.Device"}; !slices.Equal(fe.Fields, want) {
		t.Errorf("fields %v, want %v", fe.Fields, want)
	}
	if got, want := err.Error(), "gdgpu: Job.Problem cpu-only-linear runs on the CPU backend only for now; use JobRequest.Device cpu"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
	if err := CheckGPU("linear"); err != nil {
		t.Errorf("CheckGPU(linear): %v", err)
	}
}
