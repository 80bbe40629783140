package viewer

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
)

// bowl is a LandscapeFunc of x² + y², for the tests that need a landscape
// but not an objective's.
func bowl(box []float64, w, h int, land []float64) (string, error) {
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x := box[0] + float64(px)*(box[1]-box[0])/float64(w-1)
			y := box[2] + float64(py)*(box[3]-box[2])/float64(h-1)
			land[py*w+px] = x*x + y*y
		}
	}
	return "test", nil
}

// TestExtentLeavesOutDiverged: the landscape's box is the extent of the
// races that did not diverge (a diverged path's points run off to 1e19
// and would shrink the landscape to a line); only when every race
// diverged does it span theirs.
func TestExtentLeavesOutDiverged(t *testing.T) {
	ok := &Race{Done: true, Result: gdgpu.Result{Status: gdgpu.StepLimit},
		Points: [][]float64{{0, 0}, {1, 1}, {2, 1.5}}}
	div := &Race{Done: true, Result: gdgpu.Result{Status: gdgpu.Diverged},
		Points: [][]float64{{0, 0}, {0.5, -3e3}, {1, 7e18}}}
	box := Extent([]*Race{ok, div})
	if box[0] < -1 || box[1] > 3 || box[2] < -1 || box[3] > 3 {
		t.Errorf("box %v, want about [-0.3, 2.3] x [-0.2, 1.7], the race that did not diverge", box)
	}
	box = Extent([]*Race{div})
	if box[3] < 7e18 {
		t.Errorf("every race diverged: box %v, want it to span the diverged path", box)
	}
}

// TestProjectionLeavesOutDiverged: in an N-D view, the principal plane
// and the frame come from the races that did not diverge; a diverged
// race's points (run off to 1e13) are projected onto that plane and
// clipped, instead of taking the whole variance and shrinking the other
// paths to a dot.
func TestProjectionLeavesOutDiverged(t *testing.T) {
	job := &gdgpu.Job{Problem: "rosenbrock", Dim: 6}
	ok := &Race{Done: true, Result: gdgpu.Result{Status: gdgpu.StepLimit}}
	div := &Race{Done: true, Result: gdgpu.Result{Status: gdgpu.Diverged}}
	for i := 0; i <= 20; i++ {
		s := float64(i)
		ok.Steps = append(ok.Steps, i)
		ok.Points = append(ok.Points, []float64{s / 10, math.Sin(s) / 5, 0, 0, 0, 1})
		if i <= 4 {
			div.Steps = append(div.Steps, i)
			div.Points = append(div.Points, []float64{0, 0, 1e12 * s * s * s, -1e12 * s * s, 0, 1})
		}
	}
	sc, err := NewScene(job, []*Race{ok, div}, nil, 300, 260, Light, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := sc.projBox; b[1]-b[0] > 10 || b[3]-b[2] > 10 {
		t.Errorf("frame %v: want the extent of the race that did not diverge, about 2 x 0.4", b)
	}
	if _, err := sc.Render(20); err != nil {
		t.Fatal(err)
	}
}

// TestStatusLineOfFinishedRace: a finished race's status line gives the
// step it stopped at and its final loss, as its legend entry does, not
// its last finite sample's (a run diverged at step 3 read "step 0 loss
// 24.2 ... Diverged" beside a legend "f NaN (Diverged)").
func TestStatusLineOfFinishedRace(t *testing.T) {
	r := &Race{Name: "sgd", LR: 10, Done: true,
		Result:  gdgpu.Result{Status: gdgpu.Diverged, StatusStep: 3, Steps: 5, Final: gdgpu.Sample{Step: 5, Loss: math.NaN()}, Elapsed: time.Second, KeptStep: 0},
		Steps:   []int{0},
		Points:  [][]float64{{-1.2, 1}},
		Samples: []gdgpu.Sample{{Step: 0, Loss: 24.2, GradNorm: 232}},
		LRs:     []float64{10},
		Elapsed: []time.Duration{time.Millisecond},
	}
	s := r.Series(Palette[0], 50)
	if !strings.Contains(s.Status, "step 3 ") || !strings.Contains(s.Status, "loss NaN") || !strings.HasSuffix(s.Status, "Diverged") {
		t.Errorf("status %q, want step 3, loss NaN, Diverged", s.Status)
	}
	if len(s.Steps) != 1 || s.Loss[0] != 24.2 {
		t.Errorf("curve %v %v, want the one finite sample", s.Steps, s.Loss)
	}
}

// TestLiveSceneRefitsAfterDivergence: in the window, a path that runs off
// grows the landscape's box while it runs; once its race ends Diverged
// the box is fitted again to the races that did not (a bowl stands in
// for the landscape).
func TestLiveSceneRefitsAfterDivergence(t *testing.T) {
	job := &gdgpu.Job{Problem: "himmelblau", Dim: 2}
	ok := &Race{Points: [][]float64{{0, 0}, {1, 1}, {2, 1.5}}}
	run := &Race{Points: [][]float64{{0, 0}, {0.5, -30}, {1, 7e6}}}
	sc, err := LiveScene(nil, job, []*Race{ok, run}, nil, 240, 220, Dark, bowl)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Box[3] < 7e6 {
		t.Fatalf("running: box %v, want it to hold the running path", sc.Box)
	}
	okDone, div := *ok, *run
	okDone.Done, okDone.Result.Status = true, gdgpu.StepLimit
	div.Done, div.Result.Status = true, gdgpu.Diverged
	if sc, err = LiveScene(sc, job, []*Race{&okDone, &div}, nil, 240, 220, Dark, bowl); err != nil {
		t.Fatal(err)
	}
	if b := sc.Box; b[0] < -1 || b[1] > 3 || b[2] < -1 || b[3] > 3 {
		t.Errorf("after the divergence: box %v, want about [-0.3, 2.3] x [-0.2, 1.7]", b)
	}
}
