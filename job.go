package gdgpu

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"
)

// Precision is the floating-point width a backend computes in.
type Precision int

const (
	// F32 is IEEE single precision (GLSL float). The GPU default.
	F32 Precision = iota
	// F64 is IEEE double precision (GLSL double, Go float64). The CPU always uses it.
	F64
)

// String returns "f32" or "f64".
func (p Precision) String() string {
	switch p {
	case F32:
		return "f32"
	case F64:
		return "f64"
	}
	return fmt.Sprintf("Precision(%d)", int(p))
}

// ParsePrecision parses "f32" or "f64".
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "f32", "float32":
		return F32, nil
	case "f64", "float64":
		return F64, nil
	}
	return 0, fmt.Errorf("gdgpu: unknown precision %q (want f32 or f64)", s)
}

// Job describes one descent: what to minimise, how, for how long and in
// which precision. The zero value is not valid; NewJob fills the defaults.
type Job struct {
	Problem string // registry name of the objective
	// Objective, when set, is an objective typed as an expression
	// (ParseObjective's language): Validate compiles and registers it and
	// sets Problem to its name (ObjectiveName). It is part of the job, so
	// a checkpoint or job file carries it.
	Objective string    `json:",omitempty"`
	Dim       int       // number of parameters N
	Cond      float64   // quadratic: condition number, c_i spans [1, Cond]
	Optimizer Optimizer // optimizer and hyperparameters
	Schedule  Schedule  // learning-rate schedule applied to Optimizer.LR
	Steps     int       // optimizer steps to run
	LogEvery  int       // a Sample (loss, gradient norm) every LogEvery steps
	Precision Precision // GPU precision; the CPU computes in float64 always
	Seed      uint64    // with RandomStart, seeds the start point; for a model, seeds the batch order (EpochOrder)
	// RandomStart draws x_i uniformly from [-2, 2] with Seed instead of the
	// problem's default start.
	RandomStart bool

	// Stopping rules beside the step limit; a zero value turns a rule off.
	// The sample-based ones (GradTol, FuncTol, LossTarget) are checked on
	// samples as they are read back, see Run.
	GradTol    float64       // stop when the gradient norm is <= GradTol (GradientThreshold)
	FuncTol    float64       // stop when |f_k - f_{k-w}| <= FuncTol*|f_k| over w = FuncWindow samples (FunctionConvergence)
	FuncWindow int           // samples the FuncTol change is measured over (default 5 when FuncTol is set)
	LossTarget float64       // with HasTarget, stop when the loss is <= LossTarget (FunctionThreshold)
	HasTarget  bool          // LossTarget is set (0 is a valid target)
	TimeLimit  time.Duration // stop after this much wall time (RuntimeLimit)

	// Gradient clipping, applied to the objective's gradient before the
	// optimizer sees it; 0 turns it off, and at most one may be set.
	ClipNorm  float64 // scale g by min(ClipNorm/(||g||+1e-6), 1), as torch.nn.utils.clip_grad_norm_
	ClipValue float64 // clamp each g_i to [-ClipValue, ClipValue], as torch.nn.utils.clip_grad_value_

	// Checkpoint cadence, when Run has a Hooks.Checkpoint: every
	// CheckpointEvery steps and/or once CheckpointInterval of wall time has
	// passed since the last one (0 turns either off; a checkpoint is also
	// taken at the end of the run and on interruption). See checkpoint.go.
	CheckpointEvery    int
	CheckpointInterval time.Duration

	// Models on data (Problem a model name, see Models and
	// docs/models.md). Dim must be ModelParams(job): ModelDim(Data, !NoIntercept) for
	// a linear model, its network's Dim for a network.
	Data        *Data    `json:"-"` // the training and validation sets; a checkpoint keeps Data.Hash
	DataHash    string   // Data.Hash when the job was written (filled by WriteCheckpoint)
	DataSpec    DataSpec // where Data came from, so that a resumed run loads it again
	Loss        string   // linear: mse, mae, huber or logcosh
	Delta       float64  // huber's delta (torch.nn.HuberLoss), default 1
	L1, L2      float64  // penalties L1 ||W||_1 + L2/2 ||W||^2 on the weights (not the intercepts)
	NoIntercept bool     // fit z = W x without the intercept b
	BatchSize   int      // rows per step; 0 or >= Rows: the full batch (see Batch)

	// Networks (ModelInfo.Net: the mlp model; docs/models.md). Hidden
	// gives the hidden layers' widths, in order (at least one);
	// Activation their activation, one of Activations ("" is relu);
	// LeakySlope leaky-relu's negative slope (0 is DefaultLeakySlope);
	// InitScheme the start point's draw, one of InitSchemes ("" is
	// torch's nn.Linear default), seeded with Seed.
	Hidden     []int   `json:",omitempty"`
	Activation string  `json:",omitempty"`
	LeakySlope float64 `json:",omitempty"`
	InitScheme string  `json:",omitempty"`
}

