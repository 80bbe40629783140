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
	// Open the GPU first: without a context there is nothing to compare,
	// and the CPU run need not be spent.
	var ec *engine.Context
	if s.device == "gpu" {
		var err error
		if ec, err = openGL(s.gpu); err != nil {
			return err
		}
		defer ec.Close()
	}
	got, err := openOn(ec, &s.job) // ec nil: --device cpu
	if err != nil {
		return err
	}
	defer got.Close()
	ref, err := openOn(nil, &s.job)
	if err != nil {
		return err
	}
	defer ref.Close()

	text := stdout
	if s.jsonOut { // stdout holds the JSON result alone
		text = io.Discard
	}
	fmt.Fprintf(text, "gdgpu compare: %s\n", s.job.Describe(s.model, fieldFlag))
	fmt.Fprintf(text, "  reference %s (%s) vs %s (%s), from the same start point\n", ref.Backend.Name(), ref.Detail, got.Backend.Name(), got.Detail)
	prec := s.job.Precision
	if s.device == "cpu" {
		prec = gdgpu.F64
	}
	res := report.NewCompare(jobEntries(s), s.out, s.log)
	// interrupted ends the comparison of a run that was interrupted.
	interrupted := func(which string, o *outcome) error {
		fmt.Fprintf(text, "  interrupted at step %d of the %s run; nothing compared\n", o.res.StatusStep, which)
		if s.jsonOut {
			res.ExitCode = exitInterrupted
			res.Message = fmt.Sprintf("interrupted at step %d of the %s run; nothing compared", o.res.StatusStep, which)
			if err := printJSON(stdout, res); err != nil {
				return err
			}
		}
		return exitCode(exitInterrupted)
	}

	ro, err := execute(ctx, s, ref, "", ref.Backend.Name(), stderr)
	if err != nil {
		return err
	}
	res.Reference = report.NewCompareSide(ref.String(), gdgpu.F64.String(), ro.res)
	if ro.res.Status == gdgpu.Interrupted {
		return interrupted("reference", ro)
	}
	goo, err := execute(ctx, s, got, s.log, got.Backend.Name(), stderr)
	if err != nil {
		return err
	}
	if s.out != "" {
		if err := data.WriteVector(s.out, goo.x, outDtype(s)); err != nil {
			return failure(err)
		}
	}
	res.Compared = report.NewCompareSide(got.String(), prec.String(), goo.res)
	if goo.res.Status == gdgpu.Interrupted {
		return interrupted(got.Backend.Name(), goo)
	}

	tol := gdgpu.DefaultTolerance(prec, s.job.Steps)
	depth := 0
	if s.job.Data != nil {
		// Models: the backends sum the batch's rows in other orders.
		for _, d := range []*device.Device{ref, got} {
			if sd, ok := d.Backend.(gdgpu.SumDepther); ok {
				depth = max(depth, sd.SumDepth())
			}
		}
		tol = gdgpu.ModelTolerance(prec, s.job.Steps, depth)
	}
	lbfgs := false
	if info, _ := gdgpu.LookupOptimizer(s.job.Optimizer.Name); info.Closure {
		// Many iterations a step, each with dot products summed in another
		// order on each device: LBFGSTolerance, over the reference's own
		// iterations.
		lbfgs = true
		tol = gdgpu.LBFGSTolerance(prec, ro.res.Iterations, int(s.job.Optimizer.History), depth)
	}
	c := gdgpu.Compare(ro.res, goo.res, ro.x, goo.x, tol)

	run := func(label string, d *device.Device, o *outcome) {
		r := o.res
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
	fmt.Fprintf(text, "  final parameters, %d values:\n", len(ro.x))
	worst := ""
	if i := c.ParamWorstIndex; i >= 0 && i < len(ro.x) && i < len(goo.x) {
		worst = fmt.Sprintf(", worst index %d (reference %.10g, compared %.10g)", i, ro.x[i], goo.x[i])
	}
	fmt.Fprintf(text, "    max abs %.3g, max rel %.3g (tolerance %.3g)%s\n", c.ParamMaxAbs, c.ParamMaxRel, tol.ParamRel, worst)
	if !c.StatusMatch {
		fmt.Fprintf(text, "  the runs stopped differently: reference %s at step %d, compared %s at step %d\n",
			ro.res.Status, ro.res.StatusStep, goo.res.Status, goo.res.StatusStep)
	}
	fmt.Fprintf(text, "  tolerance for %s over %d steps: loss rel %.3g (floor %g of the largest reference loss), parameters rel %.3g (floor %g); see %s\n",
		prec, s.job.Steps, tol.LossRel, tol.LossFloor, tol.ParamRel, tol.ParamFloor, gdgpu.ToleranceDoc)
	if c.Branched() {
		fmt.Fprintf(text, "  the runs' counts of iterations and evaluations differ at step %d (they agreed at step %d): only the samples before step %d are judged\n",
			c.BranchStep, c.BranchFrom, c.BranchStep)
	}
	if lbfgs {
		fmt.Fprintf(text, "  (L-BFGS: %d iterations of the reference with up to %d pairs, LBFGSTolerance)\n", ro.res.Iterations, int(s.job.Optimizer.History))
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
		if lbfgs {
			iters = &ro.res.Iterations
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
