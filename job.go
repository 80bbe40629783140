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

// ProblemInfo names an objective and documents it.
type ProblemInfo struct {
	Name       string
	Summary    string
	Start      string // the default start point, in words
	DefaultDim int
	MinDim     int
	MaxDim     int // 0: no limit beyond the package's MaxDim (2 for the 2-D functions)
}

var problems = []ProblemInfo{
	{
		Name:       "quadratic",
		Summary:    "f = 1/2 sum c_i x_i^2, c_i log-spaced from 1 to --cond (c_i = cond^(i/(N-1)))",
		Start:      "x_i = 1",
		DefaultDim: 1 << 20,
		MinDim:     1,
	},
	{
		Name:       "rosenbrock",
		Summary:    "chained Rosenbrock, f = sum_{i<N-1} 100(x_{i+1}-x_i^2)^2 + (1-x_i)^2 (scipy.optimize.rosen); minimum 0 at all ones",
		Start:      "x_i = -1.2 for even i, 1 for odd i (the classic (-1.2, 1) repeated)",
		DefaultDim: 1 << 20,
		MinDim:     2,
	},
	{
		Name:       "rastrigin",
		Summary:    "f = 10N + sum x_i^2 - 10 cos(2 pi x_i); minimum 0 at 0, a local minimum near every integer point",
		Start:      "x_i = 2.5",
		DefaultDim: 1 << 20,
		MinDim:     1,
	},
	{
		Name:       "styblinski-tang",
		Summary:    "f = 1/2 sum x_i^4 - 16 x_i^2 + 5 x_i; minimum -39.16616570377141 N at x_i = -2.903534027771177",
		Start:      "x_i = 0",
		DefaultDim: 1 << 20,
		MinDim:     1,
	},
	{
		Name:       "levy",
		Summary:    "Levy, w_i = 1 + (x_i-1)/4: sin^2(pi w_1) + sum_{i<N} (w_i-1)^2 (1 + 10 sin^2(pi w_i + 1)) + (w_N-1)^2 (1 + sin^2(2 pi w_N)); minimum 0 at all ones",
		Start:      "x_i = -5",
		DefaultDim: 1 << 20,
		MinDim:     1,
	},
	{
		Name:       "ackley",
		Summary:    "Ackley (a = 20, b = 0.2, c = 2 pi), f = -a exp(-b sqrt(mean x_i^2)) - exp(mean cos(c x_i)) + a + e; minimum 0 at 0, a local minimum near every integer point",
		Start:      "x_i = 1.5",
		DefaultDim: 1 << 20,
		MinDim:     1,
	},
	{
		Name:       "griewank",
		Summary:    "Griewank, f = 1 + sum x_i^2/4000 - prod cos(x_i/sqrt(i+1)) (0-based i); minimum 0 at 0",
		Start:      "x_i = 10",
		DefaultDim: 1 << 20,
		MinDim:     1,
	},
	twoD("beale", "(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; minimum 0 at (3, 0.5)", "(1, 1) (Moré, Garbow and Hillstrom 1981, problem 5)"),
	twoD("himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2; minimum 0 at (3, 2), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)", "(0, 0)"),
	twoD("booth", "(x + 2y - 7)^2 + (2x + y - 5)^2; minimum 0 at (1, 3)", "(0, 0)"),
	twoD("matyas", "0.26 (x^2 + y^2) - 0.48 xy; minimum 0 at (0, 0)", "(3, 1)"),
	twoD("three-hump-camel", "2x^2 - 1.05x^4 + x^6/6 + xy + y^2; minimum 0 at (0, 0), local minima at about (1.7476, -0.8738) and (-1.7476, 0.8738)", "(2, 2)"),
	twoD("six-hump-camel", "(4 - 2.1x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2; minimum -1.031628453489877 at (0.0898420, -0.7126564) and (-0.0898420, 0.7126564)", "(1, 1)"),
	twoD("goldstein-price", "[1 + (x+y+1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)] [30 + (2x-3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)]; minimum 3 at (0, -1)", "(0, 0)"),
	twoD("saddle", "x^2 - y^2: unbounded below, no minimum (a descent leaves along y; once f overflows the run ends Diverged)", "(1, 0.1)"),
}

// twoD is the registry entry of a two-dimensional function of (x, y) =
// (x_0, x_1).
func twoD(name, summary, start string) ProblemInfo {
	return ProblemInfo{Name: name, Summary: "f(x, y) = " + summary, Start: "(x, y) = " + start, DefaultDim: 2, MinDim: 2, MaxDim: 2}
}

