package cpu

import (
	"fmt"
	"math"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
)

// objective evaluates one problem chunk by chunk through its descriptor's
// CPUObjective (gdgpu.Problem.CPU). The backend and the exported Loss and
// Grad share it, so a recorded Sample, Loss and Grad give the same bits
// for the same point.
type objective struct {
	n     int
	reach int // gdgpu.Problem.Reach: how far a term or component reads
	eval  gdgpu.CPUObjective
	pre   gdgpu.CPUPrepass   // nil: no global quantities
	fin   gdgpu.CPUFinisher  // nil: f is the sum of the terms
	tg    gdgpu.CPUTermsGrad // nil: terms and gradient apart
	// buf is loss's and GradNorm's scratch, allocated once: a slice passed
	// to an interface method escapes, so a local array would be allocated
	// per call. One objective is not for concurrent loss or GradNorm
	// calls (the backend's parts have their own scratch).
	buf *[chunk]float64
}

// newObjective builds job's problem's evaluator for n parameters.
func newObjective(job *gdgpu.Job, n int) (objective, error) {
	p, ok := gdgpu.LookupProblem(job.Problem)
	if !ok {
		return objective{}, fmt.Errorf("cpu: unknown problem %q", job.Problem)
	}
	if n < p.MinDim || (p.MaxDim > 0 && n > p.MaxDim) {
		if p.MaxDim == 0 {
			return objective{}, fmt.Errorf("cpu: %s needs at least %d parameters, got %d", job.Problem, p.MinDim, n)
		}
		return objective{}, fmt.Errorf("cpu: %s needs between %d and %d parameters, got %d", job.Problem, p.MinDim, p.MaxDim, n)
	}
	j := *job
	j.Dim = n
	e, err := p.CPU(&j)
	if err != nil {
		return objective{}, fmt.Errorf("cpu: %s: %w", job.Problem, err)
	}
	if e == nil {
		return objective{}, fmt.Errorf("cpu: %s: its CPU evaluator is nil", job.Problem)
	}
	o := objective{n: n, reach: p.Reach, eval: e, buf: new([chunk]float64)}
	o.pre, _ = e.(gdgpu.CPUPrepass)
	o.fin, _ = e.(gdgpu.CPUFinisher)
	o.tg, _ = e.(gdgpu.CPUTermsGrad)
	return o, nil
}

// precompute lets the evaluator fill its tables once (the quadratic's
// coefficients), for a long-lived objective (the backend's).
func (o *objective) precompute() {
	if p, ok := o.eval.(gdgpu.CPUPrecomputer); ok {
		p.Precompute()
	}
}

// prepare computes the global quantities at x (Ackley's, Griewank's)
// before a sweep reads any term or component, while x holds the point.
func (o *objective) prepare(x []float64) {
	if o.pre != nil {
		o.pre.Prepare(x)
	}
}

// terms writes into t the loss terms owned by indices lo..hi-1 and returns
// how many it wrote.
func (o *objective) terms(t, x []float64, lo, hi int) int { return o.eval.Terms(t, x, lo, hi) }

// grad writes ∂f/∂x_i for i in lo..hi-1 into g (len hi-lo).
func (o *objective) grad(g, x []float64, lo, hi int) { o.eval.Grad(g[:hi-lo], x, lo, hi) }

// termsGrad writes the terms of lo..hi-1 into t, as terms does, and the
// gradient into g (len hi-lo), as grad does, in one call where the
// evaluator shares their work (gdgpu.CPUTermsGrad), and returns the
// terms' count.
func (o *objective) termsGrad(t, g, x []float64, lo, hi int) int {
	if o.tg != nil {
		return o.tg.TermsGrad(t, g[:hi-lo], x, lo, hi)
	}
	k := o.eval.Terms(t, x, lo, hi)
	o.eval.Grad(g[:hi-lo], x, lo, hi)
	return k
}

// finish turns the sum of the terms into f.
func (o *objective) finish(sum float64) float64 {
	if o.fin != nil {
		return o.fin.Finish(sum)
	}
	return sum
}

