// Package gradcheck checks a problem's analytic gradient: the CPU's
// float64 gradient against central differences of its loss, and a GPU
// backend's gradient against the CPU's at the same points, with the bounds
// docs/tolerances.md derives ("Gradient check"). It serves a problem of
// one's own (gdgpu.RegisterProblem) as it serves the built-ins and the
// models. Request builds the job gdgpu gradcheck checks from what it is
// given, and the command prints the Report.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// The gradcheck bounds (docs/tolerances.md, "Gradient check"):
//
//   - analytic against central differences, per component,
//     |g_i - d_i| <= FDTol·(1 + |g_i| + |f|/s_i), s_i = max(1, |x_i|),
//     h_i = cbrt(u)·s_i: the difference's truncation (h²/6)|∂³f| and its
//     rounding ε_f/h are both about u^(2/3) = 3.7e-11 times the function's
//     scale; FDTol = 1e-6 leaves four orders for large third derivatives
//     (measured worst: 1e-2 of the bound, Ackley) and is far below a wrong
//     term (order |g_i|).
//   - GPU against CPU at the same point, |g_gpu - g_cpu| <= rel·|g_cpu| +
//     abs·max_j |g_cpu,j| (GPUTol).
//
// FDTol is the bound of the analytic gradient against central differences.
const FDTol = 1e-6

// GPUTol is the bound of a GPU gradient against the CPU's in precision p:
// |g_gpu - g_cpu| <= rel·|g_cpu| + abs·max_j |g_cpu,j|.
func GPUTol(p gdgpu.Precision) (rel, abs float64) {
	if p == gdgpu.F64 {
		return 1e-12, 1e-12
	}
	return 1e-4, 1e-4
}

// Gradienter computes the objective's gradient at a point on a device
// (engine.Backend and the GPU's model backend have the method).
type Gradienter interface {
	Gradient(x, dst []float64) error
}

// Report holds the worst errors of a check: of the analytic gradient
// against central differences (FD*), and of the GPU's against the CPU's
// (GPU*, when GPU is set), each as the largest absolute error, the largest
// relative one (to max(1, |g_i|)) and the largest ratio to its bound.
type Report struct {
	FDAbs, FDRel, FDRatio    float64
	GPUAbs, GPURel, GPURatio float64
	GPU                      bool // the GPU's gradient was checked
	Points                   int
}

// OK reports whether every error is within its bound.
func (r *Report) OK() bool { return r.FDRatio <= 1 && (!r.GPU || r.GPURatio <= 1) }

// ModelData gives a model job its data for a gradient check: a seeded synthetic set of 200
// rows and 5 standardized features (3 classes for softmax and the mlp), with l1 and l2
// penalties on, so that every term of the gradient is checked. A network
// (ModelInfo.Net) whose job names no hidden layers gets two, of 4 and 3
// tanh units. A model that also fits real targets (ModelInfo.RealTargets:
// the mlp) whose job.DataSpec.Task is "regression" gets the same rows with
// real targets (gdgpu.LoadData's synthetic regression).
func ModelData(job *gdgpu.Job, loss string, seed uint64) error {
	kind, classes := "classification", 2
	info, _ := gdgpu.LookupModel(job.Problem)
	switch {
	case info.RealTargets != nil && job.DataSpec.Task == "regression":
		ld, err := gdgpu.LoadData(job.Problem, gdgpu.DataSpec{Synthetic: "regression", Samples: 200, NumFeatures: 5, Noise: 1, Standardize: true, Task: "regression"}, seed)
		if err != nil {
			return err
		}
		return modelJob(job, ld.Data, loss)
	case !info.Classifier:
		kind, classes = "regression", 0
	case info.PerClass():
		classes = 3 // more than two: the K-output layout beyond the binary case
	}
	ds, err := data.Synthetic(kind, 200, 5, classes, 1, seed)
	if err != nil {
		return err
	}
	ds.Standardize()
	d, err := gdgpu.NewData(job.Problem, ds.X, ds.Y, ds.Rows, ds.Cols, nil, nil, 0, len(ds.Classes))
	if err != nil {
		return err
	}
	return modelJob(job, d, loss)
}

