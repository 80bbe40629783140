package gdgpu

import (
	"errors"
	"slices"
	"strconv"
	"strings"
)

// ResumeJob returns the job that continues c's run: c's job, with the
// fields the caller set copied over it from job. set reports whether the
// caller set a field, by the name a FieldError gives it (Job.Steps,
// Optimizer.lr, Schedule.Gamma): a front end answers it from its own
// names (the command line, from the flags given).
//
// Another optimizer (Optimizer.Name set and different) or schedule kind
// (Schedule.Kind) is taken whole from job; otherwise each hyperparameter
// and schedule parameter set is copied alone. Job.Seed brings
// RandomStart, Job.LossTarget HasTarget. For a model, the data and the
// model's settings (DataSpec, Data, Dim, Loss, Delta, L1, L2,
// NoIntercept, BatchSize, Seed, Hidden, Activation, LeakySlope,
// InitScheme) are always job's: only the caller can load the data, so it
// builds them from c.Job's where its user gave none, and DataHash is left
// for Compatible to compare against the data's.
//
// The job returned is neither validated nor checked: call Validate, then
// c.Compatible, which refuses what contradicts the checkpoint.
// JobRequest.Build with JobRequest.Resume does all of this, the data's
// loading included.
func (c *Checkpoint) ResumeJob(job *Job, set func(field string) bool) Job {
	out := c.Job
	for _, f := range resumeFields {
		if set(f.field) {
			f.copy(&out, job)
		}
	}
	if set("Optimizer.Name") && job.Optimizer.Name != out.Optimizer.Name {
		out.Optimizer = job.Optimizer
	} else {
		for _, h := range AllHypers() {
			if set("Optimizer." + h.Name) {
				out.Optimizer.Set(h.Name, job.Optimizer.Get(h.Name))
			}
		}
	}
	if set("Schedule.Kind") && job.Schedule.Kind != out.Schedule.Kind {
		out.Schedule = job.Schedule
	} else {
		for _, p := range scheduleParams {
			if set("Schedule." + p.Field) {
				p.Copy(&out.Schedule, &job.Schedule)
			}
		}
	}
	if IsModel(out.Problem) {
		out.Data, out.DataSpec, out.DataHash = job.Data, job.DataSpec, ""
		out.Loss, out.Delta, out.L1, out.L2 = job.Loss, job.Delta, job.L1, job.L2
		out.NoIntercept, out.BatchSize, out.Seed, out.Dim = job.NoIntercept, job.BatchSize, job.Seed, job.Dim
		out.Hidden, out.Activation, out.LeakySlope, out.InitScheme = job.Hidden, job.Activation, job.LeakySlope, job.InitScheme
	}
	return out
}

// resumeFields are the Job fields ResumeJob copies one by one when set,
// with the fields that go with them.
var resumeFields = []struct {
	field string
	copy  func(dst, src *Job)
}{
	// The problem and the objective go together: an objective given (or a
	// problem given in place of the checkpoint's objective) replaces both,
	// so that Compatible refuses the change instead of the run keeping the
	// checkpoint's objective without a word.
	{"Job.Problem", func(d, s *Job) { d.Problem, d.Objective = s.Problem, s.Objective }},
	{"Job.Objective", func(d, s *Job) { d.Problem, d.Objective = s.Problem, s.Objective }},
	{"Job.Dim", func(d, s *Job) { d.Dim = s.Dim }},
	{"Job.Cond", func(d, s *Job) { d.Cond = s.Cond }},
	{"Job.Precision", func(d, s *Job) { d.Precision = s.Precision }},
	{"Job.ClipNorm", func(d, s *Job) { d.ClipNorm = s.ClipNorm }},
	{"Job.ClipValue", func(d, s *Job) { d.ClipValue = s.ClipValue }},
	{"Job.Seed", func(d, s *Job) { d.Seed, d.RandomStart = s.Seed, s.RandomStart }},
	{"Job.Steps", func(d, s *Job) { d.Steps = s.Steps }},
	{"Job.LogEvery", func(d, s *Job) { d.LogEvery = s.LogEvery }},
	{"Job.GradTol", func(d, s *Job) { d.GradTol = s.GradTol }},
	{"Job.FuncTol", func(d, s *Job) { d.FuncTol = s.FuncTol }},
	{"Job.FuncWindow", func(d, s *Job) { d.FuncWindow = s.FuncWindow }},
	{"Job.LossTarget", func(d, s *Job) { d.LossTarget, d.HasTarget = s.LossTarget, s.HasTarget }},
	{"Job.TimeLimit", func(d, s *Job) { d.TimeLimit = s.TimeLimit }},
	{"Job.CheckpointEvery", func(d, s *Job) { d.CheckpointEvery = s.CheckpointEvery }},
	{"Job.CheckpointInterval", func(d, s *Job) { d.CheckpointInterval = s.CheckpointInterval }},
}

