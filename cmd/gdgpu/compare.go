package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/report"
	"github.com/spf13/cobra"
)

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var f *jobFlags
	var asJSON *bool
	cmd := &cobra.Command{
		Use:   "compare [job.toml] [flags]",
		Short: "run the CPU float64 reference and the GPU from the same start and compare",
		Long: `Run the same job twice from the same start point: on the CPU in float64 (the
reference) and on --device in --precision, then print both final losses, the
divergence of the loss trajectory (max abs, max rel, first step past
tolerance) and of the final parameters (max abs, max rel, worst index), and
the tolerance used (docs/tolerances.md derives it).

Exit 0 within tolerance, 1 beyond. --optimizer lbfgs is judged with its own
derived tolerance, and only up to the first step where the two runs' counts
of iterations and evaluations differ: there the result is BRANCHED (exit 1);
--strong-wolfe with --precision f32 is refused (exit 2), its line search
deciding on float32 losses. --device cpu compares the CPU with itself
(a self-check that must agree exactly). --out and --log record the compared
(--device) run, not the reference. Both runs take the same --schedule. The
CPU-only methods (gonum-lbfgs, gonum-bfgs, gonum-cg, gonum-gd) have no GPU run to
compare with and are refused (exit 2); so is --time-limit.

A job file (job.toml) gives any flag as a TOML key named after it; flags
given on the command line override it. The job.toml that gdgpu run
--run-dir writes is one; a key only run takes (run-dir) is refused.`,
		Example: `  gdgpu compare --problem rosenbrock --dim 65536 --steps 1000
  gdgpu compare --problem quadratic --cond 100 --optimizer sgd --lr 1e-3 --precision f64`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			jf, err := loadJobFile(cmd, args)
			if err != nil {
				return err
			}
			s, err := f.build(cmd)
			if err != nil {
				return jf.annotate(err)
			}
			s.jsonOut = *asJSON
			return compareRuns(cmd.Context(), s, stdout, stderr)
		},
	}
	f = addJobFlags(cmd)
	asJSON = cmd.Flags().Bool("json", false, "print the result as one JSON object (both runs, the divergence figures, the tolerance) instead of text")
	return cmd
}

