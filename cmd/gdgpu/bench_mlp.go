package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/engine"
)

// bench --mlp (issue 16): the FLOP-bound row family. "mlp-step" is one
// training step (forward, backward, Adam) of a relu network on synthetic
// data, N being the batch; "gemm" is the GEMM kernel alone
// (engine.BenchGEMM), N being the edge of the square product. Their
// figure is GFLOP/s, beside the device's fp32 peak where it is known.

// mlpInputs and mlpClasses are the network's ends: 784 features (a 28 x
// 28 image) in, 10 classes out.
const (
	mlpInputs  = 784
	mlpClasses = 10
)

// gemmBudget is the device time the gemm rows of one size may take,
// warm-up included: a size predicted (from the smaller size just
// measured, times the cube of their ratio) to take longer is skipped,
// with the prediction, so that bench never hangs on a slow device (4096³
// on llvmpipe takes minutes).
const gemmBudget = 60 * time.Second

// fp32Peak is a GPU's published fp32 peak (non-tensor-core) in GFLOP/s,
// used only when GL_RENDERER names the device. First match wins: the
// more specific names come first.
var fp32Peak = []struct {
	name   string  // a substring of GL_RENDERER
	gflops float64 // peak fp32 (non-tensor) GFLOP/s
	source string
}{
	{"H200 NVL", 60e3, "NVIDIA H200 datasheet: FP32 60 TFLOPS (H200 NVL)"},
	{"H200", 67e3, "NVIDIA H200 datasheet: FP32 67 TFLOPS (H200 SXM)"},
	{"H100 PCIe", 51e3, "NVIDIA H100 datasheet: FP32 51 TFLOPS (H100 PCIe)"},
	{"H100 NVL", 60e3, "NVIDIA H100 datasheet: FP32 60 TFLOPS (H100 NVL)"},
	{"H100", 67e3, "NVIDIA H100 datasheet: FP32 67 TFLOPS (H100 SXM)"},
}

// devicePeak is the fp32 peak of the renderer, and its source; 0 and
// "unknown" when the device is not in fp32Peak (every CPU, llvmpipe).
func devicePeak(renderer string) (float64, string) {
	for _, p := range fp32Peak {
		if strings.Contains(renderer, p.name) {
			return p.gflops, p.source
		}
	}
	return 0, "unknown"
}

// mlpFlops is the floating-point operations of one training step of a
// network of the given widths on batch rows: 2·W·batch forward (W the
// weights, Σ w_l·w_{l+1}), and 2·(2W - w_0·w_1)·batch backward (each
// layer's weight gradient, and dl/d(input) of every layer but the first,
// whose input is data). Bias adds, activations, the loss and the
// optimizer step are not counted (O(widths·batch + parameters)).
func mlpFlops(width []int, batch int) (forward, backward float64) {
	var w float64
	for l := 0; l+1 < len(width); l++ {
		w += float64(width[l]) * float64(width[l+1])
	}
	b := float64(batch)
	return 2 * w * b, 2 * (2*w - float64(width[0])*float64(width[1])) * b
}

// parseWidths parses a comma-separated list of positive whole numbers
// (the hidden widths, the batches, the GEMM edges) for flag.
func parseWidths(flag, s string) ([]int, error) {
	var v []int
	for _, part := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || n < 1 || n > 1<<20 {
			return nil, fmt.Errorf("%s: %q is not a whole number from 1 to %d", flag, part, 1<<20)
		}
		v = append(v, n)
	}
	return v, nil
}

// mlpBenchJob is the job of an mlp-step row: the network on synthetic
// classification data (2 batches of rows, so that a step runs on a
// minibatch drawn from a shuffled order), Adam at its defaults.
func mlpBenchJob(hidden []int, batch int, prec gdgpu.Precision) (gdgpu.Job, error) {
	rows := 2 * batch
	ds, err := data.Synthetic("classification", rows, mlpInputs, mlpClasses, 0.5, 1)
	if err != nil {
		return gdgpu.Job{}, err
	}
	d, err := gdgpu.NewData("mlp", ds.X, ds.Y, rows, mlpInputs, nil, nil, 0, len(ds.Classes))
	if err != nil {
		return gdgpu.Job{}, err
	}
	job := gdgpu.NewJob()
	job.Problem, job.Data, job.Hidden, job.Activation, job.BatchSize, job.Seed, job.Precision = "mlp", d, hidden, "relu", batch, 1, prec
	job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
	if job.Dim, err = gdgpu.ModelParams(&job); err != nil {
		return gdgpu.Job{}, err
	}
	return job, nil
}

