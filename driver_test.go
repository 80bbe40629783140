package gdgpu

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeBackend models a device with a read-back lag: a recorded sample
// becomes ready only after lag more Step calls. Its loss at step t is
// lossAt(t); it counts the steps and learning rates it was given.
type fakeBackend struct {
	t       int
	lag     int
	lossAt  func(t int) float64
	gradAt  func(t int) float64 // nil: 1000
	pending []Sample
	age     []int
	lrs     []float64
	calls   int
	cancel  func() // called after the cancelAt-th Step call
	cancelN int

	kept     [2]int // the step of each Keep slot
	keeps    int    // Keep calls
	reverted int    // the slot of the last Revert
}

func (f *fakeBackend) Name() string { return "fake" }
func (f *fakeBackend) Load(x []float64) error {
	f.t = 0
	return nil
}
func (f *fakeBackend) record() {
	g := 1000.0
	if f.gradAt != nil {
		g = f.gradAt(f.t)
	}
	f.pending = append(f.pending, Sample{Step: f.t, Loss: f.lossAt(f.t), GradNorm: g})
	f.age = append(f.age, 0)
}
func (f *fakeBackend) Step(lr []float64, record bool) error {
	if record {
		f.record()
	}
	f.lrs = append(f.lrs, lr...)
	f.t += len(lr)
	for i := range f.age {
		f.age[i]++
	}
	f.calls++
	if f.cancel != nil && f.calls == f.cancelN {
		f.cancel()
	}
	return nil
}
func (f *fakeBackend) Record() error { f.record(); return nil }
func (f *fakeBackend) Samples(dst []Sample, wait bool) ([]Sample, error) {
	k := 0
	for k < len(f.pending) && (wait || f.age[k] > f.lag) {
		k++
	}
	dst = append(dst, f.pending[:k]...)
	f.pending, f.age = f.pending[k:], f.age[k:]
	return dst, nil
}
func (f *fakeBackend) Params(dst []float64) error { return nil }
func (f *fakeBackend) Snapshot(s *State) error    { s.Step = f.t; return nil }
func (f *fakeBackend) Restore(s *State) error     { f.t = s.Step; return nil }
func (f *fakeBackend) Close() error               { return nil }
func (f *fakeBackend) Keep(k int) error {
	f.kept[k] = f.t
	f.keeps++
	return nil
}
func (f *fakeBackend) Revert(k int) error {
	f.t = f.kept[k]
	f.reverted = k
	return nil
}

func testJob(steps, every int) Job {
	j := NewJob()
	j.Dim, j.Steps, j.LogEvery = 4, steps, every
	return j
}

func TestRunSampleCadence(t *testing.T) {
	cases := []struct {
		name         string
		steps, every int
		want         []int
	}{
		{"divides", 10, 5, []int{0, 5, 10}},
		{"remainder", 10, 4, []int{0, 4, 8, 10}},
		{"every step", 3, 1, []int{0, 1, 2, 3}},
		{"longer than steps", 3, 100, []int{0, 3}},
		{"zero steps", 0, 7, []int{0}},
		{"many batches", 200, 150, []int{0, 150, 200}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			job := testJob(tc.steps, tc.every)
			f := &fakeBackend{lag: 2, lossAt: func(t int) float64 { return float64(100 - t) }}
			res, err := Run(context.Background(), &job, f, job.StartPoint(), Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, s := range res.Samples {
				got = append(got, s.Step)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("sample steps %v, want %v", got, tc.want)
			}
			if res.Status != StepLimit || res.StatusStep != tc.steps || res.Steps != tc.steps || len(f.lrs) != tc.steps {
				t.Errorf("status %v at %d after %d steps (%d lrs), want StepLimit at %d", res.Status, res.StatusStep, res.Steps, len(f.lrs), tc.steps)
			}
			if res.Final.Step != tc.steps {
				t.Errorf("final sample at step %d, want %d", res.Final.Step, tc.steps)
			}
		})
	}
}

