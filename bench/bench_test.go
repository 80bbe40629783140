package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// openGL opens a GL context for a test. CI has Mesa's llvmpipe, so a
// missing context is a broken machine, not a reason to skip.
func openGL(t *testing.T) *engine.Context {
	t.Helper()
	ec, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatalf("no GL context (GL tests are required, they do not skip): %v", err)
	}
	t.Cleanup(func() { ec.Close() })
	return ec
}

// contexts are the devices a test runs on: the CPU (nil) and the GL
// context.
func contexts(t *testing.T) map[string]*engine.Context {
	return map[string]*engine.Context{"cpu": nil, "gpu": openGL(t)}
}

// sweepOps are the sweep's rows at one size, in order.
func sweepOps(device string) []string {
	var ops []string
	if device == "cpu" {
		ops = append(ops, "triad", "copy")
	}
	for _, bc := range benchCases {
		if device == "cpu" && bc.op == "copy" {
			continue
		}
		ops = append(ops, bc.op)
	}
	return ops
}

// checkReport checks that every row of a sweep at n is there, in order,
// with positive times and bandwidth. No timed assertion.
func checkReport(t *testing.T, rep *Report, device string, reps, n int, wantOps []string) {
	t.Helper()
	if rep.Tool != "gdgpu" || rep.Device != device || rep.Reps != reps || rep.Renderer == "" || rep.Date == "" || rep.CPUThreads < 1 {
		t.Errorf("report header: %+v", rep)
	}
	if len(rep.Rows) != len(wantOps) {
		t.Fatalf("%d rows, want %d (%v)", len(rep.Rows), len(wantOps), wantOps)
	}
	for i, r := range rep.Rows {
		if r.Op != wantOps[i] || r.N != n {
			t.Errorf("row %d is %s at %d, want %s at %d", i, r.Op, r.N, wantOps[i], n)
		}
		if r.Skipped != "" || r.Err != nil {
			t.Errorf("row %s skipped: %s", r.Op, r.Skipped)
			continue
		}
		if !(r.MedianS > 0 && r.MinS > 0 && r.P90S > 0 && r.WallPerOpS > 0 && r.MinS <= r.MedianS && r.MedianS <= r.P90S) {
			t.Errorf("row %s times: median %g min %g p90 %g wall %g", r.Op, r.MedianS, r.MinS, r.P90S, r.WallPerOpS)
		}
		if !(r.GBps > 0 && r.BaselineFrac > 0 && r.BytesPerParam > 0) || r.Baseline == "" {
			t.Errorf("row %s bandwidth: %g GB/s, %g of %q, %g B/param", r.Op, r.GBps, r.BaselineFrac, r.Baseline, r.BytesPerParam)
		}
		wantReps := reps
		if r.Op == "loop" {
			wantReps = 1
		}
		if r.Reps != wantReps {
			t.Errorf("row %s: %d reps, want %d", r.Op, r.Reps, wantReps)
		}
		if device == "gpu" && r.Op != "loop" && (r.OverheadPerOp == nil || r.TimeSource != "gl_timestamp") {
			t.Errorf("row %s: overhead %v, time source %q", r.Op, r.OverheadPerOp, r.TimeSource)
		}
		if device == "cpu" && (r.OverheadPerOp != nil || r.TimeSource != "wall") {
			t.Errorf("row %s: overhead %v, time source %q", r.Op, r.OverheadPerOp, r.TimeSource)
		}
	}
}

// TestRunSweep: the sweep on each device, its rows checked, and its table
// naming every row.
func TestRunSweep(t *testing.T) {
	for device, ec := range contexts(t) {
		t.Run(device, func(t *testing.T) {
			rep, err := Run(context.Background(), ec, &Config{Sizes: []int{1e4}, Reps: 3, LoopSteps: 10})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, device, 3, 1e4, sweepOps(device))
			var b bytes.Buffer
			if err := rep.WriteText(&b); err != nil {
				t.Fatal(err)
			}
			for _, op := range sweepOps(device) {
				if !strings.Contains(b.String(), "\n"+op+" ") && !strings.Contains(b.String(), " "+op+" ") {
					t.Errorf("table lacks row %s:\n%s", op, b.String())
				}
			}
		})
	}
}

