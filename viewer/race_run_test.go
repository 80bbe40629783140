package viewer_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/viewer"
)

// TestRaceRunKeepsSnapshots: a copy of a race taken under RaceHooks.Lock
// (the window's snapshot, read later without the lock) keeps reading what
// it read, even when a diverged run drops its last points and records
// the kept one: Run moves to new arrays then, rather than writing over an
// element the copy still reads (go test -race reported the old in-place
// append).
func TestRaceRunKeepsSnapshots(t *testing.T) {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "rosenbrock", 2, 200, 1
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	job.Optimizer.LR = 0.02
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := cpu.New(&job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var mu sync.Mutex
	r := viewer.NewRace(&job, "", []float64{-3, 3})
	var snap viewer.Race
	var steps []int
	var firsts []float64
	res, err := r.Run(context.Background(), &job, b, viewer.RaceHooks{Lock: &mu, Issued: func(int) {
		mu.Lock()
		snap = *r
		steps = slices.Clone(r.Steps)
		firsts = firsts[:0]
		for _, p := range r.Points {
			firsts = append(firsts, p[0])
		}
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != gdgpu.Diverged {
		t.Fatalf("status %v, want Diverged (the case that drops points)", res.Status)
	}
	if !slices.Equal(snap.Steps, steps) {
		t.Errorf("the snapshot's steps changed after it was taken: %v, then %v", steps, snap.Steps)
	}
	for i, p := range snap.Points {
		if p[0] != firsts[i] && !(p[0] != p[0] && firsts[i] != firsts[i]) {
			t.Errorf("the snapshot's point %d changed after it was taken", i)
		}
	}
}
