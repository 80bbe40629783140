package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/spf13/cobra"
)

// benchReport is `gdgpu bench --json`. Its field names are stable and
// documented in bench/README.md; bench/torch_baseline.py prints the same.
type benchReport struct {
	Tool       string     `json:"tool"`       // "gdgpu" (or "torch")
	Device     string     `json:"device"`     // "gpu" or "cpu" ("cuda" for torch)
	Renderer   string     `json:"renderer"`   // GL_RENDERER, or the CPU's description
	Precision  string     `json:"precision"`  // "f32" or "f64"
	Reps       int        `json:"reps"`       // timed repetitions per row
	LoopSteps  int        `json:"loop_steps"` // steps of the "loop" row's run
	Date       string     `json:"date"`       // RFC 3339, UTC
	GoVersion  string     `json:"go_version"`
	CPUThreads int        `json:"cpu_threads"` // runtime.GOMAXPROCS
	Rows       []benchRow `json:"rows"`
}

// benchRow is one operation at one N. Times are seconds per operation.
type benchRow struct {
	Op            string   `json:"op"`
	N             int      `json:"n"`
	Desc          string   `json:"desc"`
	TimeSource    string   `json:"time_source"` // "gl_timestamp", "wall" ("cuda_event" for torch)
	Reps          int      `json:"reps"`
	MedianS       float64  `json:"median_s"`
	MinS          float64  `json:"min_s"`
	P90S          float64  `json:"p90_s"`
	WallPerOpS    float64  `json:"wall_per_op_s"`     // batch wall time / reps
	OverheadPerOp *float64 `json:"overhead_per_op_s"` // wall per op - mean GPU time per op; null on the CPU
	BytesPerParam float64  `json:"bytes_per_param"`
	GBps          float64  `json:"gbps"`              // n * bytes_per_param / median_s / 1e9
	Baseline      string   `json:"baseline"`          // the row gbps is compared with: "copy" (gpu) or "triad" (cpu)
	BaselineFrac  float64  `json:"baseline_fraction"` // gbps / the baseline row's gbps at the same n
	Skipped       string   `json:"skipped"`           // why the row has no figures ("" when it has)
	// bench --mlp's rows (FLOP-bound) only:
	Flops      float64 `json:"flops,omitempty"`         // floating-point operations per op
	GFlops     float64 `json:"gflops,omitempty"`        // flops / median_s / 1e9
	Peak       string  `json:"peak,omitempty"`          // the device's fp32 peak's source, or "unknown"
	PeakGFlops float64 `json:"peak_gflops,omitempty"`   // that peak, GFLOP/s (absent when unknown)
	PeakFrac   float64 `json:"peak_fraction,omitempty"` // gflops / peak_gflops
}

// benchCase is a row's configuration.
type benchCase struct {
	op      string
	desc    string
	problem string
	// objective, when set, is a typed objective the row runs instead of
	// problem (bench --objective).
	objective string
	opt       string
	set       map[string]float64
	cond      float64
	kind      engine.BenchOp // on the GPU; "loop" rows use gdgpu.Run
	words     int            // elements moved per parameter (the byte model)
	warm      int            // steps before the timed ones (lbfgs: to fill its history)
}

// benchCases are the rows, in order. The optimizer rows are fused with
// the quadratic at cond 1, whose coefficients are all 1 and never read.
var benchCases = []benchCase{
	{op: "copy", desc: "device copy x -> y (read + write)", problem: "quadratic", opt: "sgd", kind: engine.BenchCopy, words: 2},
	{op: "sgd", desc: "sgd step fused with quadratic cond 1", problem: "quadratic", opt: "sgd", kind: engine.BenchStep, words: 2},
	{op: "momentum", desc: "sgd momentum 0.9 step fused with quadratic cond 1", problem: "quadratic", opt: "sgd", set: map[string]float64{"momentum": 0.9}, kind: engine.BenchStep, words: 4},
	{op: "adam", desc: "adam step fused with quadratic cond 1", problem: "quadratic", opt: "adam", kind: engine.BenchStep, words: 6},
	{op: "adam-given", desc: "adam step on a stored gradient", problem: "quadratic", opt: "adam", kind: engine.BenchGiven, words: 7},
	{op: "loss", desc: "loss alone: eval pass + reduction (quadratic)", problem: "quadratic", opt: "sgd", kind: engine.BenchLoss, words: 1},
	{op: "rosenbrock+adam", desc: "fused rosenbrock objective+gradient+adam", problem: "rosenbrock", opt: "adam", kind: engine.BenchStep, words: 6},
	{op: "quadratic+adam", desc: "fused quadratic cond 100 (coefficients read) + adam", problem: "quadratic", opt: "adam", cond: 100, kind: engine.BenchStep, words: 7},
	{op: "loop", desc: "gdgpu.Run, adam on quadratic cond 1, --log-every 100", problem: "quadratic", opt: "adam", words: 6},
}

