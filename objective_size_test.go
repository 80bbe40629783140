package gdgpu_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// TestObjectiveSizeBound: an objective of MaxObjectiveBytes (padded with
// newlines, which JSON writes in two bytes) runs and its checkpoint is
// written and read back; one byte more is refused by Validate, naming
// Job.Objective. The checkpoint's header once held 1 MiB, and such a run's
// checkpoint failed after the run.
func TestObjectiveSizeBound(t *testing.T) {
	const expr = "sum(x[i]^2)"
	pad := func(n int) string { return expr + strings.Repeat("\n", n-len(expr)) }

	job := gdgpu.NewJob()
	job.Objective, job.Dim, job.Steps, job.LogEvery = pad(gdgpu.MaxObjectiveBytes), 4, 3, 1
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := cpu.New(&job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	path := filepath.Join(t.TempDir(), "c.ckpt")
	job.CheckpointEvery = 3
	hooks := gdgpu.Hooks{Checkpoint: func(c *gdgpu.Checkpoint) error { return gdgpu.WriteCheckpoint(path, c) }}
	if _, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), hooks); err != nil {
		t.Fatal(err)
	}
	c, err := gdgpu.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Job.Objective != job.Objective {
		t.Errorf("the checkpoint's objective holds %d bytes, want %d", len(c.Job.Objective), len(job.Objective))
	}

	big := gdgpu.NewJob()
	big.Objective, big.Dim = pad(gdgpu.MaxObjectiveBytes+1), 4
	err = big.Validate()
	var fe *gdgpu.FieldError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "Job.Objective") || !strings.Contains(err.Error(), "more than the 1048576") {
		t.Errorf("Validate of %d bytes: %v, want a refusal naming Job.Objective", len(big.Objective), err)
	}
}
