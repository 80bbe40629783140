package gdgpu_test

import (
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
)

// given is a JobRequest.Given answering true for fields.
func given(fields ...string) func(string) bool {
	return func(f string) bool { return slices.Contains(fields, f) }
}

// TestJobRequestBuild: the defaults Build fills and what it keeps of the
// values given.
func TestJobRequestBuild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(r *gdgpu.JobRequest)
		check func(j *gdgpu.Job) string // "" when right
	}{
		{"defaults", func(r *gdgpu.JobRequest) {}, func(j *gdgpu.Job) string {
			want := gdgpu.NewJob()
			if j.Problem != want.Problem || j.Dim != want.Dim || j.Optimizer != want.Optimizer || j.Steps != want.Steps || j.Precision != gdgpu.F32 {
				return fmt.Sprintf("got %+v, want NewJob's %+v", *j, want)
			}
			return ""
		}},
		{"dim not given is the problem's default", func(r *gdgpu.JobRequest) { r.Problem, r.Dim = "beale", 7 }, func(j *gdgpu.Job) string {
			if j.Dim != 2 {
				return fmt.Sprintf("Dim %d, want beale's 2", j.Dim)
			}
			return ""
		}},
		{"dim given", func(r *gdgpu.JobRequest) { r.Dim, r.Given = 10, given("Job.Dim") }, func(j *gdgpu.Job) string {
			if j.Dim != 10 {
				return fmt.Sprintf("Dim %d, want 10", j.Dim)
			}
			return ""
		}},
		{"hyperparameters over torch's defaults", func(r *gdgpu.JobRequest) {
			r.Optimizer, r.Hyper = "sgd", map[string]float64{"lr": 0.5, "nesterov": 1, "momentum": 0.9}
		}, func(j *gdgpu.Job) string {
			if j.Optimizer.LR != 0.5 || !j.Optimizer.Nesterov || j.Optimizer.Momentum != 0.9 {
				return fmt.Sprintf("optimizer %+v", j.Optimizer)
			}
			return ""
		}},
		{"cosine's T_max is the run's length", func(r *gdgpu.JobRequest) { r.Schedule.Kind, r.Steps = "cosine", 321 }, func(j *gdgpu.Job) string {
			if j.Schedule.TMax != 321 {
				return fmt.Sprintf("TMax %d, want 321", j.Schedule.TMax)
			}
			return ""
		}},
		{"a schedule parameter not given keeps its default", func(r *gdgpu.JobRequest) {
			r.Schedule.Kind, r.Schedule.StepSize, r.Schedule.Gamma = "step", 10, 0.9
			r.Given = given("Schedule.Kind", "Schedule.StepSize")
		}, func(j *gdgpu.Job) string {
			if j.Schedule.StepSize != 10 || j.Schedule.Gamma != 0.1 {
				return fmt.Sprintf("schedule %+v, want step size 10, gamma 0.1", j.Schedule)
			}
			return ""
		}},
		{"seed given: a random start", func(r *gdgpu.JobRequest) { r.Seed, r.Given = 7, given("Job.Seed") }, func(j *gdgpu.Job) string {
			if !j.RandomStart || j.Seed != 7 {
				return fmt.Sprintf("RandomStart %v Seed %d", j.RandomStart, j.Seed)
			}
			return ""
		}},
		{"a model's seed is its data's", func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Samples, r.Seed, r.Device = "linear", "regression", 50, 3, "cpu"
			r.Given = given("Job.Seed")
		}, func(j *gdgpu.Job) string {
			if j.RandomStart || j.Seed != 3 || j.Data == nil || j.Data.Rows != 50 || j.Dim != 11 {
				return fmt.Sprintf("RandomStart %v Seed %d Dim %d", j.RandomStart, j.Seed, j.Dim)
			}
			return ""
		}},
		{"epochs set the steps", func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Samples, r.BatchSize, r.Epochs = "linear", "regression", 50, 10, 3
			r.Given = given("JobRequest.Epochs")
		}, func(j *gdgpu.Job) string {
			if j.Steps != 15 {
				return fmt.Sprintf("Steps %d, want 3 epochs of 5", j.Steps)
			}
			return ""
		}},
		{"epochs set cosine's T_max", func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Samples, r.BatchSize, r.Epochs = "linear", "regression", 50, 10, 3
			r.Schedule.Kind, r.Device = "cosine", "cpu"
			r.Given = given("JobRequest.Epochs", "Schedule.Kind")
		}, func(j *gdgpu.Job) string {
			if j.Schedule.TMax != 15 {
				return fmt.Sprintf("TMax %d, want the 15 steps of 3 epochs", j.Schedule.TMax)
			}
			return ""
		}},
		{"epochs set onecycle's total steps", func(r *gdgpu.JobRequest) {
			// 200 epochs of 5 steps outrun the default 1000 steps, which
			// the total was once filled from and then refused for.
			r.Problem, r.Synthetic, r.Samples, r.BatchSize, r.Epochs = "linear", "regression", 50, 10, 300
			r.Schedule.Kind, r.Device = "onecycle", "cpu"
			r.Given = given("JobRequest.Epochs", "Schedule.Kind")
		}, func(j *gdgpu.Job) string {
			if j.Schedule.TotalSteps != 1500 || j.Steps != 1500 {
				return fmt.Sprintf("TotalSteps %d Steps %d, want the 1500 steps of 300 epochs", j.Schedule.TotalSteps, j.Steps)
			}
			return ""
		}},
		{"a run length given is kept with epochs", func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Samples, r.BatchSize, r.Epochs = "linear", "regression", 50, 10, 3
			r.Schedule.Kind, r.Schedule.TMax, r.Device = "cosine", 7, "cpu"
			r.Given = given("JobRequest.Epochs", "Schedule.Kind", "Schedule.TMax")
		}, func(j *gdgpu.Job) string {
			if j.Schedule.TMax != 7 {
				return fmt.Sprintf("TMax %d, want the 7 given", j.Schedule.TMax)
			}
			return ""
		}},
		{"loss target given", func(r *gdgpu.JobRequest) { r.Given = given("Job.LossTarget") }, func(j *gdgpu.Job) string {
			if !j.HasTarget || j.LossTarget != 0 {
				return fmt.Sprintf("HasTarget %v LossTarget %g", j.HasTarget, j.LossTarget)
			}
			return ""
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gdgpu.NewJobRequest()
			tc.set(&r)
			b, err := r.Build()
			if err != nil {
				t.Fatal(err)
			}
			if msg := tc.check(&b.Job); msg != "" {
				t.Error(msg)
			}
		})
	}
}

