package gdgpu

import (
	"slices"
	"strconv"
	"strings"
)

// ScheduleParam describes one parameter of the learning-rate schedules: the
// Schedule field it sets, its job-file key, torch's name for it, and the
// kinds that read it.
// A front end lists, sets and shows the parameters through these values
// (the CLI's flags, job files and help), as it does an optimizer's through
// its Hyper.
type ScheduleParam struct {
	Field string // the Schedule field, e.g. "Gamma"; a FieldError names it {Schedule.Gamma}
	// Key names it in a job file (package jobfile), e.g. "lr-gamma"; the
	// command line's flag takes the same name.
	Key   string
	Torch string   // the lr_scheduler argument, e.g. "gamma"
	Kinds []string // the kinds that read it; nil: every kind (the warm-up)
	Doc   string   // one line; fields in braces (NameFields)
	// Value returns the field in s: an *int, *float64, *bool, *string
	// or *[]int.
	Value func(s *Schedule) any
}

// scheduleParams lists every parameter, in the order help shows them.
// Their defaults are DefaultSchedule's, except RunLength's.
var scheduleParams = []ScheduleParam{
	{"StepSize", "lr-step-size", "step_size", []string{"step"}, "steps between decays",
		func(s *Schedule) any { return &s.StepSize }},
	{"Gamma", "lr-gamma", "gamma", []string{"step", "multistep", "exponential"}, "decay factor",
		func(s *Schedule) any { return &s.Gamma }},
	{"Milestones", "lr-milestones", "milestones", []string{"multistep"}, "comma-separated, strictly increasing steps at which to decay",
		func(s *Schedule) any { return &s.Milestones }},
	{"TMax", "lr-t-max", "T_max", []string{"cosine"}, "half period: the step at which the cosine reaches {Schedule.EtaMin}",
		func(s *Schedule) any { return &s.TMax }},
	{"EtaMin", "lr-eta-min", "eta_min", []string{"cosine", "cosine-restarts"}, "lowest learning rate",
		func(s *Schedule) any { return &s.EtaMin }},
	{"T0", "lr-t0", "T_0", []string{"cosine-restarts"}, "steps until the first restart",
		func(s *Schedule) any { return &s.T0 }},
	{"TMult", "lr-t-mult", "T_mult", []string{"cosine-restarts"}, "period growth factor at each restart",
		func(s *Schedule) any { return &s.TMult }},
	{"TotalIters", "lr-total-iters", "total_iters", []string{"polynomial"}, "steps until the learning rate reaches 0",
		func(s *Schedule) any { return &s.TotalIters }},
	{"Power", "lr-power", "power", []string{"polynomial"}, "exponent of the polynomial decay",
		func(s *Schedule) any { return &s.Power }},
	{"MaxLR", "lr-max", "max_lr", []string{"onecycle"}, "peak learning rate (0: {Optimizer.lr})",
		func(s *Schedule) any { return &s.MaxLR }},
	{"TotalSteps", "lr-total-steps", "total_steps", []string{"onecycle"}, "steps in the cycle, at least {Job.Steps}",
		func(s *Schedule) any { return &s.TotalSteps }},
	{"PctStart", "lr-pct-start", "pct_start", []string{"onecycle"}, "fraction of the cycle spent rising, in (0, 1)",
		func(s *Schedule) any { return &s.PctStart }},
	{"DivFactor", "lr-div-factor", "div_factor", []string{"onecycle"}, "starting lr = {Schedule.MaxLR} / this",
		func(s *Schedule) any { return &s.DivFactor }},
	{"FinalDivFactor", "lr-final-div-factor", "final_div_factor", []string{"onecycle"}, "final lr = starting lr / this",
		func(s *Schedule) any { return &s.FinalDivFactor }},
	{"ThreePhase", "lr-three-phase", "three_phase", []string{"onecycle"}, "fall back to the starting lr before the final anneal",
		func(s *Schedule) any { return &s.ThreePhase }},
	{"AnnealStrategy", "lr-anneal", "anneal_strategy", []string{"onecycle"}, "annealing: cos or linear",
		func(s *Schedule) any { return &s.AnnealStrategy }},
	{"CycleMomentum", "lr-cycle-momentum", "cycle_momentum", []string{"onecycle"}, "cycle momentum (sgd, rmsprop) or beta1 (the Adam family) inversely to the lr; false keeps the optimizer's",
		func(s *Schedule) any { return &s.CycleMomentum }},
	{"BaseMomentum", "lr-base-momentum", "base_momentum", []string{"onecycle"}, "lowest cycled momentum or beta1, at the lr's peak",
		func(s *Schedule) any { return &s.BaseMomentum }},
	{"MaxMomentum", "lr-max-momentum", "max_momentum", []string{"onecycle"}, "highest cycled momentum or beta1, at the start and the end (it replaces {Optimizer.momentum} or {Optimizer.beta1})",
		func(s *Schedule) any { return &s.MaxMomentum }},
	{"Warmup", "warmup-steps", "LinearLR total_iters", nil, "linear warm-up over this many steps (0: none)",
		func(s *Schedule) any { return &s.Warmup }},
	{"WarmupStartFactor", "warmup-start-factor", "LinearLR start_factor", nil, "warm-up starts at this fraction of the lr, in (0, 1]",
		func(s *Schedule) any { return &s.WarmupStartFactor }},
	{"WarmupSequential", "warmup-sequential", "SequentialLR", nil, "run the warm-up first, then the schedule from its own step 0 (torch's SequentialLR), instead of multiplying the two (ChainedScheduler)",
		func(s *Schedule) any { return &s.WarmupSequential }},
	{"Factor", "plateau-factor", "factor", []string{"plateau"}, "multiply the lr by this on a plateau, in [0, 1)",
		func(s *Schedule) any { return &s.Factor }},
	{"Patience", "plateau-patience", "patience", []string{"plateau"}, "samples without improvement tolerated",
		func(s *Schedule) any { return &s.Patience }},
	{"Threshold", "plateau-threshold", "threshold", []string{"plateau"}, "relative improvement that counts, in [0, 1)",
		func(s *Schedule) any { return &s.Threshold }},
	{"Cooldown", "plateau-cooldown", "cooldown", []string{"plateau"}, "samples ignored after a reduction",
		func(s *Schedule) any { return &s.Cooldown }},
	{"MinLR", "plateau-min-lr", "min_lr", []string{"plateau"}, "lower bound on the lr",
		func(s *Schedule) any { return &s.MinLR }},
}