// ErrNotResumable is wrapped by JobRequest.Build's refusal to resume a
// checkpoint with a CPU-only optimizer (OptimizerInfo.CPUOnly): gonum's
// methods run their own loop, which writes no checkpoint and resumes none.
var ErrNotResumable = errors.New("gdgpu: the optimizer's loop cannot be checkpointed")

// A ResumeError is JobRequest.Build's refusal of a request whose job
// contradicts its Resume checkpoint: Err is Checkpoint.Compatible's,
// which wraps ErrCheckpointMismatch and a *FieldError.
type ResumeError struct {
	Err error
	// DataChanged: the request gave no data setting, so the data was
	// rebuilt from the checkpoint's DataSpec, and its hash differs: the
	// files (DataSpec.Source) changed after the checkpoint was written,
	// which no setting of the request can be blamed for.
	DataChanged bool
	DataSpec    DataSpec // the data rebuilt, when DataChanged
}

// Error is Err's message, with the changed data named.
func (e *ResumeError) Error() string {
	if !e.DataChanged {
		return e.Err.Error()
	}
	return e.Err.Error() + " (no data setting was given: " + e.DataSpec.Source() + " has changed since the checkpoint was written)"
}

// Unwrap returns Err.
func (e *ResumeError) Unwrap() error { return e.Err }

// Source names the data's files for messages: the file (and a .npy
// target's file), or "the synthetic set".
func (sp DataSpec) Source() string {
	if sp.File == "" {
		return "the synthetic set"
	}
	if strings.HasSuffix(strings.ToLower(sp.Target), ".npy") {
		return sp.File + " or " + sp.Target
	}
	return sp.File
}

// dataFields are the fields a model's data is built from (DataSpec's and
// the seed, which draws a synthetic set and the validation split): a
// resume that gives none of them rebuilds the checkpoint's data.
var dataFields = []string{"DataSpec.File", "DataSpec.Target", "DataSpec.Features", "DataSpec.Synthetic",
	"DataSpec.Samples", "DataSpec.Classes", "DataSpec.Noise", "DataSpec.Standardize", "DataSpec.ValFraction",
	"Job.Seed", "DataSpec.Task"}

// resume is Build for a request with Resume: the checkpoint's settings
// fill the fields not given (fromCheckpoint), the job so built is merged
// into the checkpoint's (ResumeJob) and the result checked against it
// (Validate, Compatible).
func (r *JobRequest) resume(given func(string) bool) (*BuiltJob, error) {
	c := r.Resume
	if r.InitFile != "" {
		return nil, FieldErrorf("{JobRequest.InitFile} and {JobRequest.Resume} both choose the start point; give one")
	}
	q, qgiven := r.fromCheckpoint(given)
	out, err := q.build(qgiven)
	if err != nil {
		return nil, err
	}
	if info, _ := LookupOptimizer(out.Job.Optimizer.Name); info.CPUOnly {
		return nil, FieldErrorf("{Optimizer.Name} %s runs through gonum's own loop: %w", out.Job.Optimizer.Name, ErrNotResumable)
	}
	// Epochs set the step limit as Steps does; Hyper holds the
	// hyperparameters given.
	set := func(f string) bool {
		_, hyper := r.Hyper[strings.TrimPrefix(f, "Optimizer.")]
		return qgiven(f) || f == "Job.Steps" && qgiven("JobRequest.Epochs") || strings.HasPrefix(f, "Optimizer.") && hyper ||
			f == "Job.Objective" && r.Objective != "" // used when set, as build uses it
	}
	job := c.ResumeJob(&out.Job, set)
	if err := job.Validate(); err != nil {
		return nil, err
	}
	if err := c.Compatible(&job); err != nil {
		e := &ResumeError{Err: err}
		if job.Data != nil && job.Data.Hash != c.Job.DataHash && !slices.ContainsFunc(dataFields, given) {
			e.DataChanged, e.DataSpec = true, job.DataSpec
		}
		return nil, e
	}
	out.Job = job
	return out, nil
}