// twoDStart holds the default start (x, y) of each two-dimensional problem,
// as ProblemInfo.Start states it.
var twoDStart = map[string][2]float64{
	"beale":            {1, 1},
	"himmelblau":       {0, 0},
	"booth":            {0, 0},
	"matyas":           {3, 1},
	"three-hump-camel": {2, 2},
	"six-hump-camel":   {1, 1},
	"goldstein-price":  {0, 0},
	"saddle":           {1, 0.1},
}

// Problems lists every objective the backends implement.
func Problems() []ProblemInfo { return problems }

// ProblemNames lists the problem names.
func ProblemNames() []string {
	n := make([]string, len(problems))
	for i, p := range problems {
		n[i] = p.Name
	}
	return n
}

// LookupProblem finds a problem by name.
func LookupProblem(name string) (ProblemInfo, bool) {
	for _, p := range problems {
		if p.Name == name {
			return p, true
		}
	}
	return ProblemInfo{}, false
}

// Job describes one descent: what to minimise, how, for how long and in
// which precision. The zero value is not valid; NewJob fills the defaults.
type Job struct {
	Problem   string    // registry name of the objective
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
	// docs/models.md). Dim must be ModelDim(Data, !NoIntercept).
	Data        *Data    `json:"-"` // the training and validation sets; a checkpoint keeps Data.Hash
	DataHash    string   // Data.Hash when the job was written (filled by WriteCheckpoint)
	DataSpec    DataSpec // where Data came from, so that a resumed run loads it again
	Loss        string   // linear: mse, mae, huber or logcosh
	Delta       float64  // huber's delta (torch.nn.HuberLoss), default 1
	L1, L2      float64  // penalties L1 ||W||_1 + L2/2 ||W||^2 on the weights (not the intercepts)
	NoIntercept bool     // fit z = W x without the intercept b
	BatchSize   int      // rows per step; 0 or >= Rows: the full batch (see Batch)
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
		Loss:       "mse",
		Delta:      1,
	}
}

// ErrInvalidJob wraps every Validate failure.
var ErrInvalidJob = errors.New("gdgpu: invalid job")

// Validate checks every field, naming the flag that is wrong.
func (j *Job) Validate() error { return j.validate(false) }

// validate is Validate; with stored, a model job may lack its Data (a
// checkpoint's job keeps DataHash only) and the data checks are skipped.
func (j *Job) validate(stored bool) error {
	// The inner errors (Schedule.Validate's among them) may carry the
	// package prefix already; the wrapped message has it once.
	wrap := func(err error) error {
		return fmt.Errorf("%w: %s", ErrInvalidJob, strings.TrimPrefix(err.Error(), "gdgpu: "))
	}
	p, ok := LookupProblem(j.Problem)
	if IsModel(j.Problem) {
		if err := j.validateModel(stored); err != nil {
			return wrap(err)
		}
		p = ProblemInfo{Name: j.Problem, MinDim: 1}
		ok = true
	}
	if !ok {
		return wrap(fmt.Errorf("--problem %q is unknown (known: %s)", j.Problem, strings.Join(append(ProblemNames(), ModelNames()...), ", ")))
	}
	if j.Dim < p.MinDim {
		return wrap(fmt.Errorf("--dim %d is too small: %s needs at least %d", j.Dim, p.Name, p.MinDim))
	}
	if p.MaxDim > 0 && j.Dim > p.MaxDim {
		return wrap(fmt.Errorf("--dim %d is too large: %s takes at most %d", j.Dim, p.Name, p.MaxDim))
	}
	if j.Dim > MaxDim {
		return wrap(fmt.Errorf("--dim %d exceeds the largest supported %d", j.Dim, MaxDim))
	}
	if math.IsNaN(j.Cond) || j.Cond < 1 || math.IsInf(j.Cond, 0) {
		return wrap(fmt.Errorf("--cond %g must be a finite number >= 1", j.Cond))
	}
	if j.Steps < 0 {
		return wrap(fmt.Errorf("--steps %d must be >= 0", j.Steps))
	}
	if j.LogEvery < 1 {
		return wrap(fmt.Errorf("--log-every %d must be >= 1", j.LogEvery))
	}
	if math.IsNaN(j.GradTol) || j.GradTol < 0 {
		return wrap(fmt.Errorf("--grad-tol %g must be >= 0", j.GradTol))
	}
	if math.IsNaN(j.FuncTol) || j.FuncTol < 0 {
		return wrap(fmt.Errorf("--func-tol %g must be >= 0", j.FuncTol))
	}
	if j.FuncWindow < 0 || (j.FuncTol > 0 && j.FuncWindow == 0) {
		return wrap(fmt.Errorf("--func-window %d must be >= 1 with --func-tol", j.FuncWindow))
	}
	if j.FuncWindow > maxHistory {
		// A checkpoint carries maxHistory losses: a longer window would make
		// a resumed run's rule fire later than an uninterrupted one's.
		return wrap(fmt.Errorf("--func-window %d must be at most %d", j.FuncWindow, maxHistory))
	}
	if j.HasTarget && (math.IsNaN(j.LossTarget) || math.IsInf(j.LossTarget, 0)) {
		return wrap(fmt.Errorf("--loss-target %g must be finite", j.LossTarget))
	}
	for _, c := range []struct {
		flag string
		v    float64
	}{{"--clip-grad-norm", j.ClipNorm}, {"--clip-grad-value", j.ClipValue}} {
		if math.IsNaN(c.v) || c.v < 0 || math.IsInf(c.v, 0) {
			return wrap(fmt.Errorf("%s %g must be a finite number >= 0", c.flag, c.v))
		}
	}
	if j.ClipNorm > 0 && j.ClipValue > 0 {
		return wrap(errors.New("--clip-grad-norm and --clip-grad-value cannot both be set"))
	}
	if j.TimeLimit < 0 {
		return wrap(fmt.Errorf("--time-limit %v must be >= 0", j.TimeLimit))
	}
	if j.CheckpointEvery < 0 {
		return wrap(fmt.Errorf("--checkpoint-every %d must be >= 0", j.CheckpointEvery))
	}
	if j.CheckpointInterval < 0 {
		return wrap(fmt.Errorf("--checkpoint-interval %v must be >= 0", j.CheckpointInterval))
	}
	if j.Precision != F32 && j.Precision != F64 {
		return wrap(fmt.Errorf("--precision %v is unknown", j.Precision))
	}
	if err := j.Optimizer.Validate(); err != nil {
		return wrap(err)
	}
	if err := j.Schedule.Validate(j.Steps); err != nil {
		return wrap(err)
	}
	return nil
}

