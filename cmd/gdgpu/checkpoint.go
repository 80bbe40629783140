package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// read runs before build: with --resume it reads the checkpoint, which
// request hands to gdgpu.JobRequest.Build (JobRequest.Resume).
func (c *ckptFlags) read(cmd *cobra.Command, f *jobFlags) error {
	if c.resume == "" {
		return nil
	}
	if f.init != "" {
		// Build refuses it too, once the checkpoint is read: this names
		// the two flags before the file.
		return usagef("--init and --resume both choose the start point; give one")
	}
	cp, err := gdgpu.ReadCheckpoint(c.resume)
	if err != nil {
		return usagef("--resume: %v", err)
	}
	c.from = cp
	changed := cmd.Flags().Changed
	// Build loads a model's data from the checkpoint's files where no
	// flag names them: a file it cannot read is then the checkpoint's.
	f.model.fromCheckpoint = gdgpu.IsModel(cp.Job.Problem) && !changed("data") && !changed("synthetic")
	return nil
}

// fill sets the request's checkpoint: the one to resume, and the cadence
// when checkpoints are written.
func (c *ckptFlags) fill(r *gdgpu.JobRequest) {
	r.Resume = c.from
	if c.path != "" || c.resume != "" {
		r.CheckpointEvery, r.CheckpointInterval = c.every, c.interval
	}
}

// isResumeRefusal reports whether err is Build's refusal of --resume
// itself, which refusal words.
func isResumeRefusal(err error) bool {
	var re *gdgpu.ResumeError
	return errors.As(err, &re) || errors.Is(err, gdgpu.ErrNotResumable)
}

// refusal words Build's refusal of --resume (isResumeRefusal): a job that
// contradicts the checkpoint, or a gonum optimizer.
func (c *ckptFlags) refusal(cmd *cobra.Command, f *jobFlags, err error) error {
	var re *gdgpu.ResumeError
	if !errors.As(err, &re) {
		name := f.optimizer
		if !cmd.Flags().Changed("optimizer") {
			name = c.from.Job.Optimizer.Name
		}
		return notCheckpointable(name)
	}
	hint := ""
	if re.DataChanged {
		// The data was rebuilt from the checkpoint's own flags: no flag
		// contradicts it, the file does.
		hint = fmt.Sprintf(" (no data flag was given: %s has changed since the checkpoint was written)", re.DataSpec.Source())
	}
	return usagef("--resume %s: the flags contradict the checkpoint's job: %s%s", c.resume,
		strings.TrimPrefix(inFlags(re.Err, fieldFlag), gdgpu.ErrCheckpointMismatch.Error()+": "), hint)
}

// notCheckpointable refuses --checkpoint and --resume for a gonum method.
func notCheckpointable(optimizer string) error {
	return usagef("--optimizer %s runs through gonum's own loop, which cannot be checkpointed: leave out --checkpoint and --resume", optimizer)
}

// apply runs after build (which, with --resume, made the checkpoint's
// job with the flags given copied over it): it checks the checkpoint
// flags.
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
			return notCheckpointable(s.job.Optimizer.Name)
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
