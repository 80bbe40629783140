package gdgpu

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/fsutil"
)

// A JobRequest is a job as a user chooses it: names and values as typed,
// some of them given and the rest left to their defaults. Build turns it
// into a validated Job, filling what was not given (the problem's default
// dimension, the optimizer's torch defaults, a schedule's run length, a
// model's data) and refusing choices that do not go together (a model's
// setting on a test function, a hyperparameter the optimizer does not
// take, a CPU-only optimizer on the GPU). A front end (the command line, a
// job file's reader) fills one from its own names and renders Build's
// *FieldError with them.
//
// Start from NewJobRequest, whose values are the defaults. Given says
// which fields the user set, by the names a FieldError gives them
// (Job.Dim, Optimizer.Name, Schedule.Gamma, DataSpec.Samples; the
// request's own for what is no Job field: JobRequest.Device,
// JobRequest.InitFile, JobRequest.Intercept, JobRequest.Epochs): a value
// not given is a default, which some checks read differently (Job.Cond
// given for a model is refused, its default is not).
type JobRequest struct {
	Problem   string // a registered problem or a model (ProblemNames, ModelNames)
	Objective string // an objective typed as an expression instead of Problem (used when set or given); "" none
	Dim       int    // the parameter count, when Given; else the problem's DefaultDim
	Cond      float64
	Optimizer string
	// Hyper are the hyperparameters given, by name (Hyper.Name); a
	// switch (Hyper.Bool) is 0 or 1. The others keep the optimizer's
	// defaults.
	Hyper map[string]float64
	// Schedule holds the schedule's Kind and the values of the parameters
	// Given names (Schedule.Gamma); the others take DefaultSchedule's,
	// and a run-length parameter (ScheduleParam.RunLength) the job's step
	// count (Steps, or Epochs' steps for a model).
	Schedule  Schedule
	Steps     int
	LogEvery  int
	Device    string // "gpu" or "cpu": the GPU's checks apply to "gpu" only
	Precision string // "f32" or "f64" (ParsePrecision)
	Seed      uint64 // with Job.Seed given, a random start; a model's seed always
	InitFile  string // a 1-D float32/float64 .npy file of start values; "" none

	GradTol, FuncTol float64
	FuncWindow       int
	LossTarget       float64 // a target when Job.LossTarget is Given
	TimeLimit        time.Duration
	ClipNorm         float64
	ClipValue        float64

	// Models on data (docs/models.md): the data's file and target column
	// (or .npy targets), or a synthetic set; Features is the CSV's
	// columns a,b,c, or with Synthetic their number.
	Data, Target, Features, Synthetic string
	Samples, Classes                  int
	Noise                             float64
	Standardize                       bool
	ValFraction                       float64
	Task                              string // DataSpec.Task
	Loss                              string
	Delta, L1, L2                     float64
	Intercept                         bool
	BatchSize                         int
	Epochs                            int // when Given: the run's length in passes over the rows, instead of Steps
	Hidden                            []int
	Activation                        string
	LeakySlope                        float64
	InitScheme                        string

	// CheckpointEvery and CheckpointInterval are the job's checkpoint
	// cadence (Job.CheckpointEvery, Job.CheckpointInterval).
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// Resume, when set, is the checkpoint the job continues (RunFrom):
	// the fields not given take its job's values (the problem, a model's
	// data and settings, the optimizer, the precision, a schedule's kind
	// and required parameter), the job built is merged into its job
	// (Checkpoint.ResumeJob) and refused where it contradicts it
	// (Checkpoint.Compatible, as a *ResumeError). Build reads no start
	// point then: InitFile must be "".
	Resume *Checkpoint

	Purpose Purpose
	// Given reports whether the user set a field (see JobRequest); nil:
	// none was.
	Given func(field string) bool
}

// A Purpose is what a JobRequest's job is for: some choices apply to one
// use only.
type Purpose int

const (
	// PurposeRun is a run of its own.
	PurposeRun Purpose = iota
	// PurposeCompare is a run checked against the CPU reference (Compare):
	// a CPU-only optimizer has nothing to be compared with, a time limit
	// would stop the two runs at different steps.
	PurposeCompare
	// PurposeRace is one of several runs side by side (the live view's
	// racers), which take the precision given even on the CPU.
	PurposeRace
)

