package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpSlips: --target's placeholder is a column, --history is a whole
// number with torch's name, plot's --log-y states its default once, and a
// run's summary shows where it started beside where it ended.
func TestHelpSlips(t *testing.T) {
	_, help, _ := gdgpuRun(t, "run", "--help")
	for _, want := range []string{"--target COLUMN", "--history int", "history_size"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	_, help, _ = gdgpuRun(t, "plot", "--help")
	for _, line := range strings.Split(help, "\n") {
		if strings.Contains(line, "--log-y ") && strings.Count(line, "default") != 1 {
			t.Errorf("plot --help: %q", line)
		}
	}
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "5")
	if code != 0 || !strings.Contains(stdout, "start loss:   2057 (step 0), grad norm 2069.43") {
		t.Errorf("exit %d, the summary lacks the start\n%s%s", code, stdout, stderr)
	}
}

// TestVersionAndCompletion: --version names the tool, its build and Go;
// completion scripts come for bash, zsh and fish; an unknown shell is a
// usage error.
func TestVersionAndCompletion(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "gdgpu ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("--version: exit %d\n%s%s", code, stdout, stderr)
	}
	for shell, want := range map[string]string{"bash": "__gdgpu", "zsh": "#compdef gdgpu", "fish": "complete -c gdgpu"} {
		code, stdout, stderr := gdgpuRun(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("completion %s: exit %d, lacks %q\n%s", shell, code, want, stderr)
		}
	}
	if code, _, stderr := gdgpuRun(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("completion tcsh: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
}

// TestJSONResults: run --json and compare --json print one JSON object and
// nothing else on stdout, with scipy's names; a diverged run says so with
// success false and its exit code; a model adds its accuracy; compare's
// object holds both sides, the divergence figures and the tolerance.
func TestJSONResults(t *testing.T) {
	decode := func(args ...string) (int, map[string]any) {
		t.Helper()
		code, stdout, stderr := gdgpuRun(t, args...)
		var m map[string]any
		if err := json.Unmarshal([]byte(stdout), &m); err != nil {
			t.Fatalf("%v: stdout is not one JSON object (%v), exit %d\n%s%s", args, err, code, stdout, stderr)
		}
		return code, m
	}
	out := filepath.Join(t.TempDir(), "x.npy")
	code, m := decode("run", "--device", "cpu", "--dim", "10", "--steps", "5", "--json", "--out", out, "--grad-tol", "1e9")
	if code != 0 || m["success"] != true || m["status"] != "GradientThreshold" || m["status_step"] != 0.0 || m["params"] != out ||
		m["initial_fun"] != 2057.0 || m["message"] != "the gradient norm fell to the tolerance" {
		t.Errorf("run --json: exit %d, %v", code, m)
	}
	if job, _ := m["job"].(map[string]any); job["grad-tol"] != 1e9 || job["dim"] != 10.0 {
		t.Errorf("run --json job: %v", m["job"])
	}
	if _, ok := m["nfev"]; ok {
		t.Errorf("adam run --json counts evaluations: %v", m["nfev"])
	}
	// lbfgs counts its own: 3 steps of 4 iterations, each evaluating once
	// (none after a step's last move; the first evaluates at the start).
	code, m = decode("run", "--device", "cpu", "--dim", "10", "--steps", "3", "--json", "--optimizer", "lbfgs", "--max-iter", "4", "--max-eval", "100")
	if code != 0 || m["nfev"] != 12.0 || m["njev"] != 12.0 || m["n_iter"] != 12.0 || m["nit"] != 3.0 {
		t.Errorf("lbfgs run --json: exit %d, nfev %v njev %v n_iter %v nit %v", code, m["nfev"], m["njev"], m["n_iter"], m["nit"])
	}
	code, m = decode("run", "--device", "cpu", "--problem", "saddle", "--optimizer", "sgd", "--lr", "0.5", "--steps", "3000", "--json")
	if code != exitDiverged || m["success"] != false || m["status"] != "Diverged" || m["exit_code"] != float64(exitDiverged) || m["nonfinite_index"] == nil {
		t.Errorf("diverged run --json: exit %d, %v", code, m)
	}
	code, m = decode("run", "--device", "cpu", "--problem", "softmax", "--data", "../../data/testdata/iris.csv", "--target", "species",
		"--standardize", "--val-fraction", "0.2", "--epochs", "2", "--json")
	if code != 0 || m["accuracy"] == nil || m["val_accuracy"] == nil || m["val_loss"] == nil {
		t.Errorf("model run --json: exit %d, %v", code, m)
	}
	code, m = decode("compare", "--device", "cpu", "--dim", "100", "--steps", "10", "--json")
	ref, _ := m["reference"].(map[string]any)
	cmp, _ := m["compared"].(map[string]any)
	tol, _ := m["tolerance"].(map[string]any)
	if code != 0 || m["success"] != true || ref == nil || cmp == nil || ref["fun"] != cmp["fun"] || m["loss_max_rel"] != 0.0 ||
		tol["doc"] != "docs/tolerances.md" || m["message"] != "within tolerance" {
		t.Errorf("compare --json: exit %d, %v", code, m)
	}
}

// TestQuiet: run --quiet drops a model's per-sample lines and keeps the
// header and summary.
func TestQuiet(t *testing.T) {
	args := []string{"run", "--device", "cpu", "--problem", "softmax", "--data", "../../data/testdata/iris.csv", "--target", "species",
		"--epochs", "2", "--log-every", "1"}
	_, loud, _ := gdgpuRun(t, args...)
	code, quiet, stderr := gdgpuRun(t, append(args, "--quiet")...)
	if !strings.Contains(loud, "\nstep 1 ") || code != 0 || strings.Contains(quiet, "\nstep ") ||
		!strings.HasPrefix(quiet, "gdgpu run: ") || !strings.Contains(quiet, "status:") {
		t.Errorf("--quiet: exit %d\n%s%s\nwithout it:\n%s", code, quiet, stderr, loud)
	}
}

// TestDivergedLRHint: a run whose loss never fell before it diverged is
// told to try a tenth of its --lr, in the summary and the JSON; a run that
// descended a long way first (the unbounded saddle) is not.
func TestDivergedLRHint(t *testing.T) {
	code, stdout, _ := gdgpuRun(t, "run", "--device", "cpu", "--problem", "rosenbrock", "--dim", "100", "--optimizer", "sgd", "--lr", "0.1", "--steps", "100", "--log-every", "1")
	if code != exitDiverged || !strings.Contains(stdout, "hint:") || !strings.Contains(stdout, "try --lr 0.01 ") {
		t.Errorf("rosenbrock at lr 0.1: exit %d, no hint\n%s", code, stdout)
	}
	code, stdout, _ = gdgpuRun(t, "run", "--device", "cpu", "--problem", "rosenbrock", "--dim", "100", "--optimizer", "sgd", "--lr", "0.1", "--steps", "100", "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil || code != exitDiverged || !strings.Contains(m["hint"].(string), "try --lr 0.01") {
		t.Errorf("--json: exit %d, %v, %v", code, err, m["hint"])
	}
	code, stdout, _ = gdgpuRun(t, "run", "--device", "cpu", "--problem", "saddle", "--optimizer", "sgd", "--lr", "0.5", "--steps", "3000")
	if code != exitDiverged || strings.Contains(stdout, "hint:") {
		t.Errorf("saddle: exit %d, a hint where the descent went far\n%s", code, stdout)
	}
}

// TestTypedObjectiveCLI: --objective runs on both backends with the
// hand-written problem's results, a refusal is exit 2 with a caret, it
// does not go with --problem, --objective-file reads it, a run folder's
// job.toml holds it and repeats the run, and objective --show prints the
// gradient.
func TestTypedObjectiveCLI(t *testing.T) {
	const rosen = "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)"
	final := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := gdgpuRun(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
		for _, l := range strings.Split(stdout, "\n") {
			if strings.Contains(l, "final loss:") {
				return l
			}
		}
		t.Fatalf("%v: no final loss\n%s", args, stdout)
		return ""
	}
	base := []string{"--dim", "300", "--seed", "2", "--steps", "30"}
	if a, b := final(append([]string{"run", "--device", "cpu", "--objective", rosen}, base...)...),
		final(append([]string{"run", "--device", "cpu", "--problem", "rosenbrock"}, base...)...); a != b {
		t.Errorf("typed %q, hand-written %q", a, b)
	}
	final(append([]string{"run", "--objective", rosen, "--precision", "f64"}, base...)...)

	code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--objective", "sum(x[i]) + y")
	if code != exitUsage || !strings.Contains(stderr, "column 13") || !strings.Contains(stderr, "^") {
		t.Errorf("bad objective: exit %d\n%s", code, stderr)
	}
	if code, _, stderr = gdgpuRun(t, "run", "--device", "cpu", "--objective", rosen, "--problem", "quadratic"); code != exitUsage || !strings.Contains(stderr, "--problem") {
		t.Errorf("--objective with --problem: exit %d\n%s", code, stderr)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	if err := os.WriteFile(file, []byte("a = 100;\nsum(a*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rd := filepath.Join(dir, "run")
	first := final(append([]string{"run", "--device", "cpu", "--objective-file", file, "--run-dir", rd}, base...)...)
	job, err := os.ReadFile(filepath.Join(rd, "job.toml"))
	if err != nil || !strings.Contains(string(job), "objective = ") || strings.Contains(string(job), "problem = ") {
		t.Fatalf("job.toml (%v):\n%s", err, job)
	}
	if again := final("run", filepath.Join(rd, "job.toml")); again != first {
		t.Errorf("job.toml repeats %q as %q", first, again)
	}
	// A pre-pass objective (Griewank written out) through gradcheck, both backends.
	code, stdout, stderr := gdgpuRun(t, "gradcheck", "--objective", "1 + sum(x[i]^2)/4000 - prod(cos(x[i]/sqrt(i+1)))", "--dim", "50", "--points", "2")
	if code != 0 || !strings.Contains(stdout, "gpu/f32 vs cpu gradient") || !strings.Contains(stdout, "within tolerance") {
		t.Errorf("gradcheck --objective: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, _ = gdgpuRun(t, "objective", "--show", rosen)
	if code != 0 || !strings.Contains(stdout, "df/dx[j] += ") || !strings.Contains(stdout, "at i = j-1") {
		t.Errorf("objective --show: exit %d\n%s", code, stdout)
	}
}

// TestDebugFlag: --debug runs a GPU command on a debug context (it still
// works), and each command sets the setting afresh (list after it has
// none).
func TestDebugFlag(t *testing.T) {
	if code, stdout, stderr := gdgpuRun(t, "--debug", "run", "--dim", "100", "--steps", "5"); code != 0 || !strings.Contains(stdout, "gpu/f32") {
		t.Errorf("--debug run: exit %d\n%s%s", code, stdout, stderr)
	}
	if glDebug.Load() == nil {
		t.Error("--debug left no sink set for the command")
	}
	if code, _, stderr := gdgpuRun(t, "list"); code != 0 || glDebug.Load() != nil {
		t.Errorf("list after --debug: exit %d, sink %v\n%s", code, glDebug.Load(), stderr)
	}
}
