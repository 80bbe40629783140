package gdgpu

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
	{"Job.Problem", func(d, s *Job) { d.Problem = s.Problem }},
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
