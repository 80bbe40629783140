package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/testcases"
)

// checkBenchJSON parses `bench --json` output and checks that every row
// of every size is there with positive times. No timed assertion.
func checkBenchJSON(t *testing.T, out string, device string, wantOps []string) {
	t.Helper()
	var rep benchReport
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("bench --json output does not parse: %v\n%s", err, out)
	}
	if rep.Tool != "gdgpu" || rep.Device != device || rep.Reps != 3 || rep.Renderer == "" || rep.Date == "" {
		t.Errorf("report header: %+v", rep)
	}
	if len(rep.Rows) != len(wantOps) {
		t.Fatalf("%d rows, want %d (%v)", len(rep.Rows), len(wantOps), wantOps)
	}
	for i, r := range rep.Rows {
		if r.Op != wantOps[i] || r.N != 1e4 {
			t.Errorf("row %d is %s at %d, want %s at 1e4", i, r.Op, r.N, wantOps[i])
		}
		if r.Skipped != "" {
			t.Errorf("row %s skipped: %s", r.Op, r.Skipped)
			continue
		}
		if !(r.MedianS > 0 && r.MinS > 0 && r.P90S > 0 && r.WallPerOpS > 0 && r.MinS <= r.MedianS && r.MedianS <= r.P90S) {
			t.Errorf("row %s times: median %g min %g p90 %g wall %g", r.Op, r.MedianS, r.MinS, r.P90S, r.WallPerOpS)
		}
		if !(r.GBps > 0 && r.BaselineFrac > 0 && r.BytesPerParam > 0) || r.Baseline == "" {
			t.Errorf("row %s bandwidth: %g GB/s, %g of %q, %g B/param", r.Op, r.GBps, r.BaselineFrac, r.Baseline, r.BytesPerParam)
		}
		wantReps := 3
		if r.Op == "loop" {
			wantReps = 1
		}
		if r.Reps != wantReps {
			t.Errorf("row %s: %d reps, want %d", r.Op, r.Reps, wantReps)
		}
		if device == "gpu" && r.Op != "loop" && (r.OverheadPerOp == nil || r.TimeSource != "gl_timestamp") {
			t.Errorf("row %s: overhead %v, time source %q", r.Op, r.OverheadPerOp, r.TimeSource)
		}
	}
}

func benchOps(device string) []string {
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

func TestBenchCPU(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "bench", "--device", "cpu", "--sizes", "1e4", "--reps", "3", "--loop-steps", "10", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	checkBenchJSON(t, stdout, "cpu", benchOps("cpu"))
}

// TestGPUBench needs a GL context (llvmpipe in CI) and fails without one.
func TestGPUBench(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "bench", "--sizes", "1e4", "--reps", "3", "--loop-steps", "10", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	checkBenchJSON(t, stdout, "gpu", benchOps("gpu"))
	// The table names every row.
	code, stdout, stderr = gdgpuRun(t, "bench", "--sizes", "1e4", "--reps", "2", "--loop-steps", "5")
	if code != 0 {
		t.Fatalf("table: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, op := range benchOps("gpu") {
		if !strings.Contains(stdout, op+" ") {
			t.Errorf("table lacks row %s:\n%s", op, stdout)
		}
	}
}

func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--sizes", "lots"}, `--sizes: "lots"`},
		{[]string{"--sizes", "0"}, `--sizes: "0"`},
		{[]string{"--sizes", "1e4,1.5"}, `--sizes: "1.5"`},
		{[]string{"--sizes", "1e10"}, `--sizes: "1e10"`},
		{[]string{"--sizes", ""}, `--sizes: ""`},
		{[]string{"--reps", "0"}, "--reps 0"},
		{[]string{"--loop-steps", "0"}, "--loop-steps 0"},
		{[]string{"--device", "tpu"}, `--device "tpu"`},
		{[]string{"--precision", "f16"}, `--precision "f16"`},
		{[]string{"--device", "cpu", "--precision", "f32"}, "--precision f32"},
		{[]string{"--gpu", "-1"}, "--gpu -1"},
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"stray"}, "stray"},
	} {
		args := append([]string{"bench"}, tc.args...)
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := gdgpuRun(t, args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.want) || !strings.HasPrefix(stderr, "gdgpu: ") || stdout != "" {
				t.Fatalf("stderr %q does not name %q (stdout %q)", stderr, tc.want, stdout)
			}
		})
	}
}

