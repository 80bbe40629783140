package main

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/spf13/cobra"
)

// The gradcheck bounds (docs/tolerances.md, "Gradient check"):
//
//   - analytic against central differences, per component,
//     |g_i - d_i| <= fdTol·(1 + |g_i| + |f|/s_i), s_i = max(1, |x_i|),
//     h_i = cbrt(u)·s_i: the difference's truncation (h²/6)|∂³f| and its
//     rounding ε_f/h are both about u^(2/3) = 3.7e-11 times the function's
//     scale; fdTol = 1e-6 leaves four orders for large third derivatives
//     (measured worst: 1e-2 of the bound, Ackley) and is far below a wrong
//     term (order |g_i|).
//   - GPU against CPU at the same point, |g_gpu - g_cpu| <= rel·|g_cpu| +
//     abs·max_j |g_cpu,j| (gpuGradTol).
const fdTol = 1e-6

func gpuGradTol(p gdgpu.Precision) (rel, abs float64) {
	if p == gdgpu.F64 {
		return 1e-12, 1e-12
	}
	return 1e-4, 1e-4
}

func newGradcheckCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		problem, device, precision, loss string
		dim, points, gpu                 int
		seed                             uint64
	)
	cmd := &cobra.Command{
		Use:   "gradcheck",
		Short: "check a problem's analytic gradient against central differences, and the GPU's against the CPU's",
		Long: `At --points random points of the problem's usual domain (seeded), compare
the CPU's analytic gradient (float64) with central differences of the CPU's
loss, h = cbrt(eps)·max(1, |x_i|) per component, and the GPU's gradient
(in --precision) with the CPU's at the same point (rounded to float32 for
f32). Prints the max abs and rel error of each and the worst ratio to the
bound (docs/tolerances.md). Each point costs 2N loss evaluations.

A model (--problem linear, logistic, ...) is checked on a seeded synthetic
set of 200 rows and 5 standardized features (3 classes for softmax), with
--l1 0.01 and --l2 0.1, at points away from the kinks of MAE, hinge, the
perceptron and L1; --data and the other model flags do not apply.

Exit 0 within the bounds, 1 beyond, 2 on bad flags, 3 without a GL context
(--device gpu; --device cpu skips the GPU part).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			info, ok := gdgpu.LookupProblem(problem)
			isModel := gdgpu.IsModel(problem)
			if !ok && !isModel {
				return usagef("--problem %q is unknown (known: %v; models: %v)", problem, gdgpu.ProblemNames(), gdgpu.ModelNames())
			}
			if isModel && c.Flags().Changed("dim") {
				return usagef("--dim does not apply to --problem %s: the parameter count follows from the data", problem)
			}
			if !c.Flags().Changed("dim") {
				dim = min(100, info.DefaultDim)
			}
			if c.Flags().Changed("loss") && problem != "linear" {
				return usagef("--loss applies to --problem linear")
			}
			if points < 1 {
				return usagef("--points %d must be >= 1", points)
			}
			if device != "gpu" && device != "cpu" {
				return usagef("--device %q: want gpu or cpu", device)
			}
			prec, err := gdgpu.ParsePrecision(precision)
			if err != nil {
				return usagef("--precision: %v", err)
			}
			job := gdgpu.NewJob()
			job.Problem, job.Dim, job.Precision = problem, dim, prec
			job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
			if isModel {
				if err := gradcheckData(&job, loss, seed); err != nil {
					return err
				}
			}
			if err := job.Validate(); err != nil {
				return usagef("%v", err)
			}
			var gb gradienter
			if device == "gpu" {
				ec, err := openGL(gpu)
				if err != nil {
					return err
				}
				defer ec.Close()
				b, err := ec.NewBackend(&job)
				if err != nil {
					return failure(err)
				}
				defer b.Close()
				var ok bool
				if gb, ok = b.(gradienter); !ok {
					return failure(fmt.Errorf("the GPU backend of %s has no Gradient method", problem))
				}
			}
			r, err := gradcheck(&job, gb, points, seed)
			if err != nil {
				return failure(err)
			}
			r.print(stdout, &job)
			if !r.ok() {
				return exitCode(gdgpu.ExitMismatch)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&problem, "problem", "rosenbrock", "objective (gdgpu list describes them)")
	fs.IntVar(&dim, "dim", 0, "number of parameters (default: 100, or the problem's fixed dimension)")
	fs.IntVar(&points, "points", 5, "random points to check")
	fs.Uint64Var(&seed, "seed", 1, "seed of the random points")
	fs.StringVar(&device, "device", "gpu", "gpu (check the GPU against the CPU too) or cpu (finite differences only)")
	fs.StringVar(&precision, "precision", "f32", "GPU precision: f32 or f64")
	fs.IntVar(&gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	fs.StringVar(&loss, "loss", "mse", "linear model: the regression cost, "+strings.Join(gdgpu.Losses, ", "))
	return cmd
}

// gradienter computes the objective's gradient at a point on the device
// (engine.Backend and the GPU model backend).
type gradienter interface {
	Gradient(x, dst []float64) error
}

// gradcheckData gives a model job its data: a seeded synthetic set of 200
// rows and 5 standardized features (3 classes for softmax), with l1 and l2
// penalties on, so that every term of the gradient is checked.
func gradcheckData(job *gdgpu.Job, loss string, seed uint64) error {
	kind, classes := "classification", 2
	switch job.Problem {
	case "linear":
		kind, classes = "regression", 0
	case "softmax":
		classes = 3
	}
	ds, err := data.Synthetic(kind, 200, 5, classes, 1, seed)
	if err != nil {
		return failure(err)
	}
	ds.Standardize()
	d, err := gdgpu.NewData(job.Problem, ds.X, ds.Y, ds.Rows, ds.Cols, nil, nil, 0, len(ds.Classes))
	if err != nil {
		return failure(err)
	}
	job.Data, job.Loss, job.L1, job.L2 = d, loss, 0.01, 0.1
	job.Dim = gdgpu.ModelDim(d, true)
	return nil
}

// nearKink reports whether some sample of a model with a kinked loss (MAE,
// perceptron, hinge) or the L1 penalty has its kink within reach of the
// central difference at x: then the difference straddles it and measures
// nothing. The point is redrawn.
func nearKink(job *gdgpu.Job, x []float64) bool {
	const margin = 1e-3 // the difference moves z by at most h·Σ|x_ij| ≈ 6e-6·10
	d := job.Data
	p := d.Cols + 1
	for k := range d.Outputs() {
		for j := range d.Cols {
			if math.Abs(x[k*p+j]) < margin && job.L1 > 0 {
				return true
			}
		}
	}
	kink, ok := map[string]float64{"perceptron": 0, "hinge": 1}[job.Problem]
	if job.Problem == "linear" && job.Loss == "mae" {
		kink, ok = 0, true
	}
	if !ok {
		return false
	}
	for i := range d.Rows {
		z := x[d.Cols]
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			z += x[j] * float64(v)
		}
		y := float64(d.Y[i])
		v := y * z // perceptron and hinge: the kink is at y z = kink
		if job.Problem == "linear" {
			v = z - y
		}
		if math.Abs(v-kink) < margin {
			return true
		}
	}
	return false
}

// gradcheckPerturb, when set (by tests only), alters the CPU's analytic
// gradient at each point before it is checked, so that a test can make the
// check fail honestly.
var gradcheckPerturb func(g []float64)

// gradReport holds the worst errors of a gradcheck.
type gradReport struct {
	fdAbs, fdRel, fdRatio    float64 // analytic vs central differences
	gpuAbs, gpuRel, gpuRatio float64 // GPU vs CPU; gpu false: not checked
	gpu                      bool
	points                   int
}

func (r *gradReport) ok() bool { return r.fdRatio <= 1 && (!r.gpu || r.gpuRatio <= 1) }

// relErr is |d| relative to |ref|, or |d| itself where |ref| < 1 (the
// reported relative error, not the bound).
func relErr(d, ref float64) float64 { return d / math.Max(math.Abs(ref), 1) }

// gradcheck checks job's gradient at points random points (see the
// command's doc); gb, when not nil, is the GPU backend for the job.
func gradcheck(job *gdgpu.Job, gb gradienter, points int, seed uint64) (*gradReport, error) {
	n := job.Dim
	// Points come from the problem's usual domain (a model's: [-2, 2]^N),
	// moved away from its kinks.
	prob, _ := gdgpu.LookupProblem(job.Problem)
	box, away := prob.Box, prob.AwayFromKinks
	if box == 0 {
		box = 2
	}
	rng := rand.New(rand.NewPCG(seed, 0x6772616463686b))
	loss, grad := func(x []float64) float64 { return cpu.Loss(job, x) }, func(g, x []float64) { cpu.Grad(job, g, x) }
	if job.Data != nil {
		loss = func(x []float64) float64 { l, _ := cpu.ModelLoss(job, x); return l }
		grad = func(g, x []float64) { cpu.ModelGrad(job, g, x) }
	}
	x := make([]float64, n)
	g := make([]float64, n)
	gg := make([]float64, n)
	r := &gradReport{gpu: gb != nil, points: points}
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
				return nil, fmt.Errorf("no point away from the kinks of %s in 1000 draws", job.Problem)
			}
		}
		if gb != nil && job.Precision == gdgpu.F32 {
			for i := range x {
				x[i] = float64(float32(x[i]))
			}
		}
		f := loss(x)
		grad(g, x)
		if gradcheckPerturb != nil {
			gradcheckPerturb(g)
		}
		for i := range x {
			xi := x[i]
			s := math.Max(1, math.Abs(xi))
			xp, xm := xi+h3*s, xi-h3*s
			x[i] = xp
			fp := loss(x)
			x[i] = xm
			fm := loss(x)
			x[i] = xi
			d := (fp - fm) / (xp - xm)
			e := math.Abs(d - g[i])
			r.fdAbs = math.Max(r.fdAbs, e)
			r.fdRel = math.Max(r.fdRel, relErr(e, g[i]))
			r.fdRatio = maxRatio(r.fdRatio, e, fdTol*(1+math.Abs(g[i])+math.Abs(f)/s))
		}
		if gb == nil {
			continue
		}
		if err := gb.Gradient(x, gg); err != nil {
			return nil, err
		}
		rel, abs := gpuGradTol(job.Precision)
		scale := 0.0
		for _, v := range g {
			scale = math.Max(scale, math.Abs(v))
		}
		for i := range g {
			e := math.Abs(gg[i] - g[i])
			r.gpuAbs = math.Max(r.gpuAbs, e)
			r.gpuRel = math.Max(r.gpuRel, relErr(e, g[i]))
			r.gpuRatio = maxRatio(r.gpuRatio, e, rel*math.Abs(g[i])+abs*scale)
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

func (r *gradReport) print(w io.Writer, job *gdgpu.Job) {
	fmt.Fprintf(w, "gradcheck %s, N = %d, %d points\n", job.Problem, job.Dim, r.points)
	verdict := func(ratio float64) string {
		if ratio <= 1 {
			return "ok"
		}
		return "BEYOND TOLERANCE"
	}
	fmt.Fprintf(w, "  analytic vs central differences (cpu, f64): max abs %.3g  max rel %.3g  worst/bound %.3g  %s\n",
		r.fdAbs, r.fdRel, r.fdRatio, verdict(r.fdRatio))
	if r.gpu {
		fmt.Fprintf(w, "  gpu/%s vs cpu gradient:                   max abs %.3g  max rel %.3g  worst/bound %.3g  %s\n",
			job.Precision, r.gpuAbs, r.gpuRel, r.gpuRatio, verdict(r.gpuRatio))
	} else {
		fmt.Fprintln(w, "  gpu: not checked (--device cpu)")
	}
	if r.ok() {
		fmt.Fprintln(w, "within tolerance")
	} else {
		fmt.Fprintln(w, "beyond tolerance")
	}
}
