package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/spf13/pflag"
)

// schedParam is one learning-rate schedule flag: the schedule kinds that
// read it, torch's name for it, and the gdgpu.Schedule field it sets.
type schedParam struct {
	flag  string   // without dashes, e.g. "lr-gamma"
	name  string   // the Schedule field, e.g. "Gamma" (gdgpu.FieldError names it)
	torch string   // the lr_scheduler argument
	kinds []string // the kinds that read it; nil: every kind (the warm-up)
	doc   string
	// field returns the Schedule field the flag sets: a *int, *float64,
	// *bool, *string or *[]int.
	field func(s *gdgpu.Schedule) any
}

// schedParams lists every schedule flag, in the order help and list show
// them. Their defaults are DefaultSchedule's, except the two that default
// to --steps (stepsDefault).
var schedParams = []schedParam{
	{"lr-step-size", "StepSize", "step_size", []string{"step"}, "steps between decays",
		func(s *gdgpu.Schedule) any { return &s.StepSize }},
	{"lr-gamma", "Gamma", "gamma", []string{"step", "multistep", "exponential"}, "decay factor",
		func(s *gdgpu.Schedule) any { return &s.Gamma }},
	{"lr-milestones", "Milestones", "milestones", []string{"multistep"}, "comma-separated, strictly increasing steps at which to decay",
		func(s *gdgpu.Schedule) any { return &s.Milestones }},
	{"lr-t-max", "TMax", "T_max", []string{"cosine"}, "half period: the step at which the cosine reaches --lr-eta-min",
		func(s *gdgpu.Schedule) any { return &s.TMax }},
	{"lr-eta-min", "EtaMin", "eta_min", []string{"cosine", "cosine-restarts"}, "lowest learning rate",
		func(s *gdgpu.Schedule) any { return &s.EtaMin }},
	{"lr-t0", "T0", "T_0", []string{"cosine-restarts"}, "steps until the first restart",
		func(s *gdgpu.Schedule) any { return &s.T0 }},
	{"lr-t-mult", "TMult", "T_mult", []string{"cosine-restarts"}, "period growth factor at each restart",
		func(s *gdgpu.Schedule) any { return &s.TMult }},
	{"lr-total-iters", "TotalIters", "total_iters", []string{"polynomial"}, "steps until the learning rate reaches 0",
		func(s *gdgpu.Schedule) any { return &s.TotalIters }},
	{"lr-power", "Power", "power", []string{"polynomial"}, "exponent of the polynomial decay",
		func(s *gdgpu.Schedule) any { return &s.Power }},
	{"lr-max", "MaxLR", "max_lr", []string{"onecycle"}, "peak learning rate (0: --lr)",
		func(s *gdgpu.Schedule) any { return &s.MaxLR }},
	{"lr-total-steps", "TotalSteps", "total_steps", []string{"onecycle"}, "steps in the cycle, at least --steps",
		func(s *gdgpu.Schedule) any { return &s.TotalSteps }},
	{"lr-pct-start", "PctStart", "pct_start", []string{"onecycle"}, "fraction of the cycle spent rising, in (0, 1)",
		func(s *gdgpu.Schedule) any { return &s.PctStart }},
	{"lr-div-factor", "DivFactor", "div_factor", []string{"onecycle"}, "starting lr = --lr-max / this",
		func(s *gdgpu.Schedule) any { return &s.DivFactor }},
	{"lr-final-div-factor", "FinalDivFactor", "final_div_factor", []string{"onecycle"}, "final lr = starting lr / this",
		func(s *gdgpu.Schedule) any { return &s.FinalDivFactor }},
	{"lr-three-phase", "ThreePhase", "three_phase", []string{"onecycle"}, "fall back to the starting lr before the final anneal",
		func(s *gdgpu.Schedule) any { return &s.ThreePhase }},
	{"lr-anneal", "AnnealStrategy", "anneal_strategy", []string{"onecycle"}, "annealing: cos or linear",
		func(s *gdgpu.Schedule) any { return &s.AnnealStrategy }},
	{"lr-cycle-momentum", "CycleMomentum", "cycle_momentum", []string{"onecycle"}, "cycle momentum (sgd, rmsprop) or beta1 (the Adam family) inversely to the lr; false keeps the optimizer's",
		func(s *gdgpu.Schedule) any { return &s.CycleMomentum }},
	{"lr-base-momentum", "BaseMomentum", "base_momentum", []string{"onecycle"}, "lowest cycled momentum or beta1, at the lr's peak",
		func(s *gdgpu.Schedule) any { return &s.BaseMomentum }},
	{"lr-max-momentum", "MaxMomentum", "max_momentum", []string{"onecycle"}, "highest cycled momentum or beta1, at the start and the end (it replaces --momentum or --beta1)",
		func(s *gdgpu.Schedule) any { return &s.MaxMomentum }},
	{"warmup-steps", "Warmup", "LinearLR total_iters", nil, "linear warm-up over this many steps (0: none)",
		func(s *gdgpu.Schedule) any { return &s.Warmup }},
	{"warmup-start-factor", "WarmupStartFactor", "LinearLR start_factor", nil, "warm-up starts at this fraction of the lr, in (0, 1]",
		func(s *gdgpu.Schedule) any { return &s.WarmupStartFactor }},
	{"warmup-sequential", "WarmupSequential", "SequentialLR", nil, "run the warm-up first, then the schedule from its own step 0 (torch's SequentialLR), instead of multiplying the two (ChainedScheduler)",
		func(s *gdgpu.Schedule) any { return &s.WarmupSequential }},
	{"plateau-factor", "Factor", "factor", []string{"plateau"}, "multiply the lr by this on a plateau, in [0, 1)",
		func(s *gdgpu.Schedule) any { return &s.Factor }},
	{"plateau-patience", "Patience", "patience", []string{"plateau"}, "samples without improvement tolerated",
		func(s *gdgpu.Schedule) any { return &s.Patience }},
	{"plateau-threshold", "Threshold", "threshold", []string{"plateau"}, "relative improvement that counts, in [0, 1)",
		func(s *gdgpu.Schedule) any { return &s.Threshold }},
	{"plateau-cooldown", "Cooldown", "cooldown", []string{"plateau"}, "samples ignored after a reduction",
		func(s *gdgpu.Schedule) any { return &s.Cooldown }},
	{"plateau-min-lr", "MinLR", "min_lr", []string{"plateau"}, "lower bound on the lr",
		func(s *gdgpu.Schedule) any { return &s.MinLR }},
}

