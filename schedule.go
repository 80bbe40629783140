package gdgpu

import (
	"github.com/gdgpu/gdgpu/internal/kern"
	"math"
	"strings"
)

// Schedule describes a learning-rate schedule. Each kind follows one of
// torch.optim.lr_scheduler's schedulers (see Schedules and
// docs/schedules.md): the learning rate of step t (0-based) is the one
// torch's optimizer holds after t calls of scheduler.step(), the first
// optimizer step using the value the scheduler's constructor set.
//
// Zero values are not defaults: DefaultSchedule fills torch's defaults for a
// kind, and Validate refuses what is missing. Only the fields of Kind, and
// the warm-up fields, are read.
type Schedule struct {
	// Kind names the schedule: "constant", "step", "multistep",
	// "exponential", "cosine", "cosine-restarts", "polynomial", "onecycle"
	// or "plateau".
	Kind string

	StepSize   int     // step: decay every StepSize steps (torch: step_size)
	Gamma      float64 // step, multistep, exponential: decay factor (torch: gamma)
	Milestones []int   // multistep: strictly increasing steps at which to decay (torch: milestones)

	TMax   int     // cosine: half period in steps (torch: T_max)
	EtaMin float64 // cosine, cosine-restarts: lowest learning rate (torch: eta_min)
	T0     int     // cosine-restarts: steps until the first restart (torch: T_0)
	TMult  int     // cosine-restarts: period growth at each restart (torch: T_mult)

	TotalIters int     // polynomial: steps until the learning rate reaches 0 (torch: total_iters)
	Power      float64 // polynomial: exponent (torch: power)

	MaxLR          float64 // onecycle: peak learning rate; 0 means the optimizer's --lr (torch: max_lr)
	TotalSteps     int     // onecycle: steps in the cycle (torch: total_steps)
	PctStart       float64 // onecycle: fraction of the cycle spent rising (torch: pct_start)
	DivFactor      float64 // onecycle: starting lr = MaxLR/DivFactor (torch: div_factor)
	FinalDivFactor float64 // onecycle: final lr = starting lr/FinalDivFactor (torch: final_div_factor)
	ThreePhase     bool    // onecycle: fall back to the starting lr, then anneal (torch: three_phase)
	AnnealStrategy string  // onecycle: "cos" or "linear" (torch: anneal_strategy)
	// onecycle: cycle the optimizer's momentum (SGD, RMSprop) or beta1
	// (the Adam family) inversely to the learning rate, from MaxMomentum
	// down to BaseMomentum at the peak and back (torch: cycle_momentum,
	// base_momentum, max_momentum). See Momentum and Job.Validate.
	CycleMomentum             bool
	BaseMomentum, MaxMomentum float64

	// Warmup, when > 0, multiplies the learning rate of any kind by the
	// linear warm-up factor of torch's LinearLR(start_factor =
	// WarmupStartFactor, end_factor = 1, total_iters = Warmup):
	// WarmupStartFactor + (1-WarmupStartFactor)*t/Warmup for t < Warmup,
	// and exactly 1 from step Warmup on.
	Warmup            int
	WarmupStartFactor float64
	// WarmupSequential runs the warm-up first and the kind after it, from
	// the kind's own step 0, as torch's SequentialLR([LinearLR(...),
	// Kind(...)], milestones=[Warmup]) does, instead of multiplying the
	// two (ChainedScheduler). Before "onecycle" the warm-up rises to the
	// cycle's first rate, as in torch (see warmTo). Not with "plateau",
	// which SequentialLR does not take.
	WarmupSequential bool

	// plateau (torch's ReduceLROnPlateau in mode "min", threshold_mode
	// "rel", eps 1e-8): see Plateau.
	Factor    float64 // multiply the learning rate by Factor on a plateau (torch: factor)
	Patience  int     // samples without improvement tolerated (torch: patience)
	Threshold float64 // relative improvement that counts (torch: threshold)
	Cooldown  int     // samples ignored after a reduction (torch: cooldown)
	MinLR     float64 // lower bound on the learning rate (torch: min_lr)
}

