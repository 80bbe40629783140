package viewer

import (
	"context"
	"fmt"
	"image/color"
	"math"
	"sync"
	"time"

	"github.com/gdgpu/gdgpu"
)

// Race is one optimizer's run as a view draws it: the parameters at the
// start, at every sample step and at the end, and every sample with its
// learning rate and the time it was read back at. Run fills it.
type Race struct {
	Name    string
	LR      float64
	OwnLR   bool        // a method whose line search picks the steps: there is no lr to show
	Steps   []int       // the step of each point
	Points  [][]float64 // the parameters at Steps[i]
	Samples []gdgpu.Sample
	LRs     []float64
	Elapsed []time.Duration
	Result  gdgpu.Result
	Done    bool // Result is set
}

// NewRace is a race of job's optimizer from x0 (copied), called name, or
// by the optimizer's name when name is "".
func NewRace(job *gdgpu.Job, name string, x0 []float64) *Race {
	info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name)
	if name == "" {
		name = job.Optimizer.Name
	}
	return &Race{Name: name, LR: job.Optimizer.LR, OwnLR: info.CPUOnly,
		Steps: []int{0}, Points: [][]float64{append([]float64(nil), x0...)}}
}

// Title names the race: its optimizer (with its own settings) and lr.
func (r *Race) Title() string {
	if r.OwnLR {
		return r.Name
	}
	return fmt.Sprintf("%s lr %g", r.Name, r.LR)
}

// Label is the race's legend entry: its title, and once it ended, its
// final loss and status.
func (r *Race) Label() string {
	if !r.Done {
		return r.Title()
	}
	return fmt.Sprintf("%s: f %.4g (%s)", r.Title(), r.Result.Final.Loss, r.Result.Status)
}

// Diverged reports whether the race's run ended Diverged.
func (r *Race) Diverged() bool { return r.Done && r.Result.Status == gdgpu.Diverged }

// RaceHooks adapt Race.Run to a live view. Lock, when set, guards the
// race's fields while Run changes them, so that a reader holding it may
// copy the race and read the copy without it: Run only appends, and when
// it drops points it moves to new arrays. Issued, when set, is called
// after each batch of steps, without the lock (a window waits there for
// its next frame).
type RaceHooks struct {
	Lock   sync.Locker
	Issued func(done int)
}

type noLock struct{}

func (noLock) Lock()   {}
func (noLock) Unlock() {}

// Run runs job on b from the race's start point to its end: it records the
// parameters every job.LogEvery steps (where the driver's batches end) and
// at the end, and every sample. A run stopped between log points, or
// reverted to its last finite state, ends on the point the backend holds
// then (StatusStep, or KeptStep when it diverged): points recorded after
// it are dropped.
func (r *Race) Run(ctx context.Context, job *gdgpu.Job, b gdgpu.Backend, h RaceHooks) (gdgpu.Result, error) {
	mu := h.Lock
	if mu == nil {
		mu = noLock{}
	}
	mu.Lock()
	x0 := r.Points[0]
	last := r.Steps[len(r.Steps)-1]
	mu.Unlock()
	var hookErr error
	add := func(step int) {
		if hookErr != nil {
			return
		}
		p := make([]float64, job.Dim)
		if hookErr = b.Params(p); hookErr == nil {
			mu.Lock()
			r.Steps = append(r.Steps, step)
			r.Points = append(r.Points, p)
			mu.Unlock()
		}
	}
	hooks := gdgpu.Hooks{
		Issued: func(done int) {
			if done%job.LogEvery == 0 && done > last {
				last = done
				add(done)
			}
			if h.Issued != nil {
				h.Issued(done)
			}
		},
		Sample: func(sm gdgpu.Sample, lr float64, el time.Duration) {
			mu.Lock()
			r.Samples = append(r.Samples, sm)
			r.LRs = append(r.LRs, lr)
			r.Elapsed = append(r.Elapsed, el)
			mu.Unlock()
		},
	}
	res, err := gdgpu.Run(ctx, job, b, x0, hooks)
	if err == nil {
		err = hookErr
	}
	if err != nil {
		return res, err
	}
	if res.StatusStep != last {
		at := res.StatusStep
		if res.Status == gdgpu.Diverged && res.KeptStep >= 0 {
			at = res.KeptStep
		}
		mu.Lock()
		n := len(r.Steps)
		for n > 1 && r.Steps[n-1] > at {
			n--
		}
		// Capacity clipped: the append below then makes new arrays, so a
		// copy of the race taken under the lock keeps reading what it
		// read (its elements are never written again).
		r.Steps, r.Points = r.Steps[:n:n], r.Points[:n:n]
		mu.Unlock()
		add(at)
		if hookErr != nil {
			return res, hookErr
		}
	}
	mu.Lock()
	r.Result, r.Done = res, true
	mu.Unlock()
	return res, nil
}