// requiredParams are the arguments torch requires and DefaultSchedule
// leaves zero, by kind: Validate refuses them until they are given.
var requiredParams = map[string]string{
	"step":            "lr-step-size",
	"multistep":       "lr-milestones",
	"exponential":     "lr-gamma",
	"cosine-restarts": "lr-t0",
}

// stepsDefault are the parameters the command line defaults to --steps
// (torch requires them; DefaultSchedule leaves them zero).
var stepsDefault = map[string]string{
	"cosine":   "lr-t-max",
	"onecycle": "lr-total-steps",
}

func (p schedParam) appliesTo(kind string) bool {
	return p.kinds == nil || slices.Contains(p.kinds, kind)
}

// defaultFor renders p's default for kind: its DefaultSchedule value,
// "required", or "--steps".
func (p schedParam) defaultFor(kind string) string {
	if stepsDefault[kind] == p.flag {
		return "--steps"
	}
	if requiredParams[kind] == p.flag {
		return "required"
	}
	s, err := gdgpu.DefaultSchedule(kind)
	if err != nil {
		return "?"
	}
	v := p.show(&s)
	if p.flag == "lr-max" && v == "0" {
		return "0 (--lr)"
	}
	return v
}

// show renders p's field of s.
func (p schedParam) show(s *gdgpu.Schedule) string {
	switch v := p.field(s).(type) {
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
	panic("gdgpu: schedule flag --" + p.flag + " has a field of an unknown type")
}

// defaultsHelp renders p's defaults for the help text, e.g.
// "0.1 for step, multistep; required for exponential".
func (p schedParam) defaultsHelp() string {
	kinds := p.kinds
	if len(kinds) <= 1 {
		k := "constant"
		if len(kinds) == 1 {
			k = kinds[0]
		}
		if v := p.defaultFor(k); v != "--steps" {
			return v
		}
		return "the value of --steps"
	}
	byVal := map[string][]string{}
	var order []string
	for _, k := range kinds {
		v := p.defaultFor(k)
		if _, ok := byVal[v]; !ok {
			order = append(order, v)
		}
		byVal[v] = append(byVal[v], k)
	}
	parts := make([]string, len(order))
	for i, v := range order {
		parts[i] = v + " for " + strings.Join(byVal[v], ", ")
	}
	return strings.Join(parts, "; ")
}

// schedFlags holds the values of the schedule flags as parsed.
type schedFlags struct {
	kind string
	vals gdgpu.Schedule // each flag writes its own field here
}

// addScheduleFlags registers --schedule and every schedule parameter.
func addScheduleFlags(fs *pflag.FlagSet) *schedFlags {
	f := &schedFlags{}
	fs.StringVar(&f.kind, "schedule", "constant", "learning-rate schedule `KIND`: "+strings.Join(gdgpu.ScheduleNames(), ", ")+
		" (torch.optim.lr_scheduler's; gdgpu list shows them with their defaults)")
	for _, p := range schedParams {
		which := "every schedule"
		if p.kinds != nil {
			which = strings.Join(p.kinds, ", ")
		}
		usage := fmt.Sprintf("%s: %s (torch: %s; default: %s)", which, p.doc, p.torch, p.defaultsHelp())
		switch v := p.field(&f.vals).(type) {
		case *int:
			fs.IntVar(v, p.flag, 0, usage)
		case *float64:
			fs.Float64Var(v, p.flag, 0, usage)
		case *bool:
			fs.BoolVar(v, p.flag, false, usage)
		case *string:
			fs.StringVar(v, p.flag, "", usage)
		case *[]int:
			fs.IntSliceVar(v, p.flag, nil, usage)
		default:
			panic("gdgpu: schedule flag --" + p.flag + " has a field of an unknown type")
		}
	}
	return f
}

// changedSchedule returns the schedule flags given on the command line,
// --schedule first.
func changedSchedule(changed func(string) bool) []string {
	var given []string
	if changed("schedule") {
		given = append(given, "schedule")
	}
	for _, p := range schedParams {
		if changed(p.flag) {
			given = append(given, p.flag)
		}
	}
	return given
}

// build returns DefaultSchedule(--schedule) with the flags the user gave
// copied over it, and --lr-t-max (cosine) and --lr-total-steps (onecycle)
// set to steps unless given. A flag that the kind does not read is a usage
// error; the values themselves are checked by Job.Validate.
func (f *schedFlags) build(changed func(string) bool, steps int) (gdgpu.Schedule, error) {
	s, err := gdgpu.DefaultSchedule(f.kind)
	if err != nil {
		return s, usagef("%v", err)
	}
	for _, p := range schedParams {
		if !changed(p.flag) {
			continue
		}
		if !p.appliesTo(s.Kind) {
			return s, usagef("--%s does not apply to --schedule %s (%s)", p.flag, s.Kind, scheduleTakes(s.Kind))
		}
		switch dst := p.field(&s).(type) {
		case *int:
			*dst = *p.field(&f.vals).(*int)
		case *float64:
			*dst = *p.field(&f.vals).(*float64)
		case *bool:
			*dst = *p.field(&f.vals).(*bool)
		case *string:
			*dst = *p.field(&f.vals).(*string)
		case *[]int:
			*dst = slices.Clone(*p.field(&f.vals).(*[]int))
		}
	}
	if changed("warmup-start-factor") && !changed("warmup-steps") {
		return s, usagef("--warmup-start-factor needs --warmup-steps")
	}
	if s.Kind == "cosine" && !changed("lr-t-max") {
		s.TMax = max(steps, 1)
	}
	if s.Kind == "onecycle" && !changed("lr-total-steps") {
		s.TotalSteps = max(steps, 1)
	}
	return s, nil
}

// scheduleTakes says which flags a kind reads, e.g.
// "it takes --lr-step-size, --lr-gamma and the warm-up flags".
func scheduleTakes(kind string) string {
	var fl []string
	for _, p := range schedParams {
		if p.kinds != nil && p.appliesTo(kind) {
			fl = append(fl, "--"+p.flag)
		}
	}
	if len(fl) == 0 {
		return "it takes only --warmup-steps and --warmup-start-factor"
	}
	return "it takes " + strings.Join(fl, ", ") + ", --warmup-steps and --warmup-start-factor"
}

// describeSchedule renders a schedule for the run's first line, e.g.
// "step schedule step-size=10 gamma=0.5, warm-up 5 steps from 0.333";
// empty for the constant schedule without warm-up.
func describeSchedule(s *gdgpu.Schedule) string {
	var b strings.Builder
	if s.Kind != "constant" {
		fmt.Fprintf(&b, "%s schedule", s.Kind)
		for _, p := range schedParams {
			if p.kinds != nil && p.appliesTo(s.Kind) {
				v := p.show(s)
				if p.flag == "lr-max" && s.MaxLR == 0 {
					v = "--lr"
				}
				fmt.Fprintf(&b, " %s=%s", strings.TrimPrefix(p.flag, "lr-"), v)
			}
		}
	}
	if s.Warmup > 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "warm-up %d steps from %.6g", s.Warmup, s.WarmupStartFactor)
	}
	return b.String()
}