// ScheduleInfo names a schedule kind, its torch.optim.lr_scheduler
// counterpart, and what it does.
type ScheduleInfo struct {
	Name    string
	Torch   string
	Summary string
}

var schedules = []ScheduleInfo{
	{"constant", "(no scheduler)", "lr = {Optimizer.lr} at every step"},
	{"step", "StepLR", "lr multiplied by {Schedule.Gamma} every {Schedule.StepSize} steps"},
	{"multistep", "MultiStepLR", "lr multiplied by {Schedule.Gamma} at each of {Schedule.Milestones}"},
	{"exponential", "ExponentialLR", "lr multiplied by {Schedule.Gamma} at every step"},
	{"cosine", "CosineAnnealingLR", "cosine from {Optimizer.lr} down to {Schedule.EtaMin} at step {Schedule.TMax} (and back up after it, as torch does)"},
	{"cosine-restarts", "CosineAnnealingWarmRestarts", "cosine from {Optimizer.lr} towards {Schedule.EtaMin}, restarting after {Schedule.T0} steps, each period {Schedule.TMult} times the last"},
	{"polynomial", "PolynomialLR", "lr*(1 - t/{Schedule.TotalIters})^{Schedule.Power}, then 0"},
	{"onecycle", "OneCycleLR", "rise from {Schedule.MaxLR}/{Schedule.DivFactor} to {Schedule.MaxLR}, then anneal to the start over {Schedule.FinalDivFactor}, in {Schedule.TotalSteps}"},
	{"plateau", "ReduceLROnPlateau", "lr multiplied by {Schedule.Factor} when the sampled loss stops improving for {Schedule.Patience} samples"},
}

// Schedules lists every schedule kind.
func Schedules() []ScheduleInfo { return schedules }

// ScheduleNames lists the schedule kinds' names.
func ScheduleNames() []string {
	n := make([]string, len(schedules))
	for i, s := range schedules {
		n[i] = s.Name
	}
	return n
}

// DefaultSchedule returns the schedule kind with torch's defaults for the
// fields torch gives defaults: gamma 0.1 (step, multistep), eta_min 0,
// T_mult 1, total_iters 5 and power 1 (polynomial), pct_start 0.3,
// div_factor 25, final_div_factor 1e4, anneal_strategy "cos",
// cycle_momentum true, base_momentum 0.85, max_momentum 0.95 (onecycle),
// factor 0.1, patience 10, threshold 1e-4, cooldown 0, min_lr 0 (plateau),
// and the warm-up start factor 1/3 (LinearLR). The arguments torch requires
// are left zero, and Validate refuses them until they are given: StepSize,
// Milestones, Gamma for exponential, TMax, T0 and TotalSteps. MaxLR 0 means
// the optimizer's learning rate is the peak.
func DefaultSchedule(kind string) (Schedule, error) {
	s := Schedule{Kind: kind, WarmupStartFactor: 1.0 / 3}
	switch kind {
	case "constant", "exponential", "cosine":
	case "step", "multistep":
		s.Gamma = 0.1
	case "cosine-restarts":
		s.TMult = 1
	case "polynomial":
		s.TotalIters, s.Power = 5, 1
	case "onecycle":
		s.PctStart, s.DivFactor, s.FinalDivFactor, s.AnnealStrategy = 0.3, 25, 1e4, "cos"
		s.CycleMomentum, s.BaseMomentum, s.MaxMomentum = true, 0.85, 0.95
	case "plateau":
		s.Factor, s.Patience, s.Threshold = 0.1, 10, 1e-4
	default:
		return Schedule{}, unknownSchedule(kind)
	}
	return s, nil
}

func unknownSchedule(kind string) error {
	return FieldErrorf("{Schedule.Kind} %q is unknown (known: %s)", kind, strings.Join(ScheduleNames(), ", "))
}