// TestJobRequestRefusals: each choice that does not go together is
// refused naming its fields.
func TestJobRequestRefusals(t *testing.T) {
	dir := t.TempDir()
	x3 := filepath.Join(dir, "x3.npy")
	if err := data.WriteVector(x3, []float64{1, 2, 3}, "f8"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		set    func(r *gdgpu.JobRequest)
		fields []string // the first fields the refusal names
		text   string
	}{
		{func(r *gdgpu.JobRequest) { r.Problem = "nope" }, []string{"Job.Problem"}, `"nope" is unknown`},
		{func(r *gdgpu.JobRequest) { r.Objective, r.Given = "sum(x[i]^2)", given("Job.Objective", "Job.Problem") },
			[]string{"Job.Objective", "Job.Problem"}, "do not go together"},
		{func(r *gdgpu.JobRequest) { r.Problem, r.Given = "linear", given("Job.Cond") }, []string{"Job.Cond", "Job.Problem"}, "not to the model linear"},
		{func(r *gdgpu.JobRequest) { r.Given = given("DataSpec.Samples") }, []string{"DataSpec.Samples", "Job.Problem"}, "applies to the models on data"},
		{func(r *gdgpu.JobRequest) { r.Given = given("JobRequest.Intercept") }, []string{"JobRequest.Intercept", "Job.Problem"}, "applies to the models on data"},
		{func(r *gdgpu.JobRequest) { r.Device = "tpu" }, []string{"JobRequest.Device"}, `"tpu" is unknown`},
		{func(r *gdgpu.JobRequest) { r.Optimizer = "adamw2" }, []string{"Optimizer.Name"}, "is unknown"},
		{func(r *gdgpu.JobRequest) { r.Hyper = map[string]float64{"momentum": 0.9} }, []string{"Optimizer.momentum", "Optimizer.Name", "Optimizer.lr"}, "does not apply to"},
		{func(r *gdgpu.JobRequest) { r.Optimizer = "gonum-bfgs" }, []string{"Optimizer.Name", "JobRequest.Device"}, "runs on the CPU only"},
		{func(r *gdgpu.JobRequest) {
			r.Optimizer, r.Device, r.Purpose = "gonum-bfgs", "cpu", gdgpu.PurposeCompare
		},
			[]string{"Optimizer.Name", "gdgpu.Run", "JobRequest.Device"}, "no GPU run to compare it with"},
		{func(r *gdgpu.JobRequest) {
			r.Optimizer, r.Device, r.Schedule.Kind, r.Given = "gonum-bfgs", "cpu", "step", given("Schedule.Kind")
		}, []string{"Schedule.Kind", "Optimizer.Name"}, "its line search chooses"},
		{func(r *gdgpu.JobRequest) { r.Optimizer, r.Device, r.ClipValue = "gonum-bfgs", "cpu", 1 }, []string{"Job.ClipValue", "Optimizer.Name"}, "line search needs"},
		{func(r *gdgpu.JobRequest) { r.Precision = "f16" }, []string{"Job.Precision"}, `"f16" is unknown`},
		{func(r *gdgpu.JobRequest) { r.Device, r.Given = "cpu", given("Job.Precision") }, []string{"Job.Precision", "JobRequest.Device"}, "the CPU computes in float64"},
		{func(r *gdgpu.JobRequest) { r.Schedule.Kind = "sawtooth" }, []string{"Schedule.Kind"}, "is unknown"},
		// A kind given as "" is refused, as the command line's --schedule "" was.
		{func(r *gdgpu.JobRequest) { r.Schedule.Kind, r.Given = "", given("Schedule.Kind") }, []string{"Schedule.Kind"}, `"" is unknown`},
		// An objective set, not marked given, is used: here beside a given problem.
		{func(r *gdgpu.JobRequest) { r.Objective, r.Given = "sum(x[i]^2)", given("Job.Problem") },
			[]string{"Job.Objective", "Job.Problem"}, "do not go together"},
		{func(r *gdgpu.JobRequest) { r.Given = given("Schedule.Gamma") }, []string{"Schedule.Gamma", "Schedule.Kind", "Schedule.Warmup", "Schedule.WarmupStartFactor"}, "it takes only"},
		{func(r *gdgpu.JobRequest) { r.Given = given("Schedule.WarmupStartFactor") }, []string{"Schedule.WarmupStartFactor", "Schedule.Warmup"}, "needs"},
		{func(r *gdgpu.JobRequest) { r.GradTol = math.Inf(1) }, []string{"Job.GradTol"}, "must be a finite number"},
		{func(r *gdgpu.JobRequest) { r.TimeLimit, r.Purpose = 1, gdgpu.PurposeCompare }, []string{"Job.TimeLimit"}, "compare does not take it"},
		{func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Dim, r.Given = "linear", "regression", 3, given("Job.Dim")
		}, []string{"Job.Dim", "Job.Problem"}, "follows from the data"},
		{func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Given = "linear", "regression", given("JobRequest.Epochs", "Job.Steps")
		}, []string{"JobRequest.Epochs", "Job.Steps"}, "give one"},
		{func(r *gdgpu.JobRequest) { r.Problem, r.Synthetic, r.Activation = "mlp", "regression", "tanh" }, []string{"Job.Problem", "Job.Hidden"}, "needs"},
		{func(r *gdgpu.JobRequest) {
			r.Problem, r.Synthetic, r.Hidden, r.LeakySlope, r.Given = "mlp", "regression", []int{4}, 0.2, given("Job.LeakySlope")
		}, []string{"Job.LeakySlope", "Job.Activation"}, "applies to"},
		{func(r *gdgpu.JobRequest) { r.InitFile, r.Given = x3, given("Job.Seed") }, []string{"JobRequest.InitFile", "Job.Seed"}, "both choose the start point"},
		{func(r *gdgpu.JobRequest) { r.InitFile, r.Dim, r.Given = x3, 4, given("Job.Dim") }, []string{"JobRequest.InitFile", "Job.Dim"}, "holds 3 values but"},
		{func(r *gdgpu.JobRequest) { r.InitFile = filepath.Join(dir, "none.npy") }, []string{"JobRequest.InitFile"}, "none.npy"},
		{func(r *gdgpu.JobRequest) { r.Cond = 0.5 }, []string{"Job.Cond"}, "invalid job"},
	} {
		r := gdgpu.NewJobRequest()
		tc.set(&r)
		_, err := r.Build()
		var fe *gdgpu.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("want a refusal naming %v with %q, got %v", tc.fields, tc.text, err)
			continue
		}
		if len(fe.Fields) < len(tc.fields) || !slices.Equal(fe.Fields[:len(tc.fields)], tc.fields) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("refusal %q names %v, want %v and %q", err, fe.Fields, tc.fields, tc.text)
		}
	}
}

