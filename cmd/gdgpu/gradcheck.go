package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	gdevice "github.com/gdgpu/gdgpu/device" // gradcheck has a --device variable
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/gradcheck"
	"github.com/spf13/cobra"
)

func newGradcheckCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		problem, device, precision, loss string
		objective                        string
		dim, points, gpu                 int
		seed                             uint64
		hidden                           []int
		activation, task                 string
		leakySlope                       float64
	)
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
			if c.Flags().Changed("objective") {
				if c.Flags().Changed("problem") {
					return usagef("--objective and --problem do not go together: the expression is the problem")
				}
				p, err := gdgpu.RegisterObjective(objective)
				if err != nil {
					return usagef("--objective: %v", err)
				}
				problem = p.Name
			}
			info, ok := gdgpu.LookupProblem(problem)
			isModel := gdgpu.IsModel(problem)
			if !ok && !isModel {
				return usagef("--problem %q is unknown (known: %v; models: %v)", problem, gdgpu.ProblemNames(), gdgpu.ModelNames())
			}
			if isModel && c.Flags().Changed("dim") {
				return usagef("--dim does not apply to --problem %s: the parameter count follows from the data", problem)
			}
			if !c.Flags().Changed("dim") {
				dim = min(100, info.DefaultDim)
			}
			if info, _ := gdgpu.LookupModel(problem); c.Flags().Changed("loss") && !info.Costs {
				return usagef("--loss applies to --problem linear")
			}
			if points < 1 {
				return usagef("--points %d must be >= 1", points)
			}
			if device != "gpu" && device != "cpu" {
				return usagef("--device %q: want gpu or cpu", device)
			}
			prec, err := gdgpu.ParsePrecision(precision)
			if err != nil {
				return usagef("--precision: %v", err)
			}
			job := gdgpu.NewJob()
			job.Problem, job.Dim, job.Precision = problem, dim, prec
			job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
			if info, _ := gdgpu.LookupModel(problem); info.Net == nil {
				for _, fl := range []string{"hidden", "activation", "leaky-slope", "mlp-task"} {
					if c.Flags().Changed(fl) {
						return usagef("--%s applies to --problem mlp", fl)
					}
				}
			} else {
				job.Hidden, job.Activation = hidden, activation
				switch task {
				case "regression":
					job.DataSpec.Task = task
				case "classification":
				default:
					return usagef("--mlp-task %q is unknown (want classification or regression)", task)
				}
				if c.Flags().Changed("leaky-slope") {
					job.LeakySlope = leakySlope
				}
			}
			if isModel {
				if err := gradcheck.ModelData(&job, loss, seed); err != nil {
					var fe *gdgpu.FieldError
					if errors.As(err, &fe) {
						return usagef("%v", err) // the network flags
					}
					return failure(err)
				}
			}
			if err := job.Validate(); err != nil {
				return usagef("%v", err)
			}
			var gb gradcheck.Gradienter
			if device == "gpu" {
				// Refused before any GL context is opened; the message
				// as the command's own, without the library's prefix.
				if fe := (*gdgpu.FieldError)(nil); errors.As(gdgpu.CheckGPU(problem), &fe) {
					return usagef("%s", fe.Format(fieldFlag))
				}
				d, err := gdevice.Open(gdevice.GPU, &job, glOptions(gpu))
				if errors.Is(err, engine.ErrTooBig) {
					return usagef("%v", err) // too big for this device: bad input, exit 2 as in run
				}
				if err != nil {
					return failure(err) // no GL context, or the backend's failure
				}
				defer d.Close()
				var ok bool
				if gb, ok = d.Backend.(gradcheck.Gradienter); !ok {
					return failure(fmt.Errorf("the GPU backend of %s has no Gradient method", problem))
				}
			}
			r, err := gradcheck.Check(&job, gradcheck.Options{Points: points, Seed: seed, GPU: gb, Grad: perturbed(&job)})
			if errors.Is(err, cpu.ErrTooBig) {
				return usagef("%v", err) // too big for this machine: bad input, exit 2
			}
			if err != nil {
				return failure(err)
			}
			printReport(stdout, r, &job)
			if !r.OK() {
				return exitCode(exitMismatch)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&problem, "problem", "rosenbrock", "objective (gdgpu list describes them)")
	fs.StringVar(&objective, "objective", "", "check an objective typed as an expression instead of --problem (README: Typed objectives)")
	fs.IntVar(&dim, "dim", 0, "number of parameters (default: 100, or the problem's fixed dimension)")
	fs.IntVar(&points, "points", 5, "random points to check")
	fs.Uint64Var(&seed, "seed", 1, "seed of the random points")
	fs.StringVar(&device, "device", "gpu", "gpu (check the GPU against the CPU too) or cpu (finite differences only)")
	fs.StringVar(&precision, "precision", "f32", "GPU precision: f32 or f64")
	fs.IntVar(&gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	fs.StringVar(&loss, "loss", "mse", "linear model: the regression cost, "+strings.Join(gdgpu.Losses, ", "))
	fs.IntSliceVar(&hidden, "hidden", []int{4, 3}, "mlp: the hidden layers' widths `W1,W2,...`")
	fs.StringVar(&activation, "activation", "tanh", "mlp: the hidden activation, "+strings.Join(gdgpu.Activations, ", "))
	fs.Float64Var(&leakySlope, "leaky-slope", gdgpu.DefaultLeakySlope, "mlp with --activation leaky-relu: the negative slope")
	fs.StringVar(&task, "mlp-task", "classification", "mlp: classification (3 classes) or regression (real targets, mean squared error)")
	return cmd
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
