package jobfile_test

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testjobs"
	"github.com/gdgpu/gdgpu/jobfile"
)

// encodeJobs are jobs of every shape Entries knows: a test function (with
// a random start, a loss target, a time limit, a schedule and its
// warm-up), a typed objective whose text needs escaping, each model kind
// on synthetic or file data, torch's L-BFGS and a gonum method (which
// takes no schedule).
func encodeJobs(t *testing.T) map[string]struct {
	job gdgpu.Job
	set jobfile.Settings
} {
	t.Helper()
	type jobSet = struct {
		job gdgpu.Job
		set jobfile.Settings
	}
	jobs := map[string]jobSet{}
	sched := func(kind string) gdgpu.Schedule {
		s, err := gdgpu.DefaultSchedule(kind)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	opt := func(name string) gdgpu.Optimizer {
		o, err := gdgpu.DefaultOptimizer(name)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}

	j := gdgpu.NewJob()
	j.Problem, j.Dim, j.Steps = "rosenbrock", 30, 50
	j.Schedule = sched("multistep")
	j.Schedule.Milestones, j.Schedule.Gamma = []int{10, 20}, 0.5
	j.Schedule.Warmup, j.Schedule.WarmupStartFactor = 5, 0.2
	jobs["multistep"] = jobSet{j, jobfile.Settings{Device: "cpu"}}

	j = gdgpu.NewJob()
	// TOML's integers are int64: a Seed above MaxInt64 is written as a
	// string of its digits (Encode's doc), which must read back.
	j.Problem, j.Cond, j.RandomStart, j.Seed = "quadratic", 1e3, true, math.MaxUint64
	j.HasTarget, j.LossTarget = true, math.Inf(-1)
	j.GradTol, j.FuncTol, j.TimeLimit = 0.1, math.SmallestNonzeroFloat64, 90*time.Second
	j.Optimizer = opt("sgd")
	j.Optimizer.Set("momentum", 0.9)
	j.Optimizer.Set("nesterov", 1)
	j.Schedule = sched("onecycle")
	j.Schedule.TotalSteps, j.Schedule.ThreePhase = 1000, true
	jobs["gpu"] = jobSet{j, jobfile.Settings{Device: "gpu", GPU: 1, Init: `/tmp/a 'quoted' "path".npy`}}

	j = gdgpu.NewJob()
	j.Objective, j.Problem = "x*x + \"y\"\n\t\\ 1", "typed"
	j.ClipNorm, j.ClipValue = 1.0/3, math.NaN()
	jobs["objective"] = jobSet{j, jobfile.Settings{Device: "cpu"}}

	j = gdgpu.NewJob()
	j.Problem, j.Data, j.BatchSize, j.Seed = "logistic", &gdgpu.Data{}, 16, 7
	j.DataSpec = gdgpu.DataSpec{Synthetic: "classification", Samples: 200, NumFeatures: 5, Noise: 0.5, ValFraction: 0.2}
	jobs["logistic"] = jobSet{j, jobfile.Settings{Device: "cpu"}}

	j = gdgpu.NewJob()
	j.Problem, j.Data, j.Loss, j.Delta, j.L2, j.NoIntercept = "linear", &gdgpu.Data{}, "huber", 0.5, 0.01, true
	j.DataSpec = gdgpu.DataSpec{File: "/data/iris.csv", Target: "petal_width", Features: []string{"sepal_length", "sepal width"}, Standardize: true}
	jobs["linear"] = jobSet{j, jobfile.Settings{Device: "gpu"}}

	j = gdgpu.NewJob()
	j.Problem, j.Data = "mlp", &gdgpu.Data{}
	j.Hidden, j.Activation, j.LeakySlope, j.InitScheme = []int{8, 4}, "leaky-relu", 0.1, "torch"
	j.DataSpec = gdgpu.DataSpec{Synthetic: "regression", Samples: 100, Task: "regression"}
	jobs["mlp"] = jobSet{j, jobfile.Settings{Device: "cpu"}}

	jobs["lbfgs"] = jobSet{testjobs.LBFGSJob(t, "rosenbrock", 64, 5, true, 20, gdgpu.F64), jobfile.Settings{Device: "gpu"}}

	j = gdgpu.NewJob()
	j.Optimizer = opt("gonum-bfgs")
	j.Schedule.Warmup = 3 // a gonum method takes no schedule: not written
	jobs["gonum"] = jobSet{j, jobfile.Settings{Device: "cpu"}}
	return jobs
}

// TestEncodeReadsBack: what Encode writes, Parse reads back as Entries'
// keys in their order, one a line, with the same values (floats to the
// bit, NaN and ±Inf included; strings with quotes, backslashes and
// newlines).
func TestEncodeReadsBack(t *testing.T) {
	for name, js := range encodeJobs(t) {
		t.Run(name, func(t *testing.T) {
			want := jobfile.Entries(&js.job, js.set)
			text := jobfile.Encode(&js.job, js.set)
			f, err := jobfile.Parse(name+".toml", text)
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if len(f.Entries) != len(want) {
				t.Fatalf("%d keys read back, %d written:\n%s", len(f.Entries), len(want), text)
			}
			for i, e := range f.Entries {
				w := want[i]
				if e.Key != w.Key || e.Line != i+1 || !sameValue(e.Value, w.Value) {
					t.Errorf("line %d: %s = %#v, want line %d: %s = %#v", e.Line, e.Key, e.Value, i+1, w.Key, w.Value)
				}
			}
		})
	}
}

// sameValue says whether got, as go-toml decodes it, is want, a
// KeyValue's value.
func sameValue(got, want any) bool {
	switch w := want.(type) {
	case float64:
		if n, ok := got.(int64); ok { // a whole number is written as one (Kind Float takes it)
			return float64(n) == w && !math.Signbit(w)
		}
		g, ok := got.(float64)
		return ok && (math.Float64bits(g) == math.Float64bits(w) || math.IsNaN(g) && math.IsNaN(w))
	case int:
		return got == int64(w)
	case uint64:
		if w > math.MaxInt64 {
			return got == strconv.FormatUint(w, 10)
		}
		return got == int64(w)
	case []int:
		a, ok := got.([]any)
		if !ok || len(a) != len(w) {
			return false
		}
		for i := range w {
			if a[i] != int64(w[i]) {
				return false
			}
		}
		return true
	}
	return got == want
}

// TestEntriesKeys: the keys Entries gives each kind of job, in order.
// They are the job file's format: changing one breaks every job.toml
// written before.
func TestEntriesKeys(t *testing.T) {
	jobs := encodeJobs(t)
	for _, tc := range []struct {
		name, keys string
	}{
		{"multistep", "problem dim cond optimizer lr beta1 beta2 eps weight-decay amsgrad maximize steps log-every device gpu grad-tol func-tol func-window time-limit clip-grad-norm clip-grad-value schedule lr-gamma lr-milestones warmup-steps warmup-start-factor warmup-sequential"},
		{"logistic", "problem synthetic samples features noise standardize val-fraction l1 l2 intercept batch-size seed optimizer lr beta1 beta2 eps weight-decay amsgrad maximize steps log-every device gpu grad-tol func-tol func-window time-limit clip-grad-norm clip-grad-value schedule warmup-steps warmup-sequential"},
		{"linear", "problem data target features standardize val-fraction loss delta l1 l2 intercept batch-size seed optimizer lr beta1 beta2 eps weight-decay amsgrad maximize steps log-every device precision gpu grad-tol func-tol func-window time-limit clip-grad-norm clip-grad-value schedule warmup-steps warmup-sequential"},
		{"mlp", "problem synthetic samples noise standardize val-fraction l1 l2 hidden activation leaky-slope init-scheme mlp-task batch-size seed optimizer lr beta1 beta2 eps weight-decay amsgrad maximize steps log-every device gpu grad-tol func-tol func-window time-limit clip-grad-norm clip-grad-value schedule warmup-steps warmup-sequential"},
		{"objective", "objective dim cond optimizer lr beta1 beta2 eps weight-decay amsgrad maximize steps log-every device gpu grad-tol func-tol func-window time-limit clip-grad-norm clip-grad-value schedule warmup-steps warmup-sequential"},
		{"gonum", "problem dim cond optimizer steps log-every device gpu grad-tol func-tol func-window time-limit clip-grad-norm clip-grad-value schedule"},
	} {
		js := jobs[tc.name]
		var keys []string
		for _, e := range jobfile.Entries(&js.job, js.set) {
			keys = append(keys, e.Key)
		}
		if got := strings.Join(keys, " "); got != tc.keys {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.keys)
		}
	}
}

