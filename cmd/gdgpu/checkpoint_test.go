package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
)

// fresh runs this test binary as gdgpu in a new process and returns its
// exit code and output.
func fresh(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GDGPU_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func mustRun(t *testing.T, args ...string) {
	t.Helper()
	if code, out := fresh(t, args...); code != 0 {
		t.Fatalf("gdgpu %s: exit %d\n%s", strings.Join(args, " "), code, out)
	}
}

func readCk(t *testing.T, path string) *gdgpu.Checkpoint {
	t.Helper()
	c, err := gdgpu.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestResumeExact: N steps straight, and N/2 steps, a checkpoint, a fresh
// process resuming it and N/2 more, give the same bits: parameters,
// optimizer state, schedule and plateau state, on the CPU and on the GPU
// (llvmpipe in CI: no GL context is a failure, not a skip).
func TestResumeExact(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"cpu/adam-cosine", []string{"--device", "cpu", "--schedule", "cosine", "--lr-t-max", "120", "--warmup-steps", "7"}},
		{"cpu/nadam-plateau", []string{"--device", "cpu", "--optimizer", "nadam", "--lr", "0.01", "--schedule", "plateau", "--plateau-patience", "1", "--func-tol", "1e-30"}},
		{"cpu/sgd-multistep", []string{"--device", "cpu", "--optimizer", "sgd", "--momentum", "0.9", "--lr", "1e-4", "--schedule", "multistep", "--lr-milestones", "30,70"}},
		{"gpu-f32/adam-cosine", []string{"--device", "gpu", "--schedule", "cosine", "--lr-t-max", "120"}},
		{"gpu-f64/nadam", []string{"--device", "gpu", "--precision", "f64", "--optimizer", "nadam", "--lr", "0.01"}},
		// onecycle's momentum (beta1) of each step follows from the step alone.
		{"cpu/sgd-cosine-sequential", []string{"--device", "cpu", "--optimizer", "sgd", "--momentum", "0.9", "--lr", "1e-4", "--schedule", "cosine", "--lr-t-max", "80", "--warmup-steps", "30", "--warmup-sequential"}},
		{"cpu/sgd-onecycle", []string{"--device", "cpu", "--optimizer", "sgd", "--lr", "1e-4", "--schedule", "onecycle", "--lr-total-steps", "120"}},
		{"gpu-f64/nadam-onecycle", []string{"--device", "gpu", "--precision", "f64", "--optimizer", "nadam", "--lr", "0.01", "--schedule", "onecycle", "--lr-total-steps", "120"}},
		// torch's L-BFGS: its history ring, counters and last step are state.
		{"cpu/lbfgs-strong-wolfe", []string{"--device", "cpu", "--optimizer", "lbfgs", "--strong-wolfe", "--history-size", "5", "--max-iter", "3"}},
		{"cpu/lbfgs-fixed-cosine", []string{"--device", "cpu", "--optimizer", "lbfgs", "--lr", "0.01", "--history-size", "4", "--max-iter", "2", "--schedule", "cosine", "--lr-t-max", "120"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := func(n string) string { return filepath.Join(dir, n) }
			base := append([]string{"run", "--problem", "rosenbrock", "--dim", "3000", "--seed", "5", "--log-every", "10"}, tc.args...)
			mustRun(t, append(base, "--steps", "120", "--checkpoint", p("full.ckpt"), "--checkpoint-every", "25", "--out", p("full.npy"))...)
			mustRun(t, append(base, "--steps", "60", "--checkpoint", p("half.ckpt"), "--checkpoint-every", "25")...)
			if c := readCk(t, p("half.ckpt")); c.Driver.Step != 60 {
				t.Fatalf("half checkpoint at step %d, want 60", c.Driver.Step)
			}
			// The resumed run takes the job from the checkpoint.
			mustRun(t, "run", "--resume", p("half.ckpt"), "--steps", "120", "--checkpoint", p("resumed.ckpt"), "--out", p("resumed.npy"),
				"--device", tc.args[1], "--checkpoint-every", "25")
			a, b := readFile(t, p("full.npy")), readFile(t, p("resumed.npy"))
			if !bytes.Equal(a, b) {
				t.Fatal("--out of the resumed run differs from the uninterrupted run's")
			}
			full, res := readCk(t, p("full.ckpt")), readCk(t, p("resumed.ckpt"))
			if !reflect.DeepEqual(full.State, res.State) {
				t.Fatal("the final states differ")
			}
			if !reflect.DeepEqual(full.Driver, res.Driver) {
				t.Fatalf("the driver states differ:\n%+v\n%+v", full.Driver, res.Driver)
			}
		})
	}
}