// lbfgsCases are bench --lbfgs's rows: one torch L-BFGS iteration
// (--max-iter 1, fixed step) on rosenbrock with m pairs held, after m+2
// steps that fill the ring. Byte model, in vectors of N read or written:
// the evaluation and max|g| (3), y and s (5), y.s and y.y (4), d = -g (2),
// the two loops (10 per pair: a dot and an axpy each way), d*H_diag (2),
// g.d (2), prev_flat_grad = g (2), x + t d (3): 23 + 10m.
func lbfgsCases() []benchCase {
	var cs []benchCase
	for _, m := range []int{10, 100} {
		cs = append(cs, benchCase{op: fmt.Sprintf("lbfgs-h%d", m), desc: fmt.Sprintf("one lbfgs iteration (max-iter 1, fixed step) with %d pairs held, rosenbrock", m),
			problem: "rosenbrock", opt: "lbfgs", set: map[string]float64{"history-size": float64(m), "max-iter": 1, "lr": 1e-4},
			kind: engine.BenchStep, words: 23 + 10*m, warm: m + 2})
	}
	return cs
}

// benchFlags are bench's options.
type benchFlags struct {
	sizes      string
	device     string
	precision  string
	gpu        int
	reps       int
	loopSteps  int
	json       bool
	objective  string // --objective: rows for a typed objective too
	lbfgs      bool   // --lbfgs: the lbfgs rows too
	mlp        bool   // --mlp: the mlp and GEMM rows instead of the sweep
	mlpHidden  string // --mlp-hidden: the network's hidden widths
	mlpBatches string // --mlp-batches
	gemmSizes  string // --gemm-sizes
}