// fromCheckpoint returns the request with the checkpoint's problem, model
// and data settings, optimizer and precision in place of those not given,
// so that the job is built (a model's data loaded) as the checkpoint's
// was; a setting given that contradicts it is refused by Compatible.
// Schedule fields given without Schedule.Kind are read against the
// checkpoint's kind, whose required parameter (ScheduleParam.Required)
// then comes from the checkpoint unless given: the given function
// returned counts it given.
func (r *JobRequest) fromCheckpoint(given func(string) bool) (JobRequest, func(string) bool) {
	q := *r
	j := &r.Resume.Job
	if !given("Job.Problem") {
		q.Problem = j.Problem
	}
	if IsModel(j.Problem) {
		q.modelFromCheckpoint(j, given)
	}
	if !given("Optimizer.Name") {
		q.Optimizer = j.Optimizer.Name
	}
	if !given("Job.Precision") {
		q.Precision = j.Precision.String()
	}
	schedGiven := given("Schedule.Kind")
	for _, p := range scheduleParams {
		schedGiven = schedGiven || given("Schedule."+p.Field)
	}
	if !schedGiven || given("Schedule.Kind") {
		return q, given
	}
	q.Schedule.Kind = j.Schedule.Kind
	var required string
	for _, p := range scheduleParams {
		if p.Required(j.Schedule.Kind) && !given("Schedule."+p.Field) {
			p.Copy(&q.Schedule, &j.Schedule)
			required = "Schedule." + p.Field
		}
	}
	if required == "" {
		return q, given
	}
	return q, func(f string) bool { return f == required || given(f) }
}

// modelFromCheckpoint sets the model and data settings not given to j's.
func (q *JobRequest) modelFromCheckpoint(j *Job, given func(string) bool) {
	sp := j.DataSpec
	str := func(field string, dst *string, v string) {
		if !given(field) {
			*dst = v
		}
	}
	num := func(field string, dst *int, v int) {
		if !given(field) {
			*dst = v
		}
	}
	flt := func(field string, dst *float64, v float64) {
		if !given(field) {
			*dst = v
		}
	}
	if !given("DataSpec.File") && !given("DataSpec.Synthetic") {
		q.Data, q.Synthetic = sp.File, sp.Synthetic
		if sp.Synthetic != "" {
			// Each setting given keeps its value, so that a changed set
			// is refused by its hash rather than silently replaced.
			num("DataSpec.Samples", &q.Samples, sp.Samples)
			num("DataSpec.Classes", &q.Classes, sp.Classes)
			flt("DataSpec.Noise", &q.Noise, sp.Noise)
			if sp.NumFeatures > 0 {
				str("DataSpec.Features", &q.Features, strconv.Itoa(sp.NumFeatures))
			}
		} else {
			str("DataSpec.Target", &q.Target, sp.Target)
			str("DataSpec.Features", &q.Features, strings.Join(sp.Features, ","))
		}
	}
	if !given("DataSpec.Standardize") {
		q.Standardize = sp.Standardize
	}
	flt("DataSpec.ValFraction", &q.ValFraction, sp.ValFraction)
	if sp.Task != "" {
		str("DataSpec.Task", &q.Task, sp.Task)
	}
	str("Job.Loss", &q.Loss, j.Loss)
	flt("Job.Delta", &q.Delta, j.Delta)
	flt("Job.L1", &q.L1, j.L1)
	flt("Job.L2", &q.L2, j.L2)
	if !given("JobRequest.Intercept") {
		q.Intercept = !j.NoIntercept
	}
	num("Job.BatchSize", &q.BatchSize, j.BatchSize)
	if len(j.Hidden) > 0 && !given("Job.Hidden") {
		q.Hidden = slices.Clone(j.Hidden)
	}
	str("Job.Activation", &q.Activation, j.Activation)
	if j.LeakySlope != 0 {
		flt("Job.LeakySlope", &q.LeakySlope, j.LeakySlope)
	}
	str("Job.InitScheme", &q.InitScheme, j.InitScheme)
	if !given("Job.Seed") {
		q.Seed = j.Seed
	}
}
