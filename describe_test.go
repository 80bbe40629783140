package gdgpu_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// flagName names fields as the command line does for these tests: a
// hyperparameter by its flag.
func flagName(f string) string {
	if h, ok := strings.CutPrefix(f, "Optimizer."); ok {
		return "--" + h
	}
	return f
}

// TestJobDescribe: the line of jobs built as gdgpu run builds them is
// what gdgpu run printed for them before Describe was the library's
// (its first line, up to " on cpu/f64").
func TestJobDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(r *gdgpu.JobRequest)
		want string
	}{
		{"test function", func(r *gdgpu.JobRequest) {
			r.Problem, r.Dim, r.Steps, r.Given = "rosenbrock", 10, 5, given("Job.Dim", "Job.Steps")
		}, "rosenbrock N=10, adam lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight-decay=0, 5 steps"},
		{"settings, a switch, onecycle and warm-up", func(r *gdgpu.JobRequest) {
			r.Problem, r.Dim, r.Cond, r.Optimizer, r.Steps = "quadratic", 8, 100, "sgd", 10
			r.Hyper = map[string]float64{"momentum": 0.9, "nesterov": 1}
			r.Schedule.Kind, r.Schedule.Warmup = "onecycle", 2
			r.Given = given("Job.Dim", "Job.Cond", "Job.Steps", "Schedule.Kind", "Schedule.Warmup")
		}, "quadratic N=8 cond=100, sgd lr=0.001 momentum=0.95 dampening=0 weight-decay=0 nesterov, onecycle schedule max=--lr total-steps=10 pct-start=0.3 div-factor=25 final-div-factor=10000 three-phase=false anneal=cos cycle-momentum=true base-momentum=0.85 max-momentum=0.95, warm-up 2 steps from 0.333333, 10 steps"},
		{"random start and a step schedule", func(r *gdgpu.JobRequest) {
			r.Problem, r.Dim, r.Seed, r.Steps = "rastrigin", 6, 3, 9
			r.Schedule.Kind, r.Schedule.StepSize, r.Schedule.Gamma = "step", 4, 0.5
			r.Given = given("Job.Dim", "Job.Seed", "Job.Steps", "Schedule.Kind", "Schedule.StepSize", "Schedule.Gamma")
		}, "rastrigin N=6 seed=3, adam lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight-decay=0, step schedule step-size=4 gamma=0.5, 9 steps"},
		{"classifier with held-out rows and batches", func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Samples, r.Features, r.Hidden = "mlp", "classification", 50, "3", []int{4}
			r.BatchSize, r.ValFraction, r.L2, r.Steps = 10, 0.2, 0.01, 3
			r.Given = given("DataSpec.Synthetic", "DataSpec.Samples", "DataSpec.Features", "Job.Hidden", "Job.BatchSize", "DataSpec.ValFraction", "Job.L2", "Job.Steps")
		}, "mlp N=31 layers=3-4-3 activation=relu init=torch on 40 x 3 (3 classes) + 10 held out, batch 10 (4 steps/epoch) l2=0.01 seed=0, adam lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight-decay=0, 3 steps"},
		{"inferred task", func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Samples, r.Features, r.Hidden, r.Steps = "mlp", "regression", 40, "2", []int{3}, 2
			r.Given = given("DataSpec.Synthetic", "DataSpec.Samples", "DataSpec.Features", "Job.Hidden", "Job.Steps")
		}, "mlp N=13 layers=2-3-1 activation=relu init=torch task=regression (inferred: synthetic regression data) on 40 x 2, batch 40 (1 steps/epoch), adam lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight-decay=0, 2 steps"},
		{"regression cost", func(r *gdgpu.JobRequest) {
			r.Problem, r.Loss, r.Delta, r.Synthetic, r.Samples, r.Features, r.L1, r.Steps = "linear", "huber", 0.5, "regression", 30, "2", 0.1, 2
			r.Given = given("Job.Loss", "Job.Delta", "DataSpec.Synthetic", "DataSpec.Samples", "DataSpec.Features", "Job.L1", "Job.Steps")
		}, "linear N=3 loss=huber delta=0.5 on 30 x 2, batch 30 (1 steps/epoch) l1=0.1, adam lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight-decay=0, 2 steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gdgpu.NewJobRequest()
			r.Device = "cpu"
			tc.set(&r)
			b, err := r.Build()
			if err != nil {
				t.Fatal(err)
			}
			if got := b.Job.Describe(b.Data, flagName); got != tc.want {
				t.Errorf("Describe:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestScheduleDescribe: a parameter read from another field is named as
// name says, by its Go name without one; the constant schedule is "".
func TestScheduleDescribe(t *testing.T) {
	onecycle, err := gdgpu.DefaultSchedule("onecycle")
	if err != nil {
		t.Fatal(err)
	}
	onecycle.TotalSteps = 10
	withMax := onecycle
	withMax.MaxLR = 0.5
	constant, err := gdgpu.DefaultSchedule("constant")
	if err != nil {
		t.Fatal(err)
	}
	warm := constant
	warm.Warmup, warm.WarmupStartFactor = 5, 0.25
	for _, tc := range []struct {
		name  string
		s     gdgpu.Schedule
		namer func(string) string
		want  string
	}{
		{"named", onecycle, flagName, "onecycle schedule max=--lr total-steps=10 "},
		{"Go name", onecycle, nil, "onecycle schedule max=Optimizer.lr total-steps=10 "},
		{"own value", withMax, nil, "onecycle schedule max=0.5 total-steps=10 "},
		{"constant", constant, nil, ""},
		{"warm-up alone", warm, nil, "warm-up 5 steps from 0.25"},
	} {
		got := tc.s.Describe(tc.namer)
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: Describe = %q, want it to start with %q", tc.name, got, tc.want)
		}
	}
}

// TestSampleLine: the columns a sample's line has follow the job's data.
func TestSampleLine(t *testing.T) {
	s := gdgpu.Sample{Step: 12, Loss: 0.5, GradNorm: 0.25, Accuracy: 0.75, ValLoss: 0.625, ValAccuracy: 0.5}
	for _, tc := range []struct {
		name string
		data *gdgpu.Data
		want string
	}{
		{"test function", nil, "step 12      loss 0.5          grad 0.25"},
		{"regression", &gdgpu.Data{}, "step 12      loss 0.5          grad 0.25"},
		{"regression held out", &gdgpu.Data{ValRows: 3}, "step 12      loss 0.5          grad 0.25       val_loss 0.625"},
		{"classifier", &gdgpu.Data{Classes: 2}, "step 12      loss 0.5          grad 0.25       acc 0.7500"},
		{"classifier held out", &gdgpu.Data{Classes: 2, ValRows: 3}, "step 12      loss 0.5          grad 0.25       acc 0.7500 val_loss 0.625        val_acc 0.5000"},
	} {
		job := gdgpu.Job{Data: tc.data}
		if got := job.SampleLine(s); got != tc.want {
			t.Errorf("%s: SampleLine = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestLRHint: only an early or never-descending divergence of a rule
// without a line search gets a hint, which offers a tenth of the lr.
func TestLRHint(t *testing.T) {
	smp := func(losses ...float64) []gdgpu.Sample {
		var ss []gdgpu.Sample
		for i, l := range losses {
			ss = append(ss, gdgpu.Sample{Step: 10 * i, Loss: l, GradNorm: 2, NonFinite: math.IsNaN(l)})
		}
		return ss
	}
	nan := math.NaN()
	sgd := gdgpu.NewJob()
	sgd.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	sgd.Optimizer.LR = 0.5
	lbfgs := gdgpu.NewJob()
	lbfgs.Optimizer, _ = gdgpu.DefaultOptimizer("lbfgs")
	lbfgs.Optimizer.StrongWolfe = true
	gonum := gdgpu.NewJob()
	gonum.Optimizer, _ = gdgpu.DefaultOptimizer("gonum-lbfgs")
	for _, tc := range []struct {
		name   string
		job    gdgpu.Job
		status gdgpu.Status
		ss     []gdgpu.Sample
		want   string // the start of the hint; "" none
	}{
		{"early", sgd, gdgpu.Diverged, smp(4, 5, nan), "it diverged within its first 3 samples, so --lr 0.5 is likely too large for this problem: try --lr 0.05 (the start's gradient norm is 2;"},
		{"never descended", sgd, gdgpu.Diverged, smp(4, 5, 6, 7, nan), "its loss never fell below the start's, so --lr 0.5"},
		{"descended first", sgd, gdgpu.Diverged, smp(4, 3, 2, 1, nan), ""},
		{"not diverged", sgd, gdgpu.StepLimit, smp(4, 5, 6), ""},
		{"no samples", sgd, gdgpu.Diverged, nil, ""},
		{"strong Wolfe", lbfgs, gdgpu.Diverged, smp(4, nan), ""},
		{"gonum", gonum, gdgpu.Diverged, smp(4, nan), ""},
	} {
		r := gdgpu.Result{Status: tc.status, Samples: tc.ss}
		got := r.LRHint(&tc.job, flagName)
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s: LRHint = %q, want it to start with %q", tc.name, got, tc.want)
		}
	}
	r := gdgpu.Result{Status: gdgpu.Diverged, Samples: smp(4, nan)}
	if got := r.LRHint(&sgd, nil); !strings.Contains(got, "so Optimizer.lr 0.5 is likely too large for this problem: try Optimizer.lr 0.05") {
		t.Errorf("LRHint without a name: %q", got)
	}
}

// TestStepsRun: a resumed run's StartStep is its checkpoint's step, and
// StepsRun the steps it issued itself.
func TestStepsRun(t *testing.T) {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "quadratic", 10, 20, 10
	var last *gdgpu.Checkpoint
	run := func(job *gdgpu.Job, from *gdgpu.Checkpoint) gdgpu.Result {
		t.Helper()
		b, err := cpu.New(job)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		hooks := gdgpu.Hooks{Checkpoint: func(c *gdgpu.Checkpoint) error { last = c; return nil }}
		var res gdgpu.Result
		if from == nil {
			res, err = gdgpu.Run(context.Background(), job, b, job.StartPoint(), hooks)
		} else {
			res, err = gdgpu.RunFrom(context.Background(), job, b, from, hooks)
		}
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := run(&job, nil); res.StartStep != 0 || res.StepsRun() != 20 {
		t.Errorf("Run: StartStep %d, StepsRun %d; want 0, 20", res.StartStep, res.StepsRun())
	}
	more := job
	more.Steps = 30
	if res := run(&more, last); res.Steps != 30 || res.StartStep != 20 || res.StepsRun() != 10 {
		t.Errorf("RunFrom: Steps %d, StartStep %d, StepsRun %d; want 30, 20, 10", res.Steps, res.StartStep, res.StepsRun())
	}
}

// TestRowsRun: the rows a run's steps read count an epoch's short last
// batch as it is, from the step the run started at.
func TestRowsRun(t *testing.T) {
	for _, tc := range []struct {
		name         string
		batch, rows  int
		start, steps int
		want         int64
		data         bool
	}{
		{"resumed mid-epoch", 3, 10, 3, 9, 14, true}, // epoch 0's last batch (1), epoch 1 (10), epoch 2's first (3)
		{"whole epochs", 3, 10, 0, 8, 20, true},
		{"full batch", 0, 10, 0, 3, 30, true},
		{"batch above the rows", 50, 10, 2, 5, 30, true},
		{"no data", 3, 10, 0, 8, 0, false},
	} {
		job := gdgpu.Job{BatchSize: tc.batch}
		if tc.data {
			job.Data = &gdgpu.Data{Rows: tc.rows}
		}
		r := gdgpu.Result{StartStep: tc.start, Steps: tc.steps}
		if got := r.RowsRun(&job); got != tc.want {
			t.Errorf("%s: RowsRun = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestCheckGPU: a model without GPU kernels is refused naming the problem
// and the device; every built-in problem and model passes.
func TestCheckGPU(t *testing.T) {
	for _, name := range slices.Concat(gdgpu.ProblemNames(), gdgpu.ModelNames()) {
		if err := gdgpu.CheckGPU(name); err != nil {
			t.Errorf("CheckGPU(%s): %v", name, err)
		}
	}
	if err := gdgpu.CheckGPU("no-such-problem"); err != nil {
		t.Errorf("CheckGPU of an unknown name: %v (Build refuses the name itself)", err)
	}
}

// Print what gdgpu run prints of a job and its samples: the job's line,
// and a model's line per sample.
func ExampleJob_Describe() {
	r := gdgpu.NewJobRequest()
	r.Problem, r.Synthetic, r.Features, r.ValFraction, r.Steps = "logistic", "classification", "3", 0.2, 20
	r.Hyper, r.LogEvery = map[string]float64{"lr": 0.1}, 10
	r.Device = "cpu"
	r.Given = given("DataSpec.Synthetic", "DataSpec.Features", "DataSpec.ValFraction", "Job.Steps", "Job.LogEvery")
	b, err := r.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	job := b.Job
	fmt.Println(job.Describe(b.Data, nil))
	be, err := cpu.Open(&job)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer be.Close()
	_, err = gdgpu.Run(context.Background(), &job, be, job.StartPoint(), gdgpu.Hooks{
		Sample: func(s gdgpu.Sample, lr float64, elapsed time.Duration) { fmt.Println(job.SampleLine(s)) },
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// logistic N=4 on 800 x 3 (2 classes) + 200 held out, batch 800 (1 steps/epoch), adam lr=0.1 beta1=0.9 beta2=0.999 eps=1e-08 weight-decay=0, 20 steps
	// step 0       loss 0.693147     grad 0.2453     acc 0.5012 val_loss 0.693147     val_acc 0.5250
	// step 10      loss 0.579128     grad 0.09281    acc 0.7488 val_loss 0.543733     val_acc 0.8350
	// step 20      loss 0.504461     grad 0.06171    acc 0.7950 val_loss 0.452212     val_acc 0.8600
}

// TestEmptyDataNoPanic: a job whose Data holds no rows is described and
// counted (no rows run) without a division by zero.
func TestEmptyDataNoPanic(t *testing.T) {
	j := gdgpu.NewJob()
	j.Problem, j.Data = "linear", &gdgpu.Data{}
	_ = j.Describe(nil, nil)
	var r gdgpu.Result
	r.Steps = 5
	if n := r.RowsRun(&j); n != 0 {
		t.Errorf("RowsRun = %d, want 0", n)
	}
}
