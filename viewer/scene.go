package viewer

import (
	"fmt"
	"image"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/gdgpu/gdgpu"
)

// LandscapeFunc evaluates a job's loss over box (x0, x1, y0, y1) on a
// w x h grid into land, row by row from y0 (engine.Context.Landscape's
// grid), and says where it ran ("gpu/f32", "cpu/f64").
type LandscapeFunc func(box []float64, w, h int, land []float64) (where string, err error)

// Scene draws a view's picture at any step of its races: the left panel
// (the landscape with the paths for two parameters, the paths projected
// on their principal plane for more) beside the curves panel.
type Scene struct {
	job   *gdgpu.Job
	races []*Race
	w, h  int   // each panel's size
	theme Theme // light for files, dark for the window

	// Two parameters: the landscape without paths, drawn once.
	base  *image.RGBA
	scale Scale     // base's colour scale, for the colour bar
	title string    // the landscape's title: problem and dimension
	Box   []float64 // the landscape's box (x0, x1, y0, y1)
	// LandscapeOn is where the landscape was evaluated (LandscapeFunc).
	LandscapeOn string

	// More: every race's points projected (finite points only, with their steps).
	proj      [][][2]float64
	projSteps [][]int
	projBox   []float64
	// Explained is the fraction of the trajectories' variance along the
	// projection's two principal directions.
	Explained [2]float64
}

// Where says what the scene's left panel shows, for a summary line:
// "himmelblau on [x0, x1] x [y0, y1], landscape on cpu/f64", or
// "rosenbrock at Job.Dim 8 projected on the trajectories' principal plane
// (99.3% + 0.7% of their variance)". name names the field it speaks of,
// as for gdgpu.Job.Describe (the Go name with a nil name).
func (sc *Scene) Where(name func(field string) string) string {
	job := sc.job
	if Projected(job) {
		dim := "Job.Dim"
		if name != nil {
			dim = name(dim)
		}
		return fmt.Sprintf("%s at %s %d projected on the trajectories' principal plane (%.1f%% + %.1f%% of their variance)",
			job.Problem, dim, job.Dim, 100*sc.Explained[0], 100*sc.Explained[1])
	}
	b := sc.Box
	return fmt.Sprintf("%s on [%g, %g] x [%g, %g], landscape on %s", job.Problem, b[0], b[1], b[2], b[3], sc.LandscapeOn)
}

// Projected reports whether the job's trajectories are drawn projected on
// their principal plane rather than over a landscape: above two
// parameters, and for models on data, whose loss is not evaluated on a
// grid.
func Projected(job *gdgpu.Job) bool {
	return job.Dim > 2 || gdgpu.IsModel(job.Problem)
}

// NewScene prepares the left panel of races on job: for two parameters
// it evaluates the landscape over box (nil: the races' Extent) with land,
// for more it projects the races' points. The panels are w x h, drawn in
// theme's colours.
func NewScene(job *gdgpu.Job, races []*Race, box []float64, w, h int, theme Theme, land LandscapeFunc) (*Scene, error) {
	sc := &Scene{job: job, races: races, w: w, h: h, theme: theme}
	if Projected(job) {
		return sc, sc.project()
	}
	if box == nil {
		box = Extent(races)
	}
	sc.Box = box
	// The landscape fills the panel's inner rectangle; the axes, the title
	// and the colour bar frame it (LandscapePanel).
	lr := LandscapeRect(w, h, box[2], box[3])
	lw, lh := lr.Dx(), lr.Dy()
	values := make([]float64, lw*lh)
	var err error
	if sc.LandscapeOn, err = land(box, lw, lh, values); err != nil {
		return nil, err
	}
	if sc.base, sc.scale, err = RenderScale(values, lw, lh, box[0], box[1], box[2], box[3], nil); err != nil {
		return nil, err
	}
	sc.title = ProblemTitle(job)
	return sc, nil
}

// project computes the principal plane of every finite point of the races
// that did not diverge (of all races when every one did; a diverged run's
// non-finite points are left out) and its frame; a diverged race's points
// are projected onto that plane and clipped at the frame, as Extent does
// for a landscape.
func (sc *Scene) project() error {
	var trajs [][][]float64
	fit := make([]bool, len(sc.races))
	sc.projSteps = make([][]int, len(sc.races))
	for k, r := range sc.races {
		fit[k] = !r.Diverged()
		var t [][]float64
		for i, p := range r.Points {
			if finiteAll(p) {
				t = append(t, p)
				sc.projSteps[k] = append(sc.projSteps[k], r.Steps[i])
			}
		}
		trajs = append(trajs, t)
	}
	pr, err := ProjectFit(trajs, fit)
	if err != nil {
		return err
	}
	sc.proj = pr.Paths
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	all := !slices.Contains(fit, true)
	for k, t := range sc.proj {
		if !fit[k] && !all {
			continue
		}
		for _, q := range t {
			for i := range q {
				lo[i], hi[i] = math.Min(lo[i], q[i]), math.Max(hi[i], q[i])
			}
		}
	}
	for i := range lo {
		if !(hi[i] > lo[i]) { // a single point, or no motion along this direction
			mid := 0.0
			if lo[i] <= hi[i] {
				mid = lo[i]
			}
			lo[i], hi[i] = mid-1, mid+1
		}
	}
	sc.projBox = []float64{lo[0], hi[0], lo[1], hi[1]}
	sc.Explained = [2]float64{pr.Explained[0], pr.Explained[1]}
	return nil
}