// NewJobRequest returns a request with NewJob's defaults and the model
// settings' (1000 synthetic samples of noise 0.5, mse, an intercept, relu
// and torch's start for a network), on the GPU, nothing given.
func NewJobRequest() JobRequest {
	def := NewJob()
	return JobRequest{
		Problem:    def.Problem,
		Cond:       def.Cond,
		Optimizer:  def.Optimizer.Name,
		Schedule:   def.Schedule,
		Steps:      def.Steps,
		LogEvery:   def.LogEvery,
		Device:     "gpu",
		Precision:  def.Precision.String(),
		FuncWindow: def.FuncWindow,
		Samples:    1000,
		Noise:      0.5,
		Loss:       def.Loss,
		Delta:      def.Delta,
		Intercept:  true,
		Activation: "relu",
		LeakySlope: DefaultLeakySlope,
		InitScheme: "torch",
	}
}

// A BuiltJob is what Build makes of a request.
type BuiltJob struct {
	Job Job
	// Start is the start point read from InitFile; nil: Job.StartPoint().
	Start []float64
	// Data describes a model's data as loaded (nil for a test function).
	Data *LoadedData
}

// modelFields are the fields only models take, in the order Build checks
// them.
var modelFields = []string{"DataSpec.File", "DataSpec.Target", "DataSpec.Features", "DataSpec.Synthetic",
	"DataSpec.Samples", "DataSpec.Classes", "DataSpec.Noise", "DataSpec.Standardize", "DataSpec.ValFraction",
	"Job.Loss", "Job.Delta", "Job.L1", "Job.L2", "JobRequest.Intercept", "Job.BatchSize", "JobRequest.Epochs",
	"Job.Hidden", "Job.Activation", "Job.LeakySlope", "Job.InitScheme", "DataSpec.Task"}

// netFields are the fields only networks (ModelInfo.Net) take.
var netFields = []string{"Job.Hidden", "Job.Activation", "Job.LeakySlope", "Job.InitScheme", "DataSpec.Task"}

// Build turns the request into a validated job, its start point and its
// data. Every refusal is a *FieldError naming the fields at fault (a
// Validate refusal wraps ErrInvalidJob as well), or wraps one: with
// Resume, a job that contradicts the checkpoint is a *ResumeError, a
// CPU-only optimizer wraps ErrNotResumable.
func (r *JobRequest) Build() (*BuiltJob, error) {
	given := r.Given
	if given == nil {
		given = func(string) bool { return false }
	}
	if r.Resume != nil {
		return r.resume(given)
	}
	return r.build(given)
}

