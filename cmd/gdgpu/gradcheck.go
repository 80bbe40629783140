package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/gradcheck"
	"github.com/spf13/cobra"
)

func newGradcheckCmd(stdout, stderr io.Writer) *cobra.Command {
	r := gradcheck.NewRequest()
	var gpu int
	cmd := &cobra.Command{
		Use:   "gradcheck",
		Short: "check a problem's analytic gradient against central differences, and the GPU's against the CPU's",
		Long: `At --points random points of the problem's usual domain (seeded), compare
the CPU's analytic gradient (float64) with central differences of the CPU's
loss, h = cbrt(eps)·max(1, |x_i|) per component, and the GPU's gradient
(in --precision) with the CPU's at the same point (rounded to float32 for
f32). Prints the max abs and rel error of each and the worst ratio to the
bound (docs/tolerances.md). Each point costs 2N loss evaluations.

A model (--problem linear, logistic, ...) is checked on a seeded synthetic
set of 200 rows and 5 standardized features (3 classes for softmax), with
--l1 0.01 and --l2 0.1, at points away from the kinks of MAE, hinge, the
perceptron and L1; --data and the other model flags do not apply. The mlp
takes --hidden (default 4,3), --activation (default tanh; relu's kinks are
kept away from too), --leaky-slope and --mlp-task.

Exit 0 within the bounds, 1 beyond, 2 on bad flags, 3 without a GL context
(--device gpu; --device cpu skips the GPU part).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			// A field is given when its flag is.
			r.Given = func(field string) bool { return c.Flags().Changed(strings.TrimPrefix(fieldFlag(field), "--")) }
			job, err := r.Build()
			if err != nil {
				return gradcheckError(err)
			}
			var gb gradcheck.Gradienter
			if r.GPU() {
				d, err := device.Open(device.GPU, job, glOptions(gpu))
				if errors.Is(err, engine.ErrTooBig) {
					return usagef("%v", err) // too big for this device: bad input, exit 2 as in run
				}
				if err != nil {
					return failure(err) // no GL context, or the backend's failure
				}
				defer d.Close()
				var ok bool
				if gb, ok = d.Backend.(gradcheck.Gradienter); !ok {
					return failure(fmt.Errorf("the GPU backend of %s has no Gradient method", job.Problem))
				}
			}
			rep, err := gradcheck.Check(job, gradcheck.Options{Points: r.Points, Seed: r.Seed, GPU: gb, Grad: perturbed(job)})
			if errors.Is(err, cpu.ErrTooBig) {
				return usagef("%v", err) // too big for this machine: bad input, exit 2
			}
			if err != nil {
				return failure(err)
			}
			printReport(stdout, rep, job)
			if !rep.OK() {
				return exitCode(exitMismatch)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&r.Problem, "problem", r.Problem, "objective (gdgpu list describes them)")
	fs.StringVar(&r.Objective, "objective", "", "check an objective typed as an expression instead of --problem (README: Typed objectives)")
	fs.IntVar(&r.Dim, "dim", 0, "number of parameters (default: 100, or the problem's fixed dimension)")
	fs.IntVar(&r.Points, "points", r.Points, "random points to check")
	fs.Uint64Var(&r.Seed, "seed", r.Seed, "seed of the random points")
	fs.StringVar(&r.Device, "device", r.Device, "gpu (check the GPU against the CPU too) or cpu (finite differences only)")
	fs.StringVar(&r.Precision, "precision", r.Precision, "GPU precision: f32 or f64")
	fs.IntVar(&gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	fs.StringVar(&r.Loss, "loss", r.Loss, "linear model: the regression cost, "+strings.Join(gdgpu.Losses, ", "))
	fs.IntSliceVar(&r.Hidden, "hidden", r.Hidden, "mlp: the hidden layers' widths `W1,W2,...`")
	fs.StringVar(&r.Activation, "activation", r.Activation, "mlp: the hidden activation, "+strings.Join(gdgpu.Activations, ", "))
	fs.Float64Var(&r.LeakySlope, "leaky-slope", r.LeakySlope, "mlp with --activation leaky-relu: the negative slope")
	fs.StringVar(&r.Task, "mlp-task", r.Task, "mlp: classification (3 classes) or regression (real targets, mean squared error)")
	return cmd
}

// gradcheckError is the command line's error for a refused check: a
// refusal of the request's own (gradcheck.Request.Build) in its words
// without the library's prefix, a job's or a model's settings' refusal as
// bad input (exit 2), and anything else (the data not made) a runtime
// error.
func gradcheckError(err error) error {
	var fe *gdgpu.FieldError
	field := errors.As(err, &fe)
	switch {
	case field && err == error(fe):
		return usagef("%s", fe.Format(fieldFlag))
	case field || errors.Is(err, gdgpu.ErrInvalidJob):
		return usagef("%v", err)
	}
	return failure(err)
}

// gradcheckPerturb, when set (by tests only), alters the CPU's analytic
// gradient at each point before it is checked, so that a test can make the
// check fail honestly.
var gradcheckPerturb func(g []float64)

// perturbed is the analytic gradient gradcheck checks: the CPU's, altered
// by gradcheckPerturb when a test sets it; nil (the CPU's) otherwise.
func perturbed(job *gdgpu.Job) func(g, x []float64) {
	if gradcheckPerturb == nil {
		return nil
	}
	return func(g, x []float64) {
		if job.Data != nil {
			cpu.ModelGrad(job, g, x)
		} else {
			cpu.Grad(job, g, x)
		}
		gradcheckPerturb(g)
	}
}

// printReport writes a check's report.
func printReport(w io.Writer, r *gradcheck.Report, job *gdgpu.Job) {
	fmt.Fprintf(w, "gradcheck %s, N = %d, %d points\n", job.Problem, job.Dim, r.Points)
	verdict := func(ratio float64) string {
		if ratio <= 1 {
			return "ok"
		}
		return "BEYOND TOLERANCE"
	}
	fmt.Fprintf(w, "  analytic vs central differences (cpu, f64): max abs %.3g  max rel %.3g  worst/bound %.3g  %s\n",
		r.FDAbs, r.FDRel, r.FDRatio, verdict(r.FDRatio))
	if r.GPU {
		fmt.Fprintf(w, "  gpu/%s vs cpu gradient:                   max abs %.3g  max rel %.3g  worst/bound %.3g  %s\n",
			job.Precision, r.GPUAbs, r.GPURel, r.GPURatio, verdict(r.GPURatio))
	} else {
		fmt.Fprintln(w, "  gpu: not checked (--device cpu)")
	}
	if r.OK() {
		fmt.Fprintln(w, "within tolerance")
	} else {
		fmt.Fprintln(w, "beyond tolerance")
	}
}