// TestJSONFields: the JSON names of the report and its rows, which
// bench/README.md documents and compare.py reads, are these.
func TestJSONFields(t *testing.T) {
	over := 1.0
	rep := Report{Rows: []Row{{OverheadPerOp: &over, Flops: 1, GFlops: 1, Peak: "p", PeakGFlops: 1, PeakFrac: 1, Err: errors.New("x")}}}
	b, err := json.Marshal(&rep)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Top  map[string]json.RawMessage
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(b, &m.Top); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(m.Top["rows"], &m.Rows); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		got  map[string]json.RawMessage
		want []string
	}{
		{m.Top, []string{"tool", "device", "renderer", "precision", "reps", "loop_steps", "date", "go_version", "cpu_threads", "rows"}},
		{m.Rows[0], []string{"op", "n", "desc", "time_source", "reps", "median_s", "min_s", "p90_s", "wall_per_op_s", "overhead_per_op_s",
			"bytes_per_param", "gbps", "baseline", "baseline_fraction", "skipped", "flops", "gflops", "peak", "peak_gflops", "peak_fraction"}},
	} {
		var got []string
		for k := range tc.got {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tc.want))
		if !slices.Equal(got, want) {
			t.Errorf("JSON fields %v, want %v", got, want)
		}
	}
}

// TestRunLBFGS: Config.LBFGS adds one lbfgs iteration at 10 and 100
// pairs, timed by the wall clock with the history full, on both devices.
func TestRunLBFGS(t *testing.T) {
	for device, ec := range contexts(t) {
		rep, err := Run(context.Background(), ec, &Config{Sizes: []int{2e3}, Reps: 2, LoopSteps: 5, LBFGS: true})
		if err != nil {
			t.Fatalf("%s: %v", device, err)
		}
		ops := rowsByOp(rep)
		for _, m := range []int{10, 100} {
			r, ok := ops[fmt.Sprintf("lbfgs-h%d", m)]
			switch {
			case !ok:
				t.Errorf("%s: no lbfgs-h%d row", device, m)
			case r.Skipped != "" || !(r.MedianS > 0) || r.TimeSource != "wall" || r.BytesPerParam != float64((23+10*m)*8/map[string]int{"cpu": 1, "gpu": 2}[device]):
				t.Errorf("%s: lbfgs-h%d %+v", device, m, r)
			}
		}
	}
}

func rowsByOp(rep *Report) map[string]Row {
	got := map[string]Row{}
	for _, r := range rep.Rows {
		got[r.Op] = r
	}
	return got
}

// TestRunCPUTooBig: on the CPU, a row whose job does not fit in the
// host's memory is skipped with the reason and its error, as on the GPU,
// and the others are timed.
func TestRunCPUTooBig(t *testing.T) {
	// 64 MiB: the adam rows at 1e6 fit (9 x 8 MB), lbfgs-h100 (609 + 6 x 8 MB) does not.
	testcases.FakeMemory(t, map[string]string{"proc/meminfo": "MemTotal: 131072 kB\nMemAvailable: 65536 kB\n"})
	rep, err := Run(context.Background(), nil, &Config{Sizes: []int{1e6}, Reps: 1, LoopSteps: 2, LBFGS: true})
	if err != nil {
		t.Fatal(err)
	}
	got := rowsByOp(rep)
	if r := got["lbfgs-h100"]; !strings.Contains(r.Skipped, "too big") || !errors.Is(r.Err, cpu.ErrTooBig) || r.Skipped != r.Err.Error() {
		t.Errorf("lbfgs-h100 at 1e6 in 64 MiB: %+v", r)
	}
	if r := got["sgd"]; r.Skipped != "" || r.Err != nil || !(r.MedianS > 0) {
		t.Errorf("sgd at 1e6 in 64 MiB: %+v", r)
	}
}

// TestRunObjective: Config.Objective adds the typed objective's fused
// step, its compile time and, on the GPU, its first backend's build time,
// each with figures.
func TestRunObjective(t *testing.T) {
	const rosen = "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)"
	for device, ec := range contexts(t) {
		rep, err := Run(context.Background(), ec, &Config{Sizes: []int{1e4}, Reps: 3, LoopSteps: 5, Objective: rosen})
		if err != nil {
			t.Fatalf("%s: %v", device, err)
		}
		got := rowsByOp(rep)
		want := []string{"objective+adam", "objective-compile"}
		if device == "gpu" {
			want = append(want, "objective-build")
		}
		for _, op := range want {
			if r, ok := got[op]; !ok || r.Skipped != "" || !(r.MedianS > 0) {
				t.Errorf("%s: row %s: %+v", device, op, r)
			}
		}
		if r := got["objective+adam"]; !(r.GBps > 0) || !strings.Contains(r.Desc, rosen) {
			t.Errorf("%s: objective+adam %+v", device, r)
		}
		if last := rep.Rows[len(rep.Rows)-1]; last.Op != "objective-compile" {
			t.Errorf("%s: last row %s, want objective-compile", device, last.Op)
		}
	}
	_, err := Run(context.Background(), nil, &Config{Sizes: []int{10}, Reps: 1, LoopSteps: 1, Objective: "sum(x[i]) + y"})
	var fe *gdgpu.FieldError
	if !errors.As(err, &fe) || !slices.Contains(fe.Fields, "Config.Objective") || !strings.Contains(err.Error(), "column 13") {
		t.Errorf("bad objective: %v", err)
	}
}