// benchMLP runs bench --mlp's rows on the CPU (ec nil) or on ec.
func benchMLP(ctx context.Context, ec *engine.Context, rep *benchReport, prec gdgpu.Precision, f *benchFlags) error {
	hidden, _ := parseWidths("--mlp-hidden", f.mlpHidden) // checked by runBench
	batches, _ := parseWidths("--mlp-batches", f.mlpBatches)
	width := append(append([]int{mlpInputs}, hidden...), mlpClasses)
	peak, source := devicePeak(rep.Renderer)
	if ec == nil || prec != gdgpu.F32 {
		peak, source = 0, "unknown" // the table holds fp32 GPU peaks
	}
	net := strings.Trim(strings.ReplaceAll(fmt.Sprint(width), " ", "-"), "[]")
	for _, batch := range batches {
		if err := ctx.Err(); err != nil {
			return exitCode(exitInterrupted)
		}
		fw, bw := mlpFlops(width, batch)
		row := benchRow{Op: "mlp-step", N: batch, TimeSource: "wall", Flops: fw + bw, Peak: source,
			Desc: fmt.Sprintf("one adam step of a %s relu mlp, batch %d, synthetic data: %.4g GFLOP forward + %.4g backward", net, batch, fw/1e9, bw/1e9)}
		if err := benchMLPStep(&row, ec, hidden, batch, prec, f.reps); err != nil {
			return err
		}
		row.flopFigures(peak)
		rep.Rows = append(rep.Rows, row)
	}
	if ec == nil {
		return nil // the GEMM kernel is the GPU's
	}
	edges, _ := parseWidths("--gemm-sizes", f.gemmSizes)
	var prevN int
	var prevS float64
	for _, n := range edges {
		if err := ctx.Err(); err != nil {
			return exitCode(exitInterrupted)
		}
		fl := 2 * float64(n) * float64(n) * float64(n)
		row := benchRow{Op: "gemm", N: n, TimeSource: "gl_timestamp", Flops: fl, Peak: source,
			Desc: fmt.Sprintf("the tiled GEMM kernel alone, C = A·B, %d x %d x %d (%.4g GFLOP)", n, n, n, fl/1e9)}
		if prevS > 0 {
			r := float64(n) / float64(prevN)
			if est := time.Duration(prevS * r * r * r * float64(f.reps+1) * 1e9); est > gemmBudget {
				row.Skipped = fmt.Sprintf("%d³ took %s, so %d³ would take about %s for %d reps and the warm-up, over the %s budget",
					prevN, secString(prevS), n, est.Round(time.Second), f.reps, gemmBudget)
				rep.Rows = append(rep.Rows, row)
				continue
			}
		}
		t, err := ec.BenchGEMM(prec, n, f.reps)
		if errors.Is(err, engine.ErrTooBig) {
			row.Skipped = err.Error()
			rep.Rows = append(rep.Rows, row)
			continue
		}
		if err != nil {
			return failure(err)
		}
		row.deviceTimes(t, f.reps)
		row.flopFigures(peak)
		rep.Rows = append(rep.Rows, row)
		prevN, prevS = n, row.MedianS
	}
	return nil
}

// benchMLPStep times reps training steps, after one warm-up. On the CPU
// each step is timed by the wall clock. On the GPU a step waits for
// nothing, so the batch of reps steps is timed between two glFinish calls
// and every figure of the row is the batch's wall time / reps.
func benchMLPStep(row *benchRow, ec *engine.Context, hidden []int, batch int, prec gdgpu.Precision, reps int) error {
	if ec == nil {
		prec = gdgpu.F64
	}
	job, err := mlpBenchJob(hidden, batch, prec)
	if err != nil {
		return failure(err)
	}
	var b gdgpu.Backend
	if ec == nil {
		b, err = cpu.Open(&job)
	} else {
		b, err = ec.NewBackend(&job)
	}
	if errors.Is(err, engine.ErrTooBig) || errors.Is(err, cpu.ErrTooBig) {
		row.Skipped = inFlags(err, fieldFlag)
		return nil
	}
	if err != nil {
		return failure(err)
	}
	err = benchMLPRun(row, ec, &job, b, reps)
	if cerr := b.Close(); err == nil && cerr != nil {
		err = failure(cerr)
	}
	return err
}

func benchMLPRun(row *benchRow, ec *engine.Context, job *gdgpu.Job, b gdgpu.Backend, reps int) error {
	if err := b.Load(job.StartPoint()); err != nil {
		return failure(err)
	}
	rows := job.Data.Rows
	bs, _ := gdgpu.Batches(job.BatchSize, rows)
	order := make([]int32, rows)
	gdgpu.EpochOrder(order, job.Seed, 0, bs)
	o, ok := b.(gdgpu.Orderer)
	if !ok {
		return failure(fmt.Errorf("bench: the %s backend takes no sample order", b.Name()))
	}
	lr := []float64{job.Optimizer.LR}
	epoch, t := 0, 0 // t: steps issued
	step := func() error {
		if e, _, _ := gdgpu.Batch(t, bs, rows); e != epoch {
			// every epoch in epoch 0's order: the order does not change the work
			epoch = e
			if err := o.SetOrder(e, order); err != nil {
				return err
			}
		}
		t++
		return b.Step(lr, false)
	}
	if err := o.SetOrder(0, order); err != nil {
		return failure(err)
	}
	if err := step(); err != nil { // warm-up (and the GPU's kernels' first run)
		return failure(err)
	}
	if ec != nil {
		if err := ec.Finish(); err != nil {
			return failure(err)
		}
		start := time.Now()
		for range reps {
			if err := step(); err != nil {
				return failure(err)
			}
		}
		if err := ec.Finish(); err != nil {
			return failure(err)
		}
		per := time.Since(start).Seconds() / float64(reps)
		row.stats([]float64{per})
		row.Reps = reps
		row.WallPerOpS = per
		return nil
	}
	if err := row.wallTimes(reps, step); err != nil {
		return failure(err)
	}
	return nil
}

// flopFigures fills GFLOP/s from the median time and, with a known peak,
// its fraction.
func (r *benchRow) flopFigures(peak float64) {
	if r.Skipped != "" || r.MedianS <= 0 {
		return
	}
	r.GFlops = r.Flops / r.MedianS / 1e9
	if peak > 0 {
		r.PeakGFlops = peak
		r.PeakFrac = r.GFlops / peak
	}
}

// printBenchMLP prints bench --mlp's rows as a table.
func printBenchMLP(w io.Writer, rep *benchReport) {
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
