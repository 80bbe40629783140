package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/jobfile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// wantUsage checks that args exit 2 with one short "gdgpu: " message on
// stderr that contains every want, and nothing on stdout.
func wantUsage(t *testing.T, args []string, want ...string) {
	t.Helper()
	code, stdout, stderr := gdgpuRun(t, args...)
	if code != exitUsage {
		t.Fatalf("%q: exit %d, want %d\nstdout: %s\nstderr: %s", args, code, exitUsage, stdout, stderr)
	}
	if !strings.HasPrefix(stderr, "gdgpu: ") || strings.Contains(stderr, ": gdgpu: ") {
		t.Fatalf("%q: stderr %q does not start with the prefix once", args, stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Fatalf("%q: stderr %q does not name %q", args, stderr, w)
		}
	}
	if n := strings.Count(stderr, "\n"); n > 3 {
		t.Fatalf("%q: %d lines of stderr for a usage error:\n%s", args, n, stderr)
	}
	if stdout != "" {
		t.Fatalf("%q: stdout for a usage error: %q", args, stdout)
	}
}

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestJobFileRoundTrip runs a job file into a --run-dir, then runs the
// job.toml written there: the final parameters are the same bits, and
// compare takes the same job.toml.
func TestJobFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	job := writeFile(t, filepath.Join(dir, "job.toml"), `# a job
problem = "rosenbrock"
dim = 500
seed = 7
optimizer = "adam"
lr = 2e-3
amsgrad = true
steps = 120
log-every = 20
device = "cpu"
schedule = "multistep"
lr-milestones = [40, 80]
lr-gamma = 0.5
warmup-steps = 10
clip-grad-norm = 50.0
time-limit = "1h"
`)
	rd := filepath.Join(dir, "runs", "a")
	code, stdout, stderr := gdgpuRun(t, "run", job, "--run-dir", rd)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range []string{runDirJob, runDirLog, runDirParams, runDirSummary, runDirCkpt} {
		if _, err := os.Stat(filepath.Join(rd, name)); err != nil {
			t.Fatalf("--run-dir lacks %s: %v", name, err)
		}
	}
	if rows := readLog(t, filepath.Join(rd, runDirLog)); len(rows) != 7 {
		t.Errorf("%d log rows, want 7", len(rows))
	}
	x, err := data.ReadVector(filepath.Join(rd, runDirParams))
	if err != nil {
		t.Fatal(err)
	}

	// summary.json parses and has every field.
	b, err := os.ReadFile(filepath.Join(rd, runDirSummary))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatalf("summary.json: %v\n%s", err, b)
	}
	for _, k := range []string{"success", "status", "message", "status_step", "exit_code", "fun", "final_step", "grad_norm", "nit",
		"initial_fun", "initial_grad_norm", "steps_this_run", "elapsed_s", "steps_per_s", "parameters_per_s", "device", "problem",
		"dim", "optimizer", "precision", "job", "job_file", "log", "params", "gdgpu_version", "finished"} {
		if _, ok := sum[k]; !ok {
			t.Errorf("summary.json lacks %q:\n%s", k, b)
		}
	}
	// Its paths are relative to the folder, and its job is the job file's.
	if sum["log"] != runDirLog || sum["params"] != runDirParams || sum["job_file"] != runDirJob {
		t.Errorf("summary.json paths log %v, params %v, job_file %v: want them relative to the folder", sum["log"], sum["params"], sum["job_file"])
	}
	if job, ok := sum["job"].(map[string]any); !ok || job["dim"] != 500.0 || job["optimizer"] != "adam" {
		t.Errorf("summary.json job %v", sum["job"])
	}
	if sum["status"] != "StepLimit" || sum["status_step"] != 120.0 || sum["exit_code"] != 0.0 || sum["nit"] != 120.0 || sum["success"] != true ||
		sum["dim"] != 500.0 || sum["optimizer"] != "adam" || !strings.HasPrefix(sum["device"].(string), "cpu/f64") {
		t.Errorf("summary.json: %s", b)
	}
	if l, ok := sum["fun"].(float64); !ok || !(l > 0) || math.IsInf(l, 0) {
		t.Errorf("summary.json fun %v", sum["fun"])
	}

	// The effective job repeats the run bit for bit, and names what the
	// original file left to defaults.
	eff, err := os.ReadFile(filepath.Join(rd, runDirJob))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"beta1 = 0.9", "amsgrad = true", "lr-milestones = [40, 80]", "warmup-start-factor = ", "seed = 7", "time-limit = '1h0m0s'"} {
		if !strings.Contains(string(eff), want) {
			t.Errorf("job.toml lacks %q:\n%s", want, eff)
		}
	}
	out := filepath.Join(dir, "again.npy")
	if code, stdout, stderr := gdgpuRun(t, "run", filepath.Join(rd, runDirJob), "--out", out); code != 0 {
		t.Fatalf("run job.toml: exit %d\n%s%s", code, stdout, stderr)
	}
	y, err := data.ReadVector(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(x) != len(y) {
		t.Fatalf("%d values, then %d", len(x), len(y))
	}
	for i := range x {
		if math.Float64bits(x[i]) != math.Float64bits(y[i]) {
			t.Fatalf("value %d: %v, then %v", i, x[i], y[i])
		}
	}

	// compare reads run's job.toml (it holds no run-only key); the CPU
	// compared with itself agrees. Its time-limit is 0 unless given, so
	// this job, which set one, is refused by name.
	wantUsage(t, []string{"compare", filepath.Join(rd, runDirJob)}, "--time-limit")
	if code, stdout, stderr := gdgpuRun(t, "compare", filepath.Join(rd, runDirJob), "--time-limit", "0s"); code != 0 || !strings.Contains(stdout, "within tolerance") {
		t.Fatalf("compare job.toml: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestJobFileFlagsOverride: a flag on the command line wins over the
// file's key, wherever it stands.
func TestJobFileFlagsOverride(t *testing.T) {
	dir := t.TempDir()
	job := writeFile(t, filepath.Join(dir, "job.toml"), "device = \"cpu\"\nproblem = \"quadratic\"\ndim = 100\nsteps = 300\noptimizer = \"sgd\"\nlr = 0.5\n")
	code, stdout, stderr := gdgpuRun(t, "run", "--steps", "40", job, "--lr", "0.01")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"quadratic N=100", "sgd lr=0.01", ", 40 steps", "StepLimit at step 40"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	// An explicit --out and --log win over --run-dir's.
	rd, out, lg := filepath.Join(dir, "rd"), filepath.Join(dir, "x.npy"), filepath.Join(dir, "l.csv")
	if code, stdout, stderr := gdgpuRun(t, "run", job, "--run-dir", rd, "--out", out, "--log", lg); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, p := range []string{out, lg, filepath.Join(rd, runDirJob), filepath.Join(rd, runDirSummary)} {
		if _, err := os.Stat(p); err != nil {
			t.Error(err)
		}
	}
	for _, p := range []string{filepath.Join(rd, runDirParams), filepath.Join(rd, runDirLog)} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s written although --out and --log were given", p)
		}
	}
	// The lists as a comma-separated string too.
	ms := writeFile(t, filepath.Join(dir, "ms.toml"), "device = 'cpu'\ndim = 10\nsteps = 5\nschedule = 'multistep'\nlr-milestones = \"2,4\"\n")
	if code, stdout, stderr := gdgpuRun(t, "run", ms); code != 0 || !strings.Contains(stdout, "milestones=2,4") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestJobFileErrors(t *testing.T) {
	dir := t.TempDir()
	file := func(name, text string) string { return writeFile(t, filepath.Join(dir, name), text) }
	big := file("big.toml", "# "+strings.Repeat("x", jobfile.MaxSize)+"\n")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{file("unknown.toml", "device = 'cpu'\n\nlearning-rate = 0.1\n")}, []string{"unknown.toml line 3", `unknown key "learning-rate"`}},
		{[]string{file("table.toml", "device = 'cpu'\n[adam]\nlr = 1\n")}, []string{"table.toml line 2", `unknown key "adam"`}},
		{[]string{file("dotted.toml", "lr.x = 1\n")}, []string{"dotted.toml line 1", `key "lr"`, "expected a number, got a table"}},
		{[]string{file("help.toml", "help = true\n")}, []string{`unknown key "help"`}},
		{[]string{file("dimstr.toml", "device = 'cpu'\ndim = \"big\"\n")}, []string{"dimstr.toml line 2", `key "dim"`, "expected an integer, got a string"}},
		{[]string{file("stepsf.toml", "steps = 1.5\n")}, []string{`key "steps"`, "expected an integer, got a float"}},
		{[]string{file("lrstr.toml", "lr = '0.1'\n")}, []string{`key "lr"`, "expected a number, got a string"}},
		{[]string{file("bool.toml", "amsgrad = 1\n")}, []string{`key "amsgrad"`, "expected true or false, got an integer"}},
		{[]string{file("seed.toml", "seed = -3\n")}, []string{`key "seed"`, "expected an integer >= 0"}},
		{[]string{file("dur.toml", "time-limit = 90\n")}, []string{`key "time-limit"`, "expected a duration string"}},
		{[]string{file("dur2.toml", "time-limit = 'soon'\n")}, []string{`key "time-limit"`, "soon"}},
		{[]string{file("ms.toml", "lr-milestones = [1, 2.5]\n")}, []string{`key "lr-milestones"`, "got a float at index 1"}},
		{[]string{file("date.toml", "problem = 1979-05-27\n")}, []string{`key "problem"`, "expected a string, got a date or time"}},
		{[]string{file("syntax.toml", "device = 'cpu'\nlr = = 1\n")}, []string{"syntax.toml line 2"}},
		{[]string{file("dup.toml", "lr = 1\nlr = 2\n")}, []string{"dup.toml line 2"}},
		{[]string{file("range.toml", "device = 'cpu'\nlr = -1\n")}, []string{"--lr -1"}},
		{[]string{filepath.Join(dir, "missing.toml")}, []string{"job file " + filepath.Join(dir, "missing.toml") + ": no such file"}},
		{[]string{dir}, []string{"job file " + dir + " is a folder"}},
		{[]string{os.DevNull}, []string{"job file " + os.DevNull + " is not a regular file"}},
		{[]string{big}, []string{big, "larger than"}},
		{[]string{"a.toml", "b.toml"}, []string{"accepts at most 1 arg"}},
	} {
		for _, cmd := range []string{"run", "compare"} {
			wantUsage(t, append([]string{cmd}, tc.args...), tc.want...)
		}
	}
	// A key only run takes, given to compare.
	wantUsage(t, []string{"compare", file("rd.toml", "run-dir = 'x'\n")}, "rd.toml line 1", `key "run-dir" is a flag of gdgpu run`)
	if os.Geteuid() != 0 {
		unreadable := file("unreadable.toml", "dim = 10\n")
		if err := os.Chmod(unreadable, 0); err != nil {
			t.Fatal(err)
		}
		wantUsage(t, []string{"run", unreadable}, "job file "+unreadable+": permission denied")
	}
}

