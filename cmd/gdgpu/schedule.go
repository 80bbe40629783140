package main

import (
	"fmt"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/spf13/pflag"
)

// schedParam is one learning-rate schedule parameter (gdgpu.ScheduleParam)
// with its flag.
type schedParam struct {
	gdgpu.ScheduleParam
	flag string // without dashes, e.g. "lr-gamma": the parameter's job-file key
}

// schedParams lists every schedule flag, in the library's order.
var schedParams = func() []schedParam {
	var ps []schedParam
	for _, p := range gdgpu.ScheduleParams() {
		ps = append(ps, schedParam{p, p.Key})
	}
	return ps
}()

// doc is p's one line with flags for the fields it names.
func (p schedParam) doc() string { return flagText(p.Doc) }

// defaultFor renders p's default for kind: its DefaultSchedule value,
// "required", or "--steps".
func (p schedParam) defaultFor(kind string) string {
	if p.RunLength(kind) {
		return "--steps"
	}
	if p.Required(kind) {
		return "required"
	}
	s, err := gdgpu.DefaultSchedule(kind)
	if err != nil {
		return "?"
	}
	v := p.Show(&s)
	if p.flag == "lr-max" && v == "0" {
		return "0 (--lr)"
	}
	return v
}

// defaultsHelp renders p's defaults for the help text, e.g.
// "0.1 for step, multistep; required for exponential".
func (p schedParam) defaultsHelp() string {
	kinds := p.Kinds
	if len(kinds) <= 1 {
		k := "constant"
		if len(kinds) == 1 {
			k = kinds[0]
		}
		if v := p.defaultFor(k); v != "--steps" {
			return v
		}
		return "the run's step count (--steps, or --epochs times a model's steps per epoch)"
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
		if p.Kinds != nil {
			which = strings.Join(p.Kinds, ", ")
		}
		usage := fmt.Sprintf("%s: %s (torch: %s; default: %s)", which, p.doc(), p.Torch, p.defaultsHelp())
		switch v := p.Value(&f.vals).(type) {
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
