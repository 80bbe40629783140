// Package device opens a gdgpu.Backend by the name of the device it runs
// on: "cpu", the float64 reference on gonum (package cpu), or "gpu", the
// engine's GL compute backend. It is what gdgpu run, compare and view do
// with --device; a Go program that chooses its device at run time calls
// Open, and one that runs several backends on one GL context (as view's
// races do) calls OpenOn. A comparison with the CPU float64 reference, as
// gdgpu compare makes it, is OpenPair and Pair.Compare, or Compare.
//
// The root package cannot do this itself: cpu and engine import it.
package device

import (
	"errors"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
)

// The device names Open knows.
const (
	CPU = "cpu" // cpu.Open: float64 on gonum, or gonum's own method
	GPU = "gpu" // engine.Context.NewBackend on a GL context of its own
)

// Device is an open backend, what it runs on, and the GL context it owns.
type Device struct {
	// Backend runs the job: gdgpu.Run drives it.
	Backend gdgpu.Backend
	// Detail says what runs it: "float64 reference" on the CPU, gonum's
	// method for a CPU-only optimizer, or the GL renderer.
	Detail string

	ctx *engine.Context // the context Open opened; nil when shared or on the CPU
}

// String is the backend's name and its detail, "cpu/f64 (float64 reference)".
func (d *Device) String() string { return d.Backend.Name() + " (" + d.Detail + ")" }

// Close closes the backend, then the GL context Open opened for it.
func (d *Device) Close() error {
	err := d.Backend.Close()
	if d.ctx != nil {
		if cerr := d.ctx.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// Open opens job's backend on the device called name: CPU, or GPU on a GL
// context opened with opts, which the Device owns and closes. Its
// errors are the backends' own: a job too big for the device matches
// cpu.ErrTooBig or engine.ErrTooBig (errors.Is), and a GL context that
// cannot be opened is engine.Open's error.
func Open(name string, job *gdgpu.Job, opts engine.Options) (*Device, error) {
	if job == nil {
		return nil, errors.New("device: nil job") // before a GL context is opened for it
	}
	switch name {
	case CPU:
		return OpenOn(nil, job)
	case GPU:
		ec, err := engine.Open(opts)
		if err != nil {
			return nil, err
		}
		d, err := OpenOn(ec, job)
		if err != nil {
			ec.Close()
			return nil, err
		}
		d.ctx = ec
		return d, nil
	}
	return nil, gdgpu.FieldErrorf("{Open.name} %q is not a device: want %s or %s", name, CPU, GPU).In("device")
}

// OpenOn opens job's backend on ec, a GL context the caller shares and
// closes; a nil ec opens the CPU backend (as bench.Run takes it). Its
// errors are those of cpu.Open and engine.Context.NewBackend.
func OpenOn(ec *engine.Context, job *gdgpu.Job) (*Device, error) {
	if job == nil {
		return nil, errors.New("device: nil job")
	}
	if ec == nil {
		b, err := cpu.Open(job)
		if err != nil {
			return nil, err
		}
		detail := "float64 reference"
		if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
			detail = info.Torch // gonum's method runs the job (cpu.Method)
		}
		return &Device{Backend: b, Detail: detail}, nil
	}
	b, err := ec.NewBackend(job)
	if err != nil {
		return nil, err
	}
	return &Device{Backend: b, Detail: ec.Info().Renderer}, nil
}