func TestRunDirRefused(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(full, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(full, "old.txt"), "x")
	notDir := writeFile(t, filepath.Join(dir, "file"), "x")
	base := []string{"run", "--device", "cpu", "--dim", "10", "--steps", "1"}
	wantUsage(t, append(base, "--run-dir", full), "--run-dir "+full+" is not empty", "old.txt")
	wantUsage(t, append(base, "--run-dir", notDir), "--run-dir "+notDir+" exists and is not a folder")
	wantUsage(t, append(base, "--run-dir", filepath.Join(notDir, "sub")), "--run-dir "+filepath.Join(notDir, "sub"))
	wantUsage(t, []string{"compare", "--run-dir", dir}, "unknown flag: --run-dir")
	// A bad flag creates no folder.
	fresh := filepath.Join(dir, "fresh")
	wantUsage(t, append(base, "--run-dir", fresh, "--lr", "-1"), "--lr -1")
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("--run-dir %s created for a refused job", fresh)
	}
	// A job whose job.toml Read would refuse creates no folder: an
	// objective's newlines, escaped, double its text past MaxSize.
	obj := writeFile(t, filepath.Join(dir, "obj.txt"), "sum(x[i]^2)"+strings.Repeat("\n", jobfile.MaxSize/2+1))
	wantUsage(t, append(base, "--run-dir", fresh, "--objective-file", obj), "--run-dir "+fresh+": the job file would hold", "objective takes")
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("--run-dir %s created for a job whose job.toml is over jobfile.MaxSize", fresh)
	}
	// An empty folder is taken.
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := gdgpuRun(t, append(base, "--run-dir", empty)...); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	// A folder holding only a job file (a run that failed before writing
	// anything else) may be retried.
	retry := filepath.Join(dir, "retry")
	if err := os.Mkdir(retry, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(retry, runDirJob), "")
	if code, stdout, stderr := gdgpuRun(t, append(base, "--run-dir", retry)...); code != 0 {
		t.Fatalf("retry into a folder with only %s: exit %d\n%s%s", runDirJob, code, stdout, stderr)
	}
}

