package cpu

import (
	"fmt"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// parallelBackend builds a backend for job that splits every N over
// workers goroutines (one: the sequential reference).
func parallelBackend(t testing.TB, job *gdgpu.Job, workers int) *Backend {
	t.Helper()
	b, err := newBackendOptions(job, options{workers: workers, minPar: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// parallelStart is the job's start point, perturbed so that neighbours
// differ (Rosenbrock's and Levy's start points are constant).
func parallelStart(job *gdgpu.Job) []float64 {
	x := job.StartPoint()
	for i := range x {
		x[i] += 0.01 * math.Sin(float64(i))
	}
	return x
}

// parallelRun drives b through steps, samples, a fed gradient, a record,
// and returns what it saw: the samples, then x and every state vector.
func parallelRun(t *testing.T, b *Backend, job *gdgpu.Job, x0 []float64) ([]gdgpu.Sample, [][]float64) {
	t.Helper()
	if err := b.Load(x0); err != nil {
		t.Fatal(err)
	}
	lr := job.Optimizer.LR
	b.Step([]float64{lr, lr, lr}, true)
	b.Step([]float64{lr}, false)
	g := Grad(job, nil, x0)
	for i := range g {
		g[i] *= 1 + 0.5*math.Cos(float64(i))
	}
	b.ApplyGradient(g, lr)
	b.Step([]float64{lr}, true)
	b.Record()
	smp, _ := b.Samples(nil, true)
	vs := [][]float64{append([]float64(nil), b.x...)}
	for _, v := range b.state {
		vs = append(vs, append([]float64(nil), v...))
	}
	return smp, vs
}

func sameSamples(a, b []gdgpu.Sample) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		p, q := a[i], b[i]
		if p.Step != q.Step || !sameBits(p.Loss, q.Loss) || !sameBits(p.GradNorm, q.GradNorm) ||
			p.NonFinite != q.NonFinite || p.BadStep != q.BadStep || p.BadIndex != q.BadIndex {
			return false
		}
	}
	return true
}

// firstDiff returns the first index where a and b differ in bits, or -1.
func firstDiff(a, b []float64) int {
	for i := range a {
		if !sameBits(a[i], b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func TestParallelBitIdentical(t *testing.T) {
	// Every optimizer configuration, every problem, clipping off, by value
	// and by norm: the same bits on 1, 2, 3 and 7 goroutines, at N that
	// cut leaves and parts at odd places (2053 = 8 leaves + 5; with 7
	// parts, parts of 1 and 2 leaves).
	sizes := []int{300, 2053}
	workers := []int{2, 3, 7}
	if testing.Short() { // keeps go test -race -short quick
		sizes, workers = []int{2053}, []int{3, 7}
	}
	clips := []struct {
		name        string
		value, norm float64
	}{{"noclip", 0, 0}, {"clipvalue", 0.5, 0}, {"clipnorm", 0, 1}}
	for _, oc := range optCases(trajectoryBase) {
		for _, problem := range gdgpu.ProblemNames() {
			for _, n := range sizes {
				for _, cl := range clips {
					job := stepJob(problem, n, 10, oc.opt)
					job.ClipValue, job.ClipNorm = cl.value, cl.norm
					if job.Dim != n && n != sizes[0] {
						continue // the two-dimensional functions: one size
					}
					x0 := parallelStart(job)
					rb := parallelBackend(t, job, 1)
					ref, refV := parallelRun(t, rb, job, x0)
					for _, w := range workers {
						name := fmt.Sprintf("%s/%s/N=%d/%s/workers=%d", oc, problem, job.Dim, cl.name, w)
						b := parallelBackend(t, job, w)
						if job.Dim >= 2*chunk && len(b.parts) < 2 {
							t.Fatalf("%s: %d parts", name, len(b.parts))
						}
						got, gotV := parallelRun(t, b, job, x0)
						if !sameSamples(got, ref) {
							t.Errorf("%s: samples %+v, want %+v", name, got, ref)
						}
						for k := range refV {
							if i := firstDiff(gotV[k], refV[k]); i >= 0 {
								t.Errorf("%s: vector %d differs first at %d: %v, want %v", name, k, i, gotV[k][i], refV[k][i])
							}
						}
						if b.ScalarState() != rb.ScalarState() || b.StepCount() != rb.StepCount() {
							t.Errorf("%s: scalar state %+v at step %d, want %+v at %d", name, b.ScalarState(), b.StepCount(), rb.ScalarState(), rb.StepCount())
						}
						b.Close()
					}
					rb.Close()
				}
			}
		}
	}
}

func TestParallelNonFiniteLowestIndex(t *testing.T) {
	// Non-finite values in several parts: the flag names the first step and,
	// in it, the lowest index, as the sequential sweep does.
	for _, problem := range []string{"quadratic", "rosenbrock"} {
		job := stepJob(problem, 7*chunk+11, 10, gdgpu.Optimizer{Name: "adam", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		for _, bad := range [][]int{{1800, 900}, {5, 1500}, {chunk, 3 * chunk}, {job.Dim - 1}} {
			x0 := parallelStart(job)
			for _, i := range bad {
				x0[i] = math.Inf(1)
			}
			g := Grad(job, nil, parallelStart(job))
			g[bad[0]] = math.NaN()
			var want []gdgpu.Sample
			for _, w := range []int{1, 2, 3, 7} {
				b := parallelBackend(t, job, w)
				b.Load(x0)
				b.Step([]float64{0.01}, true)
				b.Step(nil, true)
				got, _ := b.Samples(nil, true)
				b.Load(parallelStart(job))
				b.ApplyGradient(g, 0.01)
				b.Record()
				got, _ = b.Samples(got, true)
				if w == 1 {
					want = got
					if !got[0].NonFinite || got[2].BadStep != 1 || got[2].BadIndex > bad[0] {
						t.Fatalf("%s %v: reference samples %+v", problem, bad, got)
					}
					continue
				}
				if !sameSamples(got, want) {
					t.Errorf("%s %v workers=%d: samples %+v, want %+v", problem, bad, w, got, want)
				}
			}
		}
	}
}

func TestParallelAllocatesNothing(t *testing.T) {
	for _, clipNorm := range []float64{0, 1} {
		job := stepJob("rosenbrock", 5000, 10, gdgpu.Optimizer{Name: "adam", LR: 0.01, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8})
		job.ClipNorm = clipNorm
		b := parallelBackend(t, job, 3)
		b.Load(job.StartPoint())
		allocs := stepCycleAllocs(b, job)
		if allocs != 0 {
			t.Errorf("clipnorm %g: %v allocations per step cycle on 3 goroutines", clipNorm, allocs)
		}
	}
}

func TestParallelPartition(t *testing.T) {
	// Parts are whole leaves, contiguous, cover x, and small jobs run
	// inline (no pool) by default.
	for _, n := range []int{1, 255, 256, 257, 2053, 1 << 16, 1<<16 + 1} {
		for _, w := range []int{1, 2, 3, 7} {
			job := problemJob("quadratic", n, 1)
			job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
			b, err := newBackendOptions(job, options{workers: w})
			if err != nil {
				t.Fatal(err)
			}
			want := min(w, (n+chunk-1)/chunk)
			if n < parallelMin {
				want = 1
			}
			if len(b.parts) != want || (b.pool != nil) != (want > 1) {
				t.Errorf("N=%d workers=%d: %d parts, pool %v; want %d", n, w, len(b.parts), b.pool != nil, want)
			}
			lo := 0
			for _, p := range b.parts {
				if p.lo != lo || p.lo%chunk != 0 || p.hi <= p.lo {
					t.Errorf("N=%d workers=%d: part %d..%d after %d", n, w, p.lo, p.hi, lo)
				}
				lo = p.hi
			}
			if lo != n {
				t.Errorf("N=%d workers=%d: parts end at %d", n, w, lo)
			}
			b.Close()
			b.Close()
		}
	}
}
