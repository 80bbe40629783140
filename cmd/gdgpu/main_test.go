package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/engine"
)

// TestMain lets the signal test run this binary as the gdgpu command.
func TestMain(m *testing.M) {
	if os.Getenv("GDGPU_TEST_MAIN") == "1" {
		if os.Getenv("GDGPU_TEST_SLOW_LOAD") == "1" {
			// Hold the command after its inputs are read, before the
			// run starts: the phase a signal must end at once.
			afterLoad = func() {
				fmt.Println("loaded")
				time.Sleep(time.Minute)
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// gdgpu runs the command line in-process and returns the exit code,
// stdout and stderr.
func gdgpuCtx(ctx context.Context, t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runContext(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func gdgpuRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return gdgpuCtx(context.Background(), t, args...)
}

// writeRaw writes a hand-made .npy file: a version 1.0 header with the
// given dictionary, then payload.
func writeRaw(t *testing.T, path, dict string, payload []byte) {
	t.Helper()
	h := []byte("\x93NUMPY\x01\x00")
	d := dict + "\n"
	h = binary.LittleEndian.AppendUint16(h, uint16(len(d)))
	h = append(h, d...)
	if err := os.WriteFile(path, append(h, payload...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestBadFlags(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.npy")
	if err := data.WriteVector(good, []float64{1, 2, 3, 4}, "f8"); err != nil {
		t.Fatal(err)
	}
	i8 := filepath.Join(dir, "i8.npy")
	writeRaw(t, i8, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", make([]byte, 32))
	matrix := filepath.Join(dir, "matrix.npy")
	writeRaw(t, matrix, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", make([]byte, 32))
	trunc := filepath.Join(dir, "trunc.npy")
	writeRaw(t, trunc, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", make([]byte, 10))
	garbage := filepath.Join(dir, "garbage.npy")
	if err := os.WriteFile(garbage, []byte("not numpy at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	nan := filepath.Join(dir, "nan.npy")
	if err := data.WriteVector(nan, []float64{1, math.NaN(), 3}, "f4"); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.npy")
	if err := data.WriteVector(empty, nil, "f8"); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want string // substring of stderr: the flag or file named
	}{
		{[]string{"--bogus"}, "unknown flag: --bogus"},
		{[]string{"--dim", "0"}, "--dim 0"},
		{[]string{"--dim", "many"}, `"--dim"`},
		{[]string{"--lr", "-1"}, "--lr -1"},
		{[]string{"--lr", "NaN"}, "--lr NaN"},
		{[]string{"--beta1", "1"}, "--beta1 1"},
		{[]string{"--beta2", "1.5"}, "--beta2 1.5"},
		{[]string{"--eps", "0"}, "--eps 0"},
		{[]string{"--weight-decay", "-0.1"}, "--weight-decay -0.1"},
		{[]string{"--precision", "f16"}, `--precision "f16"`},
		{[]string{"--optimizer", "nope"}, `--optimizer "nope"`},
		{[]string{"--optimizer", "sgd", "--beta1", "0.5"}, "--beta1 does not apply to --optimizer sgd"},
		{[]string{"--problem", "nope"}, `--problem "nope"`},
		{[]string{"--log-every", "0"}, "--log-every 0"},
		{[]string{"--steps", "-5"}, "--steps -5"},
		{[]string{"--cond", "0.5"}, "--cond 0.5"},
		{[]string{"--device", "tpu"}, `--device "tpu"`},
		{[]string{"--gpu", "-1"}, "--gpu -1"},
		{[]string{"stray"}, "job file stray: no such file"},
		{[]string{"--out", filepath.Join(dir, "missing", "x.npy")}, "--out"},
		{[]string{"--log", dir}, "--log " + dir + " is a folder"},
		{[]string{"--init", filepath.Join(dir, "missing.npy")}, "missing.npy"},
		{[]string{"--init", i8}, i8},
		{[]string{"--init", matrix}, matrix},
		{[]string{"--init", trunc}, trunc},
		{[]string{"--init", garbage}, garbage},
		{[]string{"--init", nan}, nan},
		{[]string{"--init", empty}, empty},
		{[]string{"--init", dir}, dir},
		{[]string{"--init", good, "--dim", "5"}, good + " holds 4 values but --dim is 5"},
		{[]string{"--init", good, "--seed", "1"}, "--init and --seed"},
		{[]string{"--grad-tol", "-1"}, "--grad-tol -1"},
		{[]string{"--func-tol", "1e-3", "--func-window", "0"}, "--func-window 0"},
		{[]string{"--loss-target", "NaN"}, "--loss-target NaN"},
		{[]string{"--time-limit", "-1s"}, "--time-limit"},
		{[]string{"--time-limit", "soon"}, `"--time-limit"`},
		{[]string{"--clip-grad-norm", "-1"}, "--clip-grad-norm -1"},
		{[]string{"--clip-grad-norm", "1", "--clip-grad-value", "1"}, "--clip-grad-norm and --clip-grad-value"},
		{[]string{"--schedule", "nope"}, `--schedule "nope"`},
		{[]string{"--schedule", "multistep", "--lr-milestones", "5,3"}, "--lr-milestones must be strictly increasing"},
		{[]string{"--schedule", "multistep"}, "--lr-milestones is empty"},
		{[]string{"--schedule", "multistep", "--lr-milestones", "x"}, `"--lr-milestones"`},
		{[]string{"--schedule", "onecycle", "--lr-anneal", "sideways"}, `--lr-anneal "sideways"`},
		{[]string{"--schedule", "onecycle", "--lr-pct-start", "2"}, "--lr-pct-start 2"},
		{[]string{"--schedule", "onecycle", "--lr-total-steps", "0"}, "--lr-total-steps 0"},
		{[]string{"--schedule", "step"}, "--lr-step-size 0"},
		{[]string{"--schedule", "step", "--lr-step-size", "10", "--lr-gamma", "-1"}, "--lr-gamma -1"},
		{[]string{"--schedule", "exponential"}, "--lr-gamma 0"},
		{[]string{"--schedule", "cosine", "--lr-t-max", "0"}, "--lr-t-max 0"},
		{[]string{"--schedule", "cosine-restarts"}, "--lr-t0 0"},
		{[]string{"--schedule", "polynomial", "--lr-power", "0"}, "--lr-power 0"},
		{[]string{"--schedule", "plateau", "--plateau-factor", "1"}, "--plateau-factor 1"},
		{[]string{"--schedule", "plateau", "--plateau-patience", "-1"}, "--plateau-patience -1"},
		{[]string{"--lr-gamma", "0.5"}, "--lr-gamma does not apply to --schedule constant"},
		{[]string{"--schedule", "cosine", "--lr-anneal", "linear"}, "--lr-anneal does not apply to --schedule cosine"},
		{[]string{"--warmup-steps", "-1"}, "--warmup-steps -1"},
		{[]string{"--warmup-steps", "5", "--warmup-start-factor", "0"}, "--warmup-start-factor 0"},
		{[]string{"--warmup-start-factor", "0.5"}, "--warmup-start-factor needs --warmup-steps"},
	} {
		for _, cmd := range []string{"run", "compare"} {
			args := append([]string{cmd, "--device", "cpu", "--steps", "1"}, tc.args...)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, stdout, stderr := gdgpuRun(t, args...)
				if code != exitUsage {
					t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, stdout, stderr)
				}
				if !strings.Contains(stderr, tc.want) || !strings.HasPrefix(stderr, "gdgpu: ") {
					t.Fatalf("stderr %q does not start with \"gdgpu: \" or does not name %q", stderr, tc.want)
				}
				if n := strings.Count(stderr, "\n"); n > 3 {
					t.Fatalf("%d lines of stderr for a usage error:\n%s", n, stderr)
				}
				if stdout != "" {
					t.Fatalf("stdout for a usage error: %q", stdout)
				}
				if strings.Contains(stderr, ": gdgpu: ") {
					t.Fatalf("stderr repeats the prefix: %q", stderr)
				}
			})
		}
	}
	if code, _, stderr := gdgpuRun(t, "nope"); code != exitUsage || !strings.Contains(stderr, `unknown command "nope"`) {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	if code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--precision", "f32"); code != exitUsage || !strings.Contains(stderr, "--precision f32") {
		t.Errorf("run --device cpu --precision f32: exit %d, %q", code, stderr)
	}
}

// readLog parses a CSV log, checking its header.
func readLog(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() || sc.Text() != "step,loss,grad_norm,lr,elapsed_s" {
		t.Fatalf("log header %q", sc.Text())
	}
	var rows [][]float64
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) != 5 {
			t.Fatalf("log row %q has %d fields", sc.Text(), len(fields))
		}
		row := make([]float64, 5)
		for i, s := range fields {
			if row[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("log row %q: %v", sc.Text(), err)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func TestRunCPU(t *testing.T) {
	dir := t.TempDir()
	out, logf := filepath.Join(dir, "x.npy"), filepath.Join(dir, "log.csv")
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "rosenbrock", "--dim", "1000",
		"--steps", "250", "--log-every", "50", "--lr", "0.002", "--out", out, "--log", logf)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"cpu/f64", "status:", "StepLimit at step 250", "final loss:", "grad norm:", "steps:", "elapsed:", "steps/s:", "parameters/s:", "lr=0.002"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if stderr != "" {
		t.Errorf("stderr not empty without a terminal: %q", stderr)
	}
	rows := readLog(t, logf)
	wantSteps := []float64{0, 50, 100, 150, 200, 250}
	if len(rows) != len(wantSteps) {
		t.Fatalf("%d log rows, want %d", len(rows), len(wantSteps))
	}
	for i, r := range rows {
		if r[0] != wantSteps[i] || r[3] != 0.002 || !(r[1] > 0) || !(r[2] > 0) || r[4] < 0 {
			t.Errorf("row %d: %v", i, r)
		}
		if i > 0 && !(r[1] < rows[i-1][1]) {
			t.Errorf("loss did not decrease at row %d: %v after %v", i, r, rows[i-1])
		}
	}
	x, err := data.ReadVector(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != 1000 {
		t.Fatalf("--out holds %d values, want 1000", len(x))
	}
	// Starting again from --out with 0 steps writes the same values back.
	out2 := filepath.Join(dir, "x2.npy")
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--init", out, "--steps", "0", "--out", out2); code != 0 {
		t.Fatalf("run --init: exit %d\n%s%s", code, stdout, stderr)
	}
	y, err := data.ReadVector(out2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range x {
		if x[i] != y[i] {
			t.Fatalf("--init then --out changed value %d: %v -> %v", i, x[i], y[i])
		}
	}
}

func TestRunDiverged(t *testing.T) {
	code, stdout, _ := gdgpuRun(t, "run", "--device", "cpu", "--problem", "quadratic", "--dim", "10",
		"--optimizer", "sgd", "--lr", "100", "--steps", "1000", "--log-every", "10")
	if code != exitDiverged || !strings.Contains(stdout, "Diverged") {
		t.Fatalf("exit %d, want %d\n%s", code, exitDiverged, stdout)
	}
}

func TestRunStoppingRules(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"--loss-target", "1e-3"}, exitOK},
		{[]string{"--grad-tol", "1e-2"}, exitOK},
		{[]string{"--time-limit", "1ns"}, exitOK},
	} {
		args := append([]string{"run", "--device", "cpu", "--problem", "quadratic", "--dim", "100", "--optimizer", "sgd",
			"--lr", "0.5", "--steps", "100000", "--log-every", "10"}, tc.args...)
		code, stdout, stderr := gdgpuRun(t, args...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, stdout, stderr)
		}
	}
	if code, _, stderr := gdgpuRun(t, "compare", "--device", "cpu", "--time-limit", "1s"); code != exitUsage || !strings.Contains(stderr, "--time-limit") {
		t.Errorf("compare --time-limit: exit %d, %q", code, stderr)
	}
}

func TestRunInterruptedWritesOut(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.npy")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, stdout, stderr := gdgpuCtx(ctx, t, "run", "--device", "cpu", "--dim", "100", "--steps", "100", "--out", out)
	if code != exitInterrupted || !strings.Contains(stdout, "Interrupted") {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitInterrupted, stdout, stderr)
	}
	if x, err := data.ReadVector(out); err != nil || len(x) != 100 {
		t.Fatalf("--out after an interrupt: %d values, %v", len(x), err)
	}
}

// TestSignal runs this test binary as gdgpu, sends it SIGINT mid-run and
// expects exit 5 with --out written.
func TestSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	dir := t.TempDir()
	out, logf := filepath.Join(dir, "x.npy"), filepath.Join(dir, "log.csv")
	rest := interruptRun(t, "run", "--device", "cpu", "--dim", "100000", "--steps", "100000000",
		"--log-every", "10", "--out", out, "--log", logf)
	if !strings.Contains(rest, "Interrupted") {
		t.Errorf("summary does not say Interrupted:\n%s", rest)
	}
	if x, err := data.ReadVector(out); err != nil || len(x) != 100000 {
		t.Fatalf("--out after SIGINT: %d values, %v", len(x), err)
	}
	if rows := readLog(t, logf); len(rows) < 2 {
		t.Fatalf("log after SIGINT has %d rows", len(rows))
	}
}

// interruptRun runs this test binary as gdgpu with args, sends it SIGINT
// once its first line (printed just before the first step) is out and it
// has run a moment, requires exit 5 (Interrupted) and returns the rest of
// its standard output.
func interruptRun(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GDGPU_TEST_MAIN=1")
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case l := <-lines:
		if !strings.HasPrefix(l, "gdgpu run:") {
			cmd.Process.Kill()
			t.Fatalf("first line %q", l)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the run did not start")
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
		t.Fatalf("after SIGINT: %v, want exit %d\n%s", err, exitInterrupted, strings.Join(rest, "\n"))
	}
	return strings.Join(rest, "\n")
}

func TestCompareCPUSelfCheck(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "compare", "--device", "cpu", "--problem", "quadratic", "--cond", "100",
		"--dim", "500", "--steps", "100", "--log-every", "10", "--seed", "3")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"reference cpu/f64", "compared  cpu/f64", "max abs 0, max rel 0", "first step past tolerance: none",
		"11 samples matched", "docs/tolerances.md", "result: within tolerance"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("compare output lacks %q:\n%s", want, stdout)
		}
	}
}

func TestList(t *testing.T) {
	code, stdout, _ := gdgpuRun(t, "list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, p := range gdgpu.Problems() {
		dim := "default --dim " + strconv.Itoa(p.DefaultDim)
		if p.MaxDim > 0 && p.MaxDim == p.MinDim {
			dim = "--dim " + strconv.Itoa(p.MinDim) + " only"
		}
		for _, want := range []string{"  " + p.Name + "\n", flagText(p.Summary), flagText(p.Start), dim} {
			if !strings.Contains(stdout, want) {
				t.Errorf("list lacks %q for problem %s", want, p.Name)
			}
		}
	}
	for _, o := range gdgpu.Optimizers() {
		if !strings.Contains(stdout, "  "+o.Name+" ("+o.Torch+")") || !strings.Contains(stdout, flagText(o.Summary)) {
			t.Errorf("list lacks optimizer %s", o.Name)
		}
		if o.CPUOnly && !strings.Contains(stdout, "  "+o.Name+" ("+o.Torch+") [CPU only]\n") {
			t.Errorf("list does not mark %s as CPU only", o.Name)
		}
		if !o.CPUOnly && strings.Contains(stdout, "  "+o.Name+" ("+o.Torch+") [CPU only]") {
			t.Errorf("list marks %s as CPU only", o.Name)
		}
		for _, h := range o.Hyper {
			if !strings.Contains(stdout, "--"+h.Name) || !strings.Contains(stdout, h.Torch) {
				t.Errorf("list lacks %s's --%s (%s)", o.Name, h.Name, h.Torch)
			}
		}
	}
	for _, sc := range gdgpu.Schedules() {
		if !strings.Contains(stdout, "  "+sc.Name+" ") || !strings.Contains(stdout, sc.Torch) || !strings.Contains(stdout, flagText(sc.Summary)) {
			t.Errorf("list lacks schedule %s (%s)", sc.Name, sc.Torch)
		}
	}
	for _, p := range schedParams {
		if !strings.Contains(stdout, "--"+p.flag+" ") || !strings.Contains(stdout, p.Torch) {
			t.Errorf("list lacks --%s (%s)", p.flag, p.Torch)
		}
	}
	for _, st := range []gdgpu.Status{gdgpu.StepLimit, gdgpu.Diverged, gdgpu.Interrupted, gdgpu.GradientThreshold,
		gdgpu.FunctionConvergence, gdgpu.FunctionThreshold, gdgpu.RuntimeLimit} {
		if !strings.Contains(stdout, fmt.Sprintf("%s  ", st)) || !strings.Contains(stdout, fmt.Sprintf(" %d ", statusExit(st))) {
			t.Errorf("list lacks the status %s (exit %d)", st, statusExit(st))
		}
	}
	for _, want := range []string{"--grad-tol", "--func-tol", "--func-window", "--loss-target", "--time-limit",
		"--clip-grad-norm", "clip_grad_norm_", "--clip-grad-value", "clip_grad_value_"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("list lacks %s", want)
		}
	}
}

// runLog runs gdgpu run with a CSV log and returns the exit code and the
// log's rows.
func runLog(t *testing.T, args ...string) (int, [][]float64) {
	t.Helper()
	logf := filepath.Join(t.TempDir(), "log.csv")
	code, stdout, stderr := gdgpuRun(t, append(append([]string{"run"}, args...), "--log", logf)...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
	}
	return code, readLog(t, logf)
}

// TestScheduleLog checks that the log's lr column follows the schedule.
func TestScheduleLog(t *testing.T) {
	base := []string{"--device", "cpu", "--problem", "quadratic", "--dim", "10", "--cond", "10", "--optimizer", "sgd", "--lr", "0.1"}
	relEq := func(got, want float64) bool { return math.Abs(got-want) <= 1e-14*math.Abs(want) }

	// StepLR: the lr halves every 10 steps; logged every 5.
	_, rows := runLog(t, append(base, "--steps", "40", "--log-every", "5", "--schedule", "step", "--lr-step-size", "10", "--lr-gamma", "0.5")...)
	if len(rows) != 9 {
		t.Fatalf("step: %d rows, want 9", len(rows))
	}
	for i, r := range rows {
		step := int(r[0])
		if step != 5*i {
			t.Fatalf("step: row %d is step %d", i, step)
		}
		// Halving is exact: 0.1, 0.05, 0.025, ...
		if want := 0.1 * math.Pow(0.5, float64(step/10)); r[3] != want {
			t.Errorf("step: lr at step %d is %v, want %v", step, r[3], want)
		}
	}

	// Warm-up alone, on the constant schedule: LinearLR from 0.5 to 1 over 10 steps.
	_, rows = runLog(t, append(base, "--steps", "20", "--log-every", "2", "--warmup-steps", "10", "--warmup-start-factor", "0.5")...)
	for _, r := range rows {
		want := 0.1
		if s := r[0]; s < 10 {
			want = 0.1 * (0.5 + 0.5*s/10)
		}
		if !relEq(r[3], want) {
			t.Errorf("warm-up: lr at step %v is %v, want %v", r[0], r[3], want)
		}
	}
	if rows[0][3] != 0.05 || rows[len(rows)-1][3] != 0.1 {
		t.Errorf("warm-up: lr %v at step 0 and %v at the end, want 0.05 and 0.1", rows[0][3], rows[len(rows)-1][3])
	}

	// CosineAnnealingLR with --lr-t-max defaulting to --steps: lr/2 half-way, 0 at --steps.
	_, rows = runLog(t, append(base, "--steps", "40", "--log-every", "10", "--schedule", "cosine")...)
	if len(rows) != 5 || rows[0][3] != 0.1 || !relEq(rows[2][3], 0.05) || math.Abs(rows[4][3]) > 1e-16 {
		t.Errorf("cosine without --lr-t-max: %v", rows)
	}
	// With --lr-t-max 20 the lr is back up to --lr at step 40, as in torch.
	_, rows = runLog(t, append(base, "--steps", "40", "--log-every", "10", "--schedule", "cosine", "--lr-t-max", "20")...)
	if len(rows) != 5 || math.Abs(rows[2][3]) > 1e-16 || !relEq(rows[4][3], 0.1) {
		t.Errorf("cosine --lr-t-max 20: %v", rows)
	}

	// OneCycleLR with --lr-total-steps defaulting to --steps: starts at --lr/25.
	_, rows = runLog(t, append(base, "--steps", "40", "--log-every", "1", "--schedule", "onecycle")...)
	if !relEq(rows[0][3], 0.1/25) {
		t.Errorf("onecycle: lr %v at step 0, want %v", rows[0][3], 0.1/25)
	}
	peak := 0.0
	for _, r := range rows {
		peak = max(peak, r[3])
	}
	if !(peak <= 0.1*(1+1e-15) && peak > 0.09) {
		t.Errorf("onecycle: peak lr %v, want about 0.1", peak)
	}

	// MultiStepLR, and a warm-up on top of it.
	_, rows = runLog(t, append(base, "--steps", "30", "--log-every", "5", "--schedule", "multistep", "--lr-milestones", "10,25",
		"--lr-gamma", "0.5", "--warmup-steps", "5", "--warmup-start-factor", "0.5")...)
	for _, r := range rows {
		want := map[float64]float64{0: 0.05, 5: 0.1, 10: 0.05, 15: 0.05, 20: 0.05, 25: 0.025, 30: 0.025}[r[0]]
		if !relEq(r[3], want) {
			t.Errorf("multistep: lr at step %v is %v, want %v", r[0], r[3], want)
		}
	}

	// ReduceLROnPlateau that never sees enough improvement: the lr falls.
	_, rows = runLog(t, append(base, "--steps", "100", "--log-every", "5", "--schedule", "plateau",
		"--plateau-threshold", "0.99", "--plateau-patience", "1", "--plateau-factor", "0.5")...)
	for i := 1; i < len(rows); i++ {
		if rows[i][3] > rows[i-1][3] {
			t.Errorf("plateau: lr rose from %v to %v at step %v", rows[i-1][3], rows[i][3], rows[i][0])
		}
	}
	if last := rows[len(rows)-1][3]; !(last < 0.1/2) {
		t.Errorf("plateau: lr %v at the end, want reduced at least twice from 0.1", last)
	}
}

// TestCPUOnly runs the gonum methods on the CPU and checks what is refused.
func TestCPUOnly(t *testing.T) {
	dir := t.TempDir()
	out, logf := filepath.Join(dir, "x.npy"), filepath.Join(dir, "log.csv")
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--history", "7", "--problem", "rosenbrock",
		"--dim", "100", "--steps", "10000", "--log-every", "10", "--grad-tol", "1e-6", "--out", out, "--log", logf)
	if code != exitOK {
		t.Fatalf("lbfgs: exit %d, want %d\n%s%s", code, exitOK, stdout, stderr)
	}
	for _, want := range []string{"gonum-lbfgs history=7", "cpu/f64 (gonum optimize.LBFGS)", "GradientThreshold at step", "final loss:", "out:", "log:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("lbfgs summary lacks %q:\n%s", want, stdout)
		}
	}
	x, err := data.ReadVector(out)
	if err != nil || len(x) != 100 {
		t.Fatalf("lbfgs --out: %d values, %v", len(x), err)
	}
	for i, v := range x { // rosenbrock's minimum is all ones
		if math.Abs(v-1) > 1e-5 {
			t.Fatalf("lbfgs --out value %d is %v, want about 1", i, v)
		}
	}
	rows := readLog(t, logf)
	if len(rows) < 2 || rows[0][0] != 0 {
		t.Fatalf("lbfgs log: %v", rows)
	}
	last := rows[len(rows)-1]
	if !(last[2] <= 1e-6) || !(last[1] < rows[0][1]) {
		t.Errorf("lbfgs log's last row %v: grad norm above --grad-tol or loss not lower than %v", last, rows[0][1])
	}
	for _, r := range rows {
		if !math.IsNaN(r[3]) {
			t.Errorf("lbfgs log: lr %v, want NaN (no learning rate)", r[3])
		}
	}

	for _, m := range []string{"gonum-bfgs", "gonum-cg", "gonum-gd"} {
		code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--optimizer", m, "--problem", "quadratic", "--cond", "10",
			"--dim", "50", "--steps", "100000", "--grad-tol", "1e-8")
		if code != exitOK {
			t.Errorf("%s: exit %d, want %d\n%s%s", m, code, exitOK, stdout, stderr)
		}
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--optimizer", "gonum-lbfgs"}, "--device cpu"},
		{[]string{"run", "--optimizer", "gonum-cg", "--device", "gpu", "--precision", "f64"}, "--device cpu"},
		{[]string{"compare", "--optimizer", "gonum-lbfgs"}, "no GPU run to compare"},
		{[]string{"compare", "--optimizer", "gonum-lbfgs", "--device", "cpu"}, "no GPU run to compare"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--lr", "0.1"}, "--lr does not apply to --optimizer gonum-lbfgs"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-bfgs", "--history", "3"}, "--history does not apply to --optimizer gonum-bfgs"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--history", "2.5"}, "--history 2.5"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--history", "0"}, "--history 0"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--schedule", "step", "--lr-step-size", "5"}, "--schedule does not apply"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--warmup-steps", "5"}, "--warmup-steps does not apply"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-cg", "--clip-grad-norm", "1"}, "--clip-grad-norm does not apply"},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-bfgs"}, "--dim 1048576"},
		// Models train on the full batch only, refused before the header.
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--problem", "linear", "--synthetic", "regression", "--batch-size", "10"}, "--batch-size 10 takes mini-batches of the 1000 training rows; --optimizer gonum-lbfgs trains on the full batch only"},
		{[]string{"run", "--device", "cpu", "--optimizer", "lbfgs", "--problem", "softmax", "--synthetic", "classification", "--batch-size", "10"}, "--batch-size 10 takes mini-batches of the 1000 training rows; --optimizer lbfgs trains on the full batch only"},
	} {
		code, stdout, stderr := gdgpuRun(t, append(tc.args, "--steps", "1")...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%v: exit %d, want %d naming %q\nstdout: %s\nstderr: %s", tc.args, code, exitUsage, tc.want, stdout, stderr)
		}
	}
	// Interrupted before the first step: exit 5, --out still written (x0).
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out2 := filepath.Join(dir, "x2.npy")
	code, stdout, stderr = gdgpuCtx(ctx, t, "run", "--device", "cpu", "--optimizer", "gonum-cg", "--dim", "100", "--steps", "100", "--out", out2)
	if code != exitInterrupted || !strings.Contains(stdout, "Interrupted") {
		t.Errorf("cg interrupted: exit %d, want %d\n%s%s", code, exitInterrupted, stdout, stderr)
	}
	if x, err := data.ReadVector(out2); err != nil || len(x) != 100 {
		t.Errorf("cg --out after an interrupt: %d values, %v", len(x), err)
	}
	// --schedule constant is the default, and harmless.
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--schedule", "constant", "--dim", "10", "--steps", "3"); code != 0 {
		t.Errorf("lbfgs --schedule constant: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestNoGLContext hides every EGL vendor library from libglvnd, so that no
// context can be made: info, a GPU run and a GPU gradcheck exit 3 with the
// attempts listed, and a CPU run or gradcheck, which never opens GL, still
// works.
func TestNoGLContext(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"info"}, exitFailure},
		{[]string{"run", "--dim", "100", "--steps", "1"}, exitFailure},
		{[]string{"compare", "--dim", "100", "--steps", "1"}, exitFailure},
		{[]string{"run", "--device", "cpu", "--dim", "100", "--steps", "1"}, 0},
		{[]string{"gradcheck", "--dim", "10", "--points", "1"}, exitFailure},
		{[]string{"gradcheck", "--device", "cpu", "--dim", "10", "--points", "1"}, 0},
		// CPU-only methods are refused on the GPU before any GL context is tried.
		{[]string{"run", "--optimizer", "gonum-lbfgs", "--dim", "100", "--steps", "1"}, exitUsage},
		{[]string{"compare", "--optimizer", "gonum-cg", "--dim", "100", "--steps", "1"}, exitUsage},
		{[]string{"run", "--device", "cpu", "--optimizer", "gonum-lbfgs", "--dim", "100", "--steps", "1"}, 0},
	} {
		cmd := exec.Command(os.Args[0], tc.args...)
		cmd.Env = append(os.Environ(), "GDGPU_TEST_MAIN=1", "__EGL_VENDOR_LIBRARY_FILENAMES="+filepath.Join(t.TempDir(), "none.json"))
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, stdout.String(), stderr.String())
		}
		if tc.code == exitFailure && (!strings.Contains(stderr.String(), "EGL") || strings.Contains(stderr.String(), "panic")) {
			t.Errorf("%v: stderr does not list the EGL attempts:\n%s", tc.args, stderr.String())
		}
		if tc.code == exitUsage && (strings.Contains(stderr.String(), "EGL") || !strings.Contains(stderr.String(), "--device cpu")) {
			t.Errorf("%v: stderr mentions EGL or does not name --device cpu:\n%s", tc.args, stderr.String())
		}
	}
}