// TestRunDirResumeRates: a run resumed from --run-dir's checkpoint reports
// its rates over the steps it ran itself, and says where it resumed.
func TestRunDirResumeRates(t *testing.T) {
	dir := t.TempDir()
	rd := filepath.Join(dir, "a")
	base := []string{"run", "--device", "cpu", "--problem", "quadratic", "--dim", "100", "--log-every", "10"}
	if code, stdout, stderr := gdgpuRun(t, append(base, "--steps", "40", "--run-dir", rd)...); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	rd2 := filepath.Join(dir, "b")
	code, stdout, stderr := gdgpuRun(t, append(base, "--steps", "100", "--resume", filepath.Join(rd, runDirCkpt), "--run-dir", rd2)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "100 (60 in this run, resumed at step 40)") {
		t.Errorf("summary does not split the steps:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(rd2, runDirSummary))
	if err != nil {
		t.Fatal(err)
	}
	var sum map[string]any
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	if sum["nit"] != 100.0 || sum["steps_this_run"] != 60.0 {
		t.Errorf("summary.json nit %v, steps_this_run %v; want 100 and 60", sum["nit"], sum["steps_this_run"])
	}
}

// badFlagValues returns, for each flag of run and compare, command lines
// (after "run --device cpu --steps 1") that give it a bad value, with what
// the message must name. TestEveryFlagRefusesBadValues fails for a flag
// that has none: a new flag needs its bad values here.
func badFlagValues(t *testing.T) map[string][]struct {
	args []string
	want string
} {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "file"), "x")
	type bad = struct {
		args []string
		want string
	}
	m := map[string][]bad{}
	add := func(flag, want string, args ...string) { m[flag] = append(m[flag], bad{args, want}) }
	num := func(flag string, pre []string, vals ...string) {
		for _, v := range vals {
			add(flag, "--"+flag+" "+v, append(cloneArgs(pre), "--"+flag, v)...)
		}
	}
	add("problem", `--problem "nope"`, "--problem", "nope")
	num("dim", nil, "0", "-1", "3000000000")
	add("dim", `"--dim"`, "--dim", "1.5")
	num("cond", []string{"--problem", "quadratic"}, "0.5", "NaN", "+Inf")
	add("optimizer", `--optimizer "nope"`, "--optimizer", "nope")
	num("steps", nil, "-5")
	add("steps", `"--steps"`, "--steps", "1e3")
	num("log-every", nil, "0", "-1")
	add("device", `--device "tpu"`, "--device", "tpu")
	add("precision", `--precision "f16"`, "--precision", "f16")
	add("seed", `"--seed"`, "--seed", "-1")
	add("init", filepath.Join(dir, "missing.npy"), "--init", filepath.Join(dir, "missing.npy"))
	add("init", file, "--init", file)
	add("out", "--out", "--out", filepath.Join(dir, "no", "x.npy"))
	add("out", "--out "+dir+" is a folder", "--out", dir)
	add("log", "--log", "--log", filepath.Join(dir, "no", "x.csv"))
	add("log", "--log "+dir+" is a folder", "--log", dir)
	num("gpu", nil, "-1")
	num("grad-tol", nil, "-1", "NaN", "+Inf")
	num("func-tol", nil, "-1", "NaN", "+Inf")
	num("func-window", []string{"--func-tol", "1e-3"}, "0", "-1")
	num("loss-target", nil, "NaN", "+Inf", "-Inf")
	add("time-limit", "--time-limit", "--time-limit", "-1s")
	add("time-limit", `"--time-limit"`, "--time-limit", "soon")
	num("clip-grad-norm", nil, "-1", "NaN", "+Inf")
	num("clip-grad-value", nil, "-1", "NaN", "+Inf")
	add("schedule", `--schedule "nope"`, "--schedule", "nope")
	add("run-dir", "--run-dir "+file, "--run-dir", file)
	ck := filepath.Join(dir, "x.ck")
	add("checkpoint", "--checkpoint "+filepath.Join(dir, "no", "x.ck"), "--checkpoint", filepath.Join(dir, "no", "x.ck"))
	add("checkpoint", "--checkpoint "+dir+" is not a regular file", "--checkpoint", dir)
	add("checkpoint-every", "--checkpoint-every -1", "--checkpoint", ck, "--checkpoint-every", "-1")
	add("checkpoint-every", "--checkpoint-every and --checkpoint-interval need --checkpoint", "--checkpoint-every", "5")
	add("checkpoint-interval", "--checkpoint-interval -1s", "--checkpoint", ck, "--checkpoint-interval", "-1s")
	add("checkpoint-interval", `"--checkpoint-interval"`, "--checkpoint-interval", "soon")
	add("resume", "--resume", "--resume", filepath.Join(dir, "missing.ck"))
	add("resume", "--resume", "--resume", file)

	// The models' flags, on a model (the runner then leaves --dim out).
	iris := filepath.Join("..", "..", "data", "testdata", "iris.csv")
	lin := []string{"--problem", "linear", "--synthetic", "regression"}
	cls := []string{"--problem", "softmax", "--synthetic", "classification"}
	add("data", "--data", "--problem", "linear", "--data", filepath.Join(dir, "missing.csv"), "--target", "y")
	add("data", "--data", "--problem", "linear", "--data", file, "--target", "y")
	add("data", "--data and --synthetic", append(cloneArgs(lin), "--data", iris, "--target", "species")...)
	add("target", `"nope"`, "--problem", "linear", "--data", iris, "--target", "nope")
	add("target", "--target", append(cloneArgs(lin), "--target", "y")...)
	add("features", `"nope"`, "--problem", "linear", "--data", iris, "--target", "species", "--features", "nope")
	add("features", "--features", append(cloneArgs(lin), "--features", "0")...)
	add("synthetic", `--synthetic "nope"`, "--problem", "linear", "--synthetic", "nope")
	add("synthetic", "--synthetic regression", "--problem", "logistic", "--synthetic", "regression")
	num("samples", lin, "0", "-1")
	num("classes", cls, "1", "70000")
	add("classes", "--classes 3", "--problem", "logistic", "--synthetic", "classification", "--classes", "3")
	num("noise", lin, "-1", "NaN", "+Inf")
	add("standardize", `"--standardize"`, append(cloneArgs(lin), "--standardize=maybe")...)
	num("val-fraction", lin, "-0.1", "1", "NaN")
	add("loss", `--loss "l3"`, append(cloneArgs(lin), "--loss", "l3")...)
	add("loss", "--loss applies", append(cloneArgs(cls), "--loss", "mae")...)
	num("delta", append(cloneArgs(lin), "--loss", "huber"), "0", "-1", "NaN", "+Inf")
	num("l1", lin, "-1", "NaN", "+Inf")
	num("l2", lin, "-1", "NaN", "+Inf")
	add("intercept", `"--intercept"`, append(cloneArgs(lin), "--intercept=maybe")...)
	add("json", `"--json"`, "--json=maybe")
	add("quiet", `"--quiet"`, "--quiet=maybe")
	add("objective", "--objective: column", "--objective", "sum(x[i]) + y")
	add("objective-file", "--objective-file", "--objective-file", "/nonexistent/objective.txt")
	num("batch-size", lin, "-1")
	add("epochs", "--epochs", append(cloneArgs(lin), "--epochs", "-1")...)
	add("epochs", "--epochs and --steps", append(cloneArgs(lin), "--epochs", "2")...)
	mlp := []string{"--problem", "mlp", "--synthetic", "classification"}
	add("hidden", `"--hidden"`, append(cloneArgs(mlp), "--hidden", "x")...)
	add("hidden", "--hidden 4,0: each width must be >= 1", append(cloneArgs(mlp), "--hidden", "4,0")...)
	add("hidden", "--problem mlp needs --hidden", mlp...)
	add("hidden", "--hidden applies to --problem mlp", append(cloneArgs(cls), "--hidden", "4")...)
	add("activation", `--activation "swish" is unknown`, append(cloneArgs(mlp), "--hidden", "4", "--activation", "swish")...)
	num("leaky-slope", append(cloneArgs(mlp), "--hidden", "4", "--activation", "leaky-relu"), "NaN", "+Inf")
	add("leaky-slope", "--leaky-slope applies to --activation leaky-relu", append(cloneArgs(mlp), "--hidden", "4", "--leaky-slope", "0.2")...)
	add("mlp-task", `--mlp-task "ordinal" is unknown`, append(cloneArgs(mlp), "--hidden", "4", "--mlp-task", "ordinal")...)
	add("mlp-task", "--mlp-task applies to --problem mlp", append(cloneArgs(cls), "--mlp-task", "classification")...)
	add("init-scheme", `--init-scheme "sideways" is unknown`, append(cloneArgs(mlp), "--hidden", "4", "--init-scheme", "sideways")...)

	// Every hyperparameter, with an optimizer that takes it.
	for _, h := range gdgpu.AllHypers() {
		var opt string
		for _, o := range gdgpu.Optimizers() {
			for _, oh := range o.Hyper {
				if oh.Name == h.Name && opt == "" {
					opt = o.Name
				}
			}
		}
		pre := []string{"--optimizer", opt}
		if h.Bool {
			add(h.Name, `"--`+h.Name+`"`, append(pre, "--"+h.Name+"=maybe")...)
			continue
		}
		num(h.Name, pre, "NaN", "-Inf", "+Inf", "-1")
	}
	// Every schedule parameter, with a schedule that reads it.
	required := map[string][]string{"step": {"--lr-step-size", "5"}, "multistep": {"--lr-milestones", "5"},
		"exponential": {"--lr-gamma", "0.5"}, "cosine-restarts": {"--lr-t0", "5"}}
	for _, p := range schedParams {
		kind := "constant"
		if p.Kinds != nil {
			kind = p.Kinds[0]
		}
		pre := []string{"--schedule", kind}
		if r := required[kind]; r != nil && r[0] != "--"+p.flag {
			pre = append(pre, r...)
		}
		if p.flag == "warmup-start-factor" {
			pre = append(pre, "--warmup-steps", "5")
		}
		switch p.Value(&gdgpu.Schedule{}).(type) {
		case *int:
			num(p.flag, pre, "-1")
			add(p.flag, `"--`+p.flag+`"`, append(cloneArgs(pre), "--"+p.flag, "1.5")...)
		case *float64:
			num(p.flag, pre, "NaN", "+Inf", "-1")
		case *bool:
			add(p.flag, `"--`+p.flag+`"`, append(cloneArgs(pre), "--"+p.flag+"=maybe")...)
		case *string:
			add(p.flag, `--`+p.flag+` "sideways"`, append(cloneArgs(pre), "--"+p.flag, "sideways")...)
		case *[]int:
			add(p.flag, `"--`+p.flag+`"`, append(cloneArgs(pre), "--"+p.flag, "x")...)
			add(p.flag, "--"+p.flag, append(cloneArgs(pre), "--"+p.flag, "-3")...)
			add(p.flag, "--"+p.flag, append(cloneArgs(pre), "--"+p.flag, "5,3")...)
		}
	}
	return m
}

