package main

import (
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/bench"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// benchOps are the sweep's rows at one size, in order.
func benchOps(device string) []string {
	ops := []string{"copy", "sgd", "momentum", "adam", "adam-given", "loss", "rosenbrock+adam", "quadratic+adam", "loop"}
	if device == "cpu" {
		ops = append([]string{"triad", "copy"}, ops[1:]...)
	}
	return ops
}

// TestBenchCPU: bench --json prints the report bench.Run makes, every row
// of the sweep in order with figures, and the table names every row (the
// rows' own checks are bench's tests). No timed assertion.
func TestBenchCPU(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "bench", "--device", "cpu", "--sizes", "1e4", "--reps", "3", "--loop-steps", "10", "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var rep bench.Report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("bench --json output does not parse: %v\n%s", err, stdout)
	}
	if rep.Tool != "gdgpu" || rep.Device != "cpu" || rep.Precision != "f64" || rep.Reps != 3 || rep.LoopSteps != 10 || rep.Renderer == "" || rep.Date == "" {
		t.Errorf("report header: %+v", rep)
	}
	want := benchOps("cpu")
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows, want %d (%v)", len(rep.Rows), len(want), want)
	}
	for i, r := range rep.Rows {
		if r.Op != want[i] || r.N != 1e4 || r.Skipped != "" || !(r.MedianS > 0) || r.Baseline != "triad" {
			t.Errorf("row %d: %+v, want %s at 1e4 with figures", i, r, want[i])
		}
	}
	code, stdout, stderr = gdgpuRun(t, "bench", "--device", "cpu", "--sizes", "1e4", "--reps", "2", "--loop-steps", "5")
	if code != 0 {
		t.Fatalf("table: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, op := range want {
		if !strings.Contains(stdout, op+" ") {
			t.Errorf("table lacks row %s:\n%s", op, stdout)
		}
	}
}

// TestBenchFlagDefaults: the flags' defaults are bench.DefaultConfig's.
func TestBenchFlagDefaults(t *testing.T) {
	d := bench.DefaultConfig()
	fs := newBenchCmd(io.Discard).Flags()
	flag := func(name string) string { return fs.Lookup(name).DefValue }
	sizes, err := parseSizes(flag("sizes"))
	if err != nil || !slices.Equal(sizes, d.Sizes) {
		t.Errorf("--sizes %s: %v %v, want %v", flag("sizes"), sizes, err, d.Sizes)
	}
	for _, l := range []struct {
		name string
		want []int
	}{{"mlp-hidden", d.MLPHidden}, {"mlp-batches", d.MLPBatches}, {"gemm-sizes", d.GEMMSizes}, {"gemm-blocks", d.GEMMBlocks}} {
		if got, err := parseWidths(l.name, flag(l.name)); err != nil || !slices.Equal(got, l.want) {
			t.Errorf("--%s %s: %v %v, want %v", l.name, flag(l.name), got, err, l.want)
		}
	}
	if flag("reps") != strconv.Itoa(d.Reps) || flag("loop-steps") != strconv.Itoa(d.LoopSteps) || flag("precision") != d.Precision.String() {
		t.Errorf("--reps %s, --loop-steps %s, --precision %s; want %+v", flag("reps"), flag("loop-steps"), flag("precision"), d)
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
		{[]string{"--mlp", "--sizes", "1e4"}, "gdgpu: --mlp times its own rows: it takes no --sizes, --lbfgs or --objective\n"},
		{[]string{"--mlp", "--lbfgs"}, "--mlp times its own rows"},
		{[]string{"--mlp-batches", "4"}, "gdgpu: --mlp-batches applies to --mlp\n"},
		{[]string{"--mlp", "--mlp-batches", "0"}, `--mlp-batches: "0"`},
		{[]string{"--mlp", "--mlp-hidden", "8,x"}, `--mlp-hidden: "x"`},
		{[]string{"--mlp", "--reps", "0", "--mlp-hidden", "x"}, "gdgpu: --reps 0 must be >= 1\n"},
		{[]string{"--mlp", "--gemm-blocks", "3"}, "gdgpu: --gemm-blocks: 3 is not a block the kernel compiles for ([2 4 8])\n"},
		{[]string{"--mlp", "--gemm-blocks", "2,"}, `--gemm-blocks: ""`},
		{[]string{"--gemm-blocks", "4"}, "gdgpu: --gemm-blocks applies to --mlp\n"},
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
func benchRows(t *testing.T, args ...string) map[string]bench.Row {
	t.Helper()
	code, stdout, stderr := gdgpuRun(t, append(append([]string{"bench"}, args...), "--json")...)
	if code != 0 {
		t.Fatalf("bench %v: exit %d\n%s", args, code, stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := map[string]bench.Row{}
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

// TestBenchMLP: --mlp prints its own table (the rows' checks are bench's
// tests), and the help names its flags.
func TestBenchMLP(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "bench", "--mlp", "--device", "cpu", "--mlp-hidden", "8", "--mlp-batches", "4", "--reps", "1")
	if code != 0 || !strings.Contains(stdout, "GFLOP/s") || !strings.Contains(stdout, "mlp-step") || !strings.Contains(stdout, "peak unknown") ||
		!strings.Contains(stdout, "784-8-10 relu mlp, batch 4") {
		t.Errorf("table: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = gdgpuRun(t, "bench", "--help")
	for _, fl := range []string{"--mlp ", "--mlp-hidden", "--mlp-batches", "--gemm-sizes", "--gemm-blocks"} {
		if code != 0 || !strings.Contains(stdout, fl) {
			t.Errorf("bench --help lacks %s", fl)
		}
	}
}
