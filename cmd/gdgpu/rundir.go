package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/rundir"
	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"
)

// The files --run-dir writes (package rundir's layout).
const (
	runDirJob     = rundir.JobFile
	runDirLog     = rundir.LogFile
	runDirParams  = rundir.ParamsFile
	runDirSummary = rundir.SummaryFile
	runDirCkpt    = rundir.CheckpointFile
)

// addRunDirFlag registers --run-dir on cmd.
func addRunDirFlag(cmd *cobra.Command) *string {
	dir := new(string)
	cmd.Flags().StringVar(dir, "run-dir", "", "write the effective job ("+runDirJob+"), the log ("+runDirLog+"), the final parameters ("+runDirParams+
		") and a summary ("+runDirSummary+") into the new or empty folder `DIR`; --log and --out, when given, still win")
	return dir
}

// prepareRunDir creates dir (refusing one that exists and is not empty),
// points --out and --log into it unless they were given, runs check on
// the final paths before anything is written, and writes the effective
// job there. Without dir it only runs check. Refusals are usage errors;
// I/O failures runtime errors.
func prepareRunDir(cmd *cobra.Command, f *jobFlags, s *setup, dir string, check func() error) error {
	if dir == "" {
		return check()
	}
	// An existing folder is taken now, so that one in use is said to be in
	// use before any path is judged; a new one is made once they pass.
	unlock, err := rundir.Claim(dir)
	if err != nil {
		return runDirError(err)
	}
	s.unlock = unlock
	if !cmd.Flags().Changed("out") {
		s.out = filepath.Join(dir, runDirParams)
	}
	if !cmd.Flags().Changed("log") {
		s.log = filepath.Join(dir, runDirLog)
	}
	// The run's checkpoint goes there too (one at the end and on SIGINT, more
	// with --checkpoint-every/--checkpoint-interval), except for the gonum
	// methods, which cannot be checkpointed.
	if info, _ := gdgpu.LookupOptimizer(s.job.Optimizer.Name); s.ckpt != nil && s.ckpt.path == "" && !info.CPUOnly {
		s.ckpt.path = filepath.Join(dir, runDirCkpt)
	}
	if err := check(); err != nil { // the paths, before anything is written
		if s.unlock != nil {
			s.unlock()
			s.unlock = nil
		}
		return err
	}
	if s.unlock == nil {
		unlock, err := rundir.Create(dir)
		if err != nil {
			return runDirError(err)
		}
		s.unlock = unlock
	}
	s.runDir = dir
	job := effectiveJob(s)
	if err := os.WriteFile(filepath.Join(dir, runDirJob), job, 0o644); err != nil {
		s.unlock()
		s.unlock = nil
		return failure(fmt.Errorf("--run-dir %s: %w", dir, err))
	}
	return nil
}

// effectiveJob renders s's job as a job file: every flag that defines the
// job, with its final value (defaults resolved), so that
// gdgpu run job.toml repeats the run. The file holds only flags run and
// compare share, and none of the output paths (--out, --log, --run-dir).
func effectiveJob(s *setup) []byte {
	var b strings.Builder
	b.WriteString("# gdgpu job: the effective flags of a run, written by --run-dir.\n")
	b.WriteString("# gdgpu run job.toml repeats it (flags given after it override it).\n")
	for _, e := range jobEntries(s) {
		fmt.Fprintf(&b, "%s = %s\n", e.key, tomlValue(e.val))
	}
	return []byte(b.String())
}

// jobFlagValue is one flag of the effective job and its value.
type jobFlagValue struct {
	key string
	val any // float64, int, uint64, bool, []int or string
}

// jobEntries lists the effective job's flags in the order job.toml gives
// them; the job file and the JSON results (jobObject) both read it.
func jobEntries(s *setup) []jobFlagValue {
	job := &s.job
	var es []jobFlagValue
	put := func(key string, v any) { es = append(es, jobFlagValue{key, v}) }
	if job.Objective != "" {
		put("objective", job.Objective)
	} else {
		put("problem", job.Problem)
	}
	if job.Data == nil {
		put("dim", job.Dim)
		put("cond", job.Cond)
	} else {
		// A model: its data flags, from which the dimension follows.
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
		if info, _ := gdgpu.LookupModel(job.Problem); info.Costs {
			put("loss", job.Loss)
			if cost, _ := gdgpu.LookupRegressionCost(job.Loss); cost.Delta {
				put("delta", job.Delta)
			}
		}
		put("l1", job.L1)
		put("l2", job.L2)
		if info, _ := gdgpu.LookupModel(job.Problem); info.Net != nil {
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
	put("device", s.device)
	if s.device == "gpu" {
		put("precision", job.Precision.String())
	}
	if job.RandomStart && job.Data == nil {
		put("seed", job.Seed)
	}
	if s.init != "" {
		put("init", absPath(s.init))
	}
	put("gpu", s.gpu)
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
	if !info.CPUOnly {
		for _, p := range schedParams {
			if !p.AppliesTo(job.Schedule.Kind) {
				continue
			}
			if p.flag == "warmup-start-factor" && job.Schedule.Warmup == 0 {
				continue
			}
			switch v := p.Value(&job.Schedule).(type) {
			case *int:
				put(p.flag, *v)
			case *float64:
				put(p.flag, *v)
			case *bool:
				put(p.flag, *v)
			case *string:
				put(p.flag, *v)
			case *[]int:
				put(p.flag, *v)
			}
		}
	}
	return es
}

// tomlValue renders v as a TOML value that reads back to the same flag
// value: floats exactly, strings escaped.
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
	panic(fmt.Sprintf("gdgpu: no TOML form for %T", v))
}

// outPrecision is the precision the run computed in: the CPU's is f64.
func outPrecision(s *setup) string {
	if s.device == "cpu" {
		return gdgpu.F64.String()
	}
	return s.job.Precision.String()
}

// runDirError is a rundir refusal or failure as --run-dir's: a path that
// is no folder, a folder in use, not empty, or that cannot be looked up or
// listed is a usage error (exit 2); a folder that cannot be made or locked
// a runtime error.
func runDirError(err error) error {
	var notFolder *rundir.NotFolderError
	var inUse *rundir.InUseError
	var notEmpty *rundir.NotEmptyError
	var op *rundir.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &notFolder):
		return usagef("--run-dir %s exists and is not a folder", notFolder.Dir)
	case errors.As(err, &inUse):
		return usagef("--run-dir %s is in use by another run (pid %s); give another folder", inUse.Dir, inUse.PID)
	case errors.As(err, &notEmpty):
		return usagef("--run-dir %s is not empty (it holds %s); give a new or empty folder", notEmpty.Dir, notEmpty.Name)
	case errors.As(err, &op) && (op.Op == "stat" || op.Op == "read"):
		return usagef("--run-dir %s: %v", op.Dir, unwrapPath(op.Err))
	case errors.As(err, &op):
		return failure(fmt.Errorf("--run-dir %s: %w", op.Dir, unwrapPath(op.Err)))
	}
	return failure(err)
}
