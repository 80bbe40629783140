// Package bench times gdgpu's kernels, as `gdgpu bench` does: over a sweep
// of N, a device copy (the bandwidth baseline), the fused steps, the loss
// alone, an update on a stored gradient and the driver loop, on the GPU
// (GL_TIMESTAMP pairs) or on the CPU backend (wall time, against a STREAM
// triad); optionally one torch L-BFGS iteration, a typed objective, or,
// instead of the sweep, an mlp training step and the GEMM kernel
// (GFLOP/s). Run returns a Report, whose JSON field names are stable and
// documented in bench/README.md; WriteText prints it as the command's
// table.
package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
)

// Report is a benchmark's result, `gdgpu bench --json`. Its field names
// are stable and documented in bench/README.md; bench/torch_baseline.py
// prints the same.
type Report struct {
	Tool       string `json:"tool"`       // "gdgpu" (or "torch")
	Device     string `json:"device"`     // "gpu" or "cpu" ("cuda" for torch)
	Renderer   string `json:"renderer"`   // GL_RENDERER, or the CPU's description
	Precision  string `json:"precision"`  // "f32" or "f64"
	Reps       int    `json:"reps"`       // timed repetitions per row
	LoopSteps  int    `json:"loop_steps"` // steps of the "loop" row's run
	Date       string `json:"date"`       // RFC 3339, UTC
	GoVersion  string `json:"go_version"`
	CPUThreads int    `json:"cpu_threads"` // runtime.GOMAXPROCS
	Rows       []Row  `json:"rows"`
}

// Row is one operation at one N. Times are seconds per operation.
type Row struct {
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
	// The --mlp rows' (FLOP-bound) only:
	Flops      float64 `json:"flops,omitempty"`         // floating-point operations per op
	GFlops     float64 `json:"gflops,omitempty"`        // flops / median_s / 1e9
	Peak       string  `json:"peak,omitempty"`          // the device's fp32 peak's source, or "unknown"
	PeakGFlops float64 `json:"peak_gflops,omitempty"`   // that peak, GFLOP/s (absent when unknown)
	PeakFrac   float64 `json:"peak_fraction,omitempty"` // gflops / peak_gflops

	// Err is the error that skipped the row, where one did (Skipped is
	// its text, with the Go names of the fields a *gdgpu.FieldError in it
	// names), so that a front end can write its own names. Not in JSON.
	Err error `json:"-"`
}

// Config describes a benchmark: the sweep of N and its optional rows, or
// the mlp rows instead.
type Config struct {
	// Sizes are the N of the sweep, in order (not with MLP).
	Sizes []int
	// Precision is the GPU's; the CPU always computes in float64.
	Precision gdgpu.Precision
	// Reps is the timed repetitions of a row, after one warm-up.
	Reps int
	// LoopSteps is the steps of the "loop" row's run.
	LoopSteps int
	// Objective, when set, is a typed objective (gdgpu.ParseObjective)
	// timed too: its fused step with adam, its compile and, on the GPU,
	// its first backend's build.
	Objective string
	// LBFGS adds one lbfgs iteration with 10 and 100 pairs held.
	LBFGS bool
	// MLP times an mlp training step and the GEMM kernel instead of the
	// sweep; the three fields below apply to it alone.
	MLP bool
	// MLPHidden are the network's hidden widths (784 inputs, 10 classes).
	MLPHidden []int
	// MLPBatches are the batches of the mlp-step rows.
	MLPBatches []int
	// GEMMSizes are the edges of the square GEMM rows (GPU only).
	GEMMSizes []int
	// GEMMBlocks are the kernel's invocation blocks timed at each size
	// (engine.GEMMBlocks: 2 gives the "gemm" rows, 4 and 8
	// "gemm-r4" and "gemm-r8"); none is 2 alone.
	GEMMBlocks []int
}

// DefaultConfig is `gdgpu bench`'s configuration without flags.
func DefaultConfig() Config {
	return Config{
		Sizes: []int{1e4, 1e5, 1e6, 1e7}, Precision: gdgpu.F32, Reps: 20, LoopSteps: 200,
		MLPHidden: []int{1024, 1024}, MLPBatches: []int{256, 1024}, GEMMSizes: []int{1024, 4096}, GEMMBlocks: []int{2, 4, 8},
	}
}

// maxWidth bounds a hidden width, a batch and a GEMM edge.
const maxWidth = 1 << 20