// cloneArgs copies a []string so that appends do not share it.
func cloneArgs(s []string) []string { return append([]string(nil), s...) }

func TestEveryFlagRefusesBadValues(t *testing.T) {
	bad := badFlagValues(t)
	for _, name := range []string{"run", "compare"} {
		var cmd *cobra.Command
		if name == "run" {
			cmd = newRunCmd(&bytes.Buffer{}, &bytes.Buffer{})
		} else {
			cmd = newCompareCmd(&bytes.Buffer{}, &bytes.Buffer{})
		}
		cmd.Flags().VisitAll(func(fl *pflag.Flag) {
			if fl.Name == "help" {
				return
			}
			cases := bad[fl.Name]
			if len(cases) == 0 {
				t.Errorf("gdgpu %s --%s has no bad values in badFlagValues: add its range checks and cases", name, fl.Name)
			}
			for _, c := range cases {
				args := append([]string{name, "--device", "cpu", "--steps", "1", "--dim", "10"}, c.args...)
				if len(c.args) > 1 && c.args[0] == "--problem" && gdgpu.IsModel(c.args[1]) {
					// A model's size follows from its data: no --dim.
					args = append([]string{name, "--device", "cpu", "--steps", "1"}, c.args...)
				}
				if fl.Name == "dim" || fl.Name == "device" {
					args = append([]string{name, "--steps", "1"}, c.args...)
					if fl.Name == "dim" {
						args = append(args, "--device", "cpu")
					}
				}
				want := c.want
				for i, a := range args[:len(args)-1] {
					// compare refuses the CPU-only methods before their
					// flags' values, though not before a switch's value that
					// does not parse.
					if info, _ := gdgpu.LookupOptimizer(args[i+1]); a == "--optimizer" && name == "compare" && info.CPUOnly && fl.Value.Type() != "bool" {
						want = "--optimizer " + info.Name
					}
				}
				t.Run(strings.Join(args, " "), func(t *testing.T) { wantUsage(t, args, want) })
			}
		})
	}
}

