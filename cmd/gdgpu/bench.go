package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/bench"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/spf13/cobra"
)

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
	gemmBlocks string // --gemm-blocks
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
kernel alone, C = A·B square of each of --gemm-sizes (N is the edge), and
"gemm-r4", "gemm-r8", the same kernel computing 4 x 4 and 8 x 8 outputs an
invocation in 64- and 128-wide tiles (--gemm-blocks; the same bits). The
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
	fs.StringVar(&f.gemmBlocks, "gemm-blocks", "2,4,8", "--mlp: the GEMM kernel's invocation blocks timed at each size: 2 (the mlp's, \"gemm\"), 4, 8 (\"gemm-r4\", \"gemm-r8\")")
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

// runBench turns bench's flags into a bench.Config, runs it and prints
// the report. The flags' own parsing (--sizes, the --mlp lists) and the
// flags that only make sense together are checked here, quoting what was
// typed; Config.Validate checks the values.
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
	cfg := bench.Config{Precision: prec, Reps: f.reps, LoopSteps: f.loopSteps, Objective: f.objective, LBFGS: f.lbfgs, MLP: f.mlp}
	if !f.mlp || cmd.Flags().Changed("sizes") {
		cfg.Sizes = sizes // --mlp refuses --sizes given, not its default
	}
	if err := cfg.Validate(); err != nil {
		return usagef("%s", benchText(err))
	}
	if f.mlp {
		for _, p := range []struct {
			flag, s string
			v       *[]int
		}{{"--mlp-hidden", f.mlpHidden, &cfg.MLPHidden}, {"--mlp-batches", f.mlpBatches, &cfg.MLPBatches}, {"--gemm-sizes", f.gemmSizes, &cfg.GEMMSizes},
			{"--gemm-blocks", f.gemmBlocks, &cfg.GEMMBlocks}} {
			if *p.v, err = parseWidths(p.flag, p.s); err != nil {
				return usagef("%v", err)
			}
		}
		if err := cfg.Validate(); err != nil {
			return usagef("%s", benchText(err))
		}
	} else {
		for _, fl := range []string{"mlp-hidden", "mlp-batches", "gemm-sizes", "gemm-blocks"} {
			if cmd.Flags().Changed(fl) {
				return usagef("--%s applies to --mlp", fl)
			}
		}
	}
	if f.objective != "" {
		if _, err := gdgpu.RegisterObjective(f.objective); err != nil {
			return usagef("--objective: %v", err)
		}
	}
	graceful.Store(true) // the sweep checks ctx between rows
	var ec *engine.Context
	if f.device == "gpu" {
		if ec, err = openGL(f.gpu); err != nil {
			return err
		}
	}
	rep, err := bench.Run(cmd.Context(), ec, &cfg) // ec nil: the CPU
	if ec != nil {
		if cerr := ec.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}
	if errors.Is(err, bench.ErrInterrupted) {
		return exitCode(exitInterrupted)
	}
	if err != nil {
		return failure(err)
	}
	for i := range rep.Rows {
		if r := &rep.Rows[i]; r.Err != nil {
			r.Skipped = inFlags(r.Err, fieldFlag) // the reason in flags
		}
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return failure(err)
		}
		return nil
	}
	if err := rep.WriteText(stdout); err != nil {
		return failure(err)
	}
	return nil
}

// benchText is a refusal of bench.Config.Validate in flags, without the
// package's prefix: the command's own words.
func benchText(err error) string {
	var fe *gdgpu.FieldError
	if errors.As(err, &fe) {
		return fe.Format(fieldFlag)
	}
	return err.Error()
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
