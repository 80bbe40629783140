package cpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
	"gonum.org/v1/gonum/optimize"
)

// MaxMinimizeState bounds the memory, in bytes, that Minimize lets a
// method's own state take: BFGS keeps a dense N×N inverse-Hessian estimate
// (8·N² bytes), L-BFGS 2·History vectors of N (16·History·N bytes). Past
// it Minimize refuses the job instead of letting gonum's allocation panic
// or exhaust memory (gonum-bfgs with the default --dim 2^20 would need 8 TiB).
const MaxMinimizeState = 32 << 30

// Minimize runs a CPU-only method (gdgpu.OptimizerInfo.CPUOnly: gonum-lbfgs,
// gonum-bfgs, gonum-cg, gonum-gd) on job from x0 through gonum's
// optimize.Minimize, and returns the same Result as gdgpu.Run and the final
// parameters. The objective is this package's (the bits of Loss, Grad and
// GradNorm), evaluated in float64 on gonum's goroutines; hooks are called
// on the caller's goroutine.
//
// # Methods
//
//	gonum-lbfgs      &optimize.LBFGS{Store: int(History)}: two-loop recursion, Bisection line search (strong Wolfe)
//	gonum-bfgs       &optimize.BFGS{}: dense inverse Hessian, Bisection line search
//	gonum-cg         &optimize.CG{}: Hestenes-Stiefel β, More-Thuente line search (curvature 0.1),
//	                 FirstOrderStepSize initial steps, restarts every 6N iterations or when successive
//	                 gradients turn by more than arccos(-0.9)
//	gonum-gd         &optimize.GradientDescent{}: steepest descent, Backtracking (Armijo) line search,
//	                 QuadraticStepSize initial steps
//
// each with gonum's defaults except GradStopThreshold, which is NaN: the
// methods' own gradient test (infinity norm < 1e-12 by default) is off,
// so that the gradient rule is the job's alone.
//
// # Steps and samples
//
// A step is one major iteration of the method: one line search, with as
// many evaluations of the loss and gradient as it needs. Step 0 is x0
// (gonum counts it as a major iteration; Minimize does not). Samples
// (loss and gradient norm, the bits of Loss and GradNorm at that point)
// are taken at step 0, every job.LogEvery steps and at the final point,
// passed to hooks.Sample with lr NaN (these methods have no learning
// rate; NaN is "not applicable", where 0 would read as "not moving") and
// collected in Result.Samples. hooks.Issued is called after every step
// with the steps done. Result.Steps is the steps done, Result.StatusStep
// the step at which the status happened (always Result.Steps: the run
// stops there), Result.Final the sample at that point, Result.Elapsed the
// wall time of the whole call. Job fields that only the gradient-descent
// optimizers use (Schedule, Precision) are ignored.
//
// # Stopping rules
//
// The job's rules are checked at every step, not only on samples as
// gdgpu.Run does, and in Run's order, so the first one met stands:
//
//   - Diverged: the loss or gradient norm is NaN or ±Inf. gonum refuses a
//     non-finite start (optimize.ErrFunc, optimize.ErrGrad): Diverged at
//     step 0. Its FunctionNegativeInfinity status is Diverged too. Line
//     searches never accept a point whose loss is NaN, so a run that
//     starts finite seldom diverges: it stops where the line search fails.
//   - GradientThreshold: the gradient's Euclidean norm (GradNorm's) is at
//     most job.GradTol. This is Run's rule, not gonum's
//     Settings.GradientThreshold, which tests the infinity norm (strictly
//     less) and so would stop up to √N times early.
//   - FunctionThreshold: the loss is at most job.LossTarget (HasTarget).
//   - FunctionConvergence with job.FuncTol: gonum's FunctionConverge with
//     Relative = FuncTol and Iterations = FuncWindow·LogEvery, so the
//     window spans the same steps as Run's FuncWindow samples. The test
//     differs from Run's |f_k - f_{k-w}| <= FuncTol·|f_k|: gonum stops
//     when for Iterations consecutive steps the loss has not fallen below
//     the best loss so far by more than FuncTol·max(|f|, |f_best|),
//     checked at every step; a rise counts as no progress.
//   - StepLimit after job.Steps steps (Settings.MajorIterations =
//     job.Steps+1, as gonum counts x0).
//   - RuntimeLimit: job.TimeLimit as Settings.Runtime, checked by gonum
//     after each step, as Run checks between batches.
//   - Interrupted: ctx is checked after every evaluation and step (an
//     optimize.Recorder); the run stops at the last completed step.
//   - FunctionConvergence also when the method cannot go on: its line
//     search fails with optimize.ErrNoProgress (the trial point rounds to
//     the current one), ErrLinesearcherFailure, ErrLinesearcherBound or
//     ErrNonDescentDirection (the direction does not descend: the gradient
//     is zero or lost to rounding), or it breaks down: it evaluates a NaN
//     trial point (a NaN step or direction, as gonum's CG produces when
//     the gradient underflows) or takes more than 1000 evaluations (gonum's
//     line searches can loop forever on NaN). The loss can no longer
//     change, which is what FunctionConvergence reports; it happens at the
//     rounding floor, typically when GradTol is 0 or below what float64
//     resolves. (Diverged instead if the point is non-finite.)
//
// The error is non-nil when the job is invalid or not a CPU-only method
// (refused before any work, prefixed "cpu: "), or when gonum fails in a
// way not listed above; Result and the parameters then hold what was done.
//
// # Models on data
//
// On a model (gdgpu.IsModel) the objective is the model's full-batch
// training objective, mean loss plus penalties, with the bits of
// ModelLoss and ModelGrad; a sample's gradient norm and figures
// (accuracy, validation loss and accuracy) are the ones gdgpu.Run's
// samples of the model carry. A mini-batch (job.BatchSize below the rows)
// is refused: a line search compares values of one fixed function.
//
// Minimize refuses what CheckMinimize refuses, among them gradient clipping (job.ClipNorm, job.ClipValue): a
// line search needs the true gradient of the loss it measures, and a
// clipped one breaks the Wolfe conditions. It refuses a method whose state
// would exceed MaxMinimizeState.
func Minimize(ctx context.Context, job *gdgpu.Job, x0 []float64, hooks gdgpu.Hooks) (gdgpu.Result, []float64, error) {
	return minimize(ctx, job, x0, hooks, nil)
}