// TestBenchObjective: --objective adds the typed objective's fused step,
// its compile time and, on the GPU, its first backend's build time, each
// with figures; a bad expression is refused with its column.
func TestBenchObjective(t *testing.T) {
	const rosen = "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)"
	for _, device := range []string{"gpu", "cpu"} {
		got := benchRows(t, "--device", device, "--sizes", "1e4", "--reps", "3", "--loop-steps", "5", "--objective", rosen)
		want := []string{"objective+adam", "objective-compile"}
		if device == "gpu" {
			want = append(want, "objective-build")
		}
		for _, op := range want {
			r, ok := got[op]
			if !ok || r.Skipped != "" || !(r.MedianS > 0) {
				t.Errorf("%s: row %s: %+v", device, op, r)
			}
		}
		if r := got["objective+adam"]; !(r.GBps > 0) || !strings.Contains(r.Desc, rosen) {
			t.Errorf("%s: objective+adam %+v", device, r)
		}
	}
	if code, _, stderr := gdgpuRun(t, "bench", "--objective", "sum(x[i]) + y"); code != exitUsage || !strings.Contains(stderr, "column 13") {
		t.Errorf("bad objective: exit %d\n%s", code, stderr)
	}
}

// TestBenchLBFGS: --lbfgs adds one lbfgs iteration at 10 and 100 pairs,
// timed by the wall clock with the history full, on both devices.
func TestBenchLBFGS(t *testing.T) {
	for _, device := range []string{"gpu", "cpu"} {
		got := benchRows(t, "--device", device, "--sizes", "2e3", "--reps", "2", "--loop-steps", "5", "--lbfgs")
		for _, m := range []int{10, 100} {
			r, ok := got[fmt.Sprintf("lbfgs-h%d", m)]
			switch {
			case !ok:
				t.Errorf("%s: no lbfgs-h%d row", device, m)
			case r.Skipped != "" || !(r.MedianS > 0) || r.TimeSource != "wall":
				t.Errorf("%s: lbfgs-h%d %+v", device, m, r)
			}
		}
	}
}

// TestBenchCPUTooBig: on the CPU, a row whose job does not fit in the
// host's memory is skipped with the reason, as on the GPU, and the others
// are timed.
func TestBenchCPUTooBig(t *testing.T) {
	// 64 MiB: the adam rows at 1e6 fit (9 x 8 MB), lbfgs-h100 (609 + 6 x 8 MB) does not.
	testcases.FakeMemory(t, map[string]string{"proc/meminfo": "MemTotal: 131072 kB\nMemAvailable: 65536 kB\n"})
	got := benchRows(t, "--device", "cpu", "--sizes", "1e6", "--reps", "1", "--loop-steps", "2", "--lbfgs")
	if r := got["lbfgs-h100"]; !strings.Contains(r.Skipped, "too big") {
		t.Errorf("lbfgs-h100 at 1e6 in 64 MiB: %+v", r)
	}
	if r := got["sgd"]; r.Skipped != "" || !(r.MedianS > 0) {
		t.Errorf("sgd at 1e6 in 64 MiB: %+v", r)
	}
}

// benchRows runs gdgpu bench --json with args and gives its rows by op (of
// a single size).
func benchRows(t *testing.T, args ...string) map[string]benchRow {
	t.Helper()
	code, stdout, stderr := gdgpuRun(t, append(append([]string{"bench"}, args...), "--json")...)
	if code != 0 {
		t.Fatalf("bench %v: exit %d\n%s", args, code, stderr)
	}
	var rep benchReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]benchRow{}
	for _, r := range rep.Rows {
		got[r.Op] = r
	}
	return got
}

