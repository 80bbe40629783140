package jobfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gdgpu/gdgpu"
	"github.com/pelletier/go-toml/v2"
)

// Settings are what a run's effective job holds besides its gdgpu.Job:
// the run's choices that are no Job field.
type Settings struct {
	Device string // the backend, "cpu" or "gpu"; a gpu run's job records its precision
	Init   string // the start point's .npy file, written as given (an absolute path reads from anywhere); "" for none
	GPU    int    // the GPU's index
}

// KeyValue is one key of an effective job and its value.
type KeyValue struct {
	Key   string
	Value any // float64, int, uint64, bool, []int or string
}

// Entries lists the keys and values of job run with set, in the order
// Encode writes them: every key that defines the run, with its final
// value (defaults resolved), so that reading them back repeats the run.
// A test function's job records its dimension, a model's the data it
// reads (from which the dimension follows); only the hyperparameters of
// job's optimizer, and the parameters its schedule reads, are listed.
// Output paths are no part of a job.
func Entries(job *gdgpu.Job, set Settings) []KeyValue {
	var es []KeyValue
	put := func(key string, v any) { es = append(es, KeyValue{key, v}) }
	if job.Objective != "" {
		put("objective", job.Objective)
	} else {
		put("problem", job.Problem)
	}
	if job.Data == nil {
		put("dim", job.Dim)
		put("cond", job.Cond)
	} else {
		// A model: its data's keys, from which the dimension follows.
		sp := job.DataSpec
		if sp.Synthetic != "" {
			put("synthetic", sp.Synthetic)
			put("samples", sp.Samples)
			if sp.NumFeatures > 0 {
				put("features", strconv.Itoa(sp.NumFeatures))
			}
			if sp.Classes > 0 {
				put("classes", sp.Classes)
			}
			put("noise", sp.Noise)
		} else {
			put("data", sp.File)
			put("target", sp.Target)
			if len(sp.Features) > 0 {
				put("features", strings.Join(sp.Features, ","))
			}
		}
		put("standardize", sp.Standardize)
		put("val-fraction", sp.ValFraction)
		model, _ := gdgpu.LookupModel(job.Problem)
		if model.Costs {
			put("loss", job.Loss)
			if cost, _ := gdgpu.LookupRegressionCost(job.Loss); cost.Delta {
				put("delta", job.Delta)
			}
		}
		put("l1", job.L1)
		put("l2", job.L2)
		if model.Net != nil {
			put("hidden", job.Hidden)
			put("activation", job.Activation)
			if job.LeakySlope != 0 {
				put("leaky-slope", job.LeakySlope)
			}
			put("init-scheme", job.InitScheme)
			task := "classification"
			if job.DataSpec.Task != "" {
				task = job.DataSpec.Task
			}
			put("mlp-task", task)
		} else {
			put("intercept", !job.NoIntercept)
		}
		put("batch-size", job.BatchSize)
		put("seed", job.Seed)
	}
	put("optimizer", job.Optimizer.Name)
	info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name)
	for _, h := range info.Hyper {
		v := job.Optimizer.Get(h.Name)
		if h.Bool {
			put(h.Name, v != 0)
		} else {
			put(h.Name, v)
		}
	}
	put("steps", job.Steps)
	put("log-every", job.LogEvery)
	put("device", set.Device)
	if set.Device == "gpu" {
		put("precision", job.Precision.String())
	}
	if job.RandomStart && job.Data == nil {
		put("seed", job.Seed)
	}
	if set.Init != "" {
		put("init", set.Init)
	}
	put("gpu", set.GPU)
	put("grad-tol", job.GradTol)
	put("func-tol", job.FuncTol)
	put("func-window", job.FuncWindow)
	if job.HasTarget {
		put("loss-target", job.LossTarget)
	}
	put("time-limit", job.TimeLimit.String())
	put("clip-grad-norm", job.ClipNorm)
	put("clip-grad-value", job.ClipValue)
	put("schedule", job.Schedule.Kind)
	if !info.CPUOnly { // gonum's methods take no schedule
		for _, p := range gdgpu.ScheduleParams() {
			if !p.AppliesTo(job.Schedule.Kind) {
				continue
			}
			if p.Field == "WarmupStartFactor" && job.Schedule.Warmup == 0 {
				continue
			}
			switch v := p.Value(&job.Schedule).(type) {
			case *int:
				put(p.Key, *v)
			case *float64:
				put(p.Key, *v)
			case *bool:
				put(p.Key, *v)
			case *string:
				put(p.Key, *v)
			case *[]int:
				put(p.Key, *v)
			}
		}
	}
	return es
}

// Encode renders Entries(job, set) as a job file: one "key = value" line
// each, every value in a TOML form that reads back to the same value
// (floats exactly, ±Inf and NaN as inf and nan, strings escaped). TOML's
// integers are int64, so a Seed above math.MaxInt64 is written as a string
// of its digits, which File.Text takes for a Uint setting. TOML strings are
// UTF-8: a string value that is not (a path's bytes) does not read back
// the same, and a long string (an objective's text, escaped) can make a
// file over MaxSize, which Read refuses; Check finds both before a job
// file is written.
func Encode(job *gdgpu.Job, set Settings) []byte {
	return encode(Entries(job, set))
}

// encode renders entries as Encode does.
func encode(entries []KeyValue) []byte {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s = %s\n", e.Key, tomlValue(e.Value))
	}
	return []byte(b.String())
}

// tomlValue renders v, a KeyValue's value, as TOML.
func tomlValue(v any) string {
	switch v := v.(type) {
	case float64:
		switch {
		case math.IsInf(v, 1):
			return "inf"
		case math.IsInf(v, -1):
			return "-inf"
		case math.IsNaN(v):
			return "nan"
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int:
		return strconv.Itoa(v)
	case uint64:
		if v > math.MaxInt64 {
			return "'" + strconv.FormatUint(v, 10) + "'"
		}
		return strconv.FormatUint(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case []int:
		parts := make([]string, len(v))
		for i, n := range v {
			parts[i] = strconv.Itoa(n)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case string:
		b, err := toml.Marshal(map[string]string{"k": v})
		if err != nil {
			return strconv.Quote(v)
		}
		return strings.TrimSuffix(strings.TrimPrefix(string(b), "k = "), "\n")
	}
	// Entries gives no other type: a new one needs its form here.
	panic(fmt.Sprintf("jobfile: no TOML form for %T", v))
}

// Check refuses entries (Entries') that a job file of header (its
// writer's comment lines, "" for none) followed by Encode's lines would
// not read back to: a string that is not valid UTF-8 (a path's bytes,
// say), since a TOML job file holds only UTF-8, or a file over MaxSize,
// which Read refuses (an objective's long text, whose newlines escaping
// doubles). The refusal names the key: the bad string's, or the longest
// value's.
func Check(header string, entries []KeyValue) error {
	for _, e := range entries {
		if s, ok := e.Value.(string); ok && !utf8.ValidString(s) {
			return &Error{Key: e.Key, msg: fmt.Sprintf("%s %q is not valid UTF-8, which a TOML job file cannot hold", e.Key, s)}
		}
	}
	size := len(header) + len(encode(entries))
	if size <= MaxSize {
		return nil
	}
	longest, n := "", -1
	for _, e := range entries {
		if m := len(tomlValue(e.Value)); m > n {
			longest, n = e.Key, m
		}
	}
	return &Error{Key: longest, msg: fmt.Sprintf("the job file would hold %d bytes, more than the %d a job file may hold (%s takes %d of them)", size, MaxSize, longest, n)}
}