// TestJobRequestStart: InitFile's values are the start point and set the
// dimension.
func TestJobRequestStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.npy")
	if err := data.WriteVector(path, []float64{1, 2, 3}, "f8"); err != nil {
		t.Fatal(err)
	}
	r := gdgpu.NewJobRequest()
	r.InitFile = path
	b, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(b.Start, []float64{1, 2, 3}) || b.Job.Dim != 3 {
		t.Errorf("start %v, Dim %d; want [1 2 3], 3", b.Start, b.Job.Dim)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}

// Build a job as a user chose it: SGD with a learning rate of 0.01 and a
// cosine schedule, whose half period Build sets to the run's length; the
// hyperparameters not given keep torch's defaults.
func ExampleJobRequest_Build() {
	r := gdgpu.NewJobRequest()
	r.Problem, r.Dim = "quadratic", 1000
	r.Optimizer, r.Hyper = "sgd", map[string]float64{"lr": 0.01}
	r.Schedule.Kind, r.Steps = "cosine", 500
	r.Given = func(field string) bool { return field == "Job.Dim" || field == "Schedule.Kind" }
	b, err := r.Build()
	if err != nil {
		log.Fatal(err)
	}
	j := b.Job
	fmt.Println(j.Problem, j.Dim, j.Optimizer.Name, j.Optimizer.LR, j.Optimizer.Momentum, j.Schedule.Kind, j.Schedule.TMax)

	// A refusal names the fields at fault; a front end writes its own
	// names for them (FieldError.Format).
	r.Hyper["beta1"] = 0.8
	_, err = r.Build()
	fmt.Println(err)
	// Output:
	// quadratic 1000 sgd 0.01 0 cosine 500
	// gdgpu: Optimizer.beta1 does not apply to Optimizer.Name sgd (it takes Optimizer.lr, Optimizer.momentum, Optimizer.dampening, Optimizer.weight-decay, Optimizer.nesterov, Optimizer.maximize)
}

// TestJobRequestObjectiveSet: an objective set on a request written by
// hand is the job's problem even when Given does not report it.
func TestJobRequestObjectiveSet(t *testing.T) {
	r := gdgpu.NewJobRequest()
	r.Objective, r.Dim, r.Device, r.Given = "sum(x[i]^2)", 3, "cpu", given("Job.Dim")
	b, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	if b.Job.Objective != r.Objective || b.Job.Dim != 3 {
		t.Errorf("built %q N=%d, want the objective at N=3", b.Job.Objective, b.Job.Dim)
	}
}