// The tests below need a GL context (Mesa llvmpipe through EGL in CI).
// Following the project's rule they fail, not skip, without one.

func TestGPUInfo(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "info")
	if code != 0 {
		t.Fatalf("gdgpu info: exit %d (no GL context?)\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"platform:", "vendor:", "renderer:", "version:", "GLSL:", "work-group count:", "work-group size:",
		"invocations:", "shared memory:", "SSBO block size:", "SSBO alignment:", "fp64:", "subgroups:", "device class:", "memory:", "robust context:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("info lacks %q:\n%s", want, stdout)
		}
	}
}

// TestGPUInfoDevices: --devices --json lists the EGL devices, the one
// info opens by default among them with the same renderer; the text form
// heads each device with its --gpu index; --gpu with --devices is a usage
// error.
func TestGPUInfoDevices(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "info", "--json")
	var one engine.Info
	if code != 0 || json.Unmarshal([]byte(stdout), &one) != nil || one.Renderer == "" {
		t.Fatalf("info --json: exit %d, not an Info\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = gdgpuRun(t, "info", "--devices", "--json")
	var devs []engine.Device
	if code != 0 {
		t.Fatalf("info --devices --json: exit %d\n%s%s", code, stdout, stderr)
	}
	if err := json.Unmarshal([]byte(stdout), &devs); err != nil || len(devs) == 0 {
		t.Fatalf("info --devices --json: %v, %d devices\n%s", err, len(devs), stdout)
	}
	if devs[0].Info == nil || devs[0].Info.Renderer != one.Renderer {
		t.Errorf("device 0 = %+v, want the renderer info opens, %q", devs[0], one.Renderer)
	}
	code, stdout, stderr = gdgpuRun(t, "info", "--devices")
	if code != 0 || !strings.HasPrefix(stdout, "device 0 (--gpu 0): ") || !strings.Contains(stdout, "\n  renderer:") {
		t.Errorf("info --devices: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr = gdgpuRun(t, "info", "--devices", "--gpu", "0"); code != exitUsage || !strings.Contains(stderr, "--devices") {
		t.Errorf("info --devices --gpu 0: exit %d, want %d naming --devices\n%s", code, exitUsage, stderr)
	}
}

func TestGPURunAndCompare(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.npy")
	code, stdout, stderr := gdgpuRun(t, "run", "--dim", "4099", "--steps", "100", "--log-every", "25", "--out", out)
	if code != 0 || !strings.Contains(stdout, "gpu/f32") {
		t.Fatalf("run on the GPU: exit %d\n%s%s", code, stdout, stderr)
	}
	if x, err := data.ReadVector(out); err != nil || len(x) != 4099 {
		t.Fatalf("--out: %d values, %v", len(x), err)
	}
	// A schedule on the GPU logs the same learning rates as on the CPU.
	sched := []string{"--problem", "quadratic", "--dim", "1000", "--optimizer", "sgd", "--lr", "0.1", "--steps", "40", "--log-every", "5",
		"--schedule", "step", "--lr-step-size", "10", "--lr-gamma", "0.5"}
	_, gpuRows := runLog(t, sched...)
	_, cpuRows := runLog(t, append(sched, "--device", "cpu")...)
	if len(gpuRows) != 9 || len(cpuRows) != 9 {
		t.Fatalf("schedule on the GPU: %d rows, on the CPU %d, want 9", len(gpuRows), len(cpuRows))
	}
	for i := range gpuRows {
		if gpuRows[i][0] != cpuRows[i][0] || gpuRows[i][3] != cpuRows[i][3] || gpuRows[i][3] != 0.1*math.Pow(0.5, float64(int(gpuRows[i][0])/10)) {
			t.Errorf("schedule: GPU row %v, CPU row %v", gpuRows[i], cpuRows[i])
		}
	}
	for _, prec := range []string{"f32", "f64"} {
		for _, args := range [][]string{
			{"--problem", "rosenbrock", "--optimizer", "adam"},
			{"--problem", "quadratic", "--cond", "100", "--optimizer", "sgd", "--lr", "0.01"},
			{"--problem", "quadratic", "--cond", "100", "--optimizer", "sgd", "--lr", "0.01", "--schedule", "cosine", "--warmup-steps", "20"},
		} {
			args = append([]string{"compare", "--precision", prec, "--dim", "3001", "--steps", "200", "--log-every", "20"}, args...)
			code, stdout, stderr := gdgpuRun(t, args...)
			if code != 0 || !strings.Contains(stdout, "gpu/"+prec) || !strings.Contains(stdout, "within tolerance") {
				t.Errorf("%s: exit %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
			}
		}
	}
}

// TestGPUCompareLBFGS: compare judges torch's L-BFGS with LBFGSTolerance
// (within it: exit 0), reports runs whose counts differ as branched (the
// f32 quadratic's stopping test ends the f32 run's step early: exit 1,
// the samples before agreeing), and refuses f32 with the line search
// (exit 2, before any GL context).
func TestGPUCompareLBFGS(t *testing.T) {
	base := []string{"compare", "--optimizer", "lbfgs", "--history-size", "5", "--log-every", "1"}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--problem", "rosenbrock", "--dim", "2000", "--max-iter", "2", "--steps", "5"}, exitOK,
			[]string{"6 samples matched", "LBFGSTolerance", "result: within tolerance"}},
		{[]string{"--problem", "rosenbrock", "--dim", "2000", "--max-iter", "2", "--steps", "5", "--strong-wolfe", "--precision", "f64"}, exitOK,
			[]string{"result: within tolerance"}},
		{[]string{"--problem", "quadratic", "--dim", "3001", "--max-iter", "4", "--steps", "4"}, exitMismatch,
			[]string{"differ at step 1 (they agreed at step 0)", "result: BRANCHED", "the 1 samples before agree"}},
		{[]string{"--problem", "rosenbrock", "--dim", "2000", "--strong-wolfe"}, exitUsage,
			[]string{"--strong-wolfe in --precision f32 has no derived tolerance"}},
	} {
		code, stdout, stderr := gdgpuRun(t, append(base, tc.args...)...)
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d\n%s%s", tc.args, code, tc.code, stdout, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout+stderr, w) {
				t.Errorf("%v: output lacks %q:\n%s%s", tc.args, w, stdout, stderr)
			}
		}
	}
}