// build is Build without Resume.
func (r *JobRequest) build(given func(string) bool) (*BuiltJob, error) {
	out := &BuiltJob{}
	job := NewJob()
	problem := r.Problem
	// An expression is used when given or when set (a request written by
	// hand need not say it gave what it set).
	if given("Job.Objective") || r.Objective != "" {
		if given("Job.Problem") {
			return nil, FieldErrorf("{Job.Objective} and {Job.Problem} do not go together: the expression is the problem")
		}
		p, err := RegisterObjective(r.Objective)
		if err != nil {
			return nil, FieldErrorf("{Job.Objective}: %w", err)
		}
		problem, job.Objective = p.Name, r.Objective
	}
	p, ok := LookupProblem(problem)
	isModel := IsModel(problem)
	if !ok && !isModel {
		return nil, FieldErrorf("{Job.Problem} %q is unknown (known: %s; models: %s)", problem, strings.Join(ProblemNames(), ", "), strings.Join(ModelNames(), ", "))
	}
	job.Problem = problem
	if isModel && given("Job.Cond") {
		// A model's objective is its loss on the data: a condition number
		// would be taken and ignored, so say so.
		return nil, FieldErrorf("{Job.Cond} applies to {Job.Problem} quadratic, not to the model %s", problem)
	}
	if !isModel {
		for _, f := range modelFields {
			if given(f) {
				return nil, FieldErrorf("{"+f+"} applies to the models on data ({Job.Problem} %s), not to {Job.Problem} %s", strings.Join(ModelNames(), "|"), problem)
			}
		}
	}
	if r.Device != "gpu" && r.Device != "cpu" {
		return nil, FieldErrorf("{JobRequest.Device} %q is unknown (want gpu or cpu)", r.Device)
	}
	if r.Device == "gpu" {
		if err := CheckGPU(problem); err != nil {
			return nil, err
		}
	}

	opt, err := DefaultOptimizer(r.Optimizer)
	if err != nil {
		return nil, FieldErrorf("{Optimizer.Name} %q is unknown (%s)", r.Optimizer, KnownOptimizers(r.Optimizer))
	}
	names := make([]string, 0, len(r.Hyper))
	for name := range r.Hyper {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !opt.Takes(name) {
			return nil, FieldErrorf("{Optimizer."+name+"} does not apply to {Optimizer.Name} %s ("+HyperTakes(opt.Name)+")", opt.Name)
		}
		opt.Set(name, r.Hyper[name])
	}
	job.Optimizer = opt
	info, _ := LookupOptimizer(opt.Name)
	if info.CPUOnly {
		if r.Purpose == PurposeCompare {
			return nil, FieldErrorf("{Optimizer.Name} %s runs on the CPU only (%s): there is no GPU run to compare it with; use {gdgpu.Run} {Optimizer.Name} %s {JobRequest.Device} cpu",
				opt.Name, info.Torch, opt.Name)
		}
		if r.Device != "cpu" {
			return nil, FieldErrorf("{Optimizer.Name} %s runs on the CPU only (%s): add {JobRequest.Device} cpu", opt.Name, info.Torch)
		}
	}

	prec, err := ParsePrecision(r.Precision)
	if err != nil {
		return nil, FieldErrorf("{Job.Precision} %q is unknown (want f32 or f64)", r.Precision)
	}
	if r.Device == "cpu" && given("Job.Precision") && prec != F64 && r.Purpose == PurposeRun {
		return nil, FieldErrorf("{Job.Precision} %s applies to {JobRequest.Device} gpu; the CPU computes in float64 (use {Job.Precision} f64 or leave it out)", r.Precision)
	}
	job.Precision = prec
	job.Cond = r.Cond
	job.Steps = r.Steps
	job.LogEvery = r.LogEvery
	if info.CPUOnly {
		if err := r.lineSearch(opt.Name, given); err != nil {
			return nil, err
		}
	}
	if job.Schedule, err = r.schedule(given); err != nil {
		return nil, err
	}
	if given("Job.Seed") {
		job.Seed, job.RandomStart = r.Seed, true
	}
	job.GradTol, job.FuncTol, job.FuncWindow, job.TimeLimit = r.GradTol, r.FuncTol, r.FuncWindow, r.TimeLimit
	for _, t := range []struct {
		field string
		v     float64
	}{{"Job.GradTol", r.GradTol}, {"Job.FuncTol", r.FuncTol}} {
		if math.IsInf(t.v, 0) {
			return nil, FieldErrorf("{"+t.field+"} %g must be a finite number >= 0", t.v)
		}
	}
	job.ClipNorm, job.ClipValue = r.ClipNorm, r.ClipValue
	job.CheckpointEvery, job.CheckpointInterval = r.CheckpointEvery, r.CheckpointInterval
	if given("Job.LossTarget") {
		job.LossTarget, job.HasTarget = r.LossTarget, true
	}
	if r.Purpose == PurposeCompare && r.TimeLimit != 0 {
		return nil, FieldErrorf("{Job.TimeLimit} stops each run after its own wall time, at different steps: compare does not take it")
	}

	job.Dim = p.DefaultDim
	if given("Job.Dim") {
		job.Dim = r.Dim
	}
	if isModel {
		if out.Data, err = r.model(&job, given); err != nil {
			return nil, err
		}
	}
	if r.InitFile != "" {
		if out.Start, err = r.start(&job, isModel, given); err != nil {
			return nil, err
		}
		job.Dim = len(out.Start)
	}
	fillRunLength(&job.Schedule, job.Steps, given)
	if err := job.Validate(); err != nil {
		return nil, err
	}
	if r.Purpose == PurposeCompare && r.Device == "gpu" {
		if err := CheckCompare(&job); err != nil {
			return nil, err
		}
	}
	out.Job = job
	return out, nil
}

