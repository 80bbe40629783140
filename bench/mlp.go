package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/engine"
)

// Config.MLP (issue 16): the FLOP-bound row family. "mlp-step" is one
// training step (forward, backward, Adam) of a relu network on synthetic
// data, N being the batch; "gemm" is the GEMM kernel alone
// (engine.BenchGEMMBlock, 2 x 2 outputs an invocation), N being
// the edge of the square product, and "gemm-r4", "gemm-r8" the same
// kernel with 4 x 4 and 8 x 8 blocks (Config.GEMMBlocks). Their figure is
// GFLOP/s, beside the device's fp32 peak where it is known.

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

// mlpJob is the job of an mlp-step row: the network on synthetic
// classification data (2 batches of rows, so that a step runs on a
// minibatch drawn from a shuffled order), Adam at its defaults.
func mlpJob(hidden []int, batch int, prec gdgpu.Precision) (gdgpu.Job, error) {
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

// runMLP runs the Config.MLP rows on the CPU (ec nil) or on ec.
func runMLP(ctx context.Context, ec *engine.Context, rep *Report, prec gdgpu.Precision, cfg *Config) error {
	width := append(append([]int{mlpInputs}, cfg.MLPHidden...), mlpClasses)
	peak, source := devicePeak(rep.Renderer)
	if ec == nil || prec != gdgpu.F32 {
		peak, source = 0, "unknown" // the table holds fp32 GPU peaks
	}
	net := strings.Trim(strings.ReplaceAll(fmt.Sprint(width), " ", "-"), "[]")
	for _, batch := range cfg.MLPBatches {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		fw, bw := mlpFlops(width, batch)
		row := Row{Op: "mlp-step", N: batch, TimeSource: "wall", Flops: fw + bw, Peak: source,
			Desc: fmt.Sprintf("one adam step of a %s relu mlp, batch %d, synthetic data: %.4g GFLOP forward + %.4g backward", net, batch, fw/1e9, bw/1e9)}
		if err := mlpStepRow(&row, ec, cfg.MLPHidden, batch, prec, cfg.Reps); err != nil {
			return err
		}
		row.flopFigures(peak)
		rep.Rows = append(rep.Rows, row)
	}
	if ec == nil {
		return nil // the GEMM kernel is the GPU's
	}
	blocks := cfg.GEMMBlocks
	if len(blocks) == 0 {
		blocks = []int{2} // BenchGEMM's
	}
	for _, blk := range blocks {
		if err := gemmRows(ctx, rep, ec, cfg, prec, blk, peak, source); err != nil {
			return err
		}
	}
	return nil
}

// gemmRows times the GEMM kernel with blk x blk outputs an invocation at
// each of cfg.GEMMSizes.
func gemmRows(ctx context.Context, rep *Report, ec *engine.Context, cfg *Config, prec gdgpu.Precision, blk int, peak float64, source string) error {
	op, desc := "gemm", "the tiled GEMM kernel alone (32 x 32 tiles, 2 x 2 outputs an invocation)"
	if blk != 2 {
		op = fmt.Sprintf("gemm-r%d", blk)
		desc = fmt.Sprintf("the tiled GEMM kernel alone with %d x %d tiles, %d x %d outputs an invocation", 16*blk, 16*blk, blk, blk)
	}
	var prevN int
	var prevS float64
	for _, n := range cfg.GEMMSizes {
		if ctx.Err() != nil {
			return ErrInterrupted
		}
		fl := 2 * float64(n) * float64(n) * float64(n)
		row := Row{Op: op, N: n, TimeSource: "gl_timestamp", Flops: fl, Peak: source,
			Desc: fmt.Sprintf("%s, C = A·B, %d x %d x %d (%.4g GFLOP)", desc, n, n, n, fl/1e9)}
		if prevS > 0 {
			r := float64(n) / float64(prevN)
			if est := time.Duration(prevS * r * r * r * float64(cfg.Reps+1) * 1e9); est > gemmBudget {
				row.Skipped = fmt.Sprintf("%d³ took %s, so %d³ would take about %s for %d reps and the warm-up, over the %s budget",
					prevN, secString(prevS), n, est.Round(time.Second), cfg.Reps, gemmBudget)
				rep.Rows = append(rep.Rows, row)
				continue
			}
		}
		t, err := ec.BenchGEMMBlock(prec, n, cfg.Reps, blk)
		if errors.Is(err, engine.ErrTooBig) {
			row.skip(err)
			rep.Rows = append(rep.Rows, row)
			continue
		}
		if err != nil {
			return err
		}
		row.deviceTimes(t, cfg.Reps)
		row.flopFigures(peak)
		rep.Rows = append(rep.Rows, row)
		prevN, prevS = n, row.MedianS
	}
	return nil
}

// mlpStepRow times reps training steps, after one warm-up. On the CPU
// each step is timed by the wall clock. On the GPU a step waits for
// nothing, so the batch of reps steps is timed between two glFinish calls
// and every figure of the row is the batch's wall time / reps.
func mlpStepRow(row *Row, ec *engine.Context, hidden []int, batch int, prec gdgpu.Precision, reps int) error {
	if ec == nil {
		prec = gdgpu.F64
	}
	job, err := mlpJob(hidden, batch, prec)
	if err != nil {
		return err
	}
	var b gdgpu.Backend
	if ec == nil {
		b, err = cpu.Open(&job)
	} else {
		b, err = ec.NewBackend(&job)
	}
	if errors.Is(err, engine.ErrTooBig) || errors.Is(err, cpu.ErrTooBig) {
		row.skip(err)
		return nil
	}
	if err != nil {
		return err
	}
	err = mlpSteps(row, ec, &job, b, reps)
	if cerr := b.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

func mlpSteps(row *Row, ec *engine.Context, job *gdgpu.Job, b gdgpu.Backend, reps int) error {
	if err := b.Load(job.StartPoint()); err != nil {
		return err
	}
	rows := job.Data.Rows
	bs, _ := gdgpu.Batches(job.BatchSize, rows)
	order := make([]int32, rows)
	gdgpu.EpochOrder(order, job.Seed, 0, bs)
	o, ok := b.(gdgpu.Orderer)
	if !ok {
		return fmt.Errorf("bench: the %s backend takes no sample order", b.Name())
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
		return err
	}
	if err := step(); err != nil { // warm-up (and the GPU's kernels' first run)
		return err
	}
	if ec == nil {
		return row.wallTimes(reps, step)
	}
	if err := ec.Finish(); err != nil {
		return err
	}
	start := time.Now()
	for range reps {
		if err := step(); err != nil {
			return err
		}
	}
	if err := ec.Finish(); err != nil {
		return err
	}
	per := time.Since(start).Seconds() / float64(reps)
	row.stats([]float64{per})
	row.Reps = reps
	row.WallPerOpS = per
	return nil
}

// flopFigures fills GFLOP/s from the median time and, with a known peak,
// its fraction.
func (r *Row) flopFigures(peak float64) {
	if r.Skipped != "" || r.MedianS <= 0 {
		return
	}
	r.GFlops = r.Flops / r.MedianS / 1e9
	if peak > 0 {
		r.PeakGFlops = peak
		r.PeakFrac = r.GFlops / peak
	}
}