// minimize is Minimize; onIter, when set, is given each major iteration's
// point before hooks.Issued is called for it (Method keeps it, so that
// Params during a run returns the current iterate).
func minimize(ctx context.Context, job *gdgpu.Job, x0 []float64, hooks gdgpu.Hooks, onIter func(x []float64)) (gdgpu.Result, []float64, error) {
	method, err := minimizeMethod(job, x0)
	if err != nil {
		return gdgpu.Result{}, nil, err
	}
	r := &minimizeRun{ctx: ctx, job: job, hooks: hooks, logged: -1, onIter: onIter}
	if gdgpu.IsModel(job.Problem) {
		if r.model, err = newModel(job); err != nil {
			return gdgpu.Result{}, nil, err
		}
		defer r.model.Close()
	} else {
		if r.obj, err = newObjective(job, job.Dim); err != nil {
			return gdgpu.Result{}, nil, err
		}
		r.obj.precompute()
	}
	if job.FuncTol > 0 {
		r.fc = &optimize.FunctionConverge{Relative: job.FuncTol, Iterations: job.FuncWindow * job.LogEvery}
	}
	settings := &optimize.Settings{
		MajorIterations: job.Steps + 1,
		Runtime:         job.TimeLimit,
		Converger:       (*minimizeConverger)(r),
		Recorder:        (*minimizeRecorder)(r),
	}
	if job.Steps == math.MaxInt {
		settings.MajorIterations = 0 // no limit; gonum stops long before
	}
	prob := optimize.Problem{Func: r.loss, Grad: r.grad}

	r.start = time.Now()
	res, gerr := optimize.Minimize(prob, x0, settings, method)

	// The final point: gonum's, or x0 if it stopped before its first
	// major iteration (a non-finite start, or ctx already cancelled).
	x := make([]float64, job.Dim)
	copy(x, x0)
	if res != nil && len(res.X) == job.Dim && res.MajorIterations > 0 {
		copy(x, res.X)
		if res.MajorIterations > r.iter {
			// A major iteration the Converger did not see (gonum checks
			// for F = -Inf before calling it).
			r.last = gdgpu.Sample{Step: res.MajorIterations - 1, Loss: res.F, GradNorm: r.norm(res.Gradient)}
			r.iter = res.MajorIterations
		}
	}
	if r.iter == 0 {
		r.last = gdgpu.Sample{Step: 0, Loss: r.loss(x0), GradNorm: r.gradNorm(x0)}
	}
	k := r.last.Step

	var runErr error
	if r.status == gdgpu.NotTerminated {
		var ferr optimize.ErrFunc
		var gradErr optimize.ErrGrad
		switch {
		case errors.Is(gerr, errMinimizeInterrupted):
			r.status = gdgpu.Interrupted
		case errors.As(gerr, &ferr), errors.As(gerr, &gradErr):
			r.status = gdgpu.Diverged
		case errors.Is(gerr, errMinimizeBreakdown),
			errors.Is(gerr, optimize.ErrNoProgress), errors.Is(gerr, optimize.ErrLinesearcherFailure),
			errors.Is(gerr, optimize.ErrLinesearcherBound), errors.Is(gerr, optimize.ErrNonDescentDirection):
			r.status = gdgpu.FunctionConvergence
		case gerr != nil:
			runErr = fmt.Errorf("cpu: %s: %w", job.Optimizer.Name, gerr)
		case res == nil:
			runErr = fmt.Errorf("cpu: %s: gonum optimize returned no result", job.Optimizer.Name)
		default:
			switch res.Status {
			case optimize.IterationLimit:
				r.status = gdgpu.StepLimit
			case optimize.RuntimeLimit:
				r.status = gdgpu.RuntimeLimit
			case optimize.FunctionNegativeInfinity:
				r.status = gdgpu.Diverged
			default:
				runErr = fmt.Errorf("cpu: %s: gonum optimize ended with unexpected status %v", job.Optimizer.Name, res.Status)
			}
		}
	}
	if !minimizeFinite(r.last.Loss) || !minimizeFinite(r.last.GradNorm) {
		r.status = gdgpu.Diverged // outranks every other reason, as in Run
	}
	if r.logged != k {
		r.emit(r.last, x)
	}
	r.res.Status, r.res.StatusStep, r.res.Steps = r.status, k, k
	r.res.Elapsed = time.Since(r.start)
	if runErr != nil {
		r.res.Status = gdgpu.NotTerminated
	}
	return r.res, x, runErr
}