// HyperTakes says which hyperparameters the optimizer name takes, as
// marks for FieldErrorf's format (it reads the marks of its format only):
// "it takes {Optimizer.lr}, {Optimizer.momentum}, ...", or "it takes no
// hyperparameters". A refusal of a hyperparameter the optimizer does not
// take ends with it, in JobRequest.Build and in a front end's own
// settings (the live view's racers), so that both read alike.
func HyperTakes(name string) string {
	info, _ := LookupOptimizer(name)
	var fl []string
	for _, h := range info.Hyper {
		fl = append(fl, "{Optimizer."+h.Name+"}")
	}
	if len(fl) == 0 {
		return "it takes no hyperparameters"
	}
	return "it takes " + strings.Join(fl, ", ")
}

// lineSearch refuses, for an optimizer whose line search chooses each
// step's length, a schedule (any schedule field given but Kind constant)
// and clipping.
func (r *JobRequest) lineSearch(opt string, given func(string) bool) error {
	var fields []string
	if given("Schedule.Kind") && r.Schedule.Kind != "constant" {
		fields = append(fields, "Schedule.Kind")
	}
	for _, p := range scheduleParams {
		if given("Schedule." + p.Field) {
			fields = append(fields, "Schedule."+p.Field)
		}
	}
	if len(fields) > 0 {
		return FieldErrorf("{"+fields[0]+"} does not apply to {Optimizer.Name} %s: its line search chooses each step's length, there is no learning rate to schedule", opt)
	}
	for _, c := range []struct {
		field string
		v     float64
	}{{"Job.ClipNorm", r.ClipNorm}, {"Job.ClipValue", r.ClipValue}} {
		if c.v != 0 {
			return FieldErrorf("{"+c.field+"} does not apply to {Optimizer.Name} %s: its line search needs the loss's own gradient", opt)
		}
	}
	return nil
}

// schedule returns DefaultSchedule(Kind) with the parameters given copied
// over it; build sets a run-length parameter not given (fillRunLength)
// once the step count is known. A parameter the kind does not read is
// refused; the values are Validate's to check.
func (r *JobRequest) schedule(given func(string) bool) (Schedule, error) {
	kind := r.Schedule.Kind
	if kind == "" && !given("Schedule.Kind") {
		kind = "constant" // a request written without NewJobRequest; a kind given as "" is refused
	}
	s, err := DefaultSchedule(kind)
	if err != nil {
		return s, err
	}
	for _, p := range scheduleParams {
		if !given("Schedule." + p.Field) {
			continue
		}
		if !p.AppliesTo(s.Kind) {
			return s, FieldErrorf("{Schedule."+p.Field+"} does not apply to {Schedule.Kind} %s ("+scheduleTakes(s.Kind)+")", s.Kind)
		}
		p.Copy(&s, &r.Schedule)
	}
	if given("Schedule.WarmupStartFactor") && !given("Schedule.Warmup") {
		return s, FieldErrorf("{Schedule.WarmupStartFactor} needs {Schedule.Warmup}")
	}
	return s, nil
}

// fillRunLength sets s's run-length parameter (ScheduleParam.RunLength),
// when not given, to steps: the job's final step count, which a model's
// Epochs sets.
func fillRunLength(s *Schedule, steps int, given func(string) bool) {
	for _, p := range scheduleParams {
		if p.RunLength(s.Kind) && !given("Schedule."+p.Field) {
			*p.Value(s).(*int) = max(steps, 1)
		}
	}
}

// scheduleTakes says which parameters a kind reads, e.g. "it takes
// {Schedule.StepSize}, {Schedule.Gamma}, {Schedule.Warmup} and
// {Schedule.WarmupStartFactor}": format text, as HyperTakes'.
func scheduleTakes(kind string) string {
	var fl []string
	for _, p := range scheduleParams {
		if p.Kinds != nil && p.AppliesTo(kind) {
			fl = append(fl, "{Schedule."+p.Field+"}")
		}
	}
	if len(fl) == 0 {
		return "it takes only {Schedule.Warmup} and {Schedule.WarmupStartFactor}"
	}
	return "it takes " + strings.Join(fl, ", ") + ", {Schedule.Warmup} and {Schedule.WarmupStartFactor}"
}