// MaxDim is the largest parameter count a job may ask for: indices are
// 32-bit unsigned in the shaders, and grid-stride loops need headroom.
const MaxDim = 1<<31 - 1

// LR returns the scheduled learning rate of step t (0-based), before any
// plateau reduction (which depends on the losses seen; see Run). It costs
// O(t) for the recursive schedules: the driver walks them with Schedule.Seq.
func (j *Job) LR(t int) float64 { return j.Schedule.LR(j.Optimizer.LR, t) }

// StartPoint returns the start point x0 for the job: zeros for a model on
// data, else the problem's default (see ProblemInfo.Start) or, with RandomStart, x_i ~ U[-2, 2] drawn from a
// PCG generator seeded with Seed. Both backends start from this slice.
func (j *Job) StartPoint() []float64 {
	x := make([]float64, j.Dim)
	if IsModel(j.Problem) {
		// Models start from zero weights, as the textbooks start linear
		// models and the perceptron; the seed shuffles the batches.
		return x
	}
	if j.RandomStart {
		r := rand.New(rand.NewPCG(j.Seed, 0x9e3779b97f4a7c15))
		for i := range x {
			x[i] = 4*r.Float64() - 2
		}
		return x
	}
	switch j.Problem {
	case "rosenbrock":
		for i := range x {
			if i%2 == 0 {
				x[i] = -1.2
			} else {
				x[i] = 1
			}
		}
	case "rastrigin", "styblinski-tang", "levy", "ackley", "griewank":
		v := map[string]float64{"rastrigin": 2.5, "styblinski-tang": 0, "levy": -5, "ackley": 1.5, "griewank": 10}[j.Problem]
		for i := range x {
			x[i] = v
		}
	default:
		if s, ok := twoDStart[j.Problem]; ok && len(x) == 2 {
			x[0], x[1] = s[0], s[1]
			break
		}
		for i := range x {
			x[i] = 1
		}
	}
	return x
}

// QuadCoeff returns the quadratic's i-th coefficient c_i = cond^(i/(n-1)),
// computed the same way for every backend (GPU buffers are filled from it).
func QuadCoeff(i, n int, cond float64) float64 {
	if n <= 1 || cond == 1 {
		return 1
	}
	return math.Pow(cond, float64(i)/float64(n-1))
}