// TestRunMLP: Config.MLP, in a small configuration, gives an mlp-step row
// per batch with the FLOP count of its network and positive figures on
// both devices, and on the GPU a gemm row per size and block (none given:
// the mlp's 2 alone); peak is unknown on the CPU and llvmpipe. The table
// has its own columns. No timed assertion.
func TestRunMLP(t *testing.T) {
	for device, ec := range contexts(t) {
		cfg := Config{Reps: 2, LoopSteps: 1, MLP: true, MLPHidden: []int{16, 8}, MLPBatches: []int{4, 8}, GEMMSizes: []int{8, 40}, GEMMBlocks: []int{2, 8}}
		rep, err := Run(context.Background(), ec, &cfg)
		if err != nil {
			t.Fatalf("%s: %v", device, err)
		}
		type key struct {
			op string
			n  int
		}
		want := []key{{"mlp-step", 4}, {"mlp-step", 8}}
		if device == "gpu" {
			want = append(want, key{"gemm", 8}, key{"gemm", 40}, key{"gemm-r8", 8}, key{"gemm-r8", 40})
		}
		if len(rep.Rows) != len(want) {
			t.Fatalf("%s: %d rows, want %v: %+v", device, len(rep.Rows), want, rep.Rows)
		}
		for i, r := range rep.Rows {
			if (key{r.Op, r.N}) != want[i] {
				t.Errorf("%s: row %d is %s at %d, want %v", device, i, r.Op, r.N, want[i])
			}
			// 784-16-8-10: W = 784·16 + 16·8 + 8·10 = 12752; forward 2·W·B,
			// backward 2·(2W - 784·16)·B
			flops := float64(2*12752+2*(2*12752-784*16)) * float64(r.N)
			if strings.HasPrefix(r.Op, "gemm") {
				flops = 2 * float64(r.N*r.N*r.N)
			}
			if r.Skipped != "" || r.Flops != flops || !(r.MedianS > 0 && r.WallPerOpS > 0 && r.GFlops > 0) || r.Reps != 2 {
				t.Errorf("%s: row %+v (want %g flops)", device, r, flops)
			}
			if r.Peak != "unknown" && strings.Contains(rep.Renderer, "llvmpipe") || device == "cpu" && r.PeakGFlops != 0 {
				t.Errorf("%s: peak %q %g on %s", device, r.Peak, r.PeakGFlops, rep.Renderer)
			}
		}
		if device == "gpu" {
			cfg := Config{Reps: 1, LoopSteps: 1, MLP: true, MLPHidden: []int{4}, MLPBatches: []int{2}, GEMMSizes: []int{8}}
			r2, err := Run(context.Background(), ec, &cfg)
			if err != nil || len(r2.Rows) != 2 || r2.Rows[1].Op != "gemm" {
				t.Errorf("no GEMMBlocks: %v, rows %+v (want mlp-step and gemm)", err, r2)
			}
		}
		if r := rep.Rows[0]; !strings.Contains(r.Desc, "784-16-8-10 relu mlp, batch 4") {
			t.Errorf("%s: desc %q", device, r.Desc)
		}
		var b bytes.Buffer
		if err := rep.WriteText(&b); err != nil || !strings.Contains(b.String(), "GFLOP/s") || !strings.Contains(b.String(), "mlp-step N=8: one adam step") {
			t.Errorf("%s: table (%v):\n%s", device, err, b.String())
		}
	}
}