// Validate refuses parameters outside their ranges for a run of steps
// optimizer steps, with a *FieldError naming the field.
func (s Schedule) Validate(steps int) error {
	if s.Warmup < 0 {
		return FieldErrorf("{Schedule.Warmup} %d must be >= 0", s.Warmup)
	}
	if s.WarmupSequential && s.Kind == "plateau" {
		return FieldErrorf("{Schedule.WarmupSequential} does not go with {Schedule.Kind} plateau (torch's SequentialLR does not take ReduceLROnPlateau)")
	}
	if s.WarmupSequential && s.Warmup > 0 {
		steps = max(steps-s.Warmup, 0) // the kind runs after the warm-up
	}
	if s.Warmup > 0 && !(s.WarmupStartFactor > 0 && s.WarmupStartFactor <= 1) {
		return FieldErrorf("{Schedule.WarmupStartFactor} %g must be in (0, 1]", s.WarmupStartFactor)
	}
	switch s.Kind {
	case "constant":
		return nil
	case "step":
		return firstErr(atLeast("StepSize", s.StepSize, 1), positive("Gamma", s.Gamma))
	case "multistep":
		if len(s.Milestones) == 0 {
			return FieldErrorf("{Schedule.Milestones} is empty: multistep needs at least one")
		}
		for i, m := range s.Milestones {
			if m < 0 {
				return FieldErrorf("{Schedule.Milestones} %d must be >= 0", m)
			}
			if i > 0 && m <= s.Milestones[i-1] {
				return FieldErrorf("{Schedule.Milestones} must be strictly increasing (%d follows %d)", m, s.Milestones[i-1])
			}
		}
		return positive("Gamma", s.Gamma)
	case "exponential":
		return positive("Gamma", s.Gamma)
	case "cosine":
		return firstErr(atLeast("TMax", s.TMax, 1), nonNegative("EtaMin", s.EtaMin))
	case "cosine-restarts":
		return firstErr(atLeast("T0", s.T0, 1), atLeast("TMult", s.TMult, 1), nonNegative("EtaMin", s.EtaMin))
	case "polynomial":
		return firstErr(atLeast("TotalIters", s.TotalIters, 1), positive("Power", s.Power))
	case "onecycle":
		return s.validateOneCycle(steps)
	case "plateau":
		if !(s.Factor >= 0 && s.Factor < 1) {
			return FieldErrorf("{Schedule.Factor} %g must be in [0, 1)", s.Factor)
		}
		if !(s.Threshold >= 0 && s.Threshold < 1) {
			return FieldErrorf("{Schedule.Threshold} %g must be in [0, 1)", s.Threshold)
		}
		return firstErr(atLeast("Patience", s.Patience, 0), atLeast("Cooldown", s.Cooldown, 0),
			nonNegative("MinLR", s.MinLR))
	}
	return unknownSchedule(s.Kind)
}