// model loads the model's data (LoadData) and fills the job's model
// fields.
func (r *JobRequest) model(job *Job, given func(string) bool) (*LoadedData, error) {
	if given("Job.Dim") {
		return nil, FieldErrorf("{Job.Dim} does not apply to {Job.Problem} %s: the parameter count follows from the data", job.Problem)
	}
	// Models start from zero (or InitFile); the seed draws the synthetic
	// data, the validation split and the batch order.
	job.Seed, job.RandomStart = r.Seed, false
	// The checks of settings given where they do not apply: the spec
	// holds only the fields of the data it describes.
	if r.Synthetic != "" && r.Data == "" {
		if given("DataSpec.Target") {
			return nil, FieldErrorf("{DataSpec.Target} applies to {DataSpec.File}, not {DataSpec.Synthetic}")
		}
		if r.Features != "" {
			if nf, err := strconv.Atoi(r.Features); err != nil || nf < 1 {
				return nil, FieldErrorf("{DataSpec.Features} %q: with {DataSpec.Synthetic} it is the number of features, an integer >= 1", r.Features)
			}
		}
	}
	if r.Data != "" && r.Synthetic == "" {
		for _, f := range []string{"DataSpec.Samples", "DataSpec.Classes", "DataSpec.Noise"} {
			if given(f) {
				return nil, FieldErrorf("{" + f + "} applies to {DataSpec.Synthetic}, not {DataSpec.File}")
			}
		}
	}
	// Paths as given, so that messages and the model card name the file
	// as the user typed it; the job keeps them absolute.
	ld, err := LoadData(job.Problem, r.dataSpec(job.Problem, false), job.Seed)
	if err != nil {
		return nil, err
	}
	if r.Synthetic == "regression" && given("DataSpec.Classes") {
		// LoadData refuses Classes set with regression; Classes 0 (the
		// default) given is refused here.
		return nil, FieldErrorf("{DataSpec.Classes} applies to {DataSpec.Synthetic} classification")
	}
	d := ld.Data
	job.Data = d
	job.DataSpec = r.dataSpec(job.Problem, true)
	if ld.TaskInferred && ld.Task == "regression" {
		// The checkpoint and job.toml say what the data chose; a
		// classification stays "", as before inference, which it reads
		// as again.
		job.DataSpec.Task = ld.Task
	}
	job.Loss, job.Delta, job.L1, job.L2 = r.Loss, r.Delta, r.L1, r.L2
	job.NoIntercept, job.BatchSize = !r.Intercept, r.BatchSize
	if err := r.network(job, given); err != nil {
		return nil, err
	}
	if info, _ := LookupModel(job.Problem); !info.Costs && given("Job.Loss") {
		return nil, FieldErrorf("{Job.Loss} applies to {Job.Problem} linear (%s has its own loss)", job.Problem)
	}
	if cost, _ := LookupRegressionCost(r.Loss); given("Job.Delta") && !cost.Delta {
		return nil, FieldErrorf("{Job.Delta} applies to {Job.Loss} huber")
	}
	if job.Dim, err = ModelParams(job); err != nil {
		return nil, err
	}
	if given("JobRequest.Epochs") {
		if given("Job.Steps") {
			return nil, FieldErrorf("{JobRequest.Epochs} and {Job.Steps} both set the run's length; give one")
		}
		if r.Epochs < 1 {
			return nil, FieldErrorf("{JobRequest.Epochs} %d must be >= 1", r.Epochs)
		}
		_, per := Batches(r.BatchSize, d.Rows)
		if int64(r.Epochs)*int64(per) > math.MaxInt32 {
			return nil, FieldErrorf("{JobRequest.Epochs} %d x %d steps per epoch is too many steps", r.Epochs, per)
		}
		job.Steps = r.Epochs * per
	}
	return ld, nil
}

