package cpu

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// BenchmarkStep times one optimizer step (no sample recorded) and reports
// params/s and effective GB/s. Byte model, per parameter per step, counting
// each float64 array element read or written once from memory:
//
//	16 bytes for x (read, write), and 16 per state vector (read, write):
//	sgd 16, sgd+momentum and adagrad and rmsprop 32, adadelta and the adam
//	family 48, adam+amsgrad and centered rmsprop with momentum 64
//	(the design's fused fp32 figures, at 8-byte elements)
//	+8 bytes for the quadratic's coefficient c_i (run here with cond 100)
//
// The gradient adds nothing: it lives in a 2 KiB chunk buffer in L1, and
// Rosenbrock's neighbour reads hit the cache lines already loaded.
//
// Each case runs on 1 goroutine and on runtime.GOMAXPROCS(0) (workers=k
// in the name; N below parallelMin runs inline whatever k).
func BenchmarkStep(b *testing.B) {
	for _, bo := range testcases.BenchOptimizers {
		for _, problem := range gdgpu.ProblemNames() {
			if info, _ := gdgpu.LookupProblem(problem); !testcases.BenchProblem(bo.Label, problem, info.MaxDim) {
				continue
			}
			for _, n := range benchSizes() {
				for _, w := range benchWorkers() {
					name := fmt.Sprintf("%s/%s/N=1e%d/workers=%d", bo.Label, problem, len(fmt.Sprint(n))-1, w)
					b.Run(name, func(b *testing.B) { benchmarkStep(b, bo.Name, bo.Set, problem, n, w) })
				}
			}
		}
	}
}

// benchWorkers are the goroutine counts of BenchmarkStep: 1 and GOMAXPROCS.
func benchWorkers() []int {
	if w := runtime.GOMAXPROCS(0); w > 1 {
		return []int{1, w}
	}
	return []int{1}
}

// BenchmarkTriad is the STREAM triad a[i] = b[i] + s*c[i] on N = 1e7
// float64 (240 MB, far beyond any cache), split in contiguous parts over
// 1 and GOMAXPROCS goroutines, reporting GB/s with STREAM's byte model:
// 24 bytes per element (b and c read, a written; the write-allocate read
// of a is not counted). It is the machine's attainable bandwidth that
// BENCHMARKS.md compares the steps with.
func BenchmarkTriad(b *testing.B) {
	for _, w := range benchWorkers() {
		b.Run(fmt.Sprintf("N=1e7/workers=%d", w), func(b *testing.B) { benchmarkTriad(b, 1e7, w) })
	}
}

func benchmarkTriad(b *testing.B, n, workers int) {
	x, y, z := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range y {
		y[i], z[i] = float64(i), float64(n-i)
	}
	const s = 3.0
	triad := func(lo, hi int) {
		a, bb, c := x[lo:hi], y[lo:hi], z[lo:hi]
		for i := range a {
			a[i] = bb[i] + float64(s*c[i])
		}
	}
	run := func() {
		var wg sync.WaitGroup
		for k := 1; k < workers; k++ {
			wg.Go(func() { triad(k*n/workers, (k+1)*n/workers) })
		}
		triad(0, n/workers)
		wg.Wait()
	}
	run() // touch every page before timing
	iters := 0
	for b.Loop() {
		run()
		iters++
	}
	b.ReportMetric(float64(n)*float64(iters)*24/b.Elapsed().Seconds()/1e9, "GB/s")
}

func benchmarkStep(b *testing.B, opt string, set map[string]float64, problem string, n, workers int) {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Cond = problem, n, 100
	job.Optimizer, _ = gdgpu.DefaultOptimizer(opt)
	for flag, v := range set {
		job.Optimizer.Set(flag, v)
	}
	be, err := newBackendOptions(&job, options{workers: workers}) // every optimizer, whatever job.Validate admits today
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	if err := be.Load(job.StartPoint()); err != nil {
		b.Fatal(err)
	}
	bytes := 16 * (1 + len(job.Optimizer.StateNames()))
	if problem == "quadratic" {
		bytes += 8
	}
	lr := []float64{job.Optimizer.LR}
	be.Step(lr, false) // touch every page before timing
	steps := 0
	for b.Loop() {
		be.Step(lr, false)
		steps++
	}
	sec := b.Elapsed().Seconds()
	params := float64(n) * float64(steps)
	b.ReportMetric(params/sec, "params/s")
	b.ReportMetric(params*float64(bytes)/sec/1e9, "GB/s")
}

// benchSizes are the N of BenchmarkStep: 1e4 to 1e7, or up to 1e6 with -short.
func benchSizes() []int {
	if testing.Short() {
		return []int{1e4, 1e5, 1e6}
	}
	return []int{1e4, 1e5, 1e6, 1e7}
}

// BenchmarkObjectiveKernel times an objective's loss terms and gradient
// alone (its CPUObjective's Terms then Grad, as a sweep calls them) on
// one 256-element chunk in the middle of the vector, so that everything
// stays in L1: the arithmetic's cost per element, with the scalar loops
// and with the vector kernels where this build has them.
func BenchmarkObjectiveKernel(b *testing.B) {
	for _, vec := range []bool{false, true} {
		if vec && !useAVX {
			continue
		}
		for _, problem := range []string{"rosenbrock", "quadratic"} {
			b.Run(fmt.Sprintf("%s/vector=%v", problem, vec), func(b *testing.B) {
				defer setVector(vec)()
				const n = 4 * chunk
				o, err := newObjective(problemJob(problem, n, 100), n)
				if err != nil {
					b.Fatal(err)
				}
				o.precompute()
				x := make([]float64, n)
				for i := range x {
					x[i] = float64(i%7) * 0.3
				}
				var t, g [chunk]float64
				lo, hi := chunk, 2*chunk
				for b.Loop() {
					o.terms(t[:], x, lo, hi)
					o.grad(g[:], x, lo, hi)
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/chunk, "ns/param")
			})
		}
	}
}

// BenchmarkTypedStep times one Adam step (no sample) of Rosenbrock and
// of Rastrigin on 1e6 parameters, hand-written and typed as an
// expression (issue 14's speed goal is the typed one within 10% of the
// hand-written), on 1 goroutine and on GOMAXPROCS, each from its own
// start point (the typed one's is drawn from [-2, 2]). Run it with
// -count and compare the pairs of one run: BENCHMARKS.md, "Typed
// objectives on the CPU".
func BenchmarkTypedStep(b *testing.B) {
	for _, c := range []struct{ problem, expr string }{
		{"rosenbrock", "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)"},
		{"rastrigin", "10*n+sum(x[i]^2-10*cos(2*pi*x[i]))"},
	} {
		typed, err := gdgpu.RegisterObjective(c.expr)
		if err != nil {
			b.Fatal(err)
		}
		for _, w := range benchWorkers() {
			for _, p := range []struct{ label, name string }{{"hand-written", c.problem}, {"typed", typed.Name}} {
				b.Run(fmt.Sprintf("%s/%s/N=1e6/workers=%d", c.problem, p.label, w), func(b *testing.B) {
					benchmarkStep(b, "adam", nil, p.name, 1e6, w)
				})
			}
		}
	}
}