// Series is the race's curves up to step upto, and its status line: the
// step, loss, learning rate and speed of its last sample then, or, once
// its run has ended by then, the step it stopped at and its final loss (a
// diverged run's last sample read back may be NaN, which the curves do
// not keep), with its status.
func (r *Race) Series(col color.RGBA, upto int) Series {
	finished := r.Done && r.Result.StatusStep <= upto
	s := Series{Label: r.Name, Color: col}
	n := 0
	for i, sm := range r.Samples {
		if sm.Step > upto {
			break
		}
		s.Steps = append(s.Steps, sm.Step)
		s.Loss = append(s.Loss, sm.Loss)
		s.GradNorm = append(s.GradNorm, sm.GradNorm)
		n = i + 1
	}
	status := "running"
	if finished {
		status = r.Result.Status.String()
	}
	if n > 0 {
		sm := r.Samples[n-1]
		rate := 0.0
		if el := r.Elapsed[n-1].Seconds(); el > 0 {
			rate = float64(sm.Step) / el
		}
		if finished && r.Result.Elapsed > 0 {
			rate = float64(r.Result.Steps) / r.Result.Elapsed.Seconds()
		}
		step, loss := sm.Step, sm.Loss
		if finished {
			step, loss = r.Result.StatusStep, r.Result.Final.Loss
		}
		s.Status = StatusLine(r.Name, step, loss, r.LRs[n-1], rate, status)
	} else {
		s.Status = r.Name + ": " + status
	}
	return s
}

// Extent is the box around every finite trajectory point with a 15% margin
// on each side (at least 0.5 wide; around the origin when there is none).
// A diverged race's points are left out (they run off to 1e19 and more,
// and would shrink the landscape to a line; the path is clipped at the
// box's edge) unless every race diverged.
func Extent(races []*Race) []float64 {
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	all := true
	for _, r := range races {
		all = all && r.Diverged()
	}
	for _, r := range races {
		if r.Diverged() && !all {
			continue
		}
		for _, p := range r.Points {
			if len(p) < 2 || math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
				continue
			}
			for i := range p {
				lo[i], hi[i] = math.Min(lo[i], p[i]), math.Max(hi[i], p[i])
			}
		}
	}
	box := make([]float64, 4)
	for i := range lo {
		if lo[i] > hi[i] { // no finite point: a box around the origin
			lo[i], hi[i] = 0, 0
		}
		span := math.Max(hi[i]-lo[i], 0.5)
		mid := (lo[i] + hi[i]) / 2
		box[2*i], box[2*i+1] = mid-0.65*span, mid+0.65*span
	}
	return box
}

// countDiverged counts the races whose run ended Diverged.
func countDiverged(races []*Race) int {
	n := 0
	for _, r := range races {
		if r.Diverged() {
			n++
		}
	}
	return n
}

// inside reports whether every finite point of the races lies in box,
// leaving out the races that diverged (as Extent does) unless all did.
func inside(box []float64, races []*Race) bool {
	all := countDiverged(races) == len(races)
	for _, r := range races {
		if r.Diverged() && !all {
			continue
		}
		for _, p := range r.Points {
			if finiteAll(p) && (p[0] < box[0] || p[0] > box[1] || p[1] < box[2] || p[1] > box[3]) {
				return false
			}
		}
	}
	return true
}

func finiteAll(p []float64) bool {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
