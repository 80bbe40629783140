package gdgpu

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestResumeJob: the checkpoint's job with exactly the fields set copied
// from the caller's; another optimizer or schedule kind comes whole, the
// same one field by field; a model's data settings are always the
// caller's.
func TestResumeJob(t *testing.T) {
	c := testCheckpoint(t, 10, 1) // rosenbrock, adam, plateau, 100 steps
	c.Job.CheckpointEvery, c.Job.ClipNorm = 5, 2
	given := NewJob()
	given.Problem, given.Dim, given.Steps = "quadratic", 20, 300
	given.Optimizer.LR, given.Optimizer.Beta1 = 0.5, 0.8
	given.ClipNorm, given.Seed, given.RandomStart = 3, 9, true
	given.LossTarget, given.HasTarget, given.TimeLimit = 0, true, time.Minute
	given.CheckpointEvery, given.CheckpointInterval = 7, time.Second
	given.Schedule.Patience = 4 // in a constant schedule: only the field set comes across
	sgd, _ := DefaultOptimizer("sgd")
	step, _ := DefaultSchedule("step")
	step.StepSize = 3

	for _, tc := range []struct {
		name  string
		set   []string
		given func(j *Job)
		want  func(j *Job) // applied to the checkpoint's job
	}{
		{name: "nothing set", want: func(j *Job) {}},
		{name: "job fields", set: []string{"Job.Steps", "Job.Problem", "Job.ClipNorm", "Job.Seed", "Job.LossTarget", "Job.TimeLimit"},
			want: func(j *Job) {
				j.Steps, j.Problem, j.ClipNorm, j.Seed, j.RandomStart = 300, "quadratic", 3, 9, true
				j.LossTarget, j.HasTarget, j.TimeLimit = 0, true, time.Minute
			}},
		{name: "checkpoint cadence", set: []string{"Job.CheckpointInterval"},
			want: func(j *Job) { j.CheckpointInterval = time.Second }},
		{name: "one hyperparameter", set: []string{"Optimizer.lr"},
			want: func(j *Job) { j.Optimizer.LR = 0.5 }},
		{name: "the same optimizer named", set: []string{"Optimizer.Name", "Optimizer.beta1"},
			want: func(j *Job) { j.Optimizer.Beta1 = 0.8 }},
		{name: "another optimizer", set: []string{"Optimizer.Name", "Optimizer.lr"},
			given: func(j *Job) { j.Optimizer = sgd },
			want:  func(j *Job) { j.Optimizer = sgd }},
		{name: "one schedule parameter", set: []string{"Schedule.Patience"},
			want: func(j *Job) { j.Schedule.Patience = 4 }},
		{name: "another schedule kind", set: []string{"Schedule.Kind", "Schedule.StepSize"},
			given: func(j *Job) { j.Schedule = step },
			want:  func(j *Job) { j.Schedule = step }},
	} {
		g := given
		if tc.given != nil {
			tc.given(&g)
		}
		want := c.Job
		tc.want(&want)
		got := c.ResumeJob(&g, func(f string) bool { return slices.Contains(tc.set, f) })
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, want)
		}
	}

	// A model: the data and the model's settings are the caller's, set or
	// not; the checkpoint's data hash is left to Compatible.
	m := c.Job
	m.Problem, m.DataHash, m.BatchSize, m.Seed, m.L2 = "softmax", "abc", 16, 1, 0.1
	cm := &Checkpoint{Job: m}
	d := &Data{Rows: 3, Hash: "def"}
	gm := m
	gm.Data, gm.DataHash, gm.DataSpec = d, "", DataSpec{Synthetic: "classification", Samples: 3}
	gm.BatchSize, gm.Seed, gm.L2, gm.Dim, gm.Hidden = 8, 2, 0.2, 33, []int{4}
	got := cm.ResumeJob(&gm, func(string) bool { return false })
	if got.Data != d || got.DataHash != "" || !reflect.DeepEqual(got.DataSpec, gm.DataSpec) || got.BatchSize != 8 || got.Seed != 2 || got.L2 != 0.2 || got.Dim != 33 || !slices.Equal(got.Hidden, []int{4}) {
		t.Errorf("model: got %+v, want the caller's data and settings", got)
	}
	if got.Steps != m.Steps || !reflect.DeepEqual(got.Optimizer, m.Optimizer) {
		t.Errorf("model: fields not set changed: %+v", got)
	}
}