// modelJob gives job the data d, the loss and the penalties, and a
// network its default layers.
func modelJob(job *gdgpu.Job, d *gdgpu.Data, loss string) error {
	var err error
	job.Data, job.Loss, job.L1, job.L2 = d, loss, 0.01, 0.1
	if info, _ := gdgpu.LookupModel(job.Problem); info.Net != nil && len(job.Hidden) == 0 {
		job.Hidden, job.Activation = []int{4, 3}, "tanh"
	}
	job.Dim, err = gdgpu.ModelParams(job)
	return err
}

// nearKink reports whether some sample of a model with a kinked loss (MAE,
// perceptron, hinge) or the L1 penalty has its kink within reach of the
// central difference at x: then the difference straddles it and measures
// nothing. The point is redrawn.
func nearKink(job *gdgpu.Job, x []float64) bool {
	const margin = 1e-3 // the difference moves z by at most h·Σ|x_ij| ≈ 6e-6·10
	d := job.Data
	p := d.Cols + 1
	if net, _ := gdgpu.ModelNetwork(job); net != nil { // Check's job is valid
		near := false
		net.Weights(func(lo, hi int) {
			for _, v := range x[lo:hi] {
				near = near || math.Abs(v) < margin && job.L1 > 0
			}
		})
		if near {
			return true
		}
		xs := make([]float64, len(d.X))
		for i, v := range d.X {
			xs[i] = float64(v)
		}
		// a hidden pre-activation moves by at most h·(1 + Σ|input|)
		// for one parameter's difference: the same margin serves
		return net.Kink(x, xs, d.Rows) < margin
	}
	for k := range d.Outputs() {
		for j := range d.Cols {
			if math.Abs(x[k*p+j]) < margin && job.L1 > 0 {
				return true
			}
		}
	}
	info, _ := gdgpu.LookupModel(job.Problem)
	var dist func(z, y float64) float64 // the distance of a sample from the loss's kink
	if info.Kink != nil {
		dist = info.Kink(job)
	}
	if dist == nil {
		return false
	}
	for i := range d.Rows {
		z := x[d.Cols]
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			z += float64(x[j] * float64(v)) // rounded: no FMA, as the model's z
		}
		if dist(z, float64(d.Y[i])) < margin {
			return true
		}
	}
	return false
}

// relErr is |d| relative to |ref|, or |d| itself where |ref| < 1 (the
// reported relative error, not the bound).
func relErr(d, ref float64) float64 { return d / math.Max(math.Abs(ref), 1) }

// Options says where and what Check checks.
type Options struct {
	Points int    // random points, at least 1
	Seed   uint64 // seeds the points
	// GPU, when not nil, is the job's GPU backend, whose gradient is
	// checked against the CPU's.
	GPU Gradienter
	// Grad, when not nil, is the analytic gradient to check in place of
	// the CPU evaluator's (a test's deliberately wrong one, say).
	Grad func(g, x []float64)
}