// CheckMinimize refuses a job that Minimize would refuse before any work:
// an invalid job (a model on mini-batches among them), an optimizer that is
// not CPU-only, gradient clipping or a learning-rate schedule (a line
// search needs the loss's own gradient and takes no learning rate), a
// model that does not fit in host memory (ErrTooBig), or method state
// above MaxMinimizeState.
func CheckMinimize(job *gdgpu.Job) error {
	if job == nil {
		return errors.New("cpu: nil job")
	}
	if err := job.Validate(); err != nil {
		return fmt.Errorf("cpu: %w", err)
	}
	name := job.Optimizer.Name
	info, _ := gdgpu.LookupOptimizer(name)
	if !info.CPUOnly {
		return fmt.Errorf("cpu: Minimize runs the CPU-only methods (gonum-lbfgs, gonum-bfgs, gonum-cg, gonum-gd), not %q: run it with gdgpu.Run on a Backend", name)
	}
	if job.ClipNorm > 0 || job.ClipValue > 0 {
		return gdgpu.FieldErrorf("%s does not take gradient clipping ({Job.ClipNorm}, {Job.ClipValue}): its line search needs the loss's own gradient", name).In("cpu")
	}
	if job.Schedule.Kind != "constant" || job.Schedule.Warmup > 0 {
		return gdgpu.FieldErrorf("%s takes no learning rate, so no {Schedule.Kind} or {Schedule.Warmup}: its line search chooses each step", name).In("cpu")
	}
	if gdgpu.IsModel(job.Problem) {
		if err := modelTooBig(job); err != nil {
			return err
		}
	}
	var state float64
	if info.GonumState != nil {
		state = info.GonumState(&job.Optimizer, job.Dim)
	}
	if state > MaxMinimizeState {
		return gdgpu.FieldErrorf("{Optimizer.Name} %s with {Job.Dim} %d would keep %.3g GiB of state, more than the %d GiB allowed (gonum-bfgs keeps 8*N^2 bytes, gonum-lbfgs 16*history*N): give a smaller {Job.Dim}",
			name, job.Dim, state/(1<<30), MaxMinimizeState>>30).In("cpu")
	}
	return nil
}