func compareRuns(ctx context.Context, s *setup, stdout, stderr io.Writer) error {
	// device.OpenPair opens the GPU first: without a context there is
	// nothing to compare, and the CPU run need not be spent.
	var ec *engine.Context
	if s.device == "gpu" {
		var err error
		if ec, err = openGL(s.gpu); err != nil {
			return err
		}
		defer ec.Close()
	}
	p, err := device.OpenPair(ec, &s.job) // ec nil: --device cpu
	if err != nil {
		return openError(err, &s.job)
	}
	defer p.Close()
	ref, got := p.Reference, p.Compared

	text := stdout
	if s.jsonOut { // stdout holds the JSON result alone
		text = io.Discard
	}
	fmt.Fprintf(text, "gdgpu compare: %s\n", s.job.Describe(s.model, fieldFlag))
	fmt.Fprintf(text, "  reference %s (%s) vs %s (%s), from the same start point\n", ref.Backend.Name(), ref.Detail, got.Backend.Name(), got.Detail)
	prec := p.Precision
	res := report.NewCompare(jobEntries(s), s.out, s.log)
	// interrupted ends the comparison of a run that was interrupted.
	interrupted := func(which string, r gdgpu.Result) error {
		fmt.Fprintf(text, "  interrupted at step %d of the %s run; nothing compared\n", r.StatusStep, which)
		if s.jsonOut {
			res.ExitCode = exitInterrupted
			res.Message = fmt.Sprintf("interrupted at step %d of the %s run; nothing compared", r.StatusStep, which)
			if err := printJSON(stdout, res); err != nil {
				return err
			}
		}
		return exitCode(exitInterrupted)
	}

	// Each run has its progress bar; the compared one has --log.
	j, err := p.Compare(ctx, func(ctx context.Context, d *device.Device) (device.Outcome, error) {
		logPath := ""
		if d == got {
			logPath = s.log
		}
		o, err := execute(ctx, s, d, logPath, d.Backend.Name(), stderr)
		if err != nil {
			return device.Outcome{}, err
		}
		return device.Outcome{Result: o.res, X: o.x}, nil
	})
	if err != nil {
		return err
	}
	ro, goo := j.Reference, j.Compared
	res.Reference = report.NewCompareSide(ref.String(), gdgpu.F64.String(), ro.Result)
	if j.Interrupted == device.ReferenceSide {
		return interrupted("reference", ro.Result)
	}
	if s.out != "" {
		if err := data.WriteVector(s.out, goo.X, outDtype(s)); err != nil {
			return failure(err)
		}
	}
	res.Compared = report.NewCompareSide(got.String(), prec.String(), goo.Result)
	if j.Interrupted == device.ComparedSide {
		return interrupted(got.Backend.Name(), goo.Result)
	}
	tol, depth, c := j.Tolerance, j.Depth, j.Comparison

	run := func(label string, d *device.Device, o device.Outcome) {
		r := o.Result
		fmt.Fprintf(text, "  %-9s %-8s final loss %.10g at step %d, grad norm %.6g, %s at step %d, %s\n",
			label, d.Backend.Name(), r.Final.Loss, r.Final.Step, r.Final.GradNorm, r.Status, r.StatusStep, r.Elapsed.Round(1e3))
	}
	run("reference", ref, ro)
	run("compared", got, goo)
	firstBad := "none"
	if c.LossFirstBad >= 0 {
		firstBad = fmt.Sprintf("step %d", c.LossFirstBad)
	}
	fmt.Fprintf(text, "  loss trajectory, %d samples matched by step (%d unmatched):\n", c.Matched, c.Unmatched)
	fmt.Fprintf(text, "    max abs %.3g, max rel %.3g (tolerance %.3g), first step past tolerance: %s\n",
		c.LossMaxAbs, c.LossMaxRel, tol.LossRel, firstBad)
	fmt.Fprintf(text, "  final parameters, %d values:\n", len(ro.X))
	worst := ""
	if i := c.ParamWorstIndex; i >= 0 && i < len(ro.X) && i < len(goo.X) {
		worst = fmt.Sprintf(", worst index %d (reference %.10g, compared %.10g)", i, ro.X[i], goo.X[i])
	}
	fmt.Fprintf(text, "    max abs %.3g, max rel %.3g (tolerance %.3g)%s\n", c.ParamMaxAbs, c.ParamMaxRel, tol.ParamRel, worst)
	if !c.StatusMatch {
		fmt.Fprintf(text, "  the runs stopped differently: reference %s at step %d, compared %s at step %d\n",
			ro.Result.Status, ro.Result.StatusStep, goo.Result.Status, goo.Result.StatusStep)
	}
	fmt.Fprintf(text, "  tolerance for %s over %d steps: loss rel %.3g (floor %g of the largest reference loss), parameters rel %.3g (floor %g); see %s\n",
		prec, s.job.Steps, tol.LossRel, tol.LossFloor, tol.ParamRel, tol.ParamFloor, gdgpu.ToleranceDoc)
	if c.Branched() {
		fmt.Fprintf(text, "  the runs' counts of iterations and evaluations differ at step %d (they agreed at step %d): only the samples before step %d are judged\n",
			c.BranchStep, c.BranchFrom, c.BranchStep)
	}
	if j.LBFGS {
		fmt.Fprintf(text, "  (L-BFGS: %d iterations of the reference with up to %d pairs, LBFGSTolerance)\n", ro.Result.Iterations, int(s.job.Optimizer.History))
	}
	if depth > 0 {
		fmt.Fprintf(text, "  (a model: its sums are up to %d additions deep, ModelTolerance)\n", depth)
	}
	code := exitOK
	switch {
	case c.OK:
		fmt.Fprintln(text, "  result: within tolerance")
		res.Message = "within tolerance"
	case c.Branched() && c.PrefixOK():
		// Neither run is wrong, and neither predicts the other past the
		// branch: not an agreement, so exit 1 (README, "Exit codes").
		msg := fmt.Sprintf("the runs took other branches (a line search or a stopping test) in the steps from %d to %d: the %d samples before agree, later ones are not comparable", c.BranchFrom, c.BranchStep, c.Matched)
		fmt.Fprintf(text, "  result: BRANCHED: %s\n", msg)
		res.Message = "branched: " + msg
		code = exitMismatch
	default:
		fmt.Fprintln(text, "  result: BEYOND tolerance")
		res.Message = "beyond tolerance"
		code = exitMismatch
	}
	if s.jsonOut {
		var iters *int
		if j.LBFGS {
			iters = &ro.Result.Iterations
		}
		res.Judge(c, tol, depth, iters)
		res.ExitCode = code
		if err := printJSON(stdout, res); err != nil {
			return err
		}
	}
	if code != exitOK {
		return exitCode(code)
	}
	return nil
}
