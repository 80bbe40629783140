package main

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// scene draws a view's picture at any step of its races: the left panel
// (the landscape with the paths for two parameters, the paths projected
// on their principal plane for more) beside the curves panel.
type scene struct {
	job   *gdgpu.Job
	races []*race
	w, h  int          // each panel's size
	theme viewer.Theme // light for files, dark for the window

	// Two parameters: the landscape without paths, drawn once.
	base  *image.RGBA
	scale viewer.Scale // base's colour scale, for the colour bar
	title string       // the landscape's title: problem and dimension
	box   []float64
	where string // where the landscape was evaluated, for the summary line

	// More: every race's points projected (finite points only, with their steps).
	proj      [][][2]float64
	projSteps [][]int
	projBox   []float64
	xlabel    string
	ylabel    string
}

// newScene prepares the left panel: it evaluates the landscape over box
// (nil: the races' extent) on ec's GPU, or on the CPU when ec is nil or the
// objective needs a pre-pass, or projects the races' N-D points. The
// panels are drawn in theme's colours.
func newScene(job *gdgpu.Job, ec *engine.Context, races []*race, box []float64, w, h int, theme viewer.Theme) (*scene, error) {
	sc := &scene{job: job, races: races, w: w, h: h, theme: theme}
	if projected(job) {
		return sc, sc.project()
	}
	if box == nil {
		box = extent(races)
	}
	sc.box = box
	// The landscape fills the panel's inner rectangle; the axes, the title
	// and the colour bar frame it (viewer.LandscapePanel).
	lr := viewer.LandscapeRect(w, h, box[2], box[3])
	lw, lh := lr.Dx(), lr.Dy()
	land := make([]float64, lw*lh)
	sc.where = "cpu/f64"
	var err error
	if ec != nil {
		err = ec.Landscape(job, box[0], box[1], box[2], box[3], lw, lh, land)
		sc.where = "gpu/" + job.Precision.String()
	}
	if ec == nil || errors.Is(err, engine.ErrLandscapePrepass) {
		err, sc.where = nil, "cpu/f64"
		cpuLandscape(job, box, lw, lh, land)
	}
	if err != nil {
		return nil, failure(err)
	}
	if sc.base, sc.scale, err = viewer.RenderScale(land, lw, lh, box[0], box[1], box[2], box[3], nil); err != nil {
		return nil, failure(err)
	}
	sc.title = problemTitle(job)
	sc.where = fmt.Sprintf("%s on [%g, %g] x [%g, %g], landscape on %s", job.Problem, box[0], box[1], box[2], box[3], sc.where)
	return sc, nil
}

