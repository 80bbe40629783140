package bench

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"
)

// WriteText writes the report as `gdgpu bench` prints it: a header line
// and a table of the rows, the sweep's (times and bandwidth) or, when the
// rows are FLOP-bound (Config.MLP), the mlp's (times and GFLOP/s).
func (rep *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	if len(rep.Rows) > 0 && rep.Rows[0].Flops > 0 {
		writeMLP(ew, rep)
	} else {
		writeSweep(ew, rep)
	}
	return ew.err
}

// errWriter keeps the first error of its writes, and writes nothing after it.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	var n int
	n, e.err = e.w.Write(p)
	return n, e.err
}

// writeSweep writes the sweep's rows as a table.
func writeSweep(w io.Writer, rep *Report) {
	src := "GPU time from GL_TIMESTAMP pairs; wall/op from glFinish around the batch; overhead = wall/op - mean GPU time"
	if rep.Device == "cpu" {
		src = "wall time per op"
	}
	fmt.Fprintf(w, "gdgpu bench: %s %s on %s, %d reps per row (%s); loop: %d steps, wall\n",
		rep.Device, rep.Precision, rep.Renderer, rep.Reps, src, rep.LoopSteps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	base := ""
	if len(rep.Rows) > 0 {
		base = rep.Rows[0].Baseline
	}
	fmt.Fprintf(tw, "op\tN\tmedian\tmin\tp90\twall/op\toverhead/op\tB/param\tGB/s\tof %s\t\n", base)
	for _, r := range rep.Rows {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\tskipped: %s\t\t\t\t\t\t\t\t\n", r.Op, sizeString(r.N), r.Skipped)
			continue
		}
		over := "-"
		if r.OverheadPerOp != nil {
			over = secString(*r.OverheadPerOp)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%g\t%.2f\t%.0f%%\t\n", r.Op, sizeString(r.N),
			secString(r.MedianS), secString(r.MinS), secString(r.P90S), secString(r.WallPerOpS), over,
			r.BytesPerParam, r.GBps, 100*r.BaselineFrac)
	}
	tw.Flush()
}

// writeMLP writes the mlp's rows as a table.
func writeMLP(w io.Writer, rep *Report) {
	fmt.Fprintf(w, "gdgpu bench --mlp: %s %s on %s, %d reps per row (mlp-step: wall time, on the GPU a batch of steps between two glFinish; gemm: GL_TIMESTAMP pairs)\n",
		rep.Device, rep.Precision, rep.Renderer, rep.Reps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "op\tN\tmedian\tmin\tp90\twall/op\tGFLOP/op\tGFLOP/s\tof peak\t\n")
	for _, r := range rep.Rows {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%d\tskipped: %s\t\t\t\t\t\t\t\n", r.Op, r.N, r.Skipped)
			continue
		}
		of := "peak unknown"
		if r.PeakGFlops > 0 {
			of = fmt.Sprintf("%.1f%% of %.0f", 100*r.PeakFrac, r.PeakGFlops)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%.4g\t%.2f\t%s\t\n", r.Op, r.N, secString(r.MedianS), secString(r.MinS),
			secString(r.P90S), secString(r.WallPerOpS), r.Flops/1e9, r.GFlops, of)
	}
	tw.Flush()
	for _, r := range rep.Rows {
		if r.Op == "mlp-step" {
			fmt.Fprintf(w, "mlp-step N=%d: %s\n", r.N, r.Desc)
		}
	}
	if len(rep.Rows) > 0 && rep.Rows[0].Peak != "unknown" {
		fmt.Fprintf(w, "peak: %s\n", rep.Rows[0].Peak)
	}
}

// secString formats seconds with a unit that keeps 3 significant digits.
func secString(s float64) string {
	a := math.Abs(s)
	switch {
	case a >= 1:
		return fmt.Sprintf("%.3g s", s)
	case a >= 1e-3:
		return fmt.Sprintf("%.3g ms", s*1e3)
	}
	return fmt.Sprintf("%.3g µs", s*1e6)
}

// sizeString writes n as 1e6 when it is a power of ten.
func sizeString(n int) string {
	e := 0
	for m := n; m >= 10 && m%10 == 0; m /= 10 {
		e++
	}
	if e >= 3 && n == int(math.Pow10(e)) {
		return fmt.Sprintf("1e%d", e)
	}
	return strconv.Itoa(n)
}