// Validate refuses a configuration Run cannot time, with a
// *gdgpu.FieldError naming the field.
func (c *Config) Validate() error {
	if c.Reps < 1 {
		return gdgpu.FieldErrorf("{Config.Reps} %d must be >= 1", c.Reps).In("bench")
	}
	if c.LoopSteps < 1 {
		return gdgpu.FieldErrorf("{Config.LoopSteps} %d must be >= 1", c.LoopSteps).In("bench")
	}
	if c.Precision != gdgpu.F32 && c.Precision != gdgpu.F64 {
		return gdgpu.FieldErrorf("{Config.Precision} %d is unknown (want F32 or F64)", int(c.Precision)).In("bench")
	}
	if c.MLP {
		if c.LBFGS || c.Objective != "" || len(c.Sizes) > 0 {
			return gdgpu.FieldErrorf("{Config.MLP} times its own rows: it takes no {Config.Sizes}, {Config.LBFGS} or {Config.Objective}").In("bench")
		}
		for _, l := range []struct {
			field string
			v     []int
		}{{"{Config.MLPHidden}", c.MLPHidden}, {"{Config.MLPBatches}", c.MLPBatches}, {"{Config.GEMMSizes}", c.GEMMSizes}} {
			for _, n := range l.v {
				if n < 1 || n > maxWidth {
					return gdgpu.FieldErrorf(l.field+": %d is not a whole number from 1 to %d", n, maxWidth).In("bench")
				}
			}
		}
		for _, r := range c.GEMMBlocks {
			if !slices.Contains(engine.GEMMBlocks(), r) {
				return gdgpu.FieldErrorf("{Config.GEMMBlocks}: %d is not a block the kernel compiles for (%v)", r, engine.GEMMBlocks()).In("bench")
			}
		}
		return nil
	}
	if len(c.Sizes) == 0 {
		return gdgpu.FieldErrorf("{Config.Sizes} is empty: no N to time").In("bench")
	}
	for _, n := range c.Sizes {
		if n < 1 || n > gdgpu.MaxDim {
			return gdgpu.FieldErrorf("{Config.Sizes}: %d is not a dimension (a whole number from 1 to %d)", n, gdgpu.MaxDim).In("bench")
		}
	}
	return nil
}

// ErrInterrupted ends a Run whose ctx was cancelled: it stops between rows
// (and a loop row at a step boundary), returning the rows measured.
var ErrInterrupted = errors.New("bench: interrupted")

// Run times cfg's rows on ec, or on the CPU backend when ec is nil, and
// returns the report. A row whose job does not fit in the device's
// memory is skipped, with the reason (Row.Skipped, Row.Err); any other
// failure ends the run with its error. Run registers cfg.Objective
// (gdgpu.RegisterObjective).
func Run(ctx context.Context, ec *engine.Context, cfg *Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MLP {
		// Validate takes empty lists, which a front end fills after it
		// (the command, to keep its refusals in flag order); an mlp run
		// needs its network and its batches.
		for _, l := range []struct {
			field string
			v     []int
		}{{"{Config.MLPHidden}", cfg.MLPHidden}, {"{Config.MLPBatches}", cfg.MLPBatches}} {
			if len(l.v) == 0 {
				return nil, gdgpu.FieldErrorf(l.field + " is empty: no mlp row to time").In("bench")
			}
		}
	}
	cases := benchCases
	if cfg.LBFGS {
		cases = append(slices.Clone(cases), lbfgsCases()...)
	}
	if cfg.Objective != "" {
		if _, err := gdgpu.RegisterObjective(cfg.Objective); err != nil {
			return nil, gdgpu.FieldErrorf("{Config.Objective}: %w", err).In("bench")
		}
		cases = append(slices.Clone(cases), benchCase{op: "objective+adam", desc: "fused typed objective + adam: " + strings.Join(strings.Fields(cfg.Objective), " "),
			objective: cfg.Objective, opt: "adam", kind: engine.BenchStep, words: 6})
	}
	rep := &Report{
		Tool: "gdgpu", Device: "gpu", Precision: cfg.Precision.String(), Reps: cfg.Reps, LoopSteps: cfg.LoopSteps,
		Date: time.Now().UTC().Format(time.RFC3339), GoVersion: runtime.Version(), CPUThreads: runtime.GOMAXPROCS(0),
	}
	var err error
	switch {
	case ec == nil:
		rep.Device, rep.Precision = "cpu", gdgpu.F64.String()
		rep.Renderer = fmt.Sprintf("%s/%s, %d threads, float64", runtime.GOOS, runtime.GOARCH, rep.CPUThreads)
		if cfg.MLP {
			err = runMLP(ctx, nil, rep, gdgpu.F64, cfg)
		} else {
			err = runCPU(ctx, rep, cases, cfg)
		}
	default:
		rep.Renderer = ec.Info().Renderer
		if cfg.MLP {
			err = runMLP(ctx, ec, rep, cfg.Precision, cfg)
		} else {
			err = runGPU(ctx, ec, rep, cases, cfg)
		}
	}
	if err != nil {
		return rep, err
	}
	if cfg.Objective != "" {
		rep.Rows = append(rep.Rows, compileRow(cfg.Objective, cfg.Reps))
	}
	return rep, nil
}