// project computes the principal plane of every finite point of the races
// that did not diverge (of all races when every one did; a diverged run's
// non-finite points are left out) and its frame; a diverged race's points
// are projected onto that plane and clipped at the frame, as extent does
// for a landscape.
func (sc *scene) project() error {
	var trajs [][][]float64
	fit := make([]bool, len(sc.races))
	sc.projSteps = make([][]int, len(sc.races))
	for k, r := range sc.races {
		fit[k] = !r.diverged()
		var t [][]float64
		for i, p := range r.points {
			if finiteAll(p) {
				t = append(t, p)
				sc.projSteps[k] = append(sc.projSteps[k], r.steps[i])
			}
		}
		trajs = append(trajs, t)
	}
	pr, err := viewer.ProjectFit(trajs, fit)
	if err != nil {
		return failure(err)
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
	sc.xlabel = fmt.Sprintf("principal direction 1 (%.1f%% of the variance)", 100*pr.Explained[0])
	sc.ylabel = fmt.Sprintf("principal direction 2 (%.1f%%)", 100*pr.Explained[1])
	sc.where = fmt.Sprintf("%s at --dim %d projected on the trajectories' principal plane (%.1f%% + %.1f%% of their variance)",
		sc.job.Problem, sc.job.Dim, 100*pr.Explained[0], 100*pr.Explained[1])
	return nil
}

func finiteAll(p []float64) bool {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}

// render draws the picture with everything up to step upto: each race's
// points and samples at or before it. A race whose run ended at or before
// upto shows its final status, others "running".
func (sc *scene) render(upto int) (*image.RGBA, error) {
	paths := make([]viewer.Path, len(sc.races))
	series := make([]viewer.Series, len(sc.races))
	for k, r := range sc.races {
		col := viewer.Palette[k%len(viewer.Palette)]
		finished := r.done && r.res.StatusStep <= upto
		label := r.title()
		if finished {
			label = r.label()
		}
		paths[k] = viewer.Path{Color: col, Label: label}
		if projected(sc.job) {
			for i, st := range sc.projSteps[k] {
				if st <= upto {
					paths[k].Points = append(paths[k].Points, sc.proj[k][i])
				}
			}
		} else {
			for i, st := range r.steps {
				if st <= upto {
					paths[k].Points = append(paths[k].Points, [2]float64{r.points[i][0], r.points[i][1]})
				}
			}
		}
		s := raceSeries(r, col, upto)
		series[k] = s
	}
	var left *image.RGBA
	if projected(sc.job) {
		var err error
		if left, err = viewer.RenderProjection(sc.w, sc.h, paths, sc.xlabel, sc.ylabel, sc.projBox, sc.theme); err != nil {
			return nil, err
		}
	} else {
		land := image.NewRGBA(sc.base.Rect)
		draw.Draw(land, land.Rect, sc.base, image.Point{}, draw.Src)
		viewer.DrawPaths(land, sc.box[0], sc.box[1], sc.box[2], sc.box[3], paths)
		var err error
		if left, err = viewer.LandscapePanel(sc.w, sc.h, land, sc.scale, sc.box[0], sc.box[1], sc.box[2], sc.box[3], sc.title, sc.theme); err != nil {
			return nil, err
		}
	}
	right, err := viewer.RenderCurves(sc.w, sc.h, series, sc.theme)
	if err != nil {
		return nil, err
	}
	return viewer.SideBySide(left, right, sc.theme), nil
}

// landscapeEngine is the engine a view's landscape is evaluated on: ec
// for a GPU run, none (cpu.Loss in float64) for a --device cpu one, in
// the window too, whose context would otherwise evaluate it in
// --precision and draw another picture than the PNG's.
func landscapeEngine(s *setup, ec *engine.Context) *engine.Context {
	if s.device != "gpu" {
		return nil
	}
	return ec
}

// raceSeries is r's curves up to step upto, and its status line: the step,
// loss, learning rate and speed of its last sample then, or, once its run
// has ended by then, the step it stopped at and its final loss (a
// diverged run's last sample read back may be NaN, which the curves do
// not keep), with its status.
func raceSeries(r *race, col color.RGBA, upto int) viewer.Series {
	finished := r.done && r.res.StatusStep <= upto
	s := viewer.Series{Label: r.name, Color: col}
	n := 0
	for i, sm := range r.samples {
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
		status = r.res.Status.String()
	}
	if n > 0 {
		sm := r.samples[n-1]
		rate := 0.0
		if el := r.elapsed[n-1].Seconds(); el > 0 {
			rate = float64(sm.Step) / el
		}
		if finished && r.res.Elapsed > 0 {
			rate = float64(r.res.Steps) / r.res.Elapsed.Seconds()
		}
		step, loss := sm.Step, sm.Loss
		if finished {
			step, loss = r.res.StatusStep, r.res.Final.Loss
		}
		s.Status = viewer.StatusLine(r.name, step, loss, r.lrs[n-1], rate, status)
	} else {
		s.Status = r.name + ": " + status
	}
	return s
}

// problemTitle names the landscape's problem and dimension: the problem,
// or a typed objective's expression.
func problemTitle(job *gdgpu.Job) string {
	name := job.Problem
	if job.Objective != "" {
		name = strings.Join(strings.Fields(job.Objective), " ")
	}
	return fmt.Sprintf("%s, N = %d", name, job.Dim)
}

// projected reports whether the job's trajectories are drawn projected on
// their principal plane rather than over a landscape: above two
// parameters, and for models on data, whose loss neither Landscape nor
// cpu.Loss evaluates on a grid.
func projected(job *gdgpu.Job) bool {
	return job.Dim > 2 || gdgpu.IsModel(job.Problem)
}