func (s Schedule) validateOneCycle(steps int) error {
	if err := firstErr(nonNegative("MaxLR", s.MaxLR), atLeast("TotalSteps", s.TotalSteps, 1),
		positive("DivFactor", s.DivFactor), positive("FinalDivFactor", s.FinalDivFactor)); err != nil {
		return err
	}
	if s.TotalSteps < steps {
		// torch raises once stepped past total_steps.
		return FieldErrorf("{Schedule.TotalSteps} %d is less than {Job.Steps} %d", s.TotalSteps, steps)
	}
	if s.CycleMomentum {
		if err := firstErr(nonNegative("BaseMomentum", s.BaseMomentum), nonNegative("MaxMomentum", s.MaxMomentum)); err != nil {
			return err
		}
	}
	if s.AnnealStrategy != "cos" && s.AnnealStrategy != "linear" {
		return FieldErrorf("{Schedule.AnnealStrategy} %q must be cos or linear", s.AnnealStrategy)
	}
	if !(s.PctStart > 0 && s.PctStart < 1) {
		return FieldErrorf("{Schedule.PctStart} %g must be in (0, 1)", s.PctStart)
	}
	// Every phase must span some steps: torch divides by its length.
	all, n := s.phases(1)
	ph := all[:n]
	if ph[0].end <= 0 {
		return FieldErrorf("{Schedule.PctStart} %g leaves no rising phase in {Schedule.TotalSteps} %d (need pct-start*total-steps > 1)", s.PctStart, s.TotalSteps)
	}
	if n := len(ph); ph[n-1].end <= ph[n-2].end {
		return FieldErrorf("{Schedule.PctStart} %g leaves no final phase in {Schedule.TotalSteps} %d", s.PctStart, s.TotalSteps)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// atLeast, positive and nonNegative refuse a value of the Schedule's
// field called name.
func atLeast(name string, v, min int) error {
	if v < min {
		return FieldErrorf("{Schedule."+name+"} %d must be >= %d", v, min)
	}
	return nil
}

func positive(name string, v float64) error {
	if !(v > 0) || math.IsInf(v, 0) {
		return FieldErrorf("{Schedule."+name+"} %g must be a finite number > 0", v)
	}
	return nil
}

func nonNegative(name string, v float64) error {
	if !(v >= 0) || math.IsInf(v, 0) {
		return FieldErrorf("{Schedule."+name+"} %g must be a finite number >= 0", v)
	}
	return nil
}

// LR returns the learning rate of step t (0-based; t < 0 counts as 0) for
// the optimizer's learning rate base: the value torch's optimizer holds
// after t calls of scheduler.step(), times the warm-up factor.
//
// The kinds torch computes recursively (step, multistep, exponential,
// cosine, polynomial) are computed by the same recursion, so LR costs O(t)
// for them; a driver walking through the steps in order should use Seq.
//
// For "plateau", LR returns base times the warm-up factor: pass the
// current Plateau.LR() as base.
func (s Schedule) LR(base float64, t int) float64 {
	t = max(t, 0)
	if in, ok := s.sequential(); ok {
		if t < s.Warmup {
			return in.warmTo(base) * s.warm(t)
		}
		return in.LR(base, t-s.Warmup)
	}
	switch s.Kind {
	case "step", "multistep", "exponential", "cosine", "polynomial":
		q := s.Seq(base)
		for range t {
			q.Next()
		}
		return q.Next()
	}
	return s.direct(base, t) * s.warm(t)
}

// LRSeq produces a schedule's learning rates for steps 0, 1, 2, ... in
// O(1) per step, carrying torch's recursion. Make one with Schedule.Seq.
type LRSeq struct {
	s    Schedule
	base float64
	t    int     // the step Next returns next
	lr   float64 // the kind's lr at step t-1 (torch: group["lr"])
	cos  float64 // cosine: cos(pi*(t-1)/T_max)
	mi   int     // multistep: index of the next milestone
	// in is the kind's own sequence after a sequential warm-up (nil
	// otherwise): it starts at step 0 when the warm-up ends.
	in *LRSeq
}

// sequential returns the kind without its warm-up, and true, when the
// warm-up runs before it (WarmupSequential).
func (s Schedule) sequential() (Schedule, bool) {
	if !s.WarmupSequential || s.Warmup <= 0 {
		return s, false
	}
	in := s
	in.Warmup, in.WarmupSequential = 0, false
	return in, true
}

// warmTo is the rate a sequential warm-up before kind s rises to, for the
// optimizer's rate base. torch's LinearLR scales group["initial_lr"],
// which OneCycleLR's constructor sets to max_lr/div_factor: the warm-up
// rises to the cycle's first rate, not to base.
func (s Schedule) warmTo(base float64) float64 {
	if s.Kind != "onecycle" {
		return base
	}
	peak := s.MaxLR
	if peak == 0 {
		peak = base
	}
	return peak / s.DivFactor
}

// Seq returns the sequence of learning rates for base, starting at step 0.
// Its values equal LR(base, t).
func (s Schedule) Seq(base float64) *LRSeq {
	q := &LRSeq{s: s, base: base}
	if in, ok := s.sequential(); ok {
		q.in = in.Seq(base)
	}
	return q
}

// Step returns the step whose learning rate Next returns next.
func (q *LRSeq) Step() int { return q.t }

// Next returns the learning rate of step Step() and moves on to the next step.
func (q *LRSeq) Next() float64 {
	s, t := q.s, q.t
	q.t++
	if q.in != nil {
		if t < s.Warmup {
			return q.in.s.warmTo(q.base) * s.warm(t)
		}
		return q.in.Next()
	}
	switch s.Kind {
	case "step", "multistep", "exponential", "cosine", "polynomial":
	default:
		return s.direct(q.base, t) * s.warm(t)
	}
	if t == 0 {
		// The constructor's initial step keeps the optimizer's lr
		// (MultiStepLR excepted, for a milestone at 0).
		q.lr, q.cos = q.base, 1
	}
	switch s.Kind {
	case "step": // StepLR.get_lr
		if t > 0 && t%s.StepSize == 0 {
			q.lr *= s.Gamma
		}
	case "multistep": // MultiStepLR.get_lr (milestones are distinct)
		if q.mi < len(s.Milestones) && s.Milestones[q.mi] == t {
			q.lr *= s.Gamma
			q.mi++
		}
	case "exponential": // ExponentialLR.get_lr
		if t > 0 {
			q.lr *= s.Gamma
		}
	case "polynomial": // PolynomialLR.get_lr
		if t > 0 && t <= s.TotalIters {
			n := float64(s.TotalIters)
			q.lr *= kern.Pow((1-float64(t)/n)/(1-float64(t-1)/n), s.Power)
		}
	case "cosine": // CosineAnnealingLR.get_lr, the chainable form
		if t == 0 {
			break
		}
		n := float64(s.TMax)
		c := cosRN(math.Pi * float64(t) / n)
		if t-1 >= s.TMax && (t-1-s.TMax)%(2*s.TMax) == 0 {
			// Python's (t-1-T_max) % (2*T_max) == 0: the step after a trough.
			q.lr += float64(float64((q.base-s.EtaMin)*(1-cosRN(math.Pi/n))) / 2) // rounded: no FMA
		} else {
			// float64() keeps the product rounded: no fused multiply-add.
			q.lr = float64((1+c)/(1+q.cos)*(q.lr-s.EtaMin)) + s.EtaMin
		}
		q.cos = c
	}
	return q.lr * s.warm(t)
}

// direct returns the learning rate of step t for the kinds torch computes
// from t alone (the warm-up factor aside).
func (s Schedule) direct(base float64, t int) float64 {
	switch s.Kind {
	case "cosine-restarts":
		// CosineAnnealingWarmRestarts.get_lr, with T_cur and T_i as its
		// step() leaves them after t steps.
		cur, ti := t, s.T0
		if s.TMult == 1 {
			cur %= ti
		}
		for cur >= ti {
			cur -= ti
			if ti > math.MaxInt/s.TMult {
				break // the next period outlasts any run
			}
			ti *= s.TMult
		}
		return s.EtaMin + float64((base-s.EtaMin)*(1+cosRN(math.Pi*float64(cur)/float64(ti)))/2) // rounded: no FMA
	case "onecycle":
		return s.oneCycle(base, t)
	}
	return base // constant; plateau (the driver passes Plateau.LR() as base)
}

// phase is one phase of OneCycleLR: it ends at step end (a float, as in
// torch) going from lr from to lr to, and from momentum mFrom to mTo.
type phase struct{ end, from, to, mFrom, mTo float64 }

// phases returns OneCycleLR's _schedule_phases for the peak lr maxLR: the
// first n of ph (an array, so that a step's lookup allocates nothing).
func (s Schedule) phases(maxLR float64) ([3]phase, int) {
	initial := maxLR / s.DivFactor
	final := initial / s.FinalDivFactor
	n := float64(s.TotalSteps)
	rise := float64(s.PctStart*n) - 1
	lo, hi := s.BaseMomentum, s.MaxMomentum
	if s.ThreePhase {
		return [3]phase{{rise, initial, maxLR, hi, lo}, {float64(2*s.PctStart*n) - 2, maxLR, initial, lo, hi}, {n - 1, initial, final, hi, hi}}, 3
	}
	return [3]phase{{rise, initial, maxLR, hi, lo}, {n - 1, maxLR, final, lo, hi}}, 2
}

// oneCycle is OneCycleLR.get_lr at step t. Past TotalSteps, where torch
// raises, it holds the value at TotalSteps.
func (s Schedule) oneCycle(base float64, t int) float64 {
	peak := s.MaxLR
	if peak == 0 {
		peak = base
	}
	p, pct := s.cyclePhase(peak, t)
	return s.anneal(p.from, p.to, pct)
}

// Momentum returns the momentum (SGD, RMSprop) or beta1 (the Adam family)
// of step t (0-based, as LR counts), and true, when the schedule cycles
// it: OneCycleLR's computed_momentum after t calls of scheduler.step().
// Otherwise it returns 0 and false, and the optimizer's own value holds.
func (s Schedule) Momentum(t int) (float64, bool) {
	if s.Kind != "onecycle" || !s.CycleMomentum {
		return 0, false
	}
	if in, ok := s.sequential(); ok {
		// OneCycleLR's constructor set max_momentum; SequentialLR steps
		// it only from the warm-up's end, from its own step 0.
		if t < s.Warmup {
			return s.MaxMomentum, true
		}
		return in.Momentum(t - s.Warmup)
	}
	p, pct := s.cyclePhase(1, t) // the phases' steps do not depend on the peak lr
	return s.anneal(p.mFrom, p.mTo, pct), true
}

// cyclePhase finds step t's phase and how far into it t is, as
// OneCycleLR.get_lr walks _schedule_phases.
func (s Schedule) cyclePhase(peak float64, t int) (phase, float64) {
	step := float64(min(max(t, 0), s.TotalSteps))
	all, n := s.phases(peak)
	ph := all[:n]
	start := 0.0
	for i, p := range ph {
		if step <= p.end || i == len(ph)-1 {
			return p, (step - start) / (p.end - start)
		}
		start = p.end
	}
	panic("unreachable")
}

// anneal is OneCycleLR's _anneal_func from a to b at pct.
func (s Schedule) anneal(a, b, pct float64) float64 {
	if s.AnnealStrategy == "linear" { // OneCycleLR._annealing_linear
		return float64((b-a)*pct) + a
	}
	// OneCycleLR._annealing_cos
	return b + float64((a-b)/2*(cosRN(math.Pi*pct)+1))
}

// warm returns the warm-up factor of step t: LinearLR's closed form
// (_get_closed_form_lr) with end_factor 1, and exactly 1 once warmed up.
func (s Schedule) warm(t int) float64 {
	if t >= s.Warmup {
		return 1
	}
	return s.WarmupStartFactor + (1-s.WarmupStartFactor)*float64(t)/float64(s.Warmup)
}

// plateauEps is ReduceLROnPlateau's default eps: a reduction smaller than
// this is ignored.
const plateauEps = 1e-8

// Plateau is the state machine of torch's ReduceLROnPlateau (mode "min",
// threshold_mode "rel", eps 1e-8). Feed it each sampled loss with Observe,
// in step order, and run the next steps with Schedule.LR(p.LR(), t).
// The driver sees losses only at sample times, with the read-back lag, so
// reductions happen there (see docs/schedules.md).
type Plateau struct {
	factor, threshold, minLR float64
	patience, cooldown       int

	lr      float64 // the current learning rate
	best    float64 // the best loss so far (torch: best)
	bad     int     // samples without improvement (torch: num_bad_epochs)
	cooling int     // samples left in cooldown (torch: cooldown_counter)
}

// NewPlateau returns a tracker for the validated plateau schedule s,
// starting at learning rate base.
func NewPlateau(s Schedule, base float64) *Plateau {
	return &Plateau{
		factor: s.Factor, threshold: s.Threshold, minLR: s.MinLR,
		patience: s.Patience, cooldown: s.Cooldown,
		lr: base, best: math.Inf(1),
	}
}

// Observe takes one sampled loss, as torch's scheduler.step(loss) does, and
// returns the learning rate from now on.
func (p *Plateau) Observe(loss float64) (lr float64) {
	if loss < p.best*(1-p.threshold) { // _is_better, mode min, rel
		p.best, p.bad = loss, 0
	} else {
		p.bad++ // NaN counts as no improvement, as in torch
	}
	if p.cooling > 0 {
		p.cooling--
		p.bad = 0
	}
	if p.bad > p.patience { // _reduce_lr
		next := float64(p.lr * p.factor)
		if p.minLR > next {
			next = p.minLR
		}
		if p.lr-next > plateauEps {
			p.lr = next
		}
		p.cooling, p.bad = p.cooldown, 0
	}
	return p.lr
}

// LR returns the current learning rate.
func (p *Plateau) LR() float64 { return p.lr }

// cosRN returns cos(x) rounded to nearest, as a correctly rounded libm
// (glibc's, which torch's Python uses, is in all but about 0.1% of
// arguments) gives it. Go's math.Cos is off by an ulp for about a quarter of
// the arguments schedules use, and 1 + cos(x) near a trough turns one ulp
// into a relative error of 1e-11 and more. x is reduced by pi/2 in three
// parts and the Taylor series summed in double-double arithmetic, so the
// result is good to about 2^-100 before the final rounding.
func cosRN(x float64) float64 {
	x = math.Abs(x)
	if !(x < 1<<30) {
		return math.Cos(x) // NaN, Inf, or beyond any schedule's arguments
	}
	const (
		// pi/2 = p1 + p2 + p3 + O(2^-164)
		p1 = 0x1.921fb54442d18p+0
		p2 = 0x1.1a62633145c07p-54
		p3 = -0x1.f1976b7ed8fbcp-110
	)
	k := math.Round(x * (2 / math.Pi))
	h1, h2 := float64(k*p1), float64(k*p2) // rounded: no fused multiply-add below
	// x - h1 is exact (Sterbenz); k*p1 and k*p2 are exact as h + l.
	r := dd{x - h1, 0}.add(dd{-math.FMA(k, p1, -h1), 0}).add(dd{-h2, -math.FMA(k, p2, -h2)}).add(dd{-float64(k * p3), 0})
	r2 := r.mul(r)
	one := dd{1, 0}
	v := one
	q := int64(k) & 3
	if q&1 == 0 { // cos r = 1 - r^2/2!(1 - r^2/(3*4)(1 - ...))
		for n := 15.0; n >= 1; n-- {
			v = one.add(r2.mul(v).div((2*n - 1) * (2 * n)).neg())
		}
	} else { // sin r = r(1 - r^2/3!(1 - r^2/(4*5)(1 - ...)))
		for n := 15.0; n >= 1; n-- {
			v = one.add(r2.mul(v).div(2 * n * (2*n + 1)).neg())
		}
		v = r.mul(v)
	}
	if q == 1 || q == 2 {
		v = v.neg()
	}
	return v.hi + v.lo
}

// dd is a double-double number hi + lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	return s, (a - (s - bb)) + (b - bb)
}

func fastTwoSum(a, b float64) (s, e float64) { // |a| >= |b|
	s = a + b
	return s, b - (s - a)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) add(y dd) dd {
	s, e := twoSum(x.hi, y.hi)
	t, f := twoSum(x.lo, y.lo)
	s, e = fastTwoSum(s, e+t)
	s, e = fastTwoSum(s, e+f)
	return dd{s, e}
}

func (x dd) mul(y dd) dd {
	p := float64(x.hi * y.hi)
	e := math.FMA(x.hi, y.hi, -p) + float64(x.hi*y.lo) + float64(x.lo*y.hi)
	p, e = fastTwoSum(p, e)
	return dd{p, e}
}

func (x dd) div(d float64) dd {
	q := x.hi / d
	p := float64(q * d)
	r := x.hi - p - math.FMA(q, d, -p) + x.lo
	q, r = fastTwoSum(q, r/d)
	return dd{q, r}
}