// TestJobRequestResume: a request with Resume builds the checkpoint's job
// with the fields given copied over it, the rest (a schedule's required
// parameter, a model's data) from the checkpoint, and refuses what
// contradicts it.
func TestJobRequestResume(t *testing.T) {
	plateau := testCheckpoint(t, 10, 1) // rosenbrock, adam, plateau, 100 steps, at step 7
	step := testCheckpoint(t, 10, 1)
	step.Job.Schedule, _ = DefaultSchedule("step")
	step.Job.Schedule.StepSize = 3
	step.Driver.Plateau = nil

	dir := t.TempDir()
	csv := filepath.Join(dir, "d.csv")
	writeCSV := func(last string) {
		if err := os.WriteFile(csv, []byte("a,b,y\n1,2,3\n2,1,4\n3,3,5\n4,0,1\n5,1,2\n6,2,"+last+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCSV("2")
	lr := NewJobRequest()
	lr.Problem, lr.Data, lr.Target, lr.Device, lr.L2, lr.BatchSize = "linear", csv, "y", "cpu", 0.1, 2
	lr.Given = func(f string) bool { return f == "Job.L2" }
	b, err := lr.Build()
	if err != nil {
		t.Fatal(err)
	}
	linear := &Checkpoint{Job: b.Job, Driver: DriverState{Step: 4, Epoch: 1, Batch: 1}} // 3 batches an epoch
	linear.Job.DataHash, linear.Job.Data = b.Job.Data.Hash, nil

	for _, tc := range []struct {
		name  string
		cp    *Checkpoint
		csv   string // the CSV's last target before Build, "" as it is
		edit  func(r *JobRequest)
		given []string
		want  func(j *Job) // applied to the checkpoint's job
		err   error        // errors.Is; nil: any error is a *FieldError
		// fields the refusal's FieldError names; none and err nil: no refusal
		fields      []string
		dataChanged bool
	}{
		{name: "a longer run", cp: plateau, edit: func(r *JobRequest) { r.Steps = 300 }, given: []string{"Job.Steps"},
			want: func(j *Job) { j.Steps = 300 }},
		{name: "a cadence and a target", cp: plateau,
			edit:  func(r *JobRequest) { r.CheckpointEvery, r.LossTarget = 5, 1e-3 },
			given: []string{"Job.CheckpointEvery", "Job.LossTarget"},
			want:  func(j *Job) { j.CheckpointEvery, j.LossTarget, j.HasTarget = 5, 1e-3, true }},
		{name: "the same learning rate, in Hyper", cp: plateau, edit: func(r *JobRequest) { r.Hyper = map[string]float64{"lr": 1e-3} },
			want: func(j *Job) {}},
		{name: "another learning rate", cp: plateau, edit: func(r *JobRequest) { r.Hyper = map[string]float64{"lr": 0.5} },
			err: ErrCheckpointMismatch, fields: []string{"Optimizer.lr"}},
		{name: "another optimizer", cp: plateau, edit: func(r *JobRequest) { r.Optimizer = "sgd" }, given: []string{"Optimizer.Name"},
			err: ErrCheckpointMismatch},
		{name: "a step below the checkpoint's", cp: plateau, edit: func(r *JobRequest) { r.Steps = 5 }, given: []string{"Job.Steps"},
			err: ErrCheckpointMismatch, fields: []string{"Job.Steps"}},
		{name: "gonum's loop", cp: plateau, edit: func(r *JobRequest) { r.Optimizer, r.Device = "gonum-lbfgs", "cpu" },
			given: []string{"Optimizer.Name", "JobRequest.Device"}, err: ErrNotResumable, fields: []string{"Optimizer.Name"}},
		{name: "a start point", cp: plateau, edit: func(r *JobRequest) { r.InitFile = "x.npy" },
			fields: []string{"JobRequest.InitFile", "JobRequest.Resume"}},
		{name: "the step schedule's gamma, its step size the checkpoint's", cp: step,
			edit: func(r *JobRequest) { r.Schedule.Gamma = 0.1 }, given: []string{"Schedule.Gamma"},
			want: func(j *Job) {}},
		{name: "another gamma", cp: step, edit: func(r *JobRequest) { r.Schedule.Gamma = 0.5 }, given: []string{"Schedule.Gamma"},
			err: ErrCheckpointMismatch},
		{name: "a parameter the checkpoint's schedule does not take", cp: step,
			edit: func(r *JobRequest) { r.Schedule.Patience = 3 }, given: []string{"Schedule.Patience"},
			fields: []string{"Schedule.Patience", "Schedule.Kind", "Schedule.StepSize", "Schedule.Gamma", "Schedule.Warmup", "Schedule.WarmupStartFactor"}},
		{name: "a model's data from its checkpoint", cp: linear, edit: func(r *JobRequest) { r.Steps = 9 }, given: []string{"Job.Steps"},
			want: func(j *Job) { j.Steps = 9 }},
		{name: "a model's run in epochs", cp: linear, edit: func(r *JobRequest) { r.Epochs = 3 }, given: []string{"JobRequest.Epochs"},
			want: func(j *Job) { j.Steps = 9 }},
		{name: "another penalty", cp: linear, edit: func(r *JobRequest) { r.L2 = 0.2 }, given: []string{"Job.L2"},
			err: ErrCheckpointMismatch},
		{name: "the data file changed", cp: linear, csv: "7", edit: func(r *JobRequest) { r.Steps = 9 }, given: []string{"Job.Steps"},
			err: ErrCheckpointMismatch, dataChanged: true},
		{name: "another data file given", cp: linear, csv: "7", edit: func(r *JobRequest) { r.Data, r.Target = csv, "y" },
			given: []string{"DataSpec.File", "DataSpec.Target"}, err: ErrCheckpointMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.csv != "" {
				writeCSV(tc.csv)
				defer writeCSV("2")
			}
			r := NewJobRequest()
			r.Device, r.Resume = "cpu", tc.cp
			r.Given = func(f string) bool { return slices.Contains(tc.given, f) }
			tc.edit(&r)
			b, err := r.Build()
			if tc.want != nil {
				if err != nil {
					t.Fatal(err)
				}
				want := tc.cp.Job
				tc.want(&want)
				got := b.Job
				if got.Data != nil {
					// The data is rebuilt: it matches the checkpoint's hash.
					if got.Data.Hash != tc.cp.Job.DataHash {
						t.Errorf("data hash %s, want %s", got.Data.Hash, tc.cp.Job.DataHash)
					}
					got.Data, want.Data, want.DataHash = nil, nil, ""
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("\n got %+v\nwant %+v", got, want)
				}
				return
			}
			if err == nil {
				t.Fatal("no refusal")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("%v: not %v", err, tc.err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%v: no FieldError", err)
			}
			if tc.fields != nil && !slices.Equal(fe.Fields, tc.fields) {
				t.Errorf("%v: fields %v, want %v", err, fe.Fields, tc.fields)
			}
			var re *ResumeError
			if got := errors.As(err, &re) && re.DataChanged; got != tc.dataChanged {
				t.Errorf("%v: data changed %v, want %v", err, got, tc.dataChanged)
			}
			if tc.dataChanged && !strings.HasSuffix(err.Error(), "(no data setting was given: "+csv+" has changed since the checkpoint was written)") {
				t.Errorf("%v: the changed file not named", err)
			}
		})
	}
}

// TestJobRequestResumeObjective: an objective given on a resume, or a
// problem given in place of the checkpoint's objective, is refused as a
// contradiction (both were dropped without a word, the run going on with
// the checkpoint's problem); the checkpoint's own objective, given again
// or not at all, resumes.
func TestJobRequestResumeObjective(t *testing.T) {
	r := NewJobRequest()
	r.Objective, r.Dim, r.Device = "sum(x[i]^2)", 10, "cpu"
	r.Given = func(f string) bool { return f == "Job.Dim" }
	b, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	typed := &Checkpoint{Job: b.Job, Driver: DriverState{Step: 2}}
	plain := testCheckpoint(t, 10, 1) // rosenbrock
	for _, tc := range []struct {
		name    string
		cp      *Checkpoint
		edit    func(r *JobRequest)
		given   []string
		refused bool
	}{
		{"another objective on a problem's checkpoint", plain, func(r *JobRequest) { r.Objective = "sum(x[i]^4)" }, []string{"Job.Objective"}, true},
		{"an objective set, not marked given", plain, func(r *JobRequest) { r.Objective = "sum(x[i]^4)" }, nil, true},
		{"a problem on an objective's checkpoint", typed, func(r *JobRequest) { r.Problem = "quadratic" }, []string{"Job.Problem"}, true},
		{"another objective on an objective's checkpoint", typed, func(r *JobRequest) { r.Objective = "sum(x[i]^4)" }, []string{"Job.Objective"}, true},
		{"the checkpoint's objective again", typed, func(r *JobRequest) { r.Objective = "sum(x[i]^2)" }, []string{"Job.Objective"}, false},
		{"nothing given", typed, func(r *JobRequest) {}, nil, false},
	} {
		q := NewJobRequest()
		q.Device, q.Resume = "cpu", tc.cp
		tc.edit(&q)
		q.Given = func(f string) bool { return slices.Contains(tc.given, f) }
		got, err := q.Build()
		switch {
		case tc.refused && !errors.Is(err, ErrCheckpointMismatch):
			t.Errorf("%s: %v, want a refusal wrapping ErrCheckpointMismatch", tc.name, err)
		case !tc.refused && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.refused && (got.Job.Objective != tc.cp.Job.Objective || got.Job.Problem != tc.cp.Job.Problem):
			t.Errorf("%s: resumed %q (%q), want the checkpoint's %q (%q)", tc.name, got.Job.Problem, got.Job.Objective, tc.cp.Job.Problem, tc.cp.Job.Objective)
		}
	}
}