// network sets the job's network fields (ModelInfo.Net), refusing them
// for a model that is not a network.
func (r *JobRequest) network(job *Job, given func(string) bool) error {
	if info, _ := LookupModel(job.Problem); info.Net == nil {
		for _, f := range netFields {
			if given(f) {
				return FieldErrorf("{"+f+"} applies to {Job.Problem} mlp (%s is not a network)", job.Problem)
			}
		}
		return nil
	}
	if len(r.Hidden) == 0 {
		return FieldErrorf("{Job.Problem} %s needs {Job.Hidden} W1,W2,... (the hidden layers' widths, e.g. {Job.Hidden} 128,64)", job.Problem)
	}
	for _, w := range r.Hidden {
		if w < 1 {
			return FieldErrorf("{Job.Hidden} %s: each width must be >= 1", joinInts(r.Hidden))
		}
	}
	job.Hidden = slices.Clone(r.Hidden)
	job.Activation, job.InitScheme, job.LeakySlope = r.Activation, r.InitScheme, 0
	// A slope not given (a checkpoint's, say) does not apply to another
	// activation: Checkpoint.Compatible then names the activation.
	fromElsewhere := !given("Job.LeakySlope") && r.Activation != "leaky-relu"
	if !fromElsewhere && (given("Job.LeakySlope") || r.LeakySlope != DefaultLeakySlope) {
		if r.Activation != "leaky-relu" {
			return FieldErrorf("{Job.LeakySlope} applies to {Job.Activation} leaky-relu")
		}
		if r.LeakySlope == 0 { // Job.LeakySlope 0 is the default slope
			return FieldErrorf("{Job.LeakySlope} 0 is relu: use {Job.Activation} relu")
		}
		job.LeakySlope = r.LeakySlope
	}
	return nil
}

// joinInts writes v as W1,W2,...
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

// dataSpec is the request's data settings (DataSpec) for problem; with
// abs, paths are made absolute, so that a checkpoint resumes from another
// folder.
func (r *JobRequest) dataSpec(problem string, abs bool) DataSpec {
	sp := DataSpec{Standardize: r.Standardize, ValFraction: r.ValFraction}
	sp.Task = r.Task // "" leaves the mlp's task to its data; a bad value LoadData refuses
	if info, _ := LookupModel(problem); info.RealTargets == nil && sp.Task == "classification" {
		sp.Task = "" // what the model fits anyway: network refuses the setting
	}
	if r.Synthetic != "" && r.Data == "" {
		sp.Synthetic, sp.Samples, sp.Classes, sp.Noise = r.Synthetic, r.Samples, r.Classes, r.Noise
		sp.NumFeatures, _ = strconv.Atoi(r.Features)
		return sp
	}
	sp.File, sp.Target, sp.Synthetic = r.Data, r.Target, r.Synthetic
	if abs {
		sp.File = fsutil.Abs(r.Data)
		if strings.HasSuffix(strings.ToLower(r.Target), ".npy") {
			sp.Target = fsutil.Abs(r.Target)
		}
	}
	if r.Features != "" {
		sp.Features = strings.Split(r.Features, ",")
	}
	return sp
}

// start reads InitFile and checks it against the job.
func (r *JobRequest) start(job *Job, isModel bool, given func(string) bool) ([]float64, error) {
	name := r.InitFile
	if given("Job.Seed") && !isModel {
		return nil, FieldErrorf("{JobRequest.InitFile} and {Job.Seed} both choose the start point; give one")
	}
	x0, err := data.ReadVector(name)
	if err != nil {
		return nil, FieldErrorf("{JobRequest.InitFile}: %w", err)
	}
	if len(x0) == 0 {
		return nil, FieldErrorf("{JobRequest.InitFile} %s holds no values", name)
	}
	if given("Job.Dim") && len(x0) != r.Dim {
		return nil, FieldErrorf("{JobRequest.InitFile} %s holds %d values but {Job.Dim} is %d", name, len(x0), r.Dim)
	}
	if isModel && len(x0) != job.Dim {
		return nil, FieldErrorf("{JobRequest.InitFile} %s holds %d values but the %s model on this data has %d parameters", name, len(x0), job.Problem, job.Dim)
	}
	for i, v := range x0 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, FieldErrorf("{JobRequest.InitFile} %s: value %d is %g; the start point must be finite", name, i, v)
		}
		if r.Device == "gpu" && job.Precision == F32 && math.Abs(v) > math.MaxFloat32 {
			return nil, FieldErrorf("{JobRequest.InitFile} %s: value %d is %g, beyond float32's range (±%.4g) that {Job.Precision} f32 on the GPU computes in; use {Job.Precision} f64", name, i, v, math.MaxFloat32)
		}
	}
	return x0, nil
}