// Loss returns the objective f(x) of job's problem, summed pairwise (see
// the package doc), without the weight-decay penalty. It gives the same
// bits as a Sample the backend records at x. It panics if len(x) is not
// job.Dim or the problem is unknown, like an index out of range: both are
// programming errors. For a model on data it is ModelLoss.
func Loss(job *gdgpu.Job, x []float64) float64 {
	if gdgpu.IsModel(job.Problem) {
		l, err := ModelLoss(job, x)
		if err != nil {
			panic(err.Error())
		}
		return l
	}
	o := mustObjective(job, x)
	return o.loss(x)
}

// loss is f(x), summed chunk by chunk with the recorded samples' tree. It
// allocates nothing.
func (o *objective) loss(x []float64) float64 {
	o.prepare(x)
	t := o.buf
	var acc kern.Pairwise
	for lo := 0; lo < o.n; lo += chunk {
		hi := min(lo+chunk, o.n)
		k := o.terms(t[:], x, lo, hi)
		acc.Push(kern.LeafSum(t[:k]))
	}
	return o.finish(acc.Sum())
}

// Grad writes ∇f(x) of job's problem into dst and returns it, allocating
// dst when it is nil. It is the objective's gradient only: the optimizers
// add weight decay themselves. It panics if len(x) or len(dst) is not
// job.Dim, or the problem is unknown. For a model on data it is ModelGrad.
func Grad(job *gdgpu.Job, dst, x []float64) []float64 {
	if gdgpu.IsModel(job.Problem) {
		if dst == nil {
			dst = make([]float64, job.Dim)
		}
		if len(dst) != job.Dim {
			panic(fmt.Sprintf("cpu: Grad: dst has %d values, job has Job.Dim %d", len(dst), job.Dim))
		}
		if err := ModelGrad(job, dst, x); err != nil {
			panic(err.Error())
		}
		return dst
	}
	o := mustObjective(job, x)
	if dst == nil {
		dst = make([]float64, o.n)
	}
	if len(dst) != o.n {
		panic(fmt.Sprintf("cpu: Grad: dst has %d values, job has Job.Dim %d", len(dst), o.n))
	}
	o.gradient(dst, x)
	return dst
}

// gradient writes ∇f(x) into dst chunk by chunk, after the objective's
// global quantities (Problem.CPU's Prepare). It allocates nothing.
func (o *objective) gradient(dst, x []float64) {
	o.prepare(x)
	for lo := 0; lo < o.n; lo += chunk {
		hi := min(lo+chunk, o.n)
		o.grad(dst[lo:hi], x, lo, hi)
	}
}

// GradNorm returns sqrt(Σ g_i²) of ∇f(x) for job's problem, summed pairwise
// with the same tree as the backend's recorded samples, so it gives the
// same bits as a Sample's GradNorm at x. It is the objective's gradient
// only, without weight decay. It panics like Loss. For a model on data it
// is the norm of ModelGrad, summed in index order.
func GradNorm(job *gdgpu.Job, x []float64) float64 {
	if gdgpu.IsModel(job.Problem) {
		sq := 0.0
		for _, v := range Grad(job, nil, x) {
			sq += float64(v * v) // rounded: no FMA
		}
		return math.Sqrt(sq)
	}
	o := mustObjective(job, x)
	o.prepare(x)
	g := o.buf
	var acc kern.Pairwise
	for lo := 0; lo < o.n; lo += chunk {
		hi := min(lo+chunk, o.n)
		gs := g[:hi-lo]
		o.grad(gs, x, lo, hi)
		for j, v := range gs {
			gs[j] = v * v
		}
		acc.Push(kern.LeafSum(gs))
	}
	return math.Sqrt(acc.Sum())
}

func mustObjective(job *gdgpu.Job, x []float64) objective {
	if len(x) != job.Dim {
		panic(fmt.Sprintf("cpu: x has %d values, job has Job.Dim %d", len(x), job.Dim))
	}
	o, err := newObjective(job, len(x))
	if err != nil {
		panic(err.Error())
	}
	return o
}