// TestRunDivergedReportsTheSampleStep: a non-finite loss read back with a
// lag stops the run at the step it was computed for, within the lag.
func TestRunDivergedReportsTheSampleStep(t *testing.T) {
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		job := testJob(1000, 10)
		f := &fakeBackend{lag: 3, lossAt: func(t int) float64 {
			if t >= 40 {
				return bad
			}
			return 1
		}}
		res, err := Run(context.Background(), &job, f, job.StartPoint(), Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != Diverged || res.StatusStep != 40 {
			t.Errorf("loss %v: status %v at step %d, want Diverged at 40", bad, res.Status, res.StatusStep)
		}
		// Steps kept going while the sample was in flight: at most lag+1 batches.
		if res.Steps > 40+(f.lag+1)*job.LogEvery {
			t.Errorf("ran %d steps past a divergence at 40 with lag %d", res.Steps, f.lag)
		}
	}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	job := testJob(1000, 10)
	f := &fakeBackend{lossAt: func(int) float64 { return 1 }, cancel: cancel, cancelN: 3}
	res, err := Run(ctx, &job, f, job.StartPoint(), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != Interrupted || res.StatusStep != 30 || res.Steps != 30 {
		t.Errorf("status %v at %d after %d steps, want Interrupted at 30", res.Status, res.StatusStep, res.Steps)
	}
	if res.Final.Step != 30 {
		t.Errorf("no final sample at the interruption point: %+v", res.Final)
	}
}

func TestRunHooksAndLR(t *testing.T) {
	job := testJob(20, 7)
	job.Optimizer.LR = 0.25
	f := &fakeBackend{lossAt: func(int) float64 { return 1 }}
	var seen []int
	issued := 0
	res, err := Run(context.Background(), &job, f, job.StartPoint(), Hooks{
		Sample: func(s Sample, lr float64, _ time.Duration) {
			if lr != 0.25 {
				t.Errorf("lr %v", lr)
			}
			seen = append(seen, s.Step)
		},
		Issued: func(done int) { issued = done },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(res.Samples) || issued != 20 {
		t.Errorf("hooks saw %v samples and %d issued steps; result has %d samples", seen, issued, len(res.Samples))
	}
	for _, lr := range f.lrs {
		if lr != 0.25 {
			t.Fatalf("backend got lr %v", lr)
		}
	}
}

func TestRunRefusesBadInput(t *testing.T) {
	job := testJob(10, 1)
	f := &fakeBackend{lossAt: func(int) float64 { return 1 }}
	if _, err := Run(context.Background(), &job, f, make([]float64, 3), Hooks{}); err == nil || !strings.Contains(err.Error(), "Job.Dim") {
		t.Errorf("wrong start length: %v", err)
	}
	job.LogEvery = 0
	if _, err := Run(context.Background(), &job, f, make([]float64, 4), Hooks{}); err == nil {
		t.Error("invalid job ran")
	}
}

// TestRunEveryStatus forces each Status through the job's rules on a fake
// device with a read-back lag, and checks the step it is reported at and
// its distinct exit code.
func TestRunEveryStatus(t *testing.T) {
	slowLoss := func(t int) float64 { return 100 / float64(1+t) }
	cases := []struct {
		name   string
		edit   func(j *Job)
		loss   func(t int) float64
		cancel int // cancel the context after this many Step calls (0: never)
		want   Status
		step   int // -1: do not check
	}{
		{"step limit", func(j *Job) {}, slowLoss, 0, StepLimit, 100},
		{"diverged", func(j *Job) {}, func(t int) float64 {
			if t >= 50 {
				return math.Inf(1)
			}
			return 1
		}, 0, Diverged, 50},
		{"interrupted", func(j *Job) {}, slowLoss, 2, Interrupted, 20},
		{"gradient threshold", func(j *Job) { j.GradTol = 2 }, slowLoss, 0, GradientThreshold, 0},
		{"function threshold", func(j *Job) { j.LossTarget, j.HasTarget = 5, true }, slowLoss, 0, FunctionThreshold, 20},
		{"function threshold at zero", func(j *Job) { j.LossTarget, j.HasTarget = 0, true }, func(t int) float64 { return math.Max(0, 30-float64(t)) }, 0, FunctionThreshold, 30},
		{"function convergence", func(j *Job) { j.FuncTol, j.FuncWindow = 1e-9, 2 }, func(t int) float64 {
			return 1 + 1/float64(1+min(t, 40))
		}, 0, FunctionConvergence, 60},
		{"runtime limit", func(j *Job) { j.TimeLimit = 1 }, slowLoss, 0, RuntimeLimit, 0}, // 1 ns: over before the first batch
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			job := testJob(100, 10)
			tc.edit(&job)
			f := &fakeBackend{lag: 2, lossAt: tc.loss}
			if tc.cancel > 0 {
				f.cancel, f.cancelN = cancel, tc.cancel
			}
			if tc.want == GradientThreshold {
				f.gradAt = func(t int) float64 { return 1 } // below the tolerance from the start
			}
			res, err := Run(ctx, &job, f, job.StartPoint(), Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want || (tc.step >= 0 && res.StatusStep != tc.step) {
				t.Errorf("status %v at step %d, want %v at %d", res.Status, res.StatusStep, tc.want, tc.step)
			}
			// The final point is reported, except after divergence, where the
			// last sample is the first bad one.
			if wantFinal := res.Steps; res.Final.Step != wantFinal && !(res.Status == Diverged && res.Final.Step == res.StatusStep) {
				t.Errorf("final sample at %d, but %d steps ran: the final point must be reported", res.Final.Step, res.Steps)
			}
		})
	}
}

// TestRunSchedules: the driver hands the backend the schedule's rate for
// every step, and reports each sample with the rate of its step.
func TestRunSchedules(t *testing.T) {
	for _, kind := range []string{"constant", "step", "cosine", "onecycle"} {
		t.Run(kind, func(t *testing.T) {
			job := testJob(90, 7)
			job.Schedule, _ = DefaultSchedule(kind)
			job.Schedule.StepSize, job.Schedule.TMax, job.Schedule.TotalSteps = 10, 90, 90
			job.Schedule.Warmup, job.Schedule.WarmupStartFactor = 5, 0.25
			if err := job.Validate(); err != nil {
				t.Fatal(err)
			}
			f := &fakeBackend{lossAt: func(int) float64 { return 1 }}
			res, err := Run(context.Background(), &job, f, job.StartPoint(), Hooks{Sample: func(s Sample, lr float64, _ time.Duration) {
				if want := job.LR(s.Step); lr != want {
					t.Errorf("sample at step %d reported lr %v, want %v", s.Step, lr, want)
				}
			}})
			if err != nil || res.Status != StepLimit {
				t.Fatalf("%v %v", res.Status, err)
			}
			for step, lr := range f.lrs {
				if want := job.LR(step); lr != want {
					t.Fatalf("step %d got lr %v, want %v", step, lr, want)
				}
			}
		})
	}
}

// TestRunPlateau: on a flat loss, ReduceLROnPlateau cuts the rate once
// patience samples have passed without improvement.
func TestRunPlateau(t *testing.T) {
	job := testJob(200, 10)
	job.Schedule, _ = DefaultSchedule("plateau")
	job.Schedule.Patience = 2
	f := &fakeBackend{lossAt: func(int) float64 { return 1 }}
	if _, err := Run(context.Background(), &job, f, job.StartPoint(), Hooks{}); err != nil {
		t.Fatal(err)
	}
	first, last := f.lrs[0], f.lrs[len(f.lrs)-1]
	if first != job.Optimizer.LR || !(last < first) {
		t.Errorf("lr went from %v to %v on a flat loss; want a reduction", first, last)
	}
}

// TestStatusMessages: every status has its own sentence.
func TestStatusMessages(t *testing.T) {
	seen := map[string]Status{}
	for s := NotTerminated; s <= RuntimeLimit; s++ {
		m := s.Message()
		if m == "" || m == s.String() {
			t.Errorf("%v has no message", s)
		}
		if prev, ok := seen[m]; ok {
			t.Errorf("%v and %v share the message %q", prev, s, m)
		}
		seen[m] = s
	}
}
