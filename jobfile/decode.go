package jobfile

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
)

// key is one job-file key that Decode reads: the Kind of its value, the
// field it sets by its FieldError name (what gdgpu.JobRequest.Given
// reports), and where the value goes.
type key struct {
	kind  Kind
	field string
	// dst is the value's place in r or s: an *int, *uint64, *float64,
	// *bool, *string, *time.Duration or *[]int. nil for a hyperparameter
	// (r.Hyper).
	dst func(r *gdgpu.JobRequest, s *Settings) any
}

// naturalKeys are the Int keys that must be >= 0 which Build does not
// check, being no JobRequest field: the GPU's index, which gdgpu run
// refuses negative too.
var naturalKeys = map[string]bool{"gpu": true}

// keys are the keys Decode reads: those Entries writes, and the command
// line's epochs.
var keys = func() map[string]key {
	type rs = gdgpu.JobRequest
	type st = Settings
	m := map[string]key{
		"problem":         {String, "Job.Problem", func(r *rs, _ *st) any { return &r.Problem }},
		"objective":       {String, "Job.Objective", func(r *rs, _ *st) any { return &r.Objective }},
		"dim":             {Int, "Job.Dim", func(r *rs, _ *st) any { return &r.Dim }},
		"cond":            {Float, "Job.Cond", func(r *rs, _ *st) any { return &r.Cond }},
		"optimizer":       {String, "Optimizer.Name", func(r *rs, _ *st) any { return &r.Optimizer }},
		"steps":           {Int, "Job.Steps", func(r *rs, _ *st) any { return &r.Steps }},
		"log-every":       {Int, "Job.LogEvery", func(r *rs, _ *st) any { return &r.LogEvery }},
		"device":          {String, "JobRequest.Device", func(r *rs, _ *st) any { return &r.Device }},
		"precision":       {String, "Job.Precision", func(r *rs, _ *st) any { return &r.Precision }},
		"seed":            {Uint, "Job.Seed", func(r *rs, _ *st) any { return &r.Seed }},
		"init":            {String, "JobRequest.InitFile", func(r *rs, _ *st) any { return &r.InitFile }},
		"gpu":             {Int, "Options.GPU", func(_ *rs, s *st) any { return &s.GPU }},
		"grad-tol":        {Float, "Job.GradTol", func(r *rs, _ *st) any { return &r.GradTol }},
		"func-tol":        {Float, "Job.FuncTol", func(r *rs, _ *st) any { return &r.FuncTol }},
		"func-window":     {Int, "Job.FuncWindow", func(r *rs, _ *st) any { return &r.FuncWindow }},
		"loss-target":     {Float, "Job.LossTarget", func(r *rs, _ *st) any { return &r.LossTarget }},
		"time-limit":      {Duration, "Job.TimeLimit", func(r *rs, _ *st) any { return &r.TimeLimit }},
		"clip-grad-norm":  {Float, "Job.ClipNorm", func(r *rs, _ *st) any { return &r.ClipNorm }},
		"clip-grad-value": {Float, "Job.ClipValue", func(r *rs, _ *st) any { return &r.ClipValue }},
		"schedule":        {String, "Schedule.Kind", func(r *rs, _ *st) any { return &r.Schedule.Kind }},
		"data":            {String, "DataSpec.File", func(r *rs, _ *st) any { return &r.Data }},
		"target":          {String, "DataSpec.Target", func(r *rs, _ *st) any { return &r.Target }},
		"features":        {Features, "DataSpec.Features", func(r *rs, _ *st) any { return &r.Features }},
		"synthetic":       {String, "DataSpec.Synthetic", func(r *rs, _ *st) any { return &r.Synthetic }},
		"samples":         {Int, "DataSpec.Samples", func(r *rs, _ *st) any { return &r.Samples }},
		"classes":         {Int, "DataSpec.Classes", func(r *rs, _ *st) any { return &r.Classes }},
		"noise":           {Float, "DataSpec.Noise", func(r *rs, _ *st) any { return &r.Noise }},
		"standardize":     {Bool, "DataSpec.Standardize", func(r *rs, _ *st) any { return &r.Standardize }},
		"val-fraction":    {Float, "DataSpec.ValFraction", func(r *rs, _ *st) any { return &r.ValFraction }},
		"mlp-task":        {String, "DataSpec.Task", func(r *rs, _ *st) any { return &r.Task }},
		"loss":            {String, "Job.Loss", func(r *rs, _ *st) any { return &r.Loss }},
		"delta":           {Float, "Job.Delta", func(r *rs, _ *st) any { return &r.Delta }},
		"l1":              {Float, "Job.L1", func(r *rs, _ *st) any { return &r.L1 }},
		"l2":              {Float, "Job.L2", func(r *rs, _ *st) any { return &r.L2 }},
		"intercept":       {Bool, "JobRequest.Intercept", func(r *rs, _ *st) any { return &r.Intercept }},
		"batch-size":      {Int, "Job.BatchSize", func(r *rs, _ *st) any { return &r.BatchSize }},
		"epochs":          {Int, "JobRequest.Epochs", func(r *rs, _ *st) any { return &r.Epochs }},
		"hidden":          {IntList, "Job.Hidden", func(r *rs, _ *st) any { return &r.Hidden }},
		"activation":      {String, "Job.Activation", func(r *rs, _ *st) any { return &r.Activation }},
		"leaky-slope":     {Float, "Job.LeakySlope", func(r *rs, _ *st) any { return &r.LeakySlope }},
		"init-scheme":     {String, "Job.InitScheme", func(r *rs, _ *st) any { return &r.InitScheme }},
	}
	for _, h := range gdgpu.AllHypers() {
		k := Float
		if h.Bool {
			k = Bool
		} else if h.Int {
			k = Int
		}
		m[h.Name] = key{kind: k, field: "Optimizer." + h.Name}
	}
	for _, p := range gdgpu.ScheduleParams() {
		var k Kind
		var probe gdgpu.Schedule
		switch p.Value(&probe).(type) {
		case *int:
			k = Int
		case *float64:
			k = Float
		case *bool:
			k = Bool
		case *[]int:
			k = IntList
		default:
			k = String
		}
		m[p.Key] = key{k, "Schedule." + p.Field, func(r *rs, _ *st) any { return p.Value(&r.Schedule) }}
	}
	return m
}()

