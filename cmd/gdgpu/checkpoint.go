package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/spf13/cobra"
)

// ckptFlags are run's checkpoint flags and, with --resume, the checkpoint
// read.
type ckptFlags struct {
	path     string
	every    int
	interval time.Duration
	resume   string
	from     *gdgpu.Checkpoint // read from --resume
}

// addCheckpointFlags registers --checkpoint, --checkpoint-every,
// --checkpoint-interval and --resume on run.
func addCheckpointFlags(cmd *cobra.Command) *ckptFlags {
	c := &ckptFlags{}
	fs := cmd.Flags()
	fs.StringVar(&c.path, "checkpoint", "", "write checkpoints to `FILE` (atomically: the file always holds a whole checkpoint); one at the end and on SIGINT/SIGTERM, more with --checkpoint-every/--checkpoint-interval")
	fs.IntVar(&c.every, "checkpoint-every", 0, "write a checkpoint every K steps (0: off)")
	fs.DurationVar(&c.interval, "checkpoint-interval", 0, "write a checkpoint once this much wall time has passed since the last, e.g. 10m (0: off)")
	fs.StringVar(&c.resume, "resume", "", "continue the run whose checkpoint is `FILE`: flags not given take the checkpoint's values, flags that contradict its job are refused; checkpoints go on to FILE unless --checkpoint names another")
	return c
}

// prefill runs before build: with --resume it reads the checkpoint and
// makes its problem, optimizer, precision and schedule the defaults of the
// flags not given, so that build reads the hyperparameter and schedule
// flags against the checkpoint's job.
func (c *ckptFlags) prefill(cmd *cobra.Command, f *jobFlags) error {
	changed := cmd.Flags().Changed
	if c.resume == "" {
		return nil
	}
	if f.init != "" {
		return usagef("--init and --resume both choose the start point; give one")
	}
	cp, err := gdgpu.ReadCheckpoint(c.resume)
	if err != nil {
		return usagef("--resume: %v", err)
	}
	c.from = cp
	j := &cp.Job
	if !changed("problem") {
		f.problem = j.Problem
	}
	f.model.prefill(changed, f, j)
	if !changed("optimizer") {
		f.optimizer = j.Optimizer.Name
	}
	if !changed("precision") {
		f.precision = j.Precision.String()
	}
	if len(changedSchedule(changed)) > 0 && !changed("schedule") {
		// Schedule flags are read against the checkpoint's kind, whose
		// required parameter comes from the checkpoint unless given.
		f.sched.kind = j.Schedule.Kind
		for _, p := range schedParams {
			if !p.Required(j.Schedule.Kind) || changed(p.flag) {
				continue
			}
			v := p.Show(&j.Schedule)
			if fv, ok := p.Value(&j.Schedule).(*float64); ok {
				v = strconv.FormatFloat(*fv, 'g', -1, 64)
			}
			if err := cmd.Flags().Set(p.flag, v); err != nil {
				return usagef("--resume: %v", err)
			}
		}
	}
	return nil
}

// apply runs after build: it sets the checkpoint cadence and, with
// --resume, replaces the job by the checkpoint's with the flags given
// copied over it, refusing (exit 2) those that contradict it.
func (c *ckptFlags) apply(cmd *cobra.Command, s *setup) error {
	changed := cmd.Flags().Changed
	if c.path == "" && c.resume != "" {
		c.path = c.resume
	}
	any := c.path != "" || c.resume != ""
	if !any && (changed("checkpoint-every") || changed("checkpoint-interval")) {
		return usagef("--checkpoint-every and --checkpoint-interval need --checkpoint FILE")
	}
	if any {
		if info, _ := gdgpu.LookupOptimizer(s.job.Optimizer.Name); info.CPUOnly {
			return usagef("--optimizer %s runs through gonum's own loop, which cannot be checkpointed: leave out --checkpoint and --resume", s.job.Optimizer.Name)
		}
	}
	if c.path != "" {
		dir := filepath.Dir(c.path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("--checkpoint %s: folder %s does not exist", c.path, dir)
		}
		if st, err := os.Stat(c.path); err == nil && !st.Mode().IsRegular() {
			return usagef("--checkpoint %s is not a regular file", c.path)
		}
	}
	s.job.CheckpointEvery, s.job.CheckpointInterval = c.every, c.interval
	job := s.job
	if c.from != nil {
		// The flags given (by the fields they set) override the
		// checkpoint's job.
		job = c.from.ResumeJob(&s.job, fieldGiven(changed))
	}
	if err := job.Validate(); err != nil {
		return usagef("%v", err)
	}
	if c.from != nil {
		if err := c.from.Compatible(&job); err != nil {
			hint := ""
			if job.Data != nil && job.Data.Hash != c.from.Job.DataHash && !slices.ContainsFunc(dataFlagNames, changed) {
				// The data was rebuilt from the checkpoint's own flags:
				// no flag contradicts it, the file does.
				hint = fmt.Sprintf(" (no data flag was given: %s has changed since the checkpoint was written)", dataSource(job.DataSpec))
			}
			return usagef("--resume %s: the flags contradict the checkpoint's job: %s%s", c.resume,
				strings.TrimPrefix(inFlags(err, fieldFlag), gdgpu.ErrCheckpointMismatch.Error()+": "), hint)
		}
	}
	s.job = job
	s.ckpt = c
	return nil
}

// writeCheckpoint is gdgpu.WriteCheckpoint, a variable so that a test can
// make a write fail.
var writeCheckpoint = gdgpu.WriteCheckpoint

// runDriver runs s.job on b through gdgpu.Run, or gdgpu.RunFrom with
// --resume, writing checkpoints when --checkpoint (or --resume) is given.
func runDriver(ctx context.Context, s *setup, b gdgpu.Backend, hooks gdgpu.Hooks) (gdgpu.Result, error) {
	c := s.ckpt
	if c == nil || (c.path == "" && c.from == nil) {
		return gdgpu.Run(ctx, &s.job, b, s.start(), hooks)
	}
	if c.path != "" {
		path := c.path
		hooks.Checkpoint = func(cp *gdgpu.Checkpoint) error {
			if err := writeCheckpoint(path, cp); err != nil {
				return &outputError{what: "--checkpoint", err: err}
			}
			return nil
		}
	}
	if c.from != nil {
		return gdgpu.RunFrom(ctx, &s.job, b, c.from, hooks)
	}
	return gdgpu.Run(ctx, &s.job, b, s.start(), hooks)
}

// resumeNote describes a resume for the run's first line.
func resumeNote(s *setup) string {
	if s.ckpt == nil || s.ckpt.from == nil {
		return ""
	}
	return fmt.Sprintf(", resumed at step %d from %s (written by %s)", s.ckpt.from.Driver.Step, s.ckpt.resume, s.ckpt.from.Backend)
}

// dataFlagNames are the flags a model's data is built from.
var dataFlagNames = []string{"data", "target", "features", "synthetic", "samples", "classes", "noise", "standardize", "val-fraction", "seed", "mlp-task"}

// dataSource names a model's data files for messages.
func dataSource(sp gdgpu.DataSpec) string {
	if sp.File == "" {
		return "the synthetic set"
	}
	if strings.HasSuffix(strings.ToLower(sp.Target), ".npy") {
		return sp.File + " or " + sp.Target
	}
	return sp.File
}