// TestDevicePeak: a known device gets its published fp32 peak, any other
// none ("unknown").
func TestDevicePeak(t *testing.T) {
	for _, tc := range []struct {
		renderer string
		want     float64
	}{
		{"NVIDIA H100 80GB HBM3/PCIe/SSE2", 67e3}, {"NVIDIA H100 PCIe/PCIe/SSE2", 51e3}, {"NVIDIA H200/PCIe/SSE2", 67e3},
		{"NVIDIA H200 NVL/PCIe/SSE2", 60e3}, {"llvmpipe (LLVM 15.0.6, 256 bits)", 0}, {"NVIDIA GeForce RTX 4090/PCIe/SSE2", 0},
	} {
		if got, src := devicePeak(tc.renderer); got != tc.want || (got == 0) != (src == "unknown") {
			t.Errorf("devicePeak(%q) = %g, %q; want %g", tc.renderer, got, src, tc.want)
		}
	}
}

// TestValidate: a configuration Run cannot time is refused before any
// work, naming the field; the defaults, with and without MLP, are taken.
func TestValidate(t *testing.T) {
	ok := DefaultConfig()
	mlp := DefaultConfig()
	mlp.MLP, mlp.Sizes = true, nil
	for _, c := range []Config{ok, mlp} {
		if err := c.Validate(); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
	}
	for _, tc := range []struct {
		name  string
		edit  func(c *Config)
		field string
	}{
		{"reps", func(c *Config) { c.Reps = 0 }, "Config.Reps"},
		{"loop steps", func(c *Config) { c.LoopSteps = -1 }, "Config.LoopSteps"},
		{"precision", func(c *Config) { c.Precision = 7 }, "Config.Precision"},
		{"no sizes", func(c *Config) { c.Sizes = nil }, "Config.Sizes"},
		{"size 0", func(c *Config) { c.Sizes = []int{10, 0} }, "Config.Sizes"},
		{"size too big", func(c *Config) { c.Sizes = []int{gdgpu.MaxDim + 1} }, "Config.Sizes"},
		{"mlp with sizes", func(c *Config) { c.MLP = true }, "Config.MLP"},
		{"mlp with lbfgs", func(c *Config) { c.MLP, c.Sizes, c.LBFGS = true, nil, true }, "Config.LBFGS"},
		{"mlp hidden 0", func(c *Config) { c.MLP, c.Sizes, c.MLPHidden = true, nil, []int{8, 0} }, "Config.MLPHidden"},
		{"mlp batch too big", func(c *Config) { c.MLP, c.Sizes, c.MLPBatches = true, nil, []int{maxWidth + 1} }, "Config.MLPBatches"},
		{"gemm -1", func(c *Config) { c.MLP, c.Sizes, c.GEMMSizes = true, nil, []int{-1} }, "Config.GEMMSizes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			var fe *gdgpu.FieldError
			if !errors.As(err, &fe) || !slices.Contains(fe.Fields, tc.field) || !strings.HasPrefix(err.Error(), "bench: ") {
				t.Fatalf("%+v: %v, want a refusal naming %s", c, err, tc.field)
			}
			if _, err := Run(context.Background(), nil, &c); !errors.As(err, &fe) {
				t.Errorf("Run took it: %v", err)
			}
		})
	}
}

// TestRunInterrupted: a cancelled context ends the run between rows with
// ErrInterrupted.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, cfg := range []Config{
		{Sizes: []int{100}, Reps: 1, LoopSteps: 1},
		{MLP: true, MLPHidden: []int{4}, MLPBatches: []int{2}, Reps: 1, LoopSteps: 1},
	} {
		if _, err := Run(ctx, nil, &cfg); !errors.Is(err, ErrInterrupted) {
			t.Errorf("MLP %v: %v, want ErrInterrupted", cfg.MLP, err)
		}
	}
}

// TestRunEmptyMLPLists: Run refuses an mlp run without hidden widths or
// batches, before any work, naming the field (Validate takes them empty,
// for a front end that fills them after it).
func TestRunEmptyMLPLists(t *testing.T) {
	for _, c := range []struct {
		cfg   Config
		field string
	}{
		{Config{Reps: 1, LoopSteps: 1, MLP: true, MLPBatches: []int{2}}, "Config.MLPHidden"},
		{Config{Reps: 1, LoopSteps: 1, MLP: true, MLPHidden: []int{4}}, "Config.MLPBatches"},
	} {
		rep, err := Run(context.Background(), nil, &c.cfg)
		var fe *gdgpu.FieldError
		if rep != nil || !errors.As(err, &fe) || !slices.Contains(fe.Fields, c.field) {
			t.Errorf("%+v: report %v, error %v; want a refusal naming %s", c.cfg, rep, err, c.field)
		}
	}
}
