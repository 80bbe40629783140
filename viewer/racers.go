package viewer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// A RacerSpec is one racer as its user describes it: an optimizer and the
// hyperparameters of its own, which override the ones every racer shares
// (RaceRequest.Job).
type RacerSpec struct {
	Optimizer string
	// Settings are the racer's own hyperparameters in the order given, by
	// the names Optimizer.Takes reads; a switch is 0 or 1. lr among them
	// sets the racer's learning rate.
	Settings []Setting
	// Text is how the racer was written (ParseRacer's text), which the
	// refusals about it quote; "" names it by its optimizer.
	Text string
}

// A Setting is one of a racer's own hyperparameters.
type Setting struct {
	Name  string
	Value float64
}

// ParseRacer reads a racer written as an optimizer's name, then its own
// settings as name=value, e.g. "adam lr=0.05 beta1=0.8" or "sgd
// momentum=0.9 nesterov=true": a value is a finite number, or true or
// false for a switch (1 and 0); a name may keep a flag's leading dashes
// (--lr=0.1). Whether the optimizer takes the names is RaceRequest.Build's
// to check, with the rest of the job.
func ParseRacer(text string) (RacerSpec, error) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return RacerSpec{}, gdgpu.FieldErrorf("{RacerSpec.Text} %q: give an optimizer, then key=value settings", text).In("viewer")
	}
	rs := RacerSpec{Optimizer: fields[0], Text: text}
	if _, ok := gdgpu.LookupOptimizer(rs.Optimizer); !ok {
		return RacerSpec{}, gdgpu.FieldErrorf("{RacerSpec.Text} %q: optimizer %q is unknown (%s)", text, rs.Optimizer, gdgpu.KnownOptimizers(rs.Optimizer)).In("viewer")
	}
	seen := map[string]bool{}
	for _, kv := range fields[1:] {
		key, val, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return RacerSpec{}, gdgpu.FieldErrorf("{RacerSpec.Text} %q: %q is not key=value", text, kv).In("viewer")
		}
		key = strings.TrimPrefix(key, "--")
		if seen[key] {
			return RacerSpec{}, gdgpu.FieldErrorf("{RacerSpec.Text} %q: %s is given twice", text, key).In("viewer")
		}
		seen[key] = true
		x, err := strconv.ParseFloat(val, 64)
		if b, berr := strconv.ParseBool(val); berr == nil {
			x, err = 0, nil
			if b {
				x = 1
			}
		}
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return RacerSpec{}, gdgpu.FieldErrorf("{RacerSpec.Text} %q: %s=%s is not a finite number (or true/false)", text, key, val).In("viewer")
		}
		rs.Settings = append(rs.Settings, Setting{key, x})
	}
	return rs, nil
}

// ParseRacers reads a list of optimizers separated by commas ("adam,sgd"),
// each a racer with the shared settings only. Blanks around a name are
// dropped; an empty or repeated name is refused. Whether a name is known
// is RaceRequest.Build's to check, with the rest of the job.
func ParseRacers(list string) ([]RacerSpec, error) {
	var specs []RacerSpec
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			return nil, gdgpu.FieldErrorf("{Optimizer.Name} %q: give distinct optimizer names separated by commas", list).In("viewer")
		}
		seen[name] = true
		specs = append(specs, RacerSpec{Optimizer: name})
	}
	return specs, nil
}

// where is the start of a refusal about the racer: its text as written,
// or its optimizer; the mark is in the format, the value in the args.
func (rs *RacerSpec) where() (string, []any) {
	if rs.Text != "" {
		return "{RacerSpec.Text} %q", []any{rs.Text}
	}
	return "{Optimizer.Name} %s", []any{rs.Optimizer}
}

// refuse is a refusal about the racer: where, then format.
func (rs *RacerSpec) refuse(format string, args ...any) *gdgpu.FieldError {
	w, wargs := rs.where()
	return gdgpu.FieldErrorf(w+": "+format, append(wargs, args...)...).In("viewer")
}

// MaxRaceValues caps the parameter values a race of a projected problem
// keeps (every point of every trajectory, for the projection): 2^24
// float64s, 128 MiB.
const MaxRaceValues = 1 << 24

// A RaceRequest is a race as a user chooses it: racers that share a job's
// settings and each add their own, sampled every Every steps and drawn in
// panels of Width x Height pixels, over Bounds. Build checks that they go
// together and makes each racer's job.
type RaceRequest struct {
	// Job holds the settings every racer shares (its Purpose should be
	// gdgpu.PurposeRace); each racer's Optimizer replaces Job.Optimizer,
	// and Job.Hyper must suit every racer's optimizer.
	Job    gdgpu.JobRequest
	Racers []RacerSpec
	// Every is how often, in steps, the races' parameters and samples are
	// recorded (each job's LogEvery).
	Every int
	// Width and Height are each panel's size in pixels (the picture is
	// twice as wide): at least MinPanel's for the racers.
	Width, Height int
	// Bounds is the landscape's box x0,x1,y0,y1; nil: the trajectories'
	// extent. A projected problem (Projected) has no landscape and takes
	// none.
	Bounds []float64
}

