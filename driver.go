package gdgpu

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Result is what Run returns: why the run stopped, where, and the samples
// read back along the way.
type Result struct {
	Status     Status        // why the run stopped
	StatusStep int           // the step at which Status happened
	Steps      int           // optimizer steps issued to the backend
	Final      Sample        // the last sample read back
	Samples    []Sample      // every sample read back, in step order
	Elapsed    time.Duration // wall time from the first step to the last sample read back

	// StartStep is the step the run started at: that of the checkpoint
	// RunFrom resumed, 0 for Run. Steps and StatusStep count from the
	// first run's start; StepsRun is this run's share.
	StartStep int

	// On Diverged: BadIndex is the parameter index of the first
	// non-finite value (StatusStep its step), -1 when the backend could
	// not name one; KeptStep is the step of the last finite state, which
	// the backend was reverted to (Params and Snapshot give it), -1 when
	// none was kept. Both are -1 for every other status.
	BadIndex int
	KeptStep int

	// Iterations and Evaluations are the optimizer's own counts, where its
	// backend keeps them (a Counter: L-BFGS's n_iter and func_evals), from
	// the first run's start, resumed runs included; 0 otherwise (a step of
	// the other rules is one iteration and one evaluation).
	Iterations  int
	Evaluations int

	// Counts are a Counter's counts after each batch of steps the driver
	// issued (every sample point among them) and at the run's first step,
	// in step order; nil for optimizers that are not Closure ones (whose
	// step is one iteration and one evaluation). Two runs whose counts differ
	// at a step took other branches (a line search's decisions, torch's
	// stopping tests) before it, and Compare judges them only up to there.
	Counts []StepCounts
}

// StepCounts is a Counter's iterations and evaluations at the point before
// step Step.
type StepCounts struct {
	Step                    int
	Iterations, Evaluations int
}

// Counter is a Backend whose optimizer counts its own iterations and loss
// and gradient evaluations, several per step (torch's L-BFGS): Counts
// gives them from Load on (a restored state's included).
type Counter interface {
	Counts() (iterations, evaluations int)
}

// ErrNonFiniteStart is returned by Run, before any step, when the loss or
// gradient at the start point is NaN or infinite.
var ErrNonFiniteStart = errors.New("gdgpu: the loss at the start point is not finite")

// Hooks observe a run. Every field may be nil.
type Hooks struct {
	// Sample is called for each sample as it is read back, in step order,
	// with the learning rate of that step and the wall time since the run
	// started (taken at read-back, so at most the read-back lag late).
	Sample func(s Sample, lr float64, elapsed time.Duration)
	// Issued is called after each batch of steps is issued, with the number
	// of steps issued so far.
	Issued func(done int)
	// Checkpoint, when set, is given a Checkpoint at step boundaries: every
	// Job.CheckpointEvery steps, once Job.CheckpointInterval has passed since
	// the last one, and at the end of the run (interruption included) unless
	// it diverged. The samples before that step have been read back and the
	// state is finite. The Checkpoint's slices are reused: the hook must not
	// keep them. An error ends the run with that error.
	Checkpoint func(c *Checkpoint) error
}

// maxBatch bounds the steps issued in one Backend.Step call, so that a
// cancelled context stops the run within that many steps whatever LogEvery is.
const maxBatch = 64

// Run drives backend b through job from x0: it issues steps in batches that
// end at log points, asks for a Sample at step 0, every LogEvery steps and
// at the final point, and stops with exactly one Status:
//
//   - StepLimit after job.Steps steps;
//   - Interrupted when ctx is cancelled, RuntimeLimit past job.TimeLimit:
//     both checked between batches (at most 64 steps), reported at the step
//     boundary where the run stopped;
//   - Diverged on a non-finite loss, gradient or state value (the
//     backend's record of the first one names its step and index),
//     GradientThreshold,
//     FunctionThreshold and FunctionConvergence on the job's rules: all
//     checked on samples as they are read back, reported at the sample's
//     step. Read-back is asynchronous, so by then the backend has run
//     further: at most 64 sample intervals (the GPU's ring of read-back
//     slots), typically one or two. Result.Steps says how far.
//
// Diverged outranks every other status; otherwise the first reason found
// stands. The error is non-nil only when the backend failed, when the
// start point's loss or gradient is not finite (ErrNonFiniteStart: Run
// reads the step-0 sample back before the first step and refuses to run),
// or when Hooks.Checkpoint failed: mid-run that ends the run at once; at
// the end, the Result is complete (final sample, status) beside the error.
//
// A job whose optimizer runs its own iterations (OptimizerInfo.CPUOnly:
// gonum-lbfgs, gonum-bfgs, gonum-cg and gonum-gd, whose line searches
// evaluate as often as they need) is handed whole to a backend that is
// SelfDriven (the one cpu.Open makes for it), with the same hooks,
// samples and statuses; such a run cannot be checkpointed (gonum keeps its
// state), so Hooks.Checkpoint must be nil, and RunFrom refuses it.
//
// At each sample point Run asks the backend to Keep the state (two slots:
// a new copy replaces the older one only once the newer is known finite,
// so one known-finite copy always survives). On Diverged it Reverts the
// backend to the newest kept state before the first non-finite value, so
// the parameters a caller reads afterwards are finite (Result.KeptStep).
func Run(ctx context.Context, job *Job, b Backend, x0 []float64, hooks Hooks) (Result, error) {
	return run(ctx, job, b, x0, nil, hooks)
}