// ScheduleParams lists the schedules' parameters, in the order help shows
// them; the slice is the caller's.
func ScheduleParams() []ScheduleParam { return slices.Clone(scheduleParams) }

// scheduleRequired are the arguments torch requires and DefaultSchedule
// leaves zero, by kind: Validate refuses them until they are given.
var scheduleRequired = map[string]string{
	"step":            "StepSize",
	"multistep":       "Milestones",
	"exponential":     "Gamma",
	"cosine-restarts": "T0",
}

// scheduleRunLength are the arguments torch requires that a run defaults
// to its own length (Job.Steps), by kind.
var scheduleRunLength = map[string]string{
	"cosine":   "TMax",
	"onecycle": "TotalSteps",
}

// AppliesTo says whether the schedule kind reads p.
func (p ScheduleParam) AppliesTo(kind string) bool {
	return p.Kinds == nil || slices.Contains(p.Kinds, kind)
}

// Required says whether torch requires p for kind and DefaultSchedule
// leaves it zero, so that Validate refuses kind until it is given.
func (p ScheduleParam) Required(kind string) bool { return scheduleRequired[kind] == p.Field }

// RunLength says whether p is the argument of kind that torch requires
// and that a run defaults to its own length (Job.Steps): cosine's T_max
// and onecycle's total_steps.
func (p ScheduleParam) RunLength(kind string) bool { return scheduleRunLength[kind] == p.Field }

// Show renders p's field of s: a number as %g with 6 digits, a list
// comma-separated ("none" when empty).
func (p ScheduleParam) Show(s *Schedule) string {
	switch v := p.Value(s).(type) {
	case *int:
		return strconv.Itoa(*v)
	case *float64:
		return strconv.FormatFloat(*v, 'g', 6, 64)
	case *bool:
		return strconv.FormatBool(*v)
	case *string:
		return *v
	case *[]int:
		if len(*v) == 0 {
			return "none"
		}
		parts := make([]string, len(*v))
		for i, m := range *v {
			parts[i] = strconv.Itoa(m)
		}
		return strings.Join(parts, ",")
	}
	panic("gdgpu: schedule parameter " + p.Field + " has a field of an unknown type")
}

// Copy sets p's field of dst to src's (a list is copied, not shared; an
// empty one is nil).
func (p ScheduleParam) Copy(dst, src *Schedule) {
	switch d := p.Value(dst).(type) {
	case *int:
		*d = *p.Value(src).(*int)
	case *float64:
		*d = *p.Value(src).(*float64)
	case *bool:
		*d = *p.Value(src).(*bool)
	case *string:
		*d = *p.Value(src).(*string)
	case *[]int:
		*d = append([]int(nil), *p.Value(src).(*[]int)...)
	default:
		panic("gdgpu: schedule parameter " + p.Field + " has a field of an unknown type")
	}
}