// TestLBFGSTooBigNamesHistory: an lbfgs job refused for memory says how
// many state vectors --history-size keeps (exit 2), on the CPU and the GPU.
func TestLBFGSTooBigNamesHistory(t *testing.T) {
	testcases.FakeMemory(t, map[string]string{"proc/meminfo": "MemTotal: 131072 kB\nMemAvailable: 65536 kB\n"})
	for _, device := range []string{"cpu", "gpu"} {
		code, _, stderr := gdgpuRun(t, "run", "--device", device, "--optimizer", "lbfgs", "--dim", "100000", "--history-size", "100", "--steps", "1")
		if code != exitUsage || !strings.Contains(stderr, "--history-size 100 keeps 202 state vectors") {
			t.Errorf("%s: exit %d\n%s", device, code, stderr)
		}
	}
}

// TestBenchMLP: --mlp, in a small configuration, gives an mlp-step row per
// batch with the FLOP count of its network and positive figures on both
// devices, and on the GPU a gemm row per size; peak is unknown on the CPU
// and llvmpipe. No timed assertion. The help names the flags, and --mlp
// refuses the sweep's flags.
func TestBenchMLP(t *testing.T) {
	for _, device := range []string{"cpu", "gpu"} {
		code, stdout, stderr := gdgpuRun(t, "bench", "--mlp", "--device", device, "--mlp-hidden", "16,8", "--mlp-batches", "4,8",
			"--gemm-sizes", "8,40", "--reps", "2", "--json")
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", device, code, stderr)
		}
		var rep benchReport
		dec := json.NewDecoder(strings.NewReader(stdout))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rep); err != nil {
			t.Fatalf("%s: %v\n%s", device, err, stdout)
		}
		type key struct {
			op string
			n  int
		}
		want := []key{{"mlp-step", 4}, {"mlp-step", 8}}
		if device == "gpu" {
			want = append(want, key{"gemm", 8}, key{"gemm", 40})
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
			if r.Op == "gemm" {
				flops = 2 * float64(r.N*r.N*r.N)
			}
			if r.Skipped != "" || r.Flops != flops || !(r.MedianS > 0 && r.WallPerOpS > 0 && r.GFlops > 0) || r.Reps != 2 {
				t.Errorf("%s: row %+v (want %g flops)", device, r, flops)
			}
			if r.Peak != "unknown" && strings.Contains(rep.Renderer, "llvmpipe") || device == "cpu" && r.PeakGFlops != 0 {
				t.Errorf("%s: peak %q %g on %s", device, r.Peak, r.PeakGFlops, rep.Renderer)
			}
		}
		if r := rep.Rows[0]; !strings.Contains(r.Desc, "784-16-8-10 relu mlp, batch 4") {
			t.Errorf("%s: desc %q", device, r.Desc)
		}
	}
	// The table.
	code, stdout, stderr := gdgpuRun(t, "bench", "--mlp", "--device", "cpu", "--mlp-hidden", "8", "--mlp-batches", "4", "--reps", "1")
	if code != 0 || !strings.Contains(stdout, "GFLOP/s") || !strings.Contains(stdout, "mlp-step") || !strings.Contains(stdout, "peak unknown") {
		t.Errorf("table: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = gdgpuRun(t, "bench", "--help")
	for _, fl := range []string{"--mlp ", "--mlp-hidden", "--mlp-batches", "--gemm-sizes"} {
		if code != 0 || !strings.Contains(stdout, fl) {
			t.Errorf("bench --help lacks %s", fl)
		}
	}
	for _, tc := range [][]string{
		{"--mlp", "--sizes", "1e4"}, {"--mlp", "--lbfgs"}, {"--mlp-batches", "4"},
		{"--mlp", "--mlp-batches", "0"}, {"--mlp", "--mlp-hidden", "8,x"},
	} {
		if code, _, stderr := gdgpuRun(t, append([]string{"bench"}, tc...)...); code != exitUsage || !strings.HasPrefix(stderr, "gdgpu: ") {
			t.Errorf("bench %v: exit %d\n%s", tc, code, stderr)
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