// minimizeMethod checks job and x0 and returns the gonum method for the
// job's optimizer.
func minimizeMethod(job *gdgpu.Job, x0 []float64) (optimize.Method, error) {
	if err := CheckMinimize(job); err != nil {
		return nil, err
	}
	if len(x0) != job.Dim {
		return nil, gdgpu.FieldErrorf("start point has %d values, job has {Job.Dim} %d", len(x0), job.Dim).In("cpu")
	}
	// The methods' own gradient test is off (GradStopThreshold NaN), see
	// Minimize.
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.Gonum != nil {
		return info.Gonum(&job.Optimizer), nil
	}
	return nil, fmt.Errorf("cpu: CPU-only optimizer %q has no gonum method", job.Optimizer.Name)
}

// Errors the Recorder returns to stop gonum: ctx is done, or the method
// broke down (see minimizeRecorder).
var (
	errMinimizeInterrupted = errors.New("cpu: interrupted")
	errMinimizeBreakdown   = errors.New("cpu: line search broke down")
)

// maxLineEvals bounds the evaluations of one line search. gonum's need far
// fewer (Backtracking halves from 1 to its 1e-20 floor in 67), but some
// loop forever on NaN trial points (CG's More-Thuente at the underflow
// floor, gonum v0.17.0); the bound stops any such loop.
const maxLineEvals = 1000

// minimizeRun is one Minimize call's state, shared by its Converger and
// Recorder (two types: both interfaces have an Init method).
type minimizeRun struct {
	ctx   context.Context
	job   *gdgpu.Job
	obj   objective // with precomputed coefficients
	model *Model    // a model on data's objective instead of obj's, or nil
	hooks gdgpu.Hooks
	start time.Time
	fc    *optimize.FunctionConverge // nil unless job.FuncTol > 0
	// onIter is given each major iteration's point (see minimize).
	onIter func(x []float64)

	iter   int          // major iterations seen; the next one is step iter
	evals  int          // evaluations since the latest major iteration
	last   gdgpu.Sample // at the latest major iteration
	logged int          // step of the latest sample emitted, -1 before any
	status gdgpu.Status // set by the Converger when a job rule stops the run
	res    gdgpu.Result
}

// loss is Loss on r's objective: the same code and summation tree, with
// the quadratic's coefficients read instead of computed, so the same bits
// without a math.Pow per element. It allocates nothing.
// On a model it is ModelLoss's.
func (r *minimizeRun) loss(x []float64) float64 {
	if r.model != nil {
		return r.model.at(nil, x)
	}
	return r.obj.loss(x)
}

// grad is Grad on r's objective (see loss); on a model ModelGrad's.
func (r *minimizeRun) grad(dst, x []float64) {
	if r.model != nil {
		r.model.at(dst, x)
		return
	}
	r.obj.gradient(dst, x)
}

// gradNorm is the gradient norm at x, as norm gives it.
func (r *minimizeRun) gradNorm(x []float64) float64 {
	if r.model == nil {
		return GradNorm(r.job, x)
	}
	g := make([]float64, len(x))
	r.grad(g, x)
	return r.norm(g)
}