func newBenchCmd(stdout io.Writer) *cobra.Command {
	f := &benchFlags{}
	cmd := &cobra.Command{
		Use:   "bench [flags]",
		Short: "measure step, loss and copy speed over a sweep of N",
		Long: `Sweep N and time, at each: a device copy (the bandwidth baseline of the same
run), the sgd, momentum and adam steps fused with the quadratic at cond 1
(no coefficient read), adam on a stored gradient, the loss alone (eval pass
and reduction), the fused rosenbrock+adam and quadratic (cond 100)+adam
steps, and the full driver loop (gdgpu.Run, --log-every 100).

On the GPU each repetition's device time comes from a pair of GL_TIMESTAMP
queries, read back without stalling; the wall time of the batch is taken
between two glFinish calls, and wall per op minus mean GPU time is the
CPU/driver overhead per op. --device cpu times the CPU backend (wall time)
against a STREAM triad on every core. Each row gives the median, min and p90
time per op, the effective GB/s of the byte model (bytes_per_param) and its
fraction of the baseline (copy on the GPU, triad on the CPU) at the same N.
A size that does not fit in the device's memory is skipped, with the reason.

--objective 'EXPR' adds rows for a typed objective (README: Typed
objectives): "objective+adam", its fused step with adam (the byte model of
rosenbrock+adam; an objective with a pre-pass is timed with it, and its
extra read of x is not in the byte model), and "objective-compile", the
time to parse, differentiate and emit it (gdgpu.ParseObjective, the median
of --reps), and on the GPU also "objective-build", the first backend's creation, its
shader programs compiled (one wall-clock figure).

--lbfgs adds "lbfgs-h10" and "lbfgs-h100": one iteration of torch's L-BFGS
(--max-iter 1, a fixed step) on rosenbrock with 10 or 100 curvature pairs
held, after the steps that fill them; its byte model is 23 + 10 m vectors
of N per iteration. They are timed by the wall clock on both devices: on
the GPU an lbfgs step waits for every scalar it decides on.

--mlp times, instead of the sweep, a multi-layer perceptron (issue 16):
"mlp-step", one training step (forward, backward, adam) of a
784-1024-1024-10 relu network (--mlp-hidden) on synthetic data at each of
--mlp-batches (N is the batch), and on the GPU "gemm", the tiled GEMM
kernel alone, C = A·B square of each of --gemm-sizes (N is the edge). The
figure is GFLOP/s: the FLOP count is 2·W·batch forward (W the weights)
and 2·(2W - 784·1024)·batch backward (the input layer's input needs no
gradient); bias, activation, loss and adam are not counted. Beside it, the
fraction of the device's published fp32 (non-tensor) peak where GL_RENDERER
names a device with one in the table (H100, H200), else "peak unknown". An
mlp step waits for nothing on the GPU: the row is the wall time of --reps
steps between two glFinish calls, divided; on the CPU (float64) each step
is timed. A gemm size whose time, predicted from the smaller size before
it, would pass a minute is skipped, with the prediction.

--json prints the figures as JSON (field names in bench/README.md).`,
		Example: `  gdgpu bench
  gdgpu bench --sizes 1e8 --reps 50 --json > gdgpu.json
  gdgpu bench --device cpu --sizes 1e6,1e7
  gdgpu bench --mlp --reps 10
  gdgpu bench --sizes 1e6 --objective 'sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBench(cmd, f, stdout)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.sizes, "sizes", "1e4,1e5,1e6,1e7", "comma-separated N to sweep, e.g. 1e6,1e8")
	fs.StringVar(&f.device, "device", "gpu", "gpu or cpu (the CPU backend, float64, wall time; never opens a GL context)")
	fs.StringVar(&f.precision, "precision", "f32", "GPU precision: f32 or f64 (the CPU always computes in float64)")
	fs.IntVar(&f.gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	fs.IntVar(&f.reps, "reps", 20, "timed repetitions per row (after one warm-up)")
	fs.IntVar(&f.loopSteps, "loop-steps", 200, "steps of the driver-loop row's run")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table")
	fs.StringVar(&f.objective, "objective", "", "also time a typed objective: its fused step with adam, its compile and build times")
	fs.BoolVar(&f.lbfgs, "lbfgs", false, "also time one lbfgs iteration with 10 and 100 pairs held (each row first fills the history)")
	fs.BoolVar(&f.mlp, "mlp", false, "time an mlp training step and the GEMM kernel (GFLOP/s) instead of the sweep")
	fs.StringVar(&f.mlpHidden, "mlp-hidden", "1024,1024", "--mlp: the network's hidden widths (784 inputs, 10 classes)")
	fs.StringVar(&f.mlpBatches, "mlp-batches", "256,1024", "--mlp: the batches of the mlp-step rows")
	fs.StringVar(&f.gemmSizes, "gemm-sizes", "1024,4096", "--mlp: the square GEMM sizes of the gemm rows (GPU only)")
	return cmd
}

// parseSizes parses "1e4,1e5" into dimensions.
func parseSizes(s string) ([]int, error) {
	var ns []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		v, err := strconv.ParseFloat(part, 64)
		if err != nil || v != math.Trunc(v) || v < 1 || v > gdgpu.MaxDim {
			return nil, fmt.Errorf("--sizes: %q is not a dimension (a whole number from 1 to %d, e.g. 1e6)", part, gdgpu.MaxDim)
		}
		ns = append(ns, int(v))
	}
	return ns, nil
}

func runBench(cmd *cobra.Command, f *benchFlags, stdout io.Writer) error {
	sizes, err := parseSizes(f.sizes)
	if err != nil {
		return usagef("%v", err)
	}
	if f.device != "gpu" && f.device != "cpu" {
		return usagef("--device %q is unknown (want gpu or cpu)", f.device)
	}
	prec, err := gdgpu.ParsePrecision(f.precision)
	if err != nil {
		return usagef("--precision %q is unknown (want f32 or f64)", f.precision)
	}
	if f.device == "cpu" && cmd.Flags().Changed("precision") && prec != gdgpu.F64 {
		return usagef("--precision %s applies to --device gpu; the CPU computes in float64", f.precision)
	}
	if f.gpu < 0 {
		return usagef("--gpu %d must be >= 0", f.gpu)
	}
	if f.reps < 1 {
		return usagef("--reps %d must be >= 1", f.reps)
	}
	if f.loopSteps < 1 {
		return usagef("--loop-steps %d must be >= 1", f.loopSteps)
	}
	if f.mlp {
		if f.lbfgs || f.objective != "" || cmd.Flags().Changed("sizes") {
			return usagef("--mlp times its own rows: it takes no --sizes, --lbfgs or --objective")
		}
		for _, p := range [][2]string{{"--mlp-hidden", f.mlpHidden}, {"--mlp-batches", f.mlpBatches}, {"--gemm-sizes", f.gemmSizes}} {
			if _, err := parseWidths(p[0], p[1]); err != nil {
				return usagef("%v", err)
			}
		}
	} else {
		for _, fl := range []string{"mlp-hidden", "mlp-batches", "gemm-sizes"} {
			if cmd.Flags().Changed(fl) {
				return usagef("--%s applies to --mlp", fl)
			}
		}
	}
	cases := benchCases
	if f.lbfgs {
		cases = append(slices.Clone(cases), lbfgsCases()...)
	}
	if f.objective != "" {
		if _, err := gdgpu.RegisterObjective(f.objective); err != nil {
			return usagef("--objective: %v", err)
		}
		cases = append(slices.Clone(cases), benchCase{op: "objective+adam", desc: "fused typed objective + adam: " + strings.Join(strings.Fields(f.objective), " "),
			objective: f.objective, opt: "adam", kind: engine.BenchStep, words: 6})
	}
	rep := benchReport{
		Tool: "gdgpu", Device: f.device, Precision: prec.String(), Reps: f.reps, LoopSteps: f.loopSteps,
		Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), CPUThreads: runtime.GOMAXPROCS(0),
	}
	ctx := cmd.Context()
	graceful.Store(true) // the sweep checks ctx between rows and prints what it measured
	if f.device == "cpu" {
		rep.Precision = gdgpu.F64.String()
		rep.Renderer = fmt.Sprintf("%s/%s, %d threads, float64", runtime.GOOS, runtime.GOARCH, rep.CPUThreads)
		if f.mlp {
			err = benchMLP(ctx, nil, &rep, gdgpu.F64, f)
		} else {
			err = benchCPU(ctx, &rep, sizes, cases, f)
		}
	} else {
		var ec *engine.Context
		if ec, err = openGL(f.gpu); err != nil {
			return err
		}
		rep.Renderer = ec.Info().Renderer
		if f.mlp {
			err = benchMLP(ctx, ec, &rep, prec, f)
		} else {
			err = benchGPU(ctx, ec, &rep, sizes, cases, prec, f)
		}
		if cerr := ec.Close(); err == nil && cerr != nil {
			err = failure(cerr)
		}
	}
	if err != nil {
		return err
	}
	if f.objective != "" {
		rep.Rows = append(rep.Rows, benchCompile(f.objective, f.reps))
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&rep); err != nil {
			return failure(err)
		}
		return nil
	}
	if f.mlp {
		printBenchMLP(stdout, &rep)
		return nil
	}
	printBench(stdout, &rep)
	return nil
}

// benchCompile times compiling a typed objective on the host: parse,
// differentiate, simplify, emit the GLSL and the CPU programs.
func benchCompile(src string, reps int) benchRow {
	row := benchRow{Op: "objective-compile", Desc: "parse, differentiate and emit the typed objective (gdgpu.ParseObjective)", TimeSource: "wall"}
	if err := row.wallTimes(reps, func() error { _, err := gdgpu.ParseObjective(src); return err }); err != nil {
		row.Skipped = inFlags(err, fieldFlag)
	}
	return row
}

// benchJob is the job of a case at dimension n.
func benchJob(bc benchCase, n int, prec gdgpu.Precision, loopSteps int) gdgpu.Job {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Precision = bc.problem, n, prec
	if bc.objective != "" {
		job.Objective = bc.objective
		job.Problem = gdgpu.ObjectiveName(bc.objective) // registered by runBench
	}
	job.Optimizer, _ = gdgpu.DefaultOptimizer(bc.opt)
	for flag, v := range bc.set {
		job.Optimizer.Set(flag, v)
	}
	job.Cond = 1
	if bc.cond > 0 {
		job.Cond = bc.cond
	}
	job.Steps, job.LogEvery = loopSteps, 100
	return job
}

// stats fills a row's median, min and p90 from per-op seconds.
// wallTimes times reps calls of op one by one by the wall clock into r:
// the statistics of the calls and the wall time per call. It stops at
// op's first error and returns it.
func (r *benchRow) wallTimes(reps int, op func() error) error {
	sec := make([]float64, reps)
	start := time.Now()
	for i := range sec {
		t0 := time.Now()
		if err := op(); err != nil {
			return err
		}
		sec[i] = time.Since(t0).Seconds()
	}
	r.WallPerOpS = time.Since(start).Seconds() / float64(reps)
	r.stats(sec)
	return nil
}

// deviceTimes fills r from an engine timing of reps operations: the
// statistics of the device times, the wall time per operation, and the
// host overhead, wall less device.
func (r *benchRow) deviceTimes(t engine.BenchTiming, reps int) {
	sec := make([]float64, len(t.GPU))
	var sum float64
	for i, d := range t.GPU {
		sec[i] = d.Seconds()
		sum += sec[i]
	}
	r.stats(sec)
	r.WallPerOpS = t.Wall.Seconds() / float64(reps)
	over := r.WallPerOpS - sum/float64(reps)
	r.OverheadPerOp = &over
}

func (r *benchRow) stats(sec []float64) {
	s := slices.Clone(sec)
	slices.Sort(s)
	r.Reps = len(s)
	r.MinS = s[0]
	r.MedianS = quantile(s, 0.5)
	r.P90S = quantile(s, 0.9)
}

// quantile of sorted s, linear between neighbours.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// benchFinish computes the bandwidth figures of every row from the baseline
// row (op base) at the same n.
func benchFinish(rep *benchReport, base string) {
	baseline := map[int]float64{}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Skipped == "" && r.MedianS > 0 {
			r.GBps = float64(r.N) * r.BytesPerParam / r.MedianS / 1e9
		}
		if r.Op == base {
			baseline[r.N] = r.GBps
		}
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		r.Baseline = base
		if b := baseline[r.N]; b > 0 {
			r.BaselineFrac = r.GBps / b
		}
	}
}

// benchGPU runs every case at every size on ec. Cases sharing a job share
// a backend (kernels compile once).
func benchGPU(ctx context.Context, ec *engine.Context, rep *benchReport, sizes []int, cases []benchCase, prec gdgpu.Precision, f *benchFlags) error {
	elem := 4
	if prec == gdgpu.F64 {
		elem = 8
	}
	for _, n := range sizes {
		var (
			cur    *engine.Backend
			curKey string
			curErr error
		)
		closeCur := func() error {
			if cur == nil {
				return nil
			}
			err := cur.Close()
			cur = nil
			return err
		}
		for _, bc := range cases {
			if err := ctx.Err(); err != nil {
				closeCur()
				return exitCode(exitInterrupted)
			}
			row := benchRow{Op: bc.op, N: n, Desc: bc.desc, TimeSource: "gl_timestamp", BytesPerParam: float64(bc.words * elem)}
			job := benchJob(bc, n, prec, f.loopSteps)
			key := fmt.Sprint(job.Problem, job.Cond, job.Optimizer)
			if key != curKey {
				if err := closeCur(); err != nil {
					return failure(err)
				}
				curKey = key
				var b gdgpu.Backend
				t0 := time.Now()
				b, curErr = ec.NewBackend(&job)
				if bc.objective != "" && curErr == nil {
					built := benchRow{Op: "objective-build", N: n, Desc: "the typed objective's first backend: its shader programs compiled and its buffers made", TimeSource: "wall"}
					built.stats([]float64{time.Since(t0).Seconds()})
					built.WallPerOpS = built.MedianS
					rep.Rows = append(rep.Rows, built)
				}
				if curErr == nil {
					cur = b.(*engine.Backend)
					curErr = cur.Load(job.StartPoint())
				}
			}
			switch {
			case errors.Is(curErr, engine.ErrTooBig):
				row.Skipped = curErr.Error()
			case curErr != nil:
				closeCur()
				return failure(curErr)
			case bc.op == "loop":
				if err := benchLoop(ctx, &row, &job, cur); err != nil {
					closeCur()
					return err
				}
			case bc.warm > 0:
				// lbfgs waits for the device at each scalar it decides on:
				// its step is timed by the wall clock, as on the CPU.
				if err := benchWallSteps(&row, bc, &job, cur, f.reps); err != nil {
					closeCur()
					return err
				}
			default:
				t, err := cur.Bench(bc.kind, f.reps)
				if err != nil {
					closeCur()
					return failure(err)
				}
				row.deviceTimes(t, f.reps)
			}
			rep.Rows = append(rep.Rows, row)
		}
		if err := closeCur(); err != nil {
			return failure(err)
		}
	}
	benchFinish(rep, "copy")
	return nil
}

// benchLoop runs the driver loop once and records its wall time per step
// (the row's median, min and p90 are that one figure).
func benchLoop(ctx context.Context, row *benchRow, job *gdgpu.Job, b gdgpu.Backend) error {
	res, err := gdgpu.Run(ctx, job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		return failure(err)
	}
	if res.Status == gdgpu.Interrupted {
		return exitCode(exitInterrupted)
	}
	per := res.Elapsed.Seconds() / float64(max(res.Steps, 1))
	row.TimeSource = "wall"
	row.stats([]float64{per})
	row.WallPerOpS = per
	return nil
}

// benchCPU runs the CPU rows: the triad and copy baselines, then every
// case on the CPU backend (wall time of each repetition).
func benchCPU(ctx context.Context, rep *benchReport, sizes []int, cases []benchCase, f *benchFlags) error {
	const elem = 8
	for _, n := range sizes {
		for _, base := range []struct {
			op, desc string
			words    int
			run      func(a, b, c []float64)
		}{
			{"triad", "STREAM triad a = b + s*c on every thread", 3, triad},
			{"copy", "copy b -> a on every thread (read + write)", 2, func(a, b, _ []float64) { parallelCopy(a, b) }},
		} {
			row := benchRow{Op: base.op, N: n, Desc: base.desc, TimeSource: "wall", BytesPerParam: float64(base.words * elem)}
			if err := benchHost(&row, n, f.reps, base.run); err != nil {
				row.Skipped = inFlags(err, fieldFlag)
			}
			rep.Rows = append(rep.Rows, row)
		}
		for _, bc := range cases {
			if err := ctx.Err(); err != nil {
				return exitCode(exitInterrupted)
			}
			if bc.op == "copy" {
				continue // the host copy above
			}
			row := benchRow{Op: bc.op, N: n, Desc: bc.desc, TimeSource: "wall", BytesPerParam: float64(bc.words * elem)}
			job := benchJob(bc, n, gdgpu.F64, f.loopSteps)
			b, err := cpu.New(&job)
			if errors.Is(err, cpu.ErrTooBig) {
				// As on the GPU: the row says why, the sweep goes on.
				row.Skipped = inFlags(err, fieldFlag)
				rep.Rows = append(rep.Rows, row)
				continue
			}
			if err != nil {
				return failure(err)
			}
			err = benchCPUCase(ctx, &row, bc, &job, b, f.reps)
			if cerr := b.Close(); err == nil && cerr != nil {
				err = failure(cerr)
			}
			if err != nil {
				return err
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	benchFinish(rep, "triad")
	return nil
}

func benchCPUCase(ctx context.Context, row *benchRow, bc benchCase, job *gdgpu.Job, b *cpu.Backend, reps int) error {
	if err := b.Load(job.StartPoint()); err != nil {
		return failure(err)
	}
	if bc.op == "loop" {
		return benchLoop(ctx, row, job, b)
	}
	lr := []float64{job.Optimizer.LR}
	for range bc.warm {
		if err := b.Step(lr, false); err != nil {
			return failure(err)
		}
	}
	if m := int(job.Optimizer.History); bc.warm > 0 && b.ScalarState().Pairs != m {
		row.Skipped = fmt.Sprintf("%d steps kept %d pairs, not %d: the row would not time a full history", bc.warm, b.ScalarState().Pairs, m)
		return nil
	}
	var g []float64
	if bc.kind == engine.BenchGiven {
		g = make([]float64, job.Dim)
	}
	op := func() error {
		switch bc.kind {
		case engine.BenchStep:
			return b.Step(lr, false)
		case engine.BenchGiven:
			return b.ApplyGradient(g, lr[0])
		case engine.BenchLoss:
			if err := b.Record(); err != nil {
				return err
			}
			_, err := b.Samples(nil, true)
			return err
		}
		return fmt.Errorf("bench: no CPU form of %s", bc.op)
	}
	if err := op(); err != nil { // warm-up
		return failure(err)
	}
	if err := row.wallTimes(reps, op); err != nil {
		return failure(err)
	}
	return nil
}

// benchWallSteps times reps steps of b one by one by the wall clock,
// after bc.warm steps that fill an lbfgs history (a row that does not get
// it full is skipped, with the reason).
func benchWallSteps(row *benchRow, bc benchCase, job *gdgpu.Job, b gdgpu.Backend, reps int) error {
	lr := []float64{job.Optimizer.LR}
	for range bc.warm {
		if err := b.Step(lr, false); err != nil {
			return failure(err)
		}
	}
	var s gdgpu.State
	if err := b.Snapshot(&s); err != nil {
		return failure(err)
	}
	if m := int(job.Optimizer.History); s.Scalars.Pairs != m {
		row.Skipped = fmt.Sprintf("%d steps kept %d pairs, not %d: the row would not time a full history", bc.warm, s.Scalars.Pairs, m)
		return nil
	}
	row.TimeSource = "wall"
	if err := row.wallTimes(reps, func() error { return b.Step(lr, false) }); err != nil {
		return failure(err)
	}
	return nil
}

// benchHost times a host kernel over three float64 vectors of n.
func benchHost(row *benchRow, n, reps int, run func(a, b, c []float64)) (err error) {
	defer func() {
		if recover() != nil { // make panics when memory cannot be had
			err = fmt.Errorf("cannot allocate 3 x %d float64", n)
		}
	}()
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range b {
		b[i], c[i] = 1, 2
	}
	run(a, b, c) // warm-up, and pages touched
	return row.wallTimes(reps, func() error { run(a, b, c); return nil })
}

// parallelFor runs body over [0, n) split in GOMAXPROCS contiguous parts.
func parallelFor(n int, body func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(n/(1<<14), 1))
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := n*k/w, n*(k+1)/w
		if k == w-1 {
			body(lo, hi)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}

// triad is STREAM's a = b + s*c.
func triad(a, b, c []float64) {
	const s = 3.0
	parallelFor(len(a), func(lo, hi int) {
		a, b, c := a[lo:hi], b[lo:hi], c[lo:hi]
		for i := range a {
			a[i] = b[i] + s*c[i]
		}
	})
}

func parallelCopy(a, b []float64) {
	parallelFor(len(a), func(lo, hi int) { copy(a[lo:hi], b[lo:hi]) })
}

// printBench prints the report as a table.
func printBench(w io.Writer, rep *benchReport) {
	src := "GPU time from GL_TIMESTAMP pairs; wall/op from glFinish around the batch; overhead = wall/op - mean GPU time"
	if rep.Device == "cpu" {
		src = "wall time per op"
	}
	fmt.Fprintf(w, "gdgpu bench: %s %s on %s, %d reps per row (%s); loop: %d steps, wall\n",
		rep.Device, rep.Precision, rep.Renderer, rep.Reps, src, rep.LoopSteps)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "op\tN\tmedian\tmin\tp90\twall/op\toverhead/op\tB/param\tGB/s\tof %s\t\n", rep.Rows[0].Baseline)
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