// Finished reports whether the scene's races had all finished.
func (sc *Scene) Finished() bool {
	for _, r := range sc.races {
		if !r.Done {
			return false
		}
	}
	return true
}

// Render draws the picture with everything up to step upto: each race's
// points and samples at or before it. A race whose run ended at or before
// upto shows its final status, others "running".
func (sc *Scene) Render(upto int) (*image.RGBA, error) {
	paths := make([]Path, len(sc.races))
	series := make([]Series, len(sc.races))
	for k, r := range sc.races {
		col := Palette[k%len(Palette)]
		finished := r.Done && r.Result.StatusStep <= upto
		label := r.Title()
		if finished {
			label = r.Label()
		}
		paths[k] = Path{Color: col, Label: label}
		if Projected(sc.job) {
			for i, st := range sc.projSteps[k] {
				if st <= upto {
					paths[k].Points = append(paths[k].Points, sc.proj[k][i])
				}
			}
		} else {
			for i, st := range r.Steps {
				if st <= upto {
					paths[k].Points = append(paths[k].Points, [2]float64{r.Points[i][0], r.Points[i][1]})
				}
			}
		}
		series[k] = r.Series(col, upto)
	}
	var left *image.RGBA
	if Projected(sc.job) {
		xlabel := fmt.Sprintf("principal direction 1 (%.1f%% of the variance)", 100*sc.Explained[0])
		ylabel := fmt.Sprintf("principal direction 2 (%.1f%%)", 100*sc.Explained[1])
		var err error
		if left, err = RenderProjection(sc.w, sc.h, paths, xlabel, ylabel, sc.projBox, sc.theme); err != nil {
			return nil, err
		}
	} else {
		land := image.NewRGBA(sc.base.Rect)
		draw.Draw(land, land.Rect, sc.base, image.Point{}, draw.Src)
		DrawPaths(land, sc.Box[0], sc.Box[1], sc.Box[2], sc.Box[3], paths)
		var err error
		if left, err = LandscapePanel(sc.w, sc.h, land, sc.scale, sc.Box[0], sc.Box[1], sc.Box[2], sc.Box[3], sc.title, sc.theme); err != nil {
			return nil, err
		}
	}
	right, err := RenderCurves(sc.w, sc.h, series, sc.theme)
	if err != nil {
		return nil, err
	}
	return SideBySide(left, right, sc.theme), nil
}

// LiveScene gives the scene for the races so far at panel size pw x ph,
// reusing sc (nil: none yet): for two parameters the landscape is
// evaluated again only when the size changes or a path leaves it (the box
// then grows by half on each side, so that happens a few times at most),
// and fitted again to the races that did not diverge when one has; an
// N-D projection is recomputed. bounds, when set, is the box. The panels
// are drawn in theme.
func LiveScene(sc *Scene, job *gdgpu.Job, races []*Race, bounds []float64, pw, ph int, theme Theme, land LandscapeFunc) (*Scene, error) {
	if Projected(job) {
		return NewScene(job, races, nil, pw, ph, theme, land)
	}
	if sc != nil && sc.w == pw && sc.h == ph && (bounds != nil || inside(sc.Box, races) && countDiverged(sc.races) == countDiverged(races)) {
		sc.races = races
		return sc, nil
	}
	box := bounds
	if box == nil {
		box = Extent(races)
		// Grown, not resized, nor fitted again to the races that did not
		// diverge once one has (it grew the box while it ran off).
		if sc != nil && sc.w == pw && sc.h == ph && countDiverged(sc.races) == countDiverged(races) {
			for i := 0; i < 2; i++ {
				span := box[2*i+1] - box[2*i]
				box[2*i], box[2*i+1] = box[2*i]-span/2, box[2*i+1]+span/2
			}
		}
	}
	return NewScene(job, races, box, pw, ph, theme, land)
}

// ProblemTitle names the landscape's problem and dimension: the problem,
// or a typed objective's expression.
func ProblemTitle(job *gdgpu.Job) string {
	name := job.Problem
	if job.Objective != "" {
		name = strings.Join(strings.Fields(job.Objective), " ")
	}
	return fmt.Sprintf("%s, N = %d", name, job.Dim)
}