// A BuiltRacer is one racer as RaceRequest.Build makes it.
type BuiltRacer struct {
	// Job is the racer's validated job, LogEvery set to Every.
	Job gdgpu.Job
	// Name is the racer's legend name: its optimizer and its own settings
	// but lr, which Race.Title shows ("sgd momentum=0.9").
	Name string
	// Start is the start point the request's InitFile gave; nil:
	// Job.StartPoint().
	Start []float64
	// Data is a model's data as loaded; nil for a test function.
	Data *gdgpu.LoadedData
}

// Build makes each racer's job from the shared request and the racer's
// own settings, and checks the race: every racer known, with settings its
// optimizer takes, CPU-only methods on the CPU only, no racer given twice
// (the same optimizer, settings and lr, however written), two parameters or more, panels
// of MinPanel's size at least, no Bounds for a projected problem, and at
// most MaxRaceValues kept for its projection. A refusal of the shared
// request is JobRequest.Build's (or cpu.CheckMinimize's for a CPU-only
// method); the race's own are *gdgpu.FieldError.
func (r *RaceRequest) Build() ([]BuiltRacer, error) {
	if r.Every < 1 {
		return nil, gdgpu.FieldErrorf("{RaceRequest.Every} %d must be >= 1", r.Every).In("viewer")
	}
	if len(r.Racers) == 0 {
		return nil, gdgpu.FieldErrorf("{RaceRequest.Racers}: give one racer or more").In("viewer")
	}
	seen := map[gdgpu.Optimizer]bool{}
	built := make([]BuiltRacer, 0, len(r.Racers))
	for i := range r.Racers {
		rs := &r.Racers[i]
		b, err := r.racer(rs)
		if err != nil {
			return nil, err
		}
		// Racers share all but the optimizer: two with the same one, its
		// settings however written (in another order, or a default
		// given), would draw one path over the other.
		if seen[b.Job.Optimizer] {
			return nil, rs.refuse("the racer %q is given twice", fmt.Sprintf("%s lr %g", b.Name, b.Job.Optimizer.LR))
		}
		seen[b.Job.Optimizer] = true
		if b.Job.Dim < 2 {
			return nil, gdgpu.FieldErrorf("view draws problems of two parameters or more; %s has {Job.Dim} %d", b.Job.Problem, b.Job.Dim).In("viewer")
		}
		b.Job.LogEvery = r.Every
		built = append(built, *b)
	}
	job := &built[0].Job
	projected := Projected(job)
	if mw, mh := MinPanel(len(built), projected); r.Width < mw || r.Height < mh {
		return nil, gdgpu.FieldErrorf("{RaceRequest.Width} %dx%d: with %d optimizers each panel must be at least %dx%d",
			r.Width, r.Height, len(built), mw, mh).In("viewer")
	}
	if projected {
		if r.Bounds != nil {
			return nil, gdgpu.FieldErrorf("{RaceRequest.Bounds}: %s has %d parameters; it is drawn projected, without a landscape", job.Problem, job.Dim).In("viewer")
		}
		points := int64(job.Steps/r.Every + 2)
		if total := int64(job.Dim) * points * int64(len(built)); total > MaxRaceValues {
			return nil, gdgpu.FieldErrorf("view keeps every sampled point of an N-D trajectory: %d parameters x %d points x %d optimizers is over %d values; raise {RaceRequest.Every}, or lower {Job.Dim} or {Job.Steps}",
				job.Dim, points, len(built), MaxRaceValues).In("viewer")
		}
	}
	return built, nil
}

// racer builds one racer's job: the shared request with its optimizer,
// then its own settings over the defaults and the shared ones.
func (r *RaceRequest) racer(rs *RacerSpec) (*BuiltRacer, error) {
	if info, ok := gdgpu.LookupOptimizer(rs.Optimizer); ok && info.CPUOnly && r.Job.Device != "cpu" {
		return nil, rs.refuse("%s is a CPU-only gonum method: it races with {JobRequest.Device} cpu", rs.Optimizer)
	}
	req := r.Job
	req.Optimizer = rs.Optimizer
	b, err := req.Build()
	if err != nil {
		return nil, err
	}
	job := b.Job
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
		if err := cpu.CheckMinimize(&job); err != nil {
			return nil, err
		}
	}
	name := rs.Optimizer
	for _, s := range rs.Settings {
		if !job.Optimizer.Takes(s.Name) {
			return nil, rs.refuse("%s does not take %s ("+gdgpu.HyperTakes(rs.Optimizer)+")", rs.Optimizer, s.Name)
		}
		job.Optimizer.Set(s.Name, s.Value)
		if s.Name != "lr" {
			name += " " + s.Name + "=" + strconv.FormatFloat(s.Value, 'g', -1, 64)
		}
	}
	if err := job.Validate(); err != nil {
		return nil, rs.refuse("%w", err)
	}
	return &BuiltRacer{Job: job, Name: name, Start: b.Start, Data: b.Data}, nil
}