// FuzzJobFile: parsing any bytes never panics; an error names the file;
// a file that parses gives a job that builds or a usage error naming a
// flag, a key or the file.
func FuzzJobFile(f *testing.F) {
	for _, s := range []string{
		"",
		"problem = \"quadratic\"\ndim = 100\ncond = 1e3\n",
		"optimizer = 'sgd'\nlr = 1e-3\nmomentum = 0.9\nnesterov = true\n",
		"schedule = 'multistep'\nlr-milestones = [10, 20]\nlr-gamma = 0.5\n",
		"schedule = 'onecycle'\nlr-anneal = 'linear'\nlr-three-phase = true\n",
		"time-limit = '90s'\nclip-grad-norm = 1.0\n",
		"dim = 'big'\n",
		"[table]\nx = 1\n",
		"lr = inf\n",
		"seed = -1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const name = "fuzz.toml"
		parsed, err := jobfile.Parse(name, b)
		if err != nil {
			if !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		cmd := &cobra.Command{Use: "run"}
		jflags := addJobFlags(cmd)
		addRunDirFlag(cmd)
		jf := newJobFile(parsed)
		for _, e := range jf.Entries {
			switch e.Key {
			case "init", "out", "log", "run-dir":
				return // paths: not the fuzzer's to touch
			}
		}
		if err := jf.apply(cmd); err != nil {
			checkUsageErr(t, err, name)
			return
		}
		// Keep the start point small: the dimension is checked, not allocated.
		fs := cmd.Flags()
		if d, _ := fs.GetInt("dim"); !fs.Changed("dim") || (d > 4096 && d <= gdgpu.MaxDim) {
			if err := fs.Set("dim", "64"); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := jflags.build(cmd); err != nil {
			checkUsageErr(t, err, "--")
		}
	})
}

// checkUsageErr checks that err is a usage error whose message names want.
func checkUsageErr(t *testing.T, err error, want string) {
	t.Helper()
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitUsage || ee.err == nil {
		t.Fatalf("not a usage error: %#v", err)
	}
	if msg := message(err); !strings.Contains(msg, want) {
		t.Fatalf("%q does not name %q", msg, want)
	}
}

// TestJobFileModel: a model's job file may give --features as a count
// (with --synthetic), a string or an array of column names.
func TestJobFileModel(t *testing.T) {
	dir := t.TempDir()
	iris, _ := filepath.Abs(filepath.Join("..", "..", "data", "testdata", "iris.csv"))
	for _, c := range []struct {
		body, want string
		code       int
	}{
		{"problem = 'linear'\nsynthetic = 'regression'\nfeatures = 5\nsamples = 50\n", "linear N=6 loss=mse on 50 x 5", 0},
		{"problem = 'linear'\ndata = '" + iris + "'\ntarget = 'petal_width'\nfeatures = ['sepal_length', 'petal_length']\n", "linear N=3 loss=mse on 150 x 2", 0},
		{"problem = 'linear'\ndata = '" + iris + "'\ntarget = 'petal_width'\nfeatures = 'sepal_length,petal_length'\n", "linear N=3 loss=mse on 150 x 2", 0},
		{"problem = 'linear'\ndata = '" + iris + "'\ntarget = 'petal_width'\nfeatures = ['sepal_length', 3]\n", `line 4: key "features": expected an array of column names`, exitUsage},
		{"problem = 'softmax'\nsynthetic = 'classification'\nbatch-size = 'big'\n", `key "batch-size"`, exitUsage},
		{"problem = 'mlp'\nsynthetic = 'classification'\nfeatures = 5\nhidden = [4, 3]\nactivation = 'gelu'\n", "mlp N=51 layers=5-4-3-3 activation=gelu init=torch on 1000 x 5", 0},
		{"problem = 'mlp'\nsynthetic = 'classification'\nhidden = '4,3'\n", "mlp N=", 0},
	} {
		p := writeFile(t, filepath.Join(dir, "job.toml"), c.body)
		code, stdout, stderr := gdgpuRun(t, "run", p, "--device", "cpu", "--steps", "2")
		if code != c.code || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%q: exit %d (want %d), output lacks %q:\n%s%s", c.body, code, c.code, c.want, stdout, stderr)
		}
	}
}