// norm returns sqrt(Σ g_i²) with GradNorm's summation tree, so for the
// gradient at x it gives the bits of GradNorm(job, x); on a model, with a
// model sample's sum (sumSq). NaN for a missing gradient.
func (r *minimizeRun) norm(g []float64) float64 {
	if len(g) == 0 {
		return math.NaN()
	}
	if r.model != nil {
		return math.Sqrt(sumSq(g))
	}
	var t [chunk]float64
	var acc kern.Pairwise
	for lo := 0; lo < len(g); lo += chunk {
		hi := min(lo+chunk, len(g))
		s := t[:hi-lo]
		for j, v := range g[lo:hi] {
			s[j] = v * v
		}
		acc.Push(kern.LeafSum(s))
	}
	return math.Sqrt(acc.Sum())
}

// emit delivers the sample at x to the hook and the result, with a
// model's figures at x.
func (r *minimizeRun) emit(s gdgpu.Sample, x []float64) {
	if r.model != nil {
		r.model.sampleFigures(&s, x)
	}
	r.res.Samples = append(r.res.Samples, s)
	r.res.Final = s
	r.logged = s.Step
	if r.hooks.Sample != nil {
		r.hooks.Sample(s, math.NaN(), time.Since(r.start))
	}
}

func minimizeFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// minimizeConverger sees every major iteration (gonum calls it before its
// iteration and time limits): it takes the samples and applies the job's
// stopping rules.
type minimizeConverger minimizeRun

func (c *minimizeConverger) Init(dim int) {
	if c.fc != nil {
		c.fc.Init(dim)
	}
}

func (c *minimizeConverger) Converged(loc *optimize.Location) optimize.Status {
	r := (*minimizeRun)(c)
	k := r.iter
	r.iter++
	r.evals = 0
	s := gdgpu.Sample{Step: k, Loss: loc.F, GradNorm: r.norm(loc.Gradient)}
	r.last = s
	if r.onIter != nil {
		r.onIter(loc.X)
	}
	if k > 0 && r.hooks.Issued != nil {
		r.hooks.Issued(k)
	}
	if k%r.job.LogEvery == 0 {
		r.emit(s, loc.X)
	}
	job := r.job
	st := gdgpu.NotTerminated
	switch {
	case !minimizeFinite(s.Loss) || !minimizeFinite(s.GradNorm):
		st = gdgpu.Diverged
	case job.GradTol > 0 && s.GradNorm <= job.GradTol:
		st = gdgpu.GradientThreshold
	case job.HasTarget && s.Loss <= job.LossTarget:
		st = gdgpu.FunctionThreshold
	case r.fc != nil && r.fc.Converged(loc) != optimize.NotTerminated:
		st = gdgpu.FunctionConvergence
	}
	if st == gdgpu.NotTerminated {
		return optimize.NotTerminated
	}
	r.status = st
	// gonum only needs a terminating status; Minimize maps r.status.
	switch st {
	case gdgpu.GradientThreshold:
		return optimize.GradientThreshold
	case gdgpu.FunctionThreshold:
		return optimize.FunctionThreshold
	case gdgpu.FunctionConvergence:
		return optimize.FunctionConvergence
	}
	return optimize.Failure
}

// minimizeRecorder checks ctx after every evaluation and every major
// iteration that did not end the run, and stops a line search that has
// broken down: one that evaluates the loss at a point where it is NaN (its
// step or direction is NaN: our objectives give NaN only at a NaN point),
// or that runs past maxLineEvals evaluations.
type minimizeRecorder minimizeRun

func (*minimizeRecorder) Init() error { return nil }

func (rec *minimizeRecorder) Record(loc *optimize.Location, op optimize.Operation, _ *optimize.Stats) error {
	if op == optimize.PostIteration {
		return nil // the run has ended for another reason
	}
	if rec.ctx.Err() != nil {
		return errMinimizeInterrupted
	}
	if op&(optimize.FuncEvaluation|optimize.GradEvaluation|optimize.HessEvaluation) != 0 {
		rec.evals++
		if (op&optimize.FuncEvaluation != 0 && math.IsNaN(loc.F)) || rec.evals > maxLineEvals {
			return errMinimizeBreakdown
		}
	}
	return nil
}
