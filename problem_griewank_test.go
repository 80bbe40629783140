package gdgpu

import (
	"fmt"
	"math"
	"testing"
)

// Griewank's product of cosines with exact zeros: math.Cos never returns 0
// in float64, so the test swaps griewankCos for one that does at chosen
// indices and checks the CPU evaluator's loss and gradient against a
// direct computation: no zero
// (the leave-one-out product is P/c_i), one zero at k (index k's
// leave-one-out product is the product of the others; every other index
// gets 0 from the product term), two or more zeros (0 for every index).
func TestGriewankZeroCosines(t *testing.T) {
	const n = 10
	x := make([]float64, n)
	u := make([]float64, n)
	s := make([]float64, n)
	for i := range x {
		x[i] = 1 + 0.3*float64(i)
		s[i] = math.Sqrt(float64(i + 1))
		u[i] = x[i] / s[i]
	}
	defer func() { griewankCos = math.Cos }()
	for _, zeros := range [][]int{nil, {3}, {0}, {n - 1}, {2, 7}, {1, 4, 8}} {
		t.Run(fmt.Sprint(zeros), func(t *testing.T) {
			zero := map[float64]bool{}
			for _, k := range zeros {
				zero[u[k]] = true
			}
			griewankCos = func(v float64) float64 {
				if zero[v] {
					return 0
				}
				return math.Cos(v)
			}
			c := make([]float64, n)
			for i := range c {
				c[i] = griewankCos(u[i])
			}
			// The direct computation: f = 1 + Σ x_i²/4000 - Π c_j,
			// ∂f/∂x_i = x_i/2000 + sin(u_i)/s_i · Π_{j≠i} c_j.
			prod, sq := 1.0, 0.0
			want := make([]float64, n)
			loo := make([]float64, n)
			for i := range c {
				prod *= c[i]
				sq += x[i] * x[i] / 4000
				loo[i] = 1
				for j := range c {
					if j != i {
						loo[i] *= c[j]
					}
				}
				want[i] = x[i]/2000 + math.Sin(u[i])/s[i]*loo[i]
			}
			wantF := 1 + sq - prod

			job := NewJob()
			job.Problem, job.Dim = "griewank", n
			f, got := cpuLossGrad(t, &job, x)
			if math.Abs(f-wantF) > 1e-14*math.Abs(wantF) {
				t.Errorf("loss %v, direct %v", f, wantF)
			}
			scale := 0.0
			for _, w := range want {
				scale = math.Max(scale, math.Abs(w))
			}
			for i := range got {
				if loo[i] == 0 {
					// The product term is exactly 0: only x_i/2000 remains.
					if got[i] != x[i]/2000 {
						t.Errorf("g[%d] = %v, want exactly x_i/2000 = %v (leave-one-out product 0)", i, got[i], x[i]/2000)
					}
					continue
				}
				if d := math.Abs(got[i] - want[i]); !(d <= 1e-14*(math.Abs(want[i])+scale)) {
					t.Errorf("g[%d] = %v, direct %v (leave-one-out product %v)", i, got[i], want[i], loo[i])
				}
			}
			// Each case reaches the branch it is meant to.
			nz := 0
			for i := range loo {
				if loo[i] != 0 {
					nz++
				}
			}
			if wantNZ := map[int]int{0: n, 1: 1}[len(zeros)]; nz != wantNZ {
				t.Errorf("%d zeros: %d indices with a non-zero leave-one-out product, want %d", len(zeros), nz, wantNZ)
			}
		})
	}
}

// cpuLossGrad evaluates job's problem at x through its CPUObjective, in
// one range (the sum of the terms in index order).
func cpuLossGrad(t *testing.T, job *Job, x []float64) (float64, []float64) {
	t.Helper()
	p, ok := LookupProblem(job.Problem)
	if !ok {
		t.Fatalf("no problem %q", job.Problem)
	}
	e, err := p.CPU(job)
	if err != nil {
		t.Fatal(err)
	}
	if pre, ok := e.(CPUPrepass); ok {
		pre.Prepare(x)
	}
	terms := make([]float64, len(x))
	f := 0.0
	for _, v := range terms[:e.Terms(terms, x, 0, len(x))] {
		f += v
	}
	if fin, ok := e.(CPUFinisher); ok {
		f = fin.Finish(f)
	}
	g := make([]float64, len(x))
	e.Grad(g, x, 0, len(x))
	return f, g
}