// TestEncodeText pins the text of one job, the values' forms included.
func TestEncodeText(t *testing.T) {
	js := encodeJobs(t)["gpu"]
	got := string(jobfile.Encode(&js.job, js.set))
	want := `problem = 'quadratic'
dim = 1048576
cond = 1000
optimizer = 'sgd'
lr = 0.001
momentum = 0.9
dampening = 0
weight-decay = 0
nesterov = true
maximize = false
steps = 1000
log-every = 100
device = 'gpu'
precision = 'f32'
seed = '18446744073709551615'
init = "/tmp/a 'quoted' \"path\".npy"
gpu = 1
grad-tol = 0.1
func-tol = 5e-324
func-window = 5
loss-target = -inf
time-limit = '1m30s'
clip-grad-norm = 0
clip-grad-value = 0
schedule = 'onecycle'
lr-max = 0
lr-total-steps = 1000
lr-pct-start = 0.3
lr-div-factor = 25
lr-final-div-factor = 10000
lr-three-phase = true
lr-anneal = 'cos'
lr-cycle-momentum = true
lr-base-momentum = 0.85
lr-max-momentum = 0.95
warmup-steps = 0
warmup-sequential = false
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestCheck: a string value that is not UTF-8 is refused naming its
// key; UTF-8 strings and other values pass.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		entries []jobfile.KeyValue
		key     string // "": no refusal
	}{
		{[]jobfile.KeyValue{{Key: "init", Value: "/tmp/ÿþ €.npy"}, {Key: "dim", Value: 3}}, ""},
		{[]jobfile.KeyValue{{Key: "dim", Value: 3}, {Key: "init", Value: "/tmp/\xff\xfe.npy"}}, "init"},
		{[]jobfile.KeyValue{{Key: "objective", Value: "sum(x[i]^2)\x80"}}, "objective"},
	} {
		err := jobfile.Check("", tc.entries)
		var je *jobfile.Error
		switch {
		case tc.key == "" && err != nil:
			t.Errorf("%v: %v, want no refusal", tc.entries, err)
		case tc.key != "" && (!errors.As(err, &je) || je.Key != tc.key || !strings.Contains(err.Error(), "not valid UTF-8")):
			t.Errorf("%v: %v, want a refusal of key %s", tc.entries, err, tc.key)
		}
	}
}

// TestCheckSize: Check passes exactly the jobs whose file (header and
// Encode's lines) Read takes back: an objective's newlines, escaped as
// \n, can make a file over MaxSize from a text under it.
func TestCheckSize(t *testing.T) {
	const header = "# a writer's comment\n"
	job := gdgpu.NewJob()
	job.Objective = "x[0]^2"
	set := jobfile.Settings{Device: "cpu"}
	base := len(header) + len(jobfile.Encode(&job, set))
	dir := t.TempDir()
	for _, tc := range []struct {
		name      string
		objective string
	}{
		{"small", "x[0]^2 +\n x[1]^2"},
		{"exactly MaxSize", "x[0]^2" + strings.Repeat(" ", jobfile.MaxSize-base)},
		{"one byte over", "x[0]^2" + strings.Repeat(" ", jobfile.MaxSize-base+1)},
		{"newlines doubled", "x[0]^2" + strings.Repeat("\n", jobfile.MaxSize/2+1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job.Objective = tc.objective
			checkErr := jobfile.Check(header, jobfile.Entries(&job, set))
			path := dir + "/" + strings.ReplaceAll(tc.name, " ", "-") + ".toml"
			if err := os.WriteFile(path, append([]byte(header), jobfile.Encode(&job, set)...), 0o644); err != nil {
				t.Fatal(err)
			}
			_, readErr := jobfile.Read(path)
			if (checkErr == nil) != (readErr == nil) {
				t.Fatalf("Check: %v; Read: %v: want both to pass or both to refuse", checkErr, readErr)
			}
			var je *jobfile.Error
			if checkErr != nil && (!errors.As(checkErr, &je) || je.Key != "objective" || !strings.Contains(checkErr.Error(), "more than the 1048576")) {
				t.Errorf("Check: %v, want a refusal of key objective", checkErr)
			}
		})
	}
}