// Check checks job's gradient at opt.Points random points drawn with
// opt.Seed from the problem's usual domain (Problem.Box, moved away from
// its kinks; a model's: [-2, 2]^N away from the kinks of its loss): the
// CPU's analytic gradient (float64) against central differences of the
// CPU's loss, h = cbrt(eps)·max(1, |x_i|) per component, and, with
// opt.GPU, the GPU's gradient against the CPU's at the same point (rounded
// to float32 for an f32 job). Each point costs 2N loss evaluations. The
// job must be valid; a model job needs its Data (ModelData makes some).
func Check(job *gdgpu.Job, opt Options) (*Report, error) {
	points, seed, gpu, grad := opt.Points, opt.Seed, opt.GPU, opt.Grad
	// Three vectors of N float64 (the point, the CPU's gradient, the GPU's)
	// and the objective's scratch: refused before allocating, as the
	// backends refuse what does not fit, rather than killed by the kernel.
	if need, free := 3*8*int64(job.Dim), sysmem.Free(); free.Bytes > 0 && need > free.Bytes {
		return nil, fmt.Errorf("gradcheck: %w: N = %d needs %d MiB of host memory (3 vectors of N float64), but %d MiB is available (%s)",
			cpu.ErrTooBig, job.Dim, need>>20, free.Bytes>>20, free.Source)
	}
	n := job.Dim
	// Points come from the problem's usual domain (a model's: [-2, 2]^N),
	// moved away from its kinks.
	prob, _ := gdgpu.LookupProblem(job.Problem)
	box, away := prob.Box, prob.AwayFromKinks
	if box == 0 {
		box = 2
	}
	rng := rand.New(rand.NewPCG(seed, 0x6772616463686b))
	if points < 1 {
		return nil, fmt.Errorf("gradcheck: %d points: want at least 1", points)
	}
	loss, cpuGrad := func(x []float64) float64 { return cpu.Loss(job, x) }, func(g, x []float64) { cpu.Grad(job, g, x) }
	if job.Data != nil {
		loss = func(x []float64) float64 { l, _ := cpu.ModelLoss(job, x); return l }
		cpuGrad = func(g, x []float64) { cpu.ModelGrad(job, g, x) }
	}
	if grad == nil {
		grad = cpuGrad
	}
	x := make([]float64, n)
	g := make([]float64, n)
	gg := make([]float64, n)
	r := &Report{GPU: gpu != nil, Points: points}
	h3 := math.Cbrt(0x1p-52)
	for p := 0; p < points; p++ {
		for try := 0; ; try++ {
			for i := range x {
				x[i] = box * (2*rng.Float64() - 1)
			}
			if away != nil {
				away(x)
			}
			if job.Data == nil || !nearKink(job, x) {
				break
			}
			if try == 1000 {
				return nil, fmt.Errorf("gradcheck: no point away from the kinks of %s in 1000 draws", job.Problem)
			}
		}
		if gpu != nil && job.Precision == gdgpu.F32 {
			for i := range x {
				x[i] = float64(float32(x[i]))
			}
		}
		f := loss(x)
		grad(g, x)
		for i := range x {
			xi := x[i]
			s := math.Max(1, math.Abs(xi))
			hs := float64(h3 * s) // rounded: no FMA, the same step both ways
			xp, xm := xi+hs, xi-hs
			x[i] = xp
			fp := loss(x)
			x[i] = xm
			fm := loss(x)
			x[i] = xi
			d := (fp - fm) / (xp - xm)
			e := math.Abs(d - g[i])
			r.FDAbs = math.Max(r.FDAbs, e)
			r.FDRel = math.Max(r.FDRel, relErr(e, g[i]))
			r.FDRatio = maxRatio(r.FDRatio, e, FDTol*(1+math.Abs(g[i])+math.Abs(f)/s))
		}
		if gpu == nil {
			continue
		}
		if err := gpu.Gradient(x, gg); err != nil {
			return nil, err
		}
		rel, abs := GPUTol(job.Precision)
		scale := 0.0
		for _, v := range g {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range g {
			e := math.Abs(gg[i] - g[i])
			r.GPUAbs = math.Max(r.GPUAbs, e)
			r.GPURel = math.Max(r.GPURel, relErr(e, g[i]))
			r.GPURatio = maxRatio(r.GPURatio, e, float64(rel*math.Abs(g[i]))+float64(abs*scale))
		}
	}
	return r, nil
}

// maxRatio returns max(worst, e/bound), treating NaN as beyond any bound.
func maxRatio(worst, e, bound float64) float64 {
	if math.IsNaN(e) {
		return math.Inf(1)
	}
	if bound == 0 {
		if e == 0 {
			return worst
		}
		return math.Inf(1)
	}
	return math.Max(worst, e/bound)
}
