package gdgpu

import (
	"reflect"
	"slices"
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