// NewJob returns a job with the documented defaults: rosenbrock, N = 2^20,
// Adam with torch's defaults, 1000 steps, a sample every 100 steps, float32,
// no stopping rule but the step limit (FuncWindow 5 for when FuncTol is set).
func NewJob() Job {
	o, _ := DefaultOptimizer("adam")
	sched, _ := DefaultSchedule("constant")
	return Job{
		Schedule:   sched,
		Problem:    "rosenbrock",
		Dim:        1 << 20,
		Cond:       1,
		Optimizer:  o,
		Steps:      1000,
		LogEvery:   100,
		Precision:  F32,
		FuncWindow: 5,
		Loss:       defaultLoss,
		Delta:      1,
	}
}

// ErrInvalidJob wraps every Validate failure.
var ErrInvalidJob = errors.New("gdgpu: invalid job")

// Validate checks every field. A refusal wraps ErrInvalidJob and, where
// it names fields, a *FieldError. With a onecycle schedule that cycles
// momentum it also sets the optimizer's momentum or beta1 to the
// schedule's MaxMomentum, as torch's OneCycleLR constructor does (so
// validating twice changes nothing more).
func (j *Job) Validate() error { return j.validate(false) }

// validate is Validate; with stored, a model job may lack its Data (a
// checkpoint's job keeps DataHash only) and the data checks are skipped.
func (j *Job) validate(stored bool) error {
	wrap := func(err error) error { return &wrapped{ErrInvalidJob, err} }
	if len(j.Objective) > MaxObjectiveBytes {
		return wrap(FieldErrorf("{Job.Objective} holds %d bytes, more than the %d an objective may hold", len(j.Objective), MaxObjectiveBytes))
	}
	if j.Objective != "" {
		name, err := registerObjective(j.Objective)
		if err != nil {
			return wrap(FieldErrorf("{Job.Objective}: %w", err))
		}
		j.Problem = name
	}
	p, ok := LookupProblem(j.Problem)
	if IsModel(j.Problem) {
		if err := j.validateModel(stored); err != nil {
			return wrap(err)
		}
		p = Problem{Name: j.Problem, MinDim: 1}
		ok = true
	}
	if !ok {
		return wrap(FieldErrorf("{Job.Problem} %q is unknown (known: %s)", j.Problem, strings.Join(append(ProblemNames(), ModelNames()...), ", ")))
	}
	if j.Dim < p.MinDim {
		return wrap(FieldErrorf("{Job.Dim} %d is too small: %s needs at least %d", j.Dim, p.Name, p.MinDim))
	}
	if p.MaxDim > 0 && j.Dim > p.MaxDim {
		return wrap(FieldErrorf("{Job.Dim} %d is too large: %s takes at most %d", j.Dim, p.Name, p.MaxDim))
	}
	if j.Dim > MaxDim {
		return wrap(FieldErrorf("{Job.Dim} %d exceeds the largest supported %d", j.Dim, MaxDim))
	}
	if math.IsNaN(j.Cond) || j.Cond < 1 || math.IsInf(j.Cond, 0) {
		return wrap(FieldErrorf("{Job.Cond} %g must be a finite number >= 1", j.Cond))
	}
	if j.Steps < 0 {
		return wrap(FieldErrorf("{Job.Steps} %d must be >= 0", j.Steps))
	}
	if j.LogEvery < 1 {
		return wrap(FieldErrorf("{Job.LogEvery} %d must be >= 1", j.LogEvery))
	}
	if math.IsNaN(j.GradTol) || j.GradTol < 0 {
		return wrap(FieldErrorf("{Job.GradTol} %g must be >= 0", j.GradTol))
	}
	if math.IsNaN(j.FuncTol) || j.FuncTol < 0 {
		return wrap(FieldErrorf("{Job.FuncTol} %g must be >= 0", j.FuncTol))
	}
	if j.FuncWindow < 0 || (j.FuncTol > 0 && j.FuncWindow == 0) {
		return wrap(FieldErrorf("{Job.FuncWindow} %d must be >= 1 with {Job.FuncTol}", j.FuncWindow))
	}
	if j.FuncWindow > maxHistory {
		// A checkpoint carries maxHistory losses: a longer window would make
		// a resumed run's rule fire later than an uninterrupted one's.
		return wrap(FieldErrorf("{Job.FuncWindow} %d must be at most %d", j.FuncWindow, maxHistory))
	}
	if j.HasTarget && (math.IsNaN(j.LossTarget) || math.IsInf(j.LossTarget, 0)) {
		return wrap(FieldErrorf("{Job.LossTarget} %g must be finite", j.LossTarget))
	}
	for _, c := range []struct {
		flag string
		v    float64
	}{{"{Job.ClipNorm}", j.ClipNorm}, {"{Job.ClipValue}", j.ClipValue}} {
		if math.IsNaN(c.v) || c.v < 0 || math.IsInf(c.v, 0) {
			return wrap(FieldErrorf(c.flag+" %g must be a finite number >= 0", c.v))
		}
	}
	if j.ClipNorm > 0 && j.ClipValue > 0 {
		return wrap(FieldErrorf("{Job.ClipNorm} and {Job.ClipValue} cannot both be set"))
	}
	info, _ := LookupOptimizer(j.Optimizer.Name)
	if info.Closure && (j.ClipNorm > 0 || j.ClipValue > 0) {
		// torch.optim.LBFGS reads the gradient its closure leaves.
		return wrap(FieldErrorf("{Optimizer.Name} %s takes no gradient clipping (torch.optim.%s has none)", info.Name, info.Torch))
	}
	if (info.Closure || info.CPUOnly) && IsModel(j.Problem) && j.Data != nil && j.BatchSize > 0 && j.BatchSize < j.Data.Rows {
		// A step evaluates the objective many times and compares the
		// values (line search, curvature pairs): another batch at each
		// evaluation would make them values of different functions.
		return wrap(FieldErrorf("{Job.BatchSize} %d takes mini-batches of the %d training rows; {Optimizer.Name} %s trains on the full batch only ({Job.BatchSize} 0): its line search and curvature pairs compare losses and gradients of one fixed objective",
			j.BatchSize, j.Data.Rows, info.Name))
	}
	if j.TimeLimit < 0 {
		return wrap(FieldErrorf("{Job.TimeLimit} %v must be >= 0", j.TimeLimit))
	}
	if j.CheckpointEvery < 0 {
		return wrap(FieldErrorf("{Job.CheckpointEvery} %d must be >= 0", j.CheckpointEvery))
	}
	if j.CheckpointInterval < 0 {
		return wrap(FieldErrorf("{Job.CheckpointInterval} %v must be >= 0", j.CheckpointInterval))
	}
	if j.Precision != F32 && j.Precision != F64 {
		return wrap(FieldErrorf("{Job.Precision} %v is unknown", j.Precision))
	}
	if err := j.Optimizer.Validate(); err != nil {
		return wrap(err)
	}
	if err := j.Schedule.Validate(j.Steps); err != nil {
		return wrap(err)
	}
	if err := j.cycleMomentum(); err != nil {
		return wrap(err)
	}
	return nil
}