// KeyKinds returns the keys Decode reads, each with the Kind of its
// value: those Entries writes, and epochs (a model's run length in passes
// over its rows). The map is the caller's.
func KeyKinds() map[string]Kind {
	m := make(map[string]Kind, len(keys))
	for name, k := range keys {
		m[name] = k.kind
	}
	return m
}

// Decode reads f's keys into a gdgpu.JobRequest (from
// gdgpu.NewJobRequest, each key given) and the Settings that are no Job
// field (Init and Device copy the request's InitFile and Device), so that
// Decode then JobRequest.Build repeats the job Encode wrote (but for what
// Entries leaves out: a gonum method's schedule; and an mlp's inferred
// classification task, written as given, comes back as given). A key that
// is none of KeyKinds', or a value of the wrong kind (a list with blanks,
// a negative gpu: what gdgpu run refuses too), is an *Error naming the
// file, line and key; the values themselves are Build's to check.
//
// Decode reads the keys Encode writes, not every key gdgpu run takes from
// a job file: objective-file is none (read the file and set the request's
// Objective). A CPU job's precision is not written (the CPU computes in
// float64 whatever Job.Precision says), so a CPU job of Precision F64
// comes back with NewJobRequest's f32, as gdgpu run job.toml has it.
func Decode(f *File) (gdgpu.JobRequest, Settings, error) {
	r := gdgpu.NewJobRequest()
	r.Hyper = map[string]float64{}
	var s Settings
	given := map[string]bool{}
	for _, e := range f.Entries {
		k, ok := keys[e.Key]
		if !ok {
			return r, s, f.KeyError(e, fmt.Errorf("no job key has this name"))
		}
		text, err := f.Text(e, k.kind)
		if err != nil {
			return r, s, err
		}
		if k.dst == nil { // a hyperparameter: a switch is 0 or 1
			var v any = new(float64)
			if k.kind == Bool {
				v = new(bool)
			}
			if err := parseText(text, v); err != nil {
				return r, s, f.KeyError(e, err)
			}
			switch v := v.(type) {
			case *float64:
				r.Hyper[e.Key] = *v
			case *bool:
				r.Hyper[e.Key] = 0
				if *v {
					r.Hyper[e.Key] = 1
				}
			}
		} else {
			dst := k.dst(&r, &s)
			if err := parseText(text, dst); err != nil {
				return r, s, f.KeyError(e, err)
			}
			if n, ok := dst.(*int); ok && naturalKeys[e.Key] && *n < 0 {
				return r, s, f.KeyError(e, fmt.Errorf("%d must be >= 0", *n))
			}
		}
		given[k.field] = true
	}
	s.Device, s.Init = r.Device, r.InitFile
	r.Given = func(field string) bool { return given[field] }
	return r, s, nil
}

// parseText sets *dst from text, a value as File.Text renders it.
func parseText(text string, dst any) error {
	var err error
	switch d := dst.(type) {
	case *string:
		*d = text
	case *int:
		var n int64
		n, err = strconv.ParseInt(text, 0, strconv.IntSize)
		*d = int(n)
	case *uint64:
		*d, err = strconv.ParseUint(text, 0, 64)
	case *float64:
		*d, err = strconv.ParseFloat(text, 64)
	case *bool:
		*d, err = strconv.ParseBool(text)
	case *time.Duration:
		*d, err = time.ParseDuration(text)
	case *[]int:
		*d = nil
		if text == "" {
			return nil
		}
		for _, part := range strings.Split(text, ",") {
			n, err := strconv.Atoi(part) // no blanks, as the command line's lists
			if err != nil {
				return err
			}
			*d = append(*d, n)
		}
	default:
		// keys gives no other type: a new one needs its parsing here.
		panic(fmt.Sprintf("jobfile: no parsing for %T", dst))
	}
	return err
}
