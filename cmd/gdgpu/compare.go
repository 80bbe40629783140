package main

import (
	"context"
	"fmt"
	"io"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/spf13/cobra"
)

func newCompareCmd(stdout, stderr io.Writer) *cobra.Command {
	var f *jobFlags
	cmd := &cobra.Command{
		Use:   "compare [job.toml] [flags]",
		Short: "run the CPU float64 reference and the GPU from the same start and compare",
		Long: `Run the same job twice from the same start point: on the CPU in float64 (the
reference) and on --device in --precision, then print both final losses, the
divergence of the loss trajectory (max abs, max rel, first step past
tolerance) and of the final parameters (max abs, max rel, worst index), and
the tolerance used (docs/tolerances.md derives it).

Exit 0 within tolerance, 1 beyond. --device cpu compares the CPU with itself
(a self-check that must agree exactly). --out and --log record the compared
(--device) run, not the reference. Both runs take the same --schedule. The
CPU-only methods (lbfgs, bfgs, cg, gradientdescent) have no GPU run to
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
			return compareRuns(cmd.Context(), s, stdout, stderr)
		},
	}
	f = addJobFlags(cmd)
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
	got, err := newDevice(s.device, &s.job, s.gpu, ec)
	if err != nil {
		return err
	}
	defer got.close()
	ref, err := newDevice("cpu", &s.job, 0, nil)
	if err != nil {
		return err
	}
	defer ref.close()

	fmt.Fprintf(stdout, "gdgpu compare: %s\n", describe(&s.job))
	fmt.Fprintf(stdout, "  reference %s (%s) vs %s (%s), from the same start point\n", ref.b.Name(), ref.detail, got.b.Name(), got.detail)

	ro, err := execute(ctx, s, ref, "", ref.b.Name(), stderr)
	if err != nil {
		return err
	}
	if ro.res.Status == gdgpu.Interrupted {
		fmt.Fprintf(stdout, "  interrupted at step %d of the reference run; nothing compared\n", ro.res.StatusStep)
		return exitCode(exitInterrupted)
	}
	goo, err := execute(ctx, s, got, s.log, got.b.Name(), stderr)
	if err != nil {
		return err
	}
	if s.out != "" {
		if err := data.WriteVector(s.out, goo.x, outDtype(s)); err != nil {
			return failure(err)
		}
	}
	if goo.res.Status == gdgpu.Interrupted {
		fmt.Fprintf(stdout, "  interrupted at step %d of the %s run; nothing compared\n", goo.res.StatusStep, got.b.Name())
		return exitCode(exitInterrupted)
	}

	prec := s.job.Precision
	if s.device == "cpu" {
		prec = gdgpu.F64
	}
	tol := gdgpu.DefaultTolerance(prec, s.job.Steps)
	depth := 0
	if s.job.Data != nil {
		// Models: the backends sum the batch's rows in other orders.
		for _, d := range []*device{ref, got} {
			if sd, ok := d.b.(gdgpu.SumDepther); ok {
				depth = max(depth, sd.SumDepth())
			}
		}
		tol = gdgpu.ModelTolerance(prec, s.job.Steps, depth)
	}
	c := gdgpu.Compare(ro.res, goo.res, ro.x, goo.x, tol)

	run := func(label string, d *device, o *outcome) {
		r := o.res
		fmt.Fprintf(stdout, "  %-9s %-8s final loss %.10g at step %d, grad norm %.6g, %s at step %d, %s\n",
			label, d.b.Name(), r.Final.Loss, r.Final.Step, r.Final.GradNorm, r.Status, r.StatusStep, r.Elapsed.Round(1e3))
	}
	run("reference", ref, ro)
	run("compared", got, goo)
	firstBad := "none"
	if c.LossFirstBad >= 0 {
		firstBad = fmt.Sprintf("step %d", c.LossFirstBad)
	}
	fmt.Fprintf(stdout, "  loss trajectory, %d samples matched by step (%d unmatched):\n", c.Matched, c.Unmatched)
	fmt.Fprintf(stdout, "    max abs %.3g, max rel %.3g (tolerance %.3g), first step past tolerance: %s\n",
		c.LossMaxAbs, c.LossMaxRel, tol.LossRel, firstBad)
	fmt.Fprintf(stdout, "  final parameters, %d values:\n", len(ro.x))
	worst := ""
	if i := c.ParamWorstIndex; i >= 0 && i < len(ro.x) && i < len(goo.x) {
		worst = fmt.Sprintf(", worst index %d (reference %.10g, compared %.10g)", i, ro.x[i], goo.x[i])
	}
	fmt.Fprintf(stdout, "    max abs %.3g, max rel %.3g (tolerance %.3g)%s\n", c.ParamMaxAbs, c.ParamMaxRel, tol.ParamRel, worst)
	if !c.StatusMatch {
		fmt.Fprintf(stdout, "  the runs stopped differently: reference %s at step %d, compared %s at step %d\n",
			ro.res.Status, ro.res.StatusStep, goo.res.Status, goo.res.StatusStep)
	}
	fmt.Fprintf(stdout, "  tolerance for %s over %d steps: loss rel %.3g (floor %g of the largest reference loss), parameters rel %.3g (floor %g); see %s\n",
		prec, s.job.Steps, tol.LossRel, tol.LossFloor, tol.ParamRel, tol.ParamFloor, gdgpu.ToleranceDoc)
	if depth > 0 {
		fmt.Fprintf(stdout, "  (a model: its sums are up to %d additions deep, ModelTolerance)\n", depth)
	}
	if c.OK {
		fmt.Fprintln(stdout, "  result: within tolerance")
		return nil
	}
	fmt.Fprintln(stdout, "  result: BEYOND tolerance")
	return exitCode(exitMismatch)
}