// cycleMomentum applies a onecycle schedule's cycle_momentum as torch's
// OneCycleLR constructor does: an optimizer with neither momentum nor
// betas is refused, and the cycled hyperparameter is set to MaxMomentum,
// the value of the first step. (For SGD and RMSprop with momentum 0 this
// turns momentum on, with its buffer, as in torch.)
func (j *Job) cycleMomentum() error {
	if j.Schedule.Kind != "onecycle" || !j.Schedule.CycleMomentum {
		return nil
	}
	info, _ := LookupOptimizer(j.Optimizer.Name)
	if info.Cycled == "" {
		return FieldErrorf("{Schedule.Kind} onecycle cycles momentum by default (torch's cycle_momentum=True), and %s has neither momentum nor beta1 (torch raises): add {Schedule.CycleMomentum}=false", j.Optimizer.Name)
	}
	if info.Cycled == "beta1" && !(j.Schedule.MaxMomentum < 1 && j.Schedule.BaseMomentum < 1) {
		return FieldErrorf("{Schedule.MaxMomentum} %g and {Schedule.BaseMomentum} %g are beta1 values for %s: each must be below 1", j.Schedule.MaxMomentum, j.Schedule.BaseMomentum, j.Optimizer.Name)
	}
	j.Optimizer.Set(info.Cycled, j.Schedule.MaxMomentum)
	return j.Optimizer.Validate()
}

// MaxDim is the largest parameter count a job may ask for: indices are
// 32-bit unsigned in the shaders, and grid-stride loops need headroom.
const MaxDim = 1<<31 - 1

// LR returns the scheduled learning rate of step t (0-based), before any
// plateau reduction (which depends on the losses seen; see Run). It costs
// O(t) for the recursive schedules: the driver walks them with Schedule.Seq.
func (j *Job) LR(t int) float64 { return j.Schedule.LR(j.Optimizer.LR, t) }

// uniformStart draws x_i uniformly from [-2, 2] with seed (--seed).
func uniformStart(x []float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for i := range x {
		x[i] = 4*r.Float64() - 2
	}
}

// StartPoint returns the start point x0 for the job: zeros for a linear
// model on data, a network's seeded draw (Network.Init, with Seed), else the problem's default (Problem.Init) or, with RandomStart, x_i ~ U[-2, 2] drawn from a
// PCG generator seeded with Seed. Both backends start from this slice.
func (j *Job) StartPoint() []float64 {
	x := make([]float64, j.Dim)
	if IsModel(j.Problem) {
		// Linear models start from zero weights, as the textbooks start
		// them and the perceptron; the seed shuffles the batches. A
		// network starts from its seeded draw: at zero every hidden unit
		// would get the same gradient.
		if n, _ := ModelNetwork(j); n != nil { // a valid job's network
			n.Init(x, j.Seed)
		}
		return x
	}
	if j.RandomStart {
		uniformStart(x, j.Seed)
		return x
	}
	if p, ok := LookupProblem(j.Problem); ok && p.Init != nil {
		p.Init(x)
		return x
	}
	for i := range x {
		x[i] = 1
	}
	return x
}