// RunFrom continues the run that wrote cp: it checks that job may resume
// it (Checkpoint.Compatible), restores the backend's and the driver's
// state and runs on to job.Steps as Run does. On the backend that wrote cp
// the result is bit for bit what one uninterrupted run gives
// (docs/checkpoints.md). Result.Samples and Elapsed cover this run only;
// Steps and StatusStep count from the start of the first run.
func RunFrom(ctx context.Context, job *Job, b Backend, cp *Checkpoint, hooks Hooks) (Result, error) {
	return run(ctx, job, b, nil, cp, hooks)
}

// SelfDriven is a Backend that runs a whole job itself rather than step
// by step: the CPU backend of the methods that drive their own line
// searches (OptimizerInfo.CPUOnly). Run hands it such a job.
type SelfDriven interface {
	Backend
	// RunJob runs job from x0 to its end as Run documents, calling hooks
	// (all but Checkpoint) as Run does; Params then gives the final point.
	RunJob(ctx context.Context, job *Job, x0 []float64, hooks Hooks) (Result, error)
}

func run(ctx context.Context, job *Job, b Backend, x0 []float64, from *Checkpoint, hooks Hooks) (Result, error) {
	if err := job.Validate(); err != nil {
		return Result{}, err
	}
	if info, _ := LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
		sd, ok := b.(SelfDriven)
		switch {
		case !ok:
			return Result{}, fmt.Errorf("gdgpu: optimizer %s runs its own iterations (%s) on the CPU; backend %s cannot run it (cpu.Open makes one that can)", info.Name, info.Torch, b.Name())
		case from != nil || hooks.Checkpoint != nil:
			return Result{}, fmt.Errorf("gdgpu: optimizer %s runs its own iterations (%s), which cannot be checkpointed or resumed", info.Name, info.Torch)
		}
		return sd.RunJob(ctx, job, x0, hooks)
	}
	t0 := 0
	if from != nil {
		if err := from.Compatible(job); err != nil {
			return Result{}, err
		}
		if err := b.Restore(&from.State); err != nil {
			return Result{}, err
		}
		t0 = from.Driver.Step
	} else {
		if len(x0) != job.Dim {
			return Result{}, FieldErrorf("start point has %d values, job has {Job.Dim} %d", len(x0), job.Dim)
		}
		if err := b.Load(x0); err != nil {
			return Result{}, err
		}
	}
	// Steps counts from the first run's start, also when this one issues
	// none (a checkpoint already at job.Steps, an interruption at once).
	res := Result{Steps: t0, StartStep: t0, BadIndex: -1, KeptStep: -1}
	lrs := make([]float64, 0, maxBatch)
	buf := make([]Sample, 0, 16)
	start := time.Now()

	// The start point's sample, read back before any step: a run from a
	// point whose loss is not finite is refused.
	if err := b.Record(); err != nil {
		return res, err
	}
	var err error
	if buf, err = b.Samples(buf[:0], true); err != nil {
		return res, err
	}
	if len(buf) != 1 || buf[0].Step != t0 {
		return res, fmt.Errorf("gdgpu: backend %s gave %d samples for the start point", b.Name(), len(buf))
	}
	if s0 := buf[0]; !s0.Finite() {
		at := ""
		if s0.NonFinite {
			at = fmt.Sprintf(", first non-finite value at index %d", s0.BadIndex)
		}
		return res, fmt.Errorf("%w: loss %v, gradient norm %v%s; refused before the first step",
			ErrNonFiniteStart, s0.Loss, s0.GradNorm, at)
	}
	startSample := buf[:1:1]
	buf = make([]Sample, 0, 16)

	// Kept states: slot steps (-1: empty), and the newest step known
	// finite from the samples read back.
	kept := [2]int{-1, -1}
	clean := -1
	keep := func(t int) error {
		k := 0
		switch {
		case kept[0] < 0:
		case kept[1] < 0:
			k = 1
		default:
			newer := 0
			if kept[1] > kept[0] {
				newer = 1
			}
			if kept[newer] > clean {
				return nil // the newer copy is not known finite yet: keep both
			}
			k = 1 - newer
		}
		kept[k] = t
		return b.Keep(k)
	}

	// stop ends the run with st at step, unless a status is already set:
	// the first reason found is the one reported.
	stop := func(st Status, step int) {
		if res.Status == NotTerminated {
			res.Status, res.StatusStep = st, step
		}
	}
	var history []float64 // losses of the samples so far, for FuncTol
	if from != nil {
		history = append(history, from.Driver.History...)
	}

	// Learning rates: the schedule walked step by step, both backends
	// getting the same numbers. ReduceLROnPlateau sees the losses as they
	// are read back, so its reductions land at read-back time.
	seq := job.Schedule.Seq(job.Optimizer.LR)
	var plateau *Plateau
	if job.Schedule.Kind == "plateau" {
		plateau = NewPlateau(job.Schedule, job.Optimizer.LR)
	}
	if from != nil {
		restoreDriver(from, seq, plateau)
	}
	nextLR := func(t int) float64 {
		if plateau != nil {
			return job.Schedule.LR(plateau.LR(), t)
		}
		return seq.Next()
	}
	// The lr of each recorded step, so a sample is reported with its lr.
	type stepLR struct {
		step int
		lr   float64
	}
	var recorded []stepLR
	lrOf := func(step int) float64 {
		for len(recorded) > 0 && recorded[0].step < step {
			recorded = recorded[1:]
		}
		if len(recorded) > 0 && recorded[0].step == step {
			return recorded[0].lr
		}
		return math.NaN() // not reached: every sample's step was recorded
	}

	// take consumes read-back samples up to the first non-finite one and
	// checks the sample-based stopping rules; it reports whether the run
	// diverged.
	take := func(ss []Sample) bool {
		if res.Status == Diverged {
			return true
		}
		for _, s := range ss {
			res.Samples = append(res.Samples, s)
			res.Final = s
			if hooks.Sample != nil {
				hooks.Sample(s, lrOf(s.Step), time.Since(start))
			}
			// Samples off the LogEvery cadence (the final point, a resumed
			// run's start) feed neither the plateau nor the FuncTol history,
			// so a resumed run sees what an uninterrupted one saw.
			onCadence := s.Step%job.LogEvery == 0
			if plateau != nil && finite(s.Loss) && onCadence {
				plateau.Observe(s.Loss)
			}
			if !s.Finite() {
				// Non-finite values outrank any other reason: the state is bad.
				// The backend's record names the first value, else the sample.
				res.Status, res.StatusStep = Diverged, s.Step
				if s.NonFinite {
					res.StatusStep, res.BadIndex = s.BadStep, s.BadIndex
				}
				return true
			}
			clean = max(clean, s.Step)
			switch {
			case job.GradTol > 0 && s.GradNorm <= job.GradTol:
				stop(GradientThreshold, s.Step)
			case job.HasTarget && s.Loss <= job.LossTarget:
				stop(FunctionThreshold, s.Step)
			case job.FuncTol > 0 && len(history) >= job.FuncWindow &&
				math.Abs(s.Loss-history[len(history)-job.FuncWindow]) <= job.FuncTol*math.Abs(s.Loss):
				stop(FunctionConvergence, s.Step)
			}
			if onCadence {
				history = append(history, s.Loss)
			}
		}
		return false
	}

	// checkpoint reads back every sample recorded so far, then, unless the
	// run diverged, hands the state at step t to hooks.Checkpoint.
	var ck Checkpoint
	lastCk := time.Now()
	checkpoint := func(t int) error {
		lastCk = time.Now()
		var err error
		if buf, err = b.Samples(buf[:0], true); err != nil {
			return err
		}
		if take(buf) {
			return nil
		}
		if clean < t {
			// No sample has shown the state at t finite (t is off the
			// LogEvery cadence): evaluate it, for this check alone (the
			// sample goes to no hook, rule or result), and keep the last
			// checkpoint rather than write a state that diverged.
			if err := b.Record(); err != nil {
				return err
			}
			if buf, err = b.Samples(buf[:0], true); err != nil {
				return err
			}
			if len(buf) != 1 || buf[0].Step != t {
				return fmt.Errorf("gdgpu: backend %s gave %d samples for the checkpoint at step %d", b.Name(), len(buf), t)
			}
			if !buf[0].Finite() {
				return nil
			}
		}
		return takeCheckpoint(&ck, job, b, t, seq, plateau, history, hooks.Checkpoint)
	}
	ckDue := func(t int) bool {
		if hooks.Checkpoint == nil {
			return false
		}
		return (job.CheckpointEvery > 0 && t%job.CheckpointEvery == 0) ||
			(job.CheckpointInterval > 0 && time.Since(lastCk) >= job.CheckpointInterval)
	}

	// Models on data: the driver owns the batch order. It gives every
	// backend the same EpochOrder at each epoch's first step (and at the
	// start), and never issues steps of two epochs in one Step call.
	var (
		orderer         Orderer
		order           []int32
		batch, perEpoch int
		shuffled        bool
	)
	if job.Data != nil {
		var ok bool
		if orderer, ok = b.(Orderer); !ok {
			return res, fmt.Errorf("gdgpu: backend %s does not train models on data", b.Name())
		}
		batch, perEpoch = Batches(job.BatchSize, job.Data.Rows)
		shuffled = batch < job.Data.Rows
		order = make([]int32, job.Data.Rows)
		EpochOrder(order, job.Seed, t0/perEpoch, batch)
		if err := orderer.SetOrder(t0/perEpoch, order); err != nil {
			return res, err
		}
	}

	// Only a rule that counts its own iterations (a Closure one) has
	// counts that can differ; the others' would be zeros.
	counter, _ := b.(Counter)
	if info, _ := LookupOptimizer(job.Optimizer.Name); !info.Closure {
		counter = nil
	}
	count := func(t int) {
		if counter != nil {
			it, ev := counter.Counts()
			res.Counts = append(res.Counts, StepCounts{t, it, ev})
		}
	}
	count(t0)
	t := t0
	for t < job.Steps && res.Status == NotTerminated {
		if ctx.Err() != nil {
			stop(Interrupted, t)
			break
		}
		if job.TimeLimit > 0 && time.Since(start) >= job.TimeLimit {
			stop(RuntimeLimit, t)
			break
		}
		k := min(job.LogEvery-t%job.LogEvery, job.Steps-t, maxBatch)
		if hooks.Checkpoint != nil && job.CheckpointEvery > 0 {
			k = min(k, job.CheckpointEvery-t%job.CheckpointEvery)
		}
		if shuffled {
			if t%perEpoch == 0 && t > t0 {
				EpochOrder(order, job.Seed, t/perEpoch, batch)
				if err := orderer.SetOrder(t/perEpoch, order); err != nil {
					return res, err
				}
			}
			k = min(k, perEpoch-t%perEpoch)
		}
		lrs = lrs[:k]
		for j := range lrs {
			lrs[j] = nextLR(t + j)
		}
		record := t%job.LogEvery == 0
		if record || t == t0 {
			recorded = append(recorded, stepLR{t, lrs[0]})
		}
		// Keep the state at every sample point, and at the start, known
		// finite from its sample (a resumed run's may be off the cadence:
		// without it a divergence before its first sample point had no
		// finite state to end on).
		if record || t == t0 {
			if err := keep(t); err != nil {
				return res, err
			}
		}
		if err := b.Step(lrs, record && t > t0); err != nil {
			return res, err
		}
		t += k
		res.Steps = t
		count(t)
		if hooks.Issued != nil {
			hooks.Issued(t)
		}
		if buf, err = b.Samples(buf[:0], false); err != nil {
			return res, err
		}
		if startSample != nil {
			buf = append(startSample, buf...)
			startSample = nil
		}
		take(buf)
		if res.Status == NotTerminated && t < job.Steps && ckDue(t) {
			if err := checkpoint(t); err != nil {
				var he *hookError
				if errors.As(err, &he) {
					err = he.err // mid-run, the hook's failure ends the run at once
				}
				return res, err
			}
		}
	}
	// The final checkpoint's failure is returned once the run is whole
	// (its final sample read, its status set), so that the caller can still
	// write what else it writes of it.
	var ckErr error
	if hooks.Checkpoint != nil && res.Status != Diverged && startSample == nil {
		if err := checkpoint(t); err != nil {
			var he *hookError
			if !errors.As(err, &he) {
				return res, err // the backend failed: nothing to finish
			}
			ckErr = he.err
		}
	}
	if startSample != nil {
		// No step ran: the start point is the final point.
		recorded = append(recorded, stepLR{t0, nextLR(t0)})
		take(startSample)
	} else if res.Status != Diverged {
		// The final point, so that every run reports the loss it ends at,
		// with the lr the next step would take.
		recorded = append(recorded, stepLR{t, nextLR(t)})
		if err := b.Record(); err != nil {
			return res, err
		}
	}
	if buf, err = b.Samples(buf[:0], true); err != nil {
		return res, err
	}
	take(buf)
	if c, ok := b.(Counter); ok {
		// Before a revert: the evaluations made, not the kept state's.
		res.Iterations, res.Evaluations = c.Counts()
	}
	if res.Status == Diverged {
		// End on the newest kept state before the first bad value.
		k := -1
		for i, step := range kept {
			if step >= 0 && step < res.StatusStep && (k < 0 || step > kept[k]) {
				k = i
			}
		}
		if k >= 0 {
			if err := b.Revert(k); err != nil {
				return res, err
			}
			res.KeptStep = kept[k]
		}
	}
	res.Elapsed = time.Since(start)
	stop(StepLimit, t)
	return res, ckErr
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
