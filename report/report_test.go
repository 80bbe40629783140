package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/report"
)

var update = flag.Bool("update", false, "rewrite the golden JSON files in testdata")

// finished is the fixed end time of the golden results.
var finished = time.Date(2026, 12, 5, 7, 0, 0, 0, time.UTC)

// entries is an effective job's settings as the CLI lists them.
var entries = report.Job{
	{Key: "problem", Value: "rosenbrock"}, {Key: "dim", Value: 10}, {Key: "cond", Value: 1.0},
	{Key: "optimizer", Value: "adam"}, {Key: "lr", Value: 0.01}, {Key: "seed", Value: uint64(7)},
	{Key: "amsgrad", Value: false}, {Key: "lr-milestones", Value: []int{10, 20}}, {Key: "time-limit", Value: "0s"},
}

// cpuRun runs job on the CPU backend, its elapsed time fixed so that the
// rates are deterministic.
func cpuRun(t *testing.T, job *gdgpu.Job) (gdgpu.Result, []float64) {
	t.Helper()
	b, err := cpu.New(job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	res, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float64, job.Dim)
	if err := b.Params(x); err != nil {
		t.Fatal(err)
	}
	res.Elapsed = 250 * time.Millisecond
	return res, x
}

func rosenbrock(lr float64) gdgpu.Job {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "rosenbrock", 10, 20, 5
	job.Optimizer.LR = lr
	return job
}

// golden compares v, encoded as the CLI prints it, with testdata/name
// (rewritten with -update). The version fields are the binary's and are
// blanked by the caller.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot\n%s\nwant\n%s", name, got, want)
	}
}

func TestRunGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  string
		lr   float64
		exit int
		hint string
	}{
		{"run.json", "adam", 0.01, 0, "a hint no converging run shows"},
		{"run_diverged.json", "sgd", 1, 4, "try a smaller lr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := rosenbrock(tc.lr)
			job.Optimizer.Name = tc.opt
			res, _ := cpuRun(t, &job)
			r := report.NewRun(report.RunInput{
				Result: res, Job: &job, Entries: entries, Device: "cpu/f64 (float64 reference)", Precision: "f64",
				ExitCode: tc.exit, Hint: tc.hint, Log: "log.csv", Params: "params.npy", Finished: finished,
			})
			r.Version, r.Commit, r.GoVersion = "(devel)", "", ""
			golden(t, tc.name, r)
		})
	}
}

func TestCompareGolden(t *testing.T) {
	ref := rosenbrock(0.01)
	got := rosenbrock(0.0100001) // near enough to match most samples, not all
	rr, rx := cpuRun(t, &ref)
	gr, gx := cpuRun(t, &got)
	tol := gdgpu.DefaultTolerance(gdgpu.F64, ref.Steps)
	c := gdgpu.Compare(rr, gr, rx, gx, tol)
	res := report.NewCompare(entries, "x.npy", "")
	res.Reference = report.NewCompareSide("cpu/f64 (float64 reference)", "f64", rr)
	res.Compared = report.NewCompareSide("cpu/f64 (float64 reference)", "f32", gr)
	iters := 42
	res.Judge(c, tol, 3, &iters)
	res.ExitCode, res.Message = 1, "beyond tolerance"
	res.Version, res.Commit, res.GoVersion = "(devel)", "", ""
	golden(t, "compare.json", res)
}

// TestRunOptional checks the fields a run has only for a model on data,
// a resumed run or a run that took no time.
func TestRunOptional(t *testing.T) {
	job := rosenbrock(0.01)
	res := gdgpu.Result{Status: gdgpu.StepLimit, Steps: 30, StatusStep: 30,
		Final:   gdgpu.Sample{Step: 30, Loss: 1, Accuracy: 0.5, ValLoss: 2, ValAccuracy: 0.25},
		Elapsed: 2 * time.Second, BadIndex: -1, KeptStep: -1}
	for _, tc := range []struct {
		name        string
		data        *gdgpu.Data
		before      int
		elapsed     time.Duration
		hint        string
		want, wantN []string // keys present, keys absent
	}{
		{"plain", nil, 0, time.Second, "ignored unless diverged",
			[]string{`"steps_per_s":30`, `"initial_fun":null`, `"steps_this_run":30`},
			[]string{"accuracy", "val_loss", "hint", "nonfinite_index", "nfev"}},
		{"classifier with held-out rows", &gdgpu.Data{Classes: 3, ValRows: 5}, 0, time.Second, "",
			[]string{`"accuracy":0.5`, `"val_loss":2`, `"val_accuracy":0.25`}, nil},
		{"regression with held-out rows", &gdgpu.Data{ValRows: 5}, 0, time.Second, "",
			[]string{`"val_loss":2`}, []string{"accuracy"}},
		{"resumed", nil, 10, time.Second, "",
			[]string{`"nit":30`, `"steps_this_run":20`, `"steps_per_s":20`, `"parameters_per_s":200`}, nil},
		{"no time", nil, 0, 0, "",
			[]string{`"steps_per_s":null`, `"parameters_per_s":null`, `"elapsed_s":0`}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := job
			j.Data = tc.data
			r := res
			r.Elapsed = tc.elapsed
			b, err := json.Marshal(report.NewRun(report.RunInput{Result: r, Job: &j, StepsBefore: tc.before, Hint: tc.hint, Finished: finished}))
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range tc.want {
				if !bytes.Contains(b, []byte(k)) {
					t.Errorf("no %s in %s", k, b)
				}
			}
			for _, k := range tc.wantN {
				if bytes.Contains(b, []byte(`"`+k+`"`)) {
					t.Errorf("%s in %s", k, b)
				}
			}
		})
	}
}

func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{math.NaN(), `"NaN"`},
		{math.Inf(1), `"+Inf"`},
		{math.Inf(-1), `"-Inf"`},
		{0.1, `0.1`},
		{1e21, `1e+21`},
		{1e-7, `1e-07`},
		{-0, `0`},
		{123456789, `1.23456789e+08`}, // strconv's shortest 'g', not encoding/json's
	} {
		b, err := json.Marshal(report.Float(tc.v))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("Float(%v) = %s, want %s", tc.v, b, tc.want)
		}
	}
}

func TestJob(t *testing.T) {
	for _, tc := range []struct {
		job  report.Job
		want string
	}{
		{nil, `{}`},
		{report.Job{{Key: "b", Value: 1}, {Key: "a", Value: 2}}, `{"b":1,"a":2}`}, // the order given, not sorted
		{report.Job{{Key: "lr", Value: math.Inf(1)}, {Key: "tol", Value: 1e-7}}, `{"lr":"+Inf","tol":1e-07}`},
		{report.Job{{Key: "m", Value: []int{1, 2}}, {Key: "s", Value: `a"b`}, {Key: "u", Value: uint64(1) << 63}, {Key: "x", Value: true}},
			`{"m":[1,2],"s":"a\"b","u":9223372036854775808,"x":true}`},
	} {
		b, err := json.Marshal(tc.job)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%v = %s, want %s", tc.job, b, tc.want)
		}
	}
	// A value JSON cannot encode is an error, not a silent gap.
	if _, err := json.Marshal(report.Job{{Key: "f", Value: func() {}}}); err == nil {
		t.Error("a func value encoded without error")
	}
}