// TestResumeExactModel: a model trained in mini-batches, stopped mid-epoch
// and resumed in a fresh process that gets no data flags (the checkpoint
// names its data, whose hash is checked), ends on the same bits as an
// uninterrupted run, on the CPU and the GPU.
func TestResumeExactModel(t *testing.T) {
	iris := filepath.Join("..", "..", "data", "testdata", "iris.csv")
	for _, dev := range [][]string{{"--device", "cpu"}, {"--device", "gpu"}, {"--device", "gpu", "--precision", "f64"}} {
		t.Run(strings.Join(dev, " "), func(t *testing.T) {
			dir := t.TempDir()
			p := func(n string) string { return filepath.Join(dir, n) }
			base := append([]string{"run", "--problem", "softmax", "--data", iris, "--target", "species", "--standardize",
				"--val-fraction", "0.2", "--batch-size", "16", "--seed", "4", "--log-every", "10", "--lr", "0.01"}, dev...)
			mustRun(t, append(base, "--steps", "47", "--out", p("full.npy"), "--checkpoint", p("full.ckpt"))...)
			mustRun(t, append(base, "--steps", "23", "--checkpoint", p("half.ckpt"))...)
			c := readCk(t, p("half.ckpt"))
			if c.Driver.Step != 23 || c.Driver.Epoch != 2 || c.Driver.Batch != 7 {
				t.Fatalf("half checkpoint at step %d, epoch %d, batch %d; want 23, 2, 7 (8 batches of 16 or fewer per epoch of 120 rows)", c.Driver.Step, c.Driver.Epoch, c.Driver.Batch)
			}
			mustRun(t, append([]string{"run", "--resume", p("half.ckpt"), "--steps", "47", "--out", p("resumed.npy")}, dev...)...)
			if !bytes.Equal(readFile(t, p("full.npy")), readFile(t, p("resumed.npy"))) {
				t.Fatal("--out of the resumed run differs from the uninterrupted run's")
			}
			// Other data is refused, naming it.
			code, out := fresh(t, append([]string{"run", "--resume", p("half.ckpt"), "--steps", "47", "--seed", "5"}, dev...)...)
			if code != exitUsage || !strings.Contains(out, "data (SHA-256") {
				t.Fatalf("resuming on other data: exit %d\n%s", code, out)
			}
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeAcrossBackends: a checkpoint written by the GPU resumes on the
// CPU and one written by the CPU resumes on the GPU, ending near where an
// uninterrupted CPU run ends (the state is carried exactly; the steps
// after differ by the backends' rounding).
func TestResumeAcrossBackends(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	base := []string{"run", "--problem", "rosenbrock", "--dim", "2000", "--seed", "3", "--precision", "f64", "--log-every", "10"}
	cpuArgs := []string{"run", "--problem", "rosenbrock", "--dim", "2000", "--seed", "3", "--log-every", "10", "--device", "cpu"}
	mustRun(t, append(cpuArgs, "--steps", "80", "--out", p("ref.npy"))...)
	mustRun(t, append(base, "--device", "gpu", "--steps", "40", "--checkpoint", p("gpu.ckpt"))...)
	mustRun(t, "run", "--resume", p("gpu.ckpt"), "--device", "cpu", "--steps", "80", "--checkpoint", p("g2c.ckpt"), "--out", p("g2c.npy"))
	mustRun(t, append(cpuArgs, "--precision", "f64", "--steps", "40", "--checkpoint", p("cpu.ckpt"))...)
	mustRun(t, "run", "--resume", p("cpu.ckpt"), "--device", "gpu", "--steps", "80", "--out", p("c2g.npy"))
	ref, err := data.ReadVector(p("ref.npy"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"g2c.npy", "c2g.npy"} {
		got, err := data.ReadVector(p(name))
		if err != nil {
			t.Fatal(err)
		}
		for i := range ref {
			// f64 GPU vs CPU: docs/tolerances.md's per-step 1e-12 relative,
			// with room for 80 steps of Adam.
			if d := math.Abs(got[i] - ref[i]); d > 1e-9*(1+math.Abs(ref[i])) {
				t.Fatalf("%s: x[%d] = %v, uninterrupted CPU %v", name, i, got[i], ref[i])
			}
		}
	}
}

// TestSignalCheckpoint: SIGINT stops the run at a step boundary, writes the
// checkpoint and --out, exits 5; the checkpoint resumes.
func TestSignalCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ck, out := filepath.Join(dir, "c.ckpt"), filepath.Join(dir, "x.npy")
	interruptRun(t, "run", "--device", "cpu", "--dim", "100000", "--steps", "100000000",
		"--log-every", "10", "--checkpoint", ck, "--out", out)
	c := readCk(t, ck)
	if c.Driver.Step <= 0 {
		t.Fatalf("checkpoint at step %d", c.Driver.Step)
	}
	x, err := data.ReadVector(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(x, c.State.Params) {
		t.Fatal("--out and the checkpoint's parameters differ")
	}
	steps := c.Driver.Step + 10
	code, msg := fresh(t, "run", "--resume", ck, "--steps", strconv.Itoa(steps))
	if code != 0 || !strings.Contains(msg, "resumed at step") {
		t.Fatalf("resume: exit %d\n%s", code, msg)
	}
}

// TestResumeRefused: corrupt checkpoints, contradicting flags and
// misplaced checkpoint flags are usage errors (exit 2) saying why.
func TestResumeRefused(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "c.ckpt")
	if code, _, errs := gdgpuRun(t, "run", "--device", "cpu", "--problem", "quadratic", "--dim", "100", "--steps", "20", "--checkpoint", ck); code != 0 {
		t.Fatal(errs)
	}
	b := readFile(t, ck)
	flipped := filepath.Join(dir, "flipped.ckpt")
	b[len(b)/2] ^= 8
	if err := os.WriteFile(flipped, b, 0o644); err != nil {
		t.Fatal(err)
	}
	trunc := filepath.Join(dir, "trunc.ckpt")
	if err := os.WriteFile(trunc, b[:len(b)-10], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume", flipped}, "checksum mismatch"},
		{[]string{"--resume", trunc}, "truncated"},
		{[]string{"--resume", filepath.Join(dir, "none.ckpt")}, "none.ckpt"},
		{[]string{"--resume", ck, "--dim", "50"}, "dim 100 in the checkpoint, 50 in the job"},
		{[]string{"--resume", ck, "--problem", "rosenbrock"}, "problem quadratic in the checkpoint, rosenbrock in the job"},
		{[]string{"--resume", ck, "--optimizer", "sgd"}, "optimizer adam in the checkpoint, sgd in the job"},
		{[]string{"--resume", ck, "--beta1", "0.5"}, "--beta1 0.9 in the checkpoint, 0.5 in the job"},
		{[]string{"--resume", ck, "--steps", "10"}, "--steps 10 is below the checkpoint's step 20"},
		{[]string{"--resume", ck, "--init", ck}, "--init and --resume"},
		{[]string{"--checkpoint-every", "10"}, "need --checkpoint FILE"},
		{[]string{"--checkpoint", filepath.Join(dir, "no", "c.ckpt")}, "does not exist"},
		{[]string{"--checkpoint", ck, "--checkpoint-every", "-1"}, "--checkpoint-every -1"},
		{[]string{"--checkpoint", ck, "--optimizer", "gonum-lbfgs"}, "cannot be checkpointed"},
		{[]string{"--resume", ck, "--optimizer", "gonum-lbfgs"}, "--optimizer gonum-lbfgs runs through gonum's own loop, which cannot be checkpointed: leave out --checkpoint and --resume"},
		{[]string{"--resume", ck, "--schedule", "exponential"}, "--lr-gamma 0 must be"},
		{[]string{"--resume", ck, "--checkpoint-every", "-1"}, "--checkpoint-every -1"},
	} {
		args := append([]string{"run", "--device", "cpu"}, tc.args...)
		code, _, errs := gdgpuRun(t, args...)
		if code != exitUsage || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 saying %q", tc.args, code, errs, tc.want)
		}
	}
	// Flags that agree with the checkpoint, and the stopping rules, may be given.
	if code, _, errs := gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--dim", "100", "--steps", "30", "--grad-tol", "1e-9"); code != 0 {
		t.Fatalf("agreeing flags: exit %d %s", code, errs)
	}
}
