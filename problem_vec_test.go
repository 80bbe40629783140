package gdgpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu/internal/kern"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

const leaf = kern.Leaf

// overwritten is what objSweep writes over the elements the next segment
// may not read, as a sweep's update does: a NaN no input carries, so a
// kernel that read beyond its Reach would show it in its output.
var overwritten = math.Float64frombits(0x7ff80000deadbeef)

// vecObjective is a CPUObjective with a vector kernel and what the
// reference needs to know of it.
type vecObjective struct {
	eval  CPUObjective
	quad  *quadCPU // nil for Rosenbrock
	n     int
	reach int
}

// objSweep runs o's terms and gradient over x segment by segment, the
// segments ending at the indices in ends (the last is o.n), as a sweep
// does chunk by chunk: terms, gradient, then every element the next
// segment may not read (those before hi - Reach) overwritten in x. It
// returns the terms and gradient of every segment concatenated. x is left
// alone.
func objSweep(o vecObjective, x []float64, ends []int, vec bool) (terms, grad []float64) {
	defer func(u bool) { kern.UseAVX = u }(kern.UseAVX)
	kern.UseAVX = vec
	x = slices.Clone(x)
	var t [leaf]float64
	lo, done := 0, 0
	for _, hi := range ends {
		if hi-lo > leaf {
			panic("segment longer than a chunk")
		}
		k := o.eval.Terms(t[:], x, lo, hi)
		terms = append(terms, t[:k]...)
		g := make([]float64, hi-lo)
		o.eval.Grad(g, x, lo, hi)
		grad = append(grad, g...)
		for ; done < hi-o.reach; done++ {
			x[done] = overwritten
		}
		lo = hi
	}
	return terms, grad
}

// objSplits are the segmentations objSweep is run with for n elements:
// whole chunks (a sweep's), and random segments of 1 to 40 and of 1 to
// chunk elements (a part's first chunk and tails of every size, the
// vector kernel starting and ending anywhere).
func objSplits(r *rand.Rand, n int) map[string][]int {
	out := map[string][]int{}
	var ends []int
	for lo := 0; lo < n; lo += leaf {
		ends = append(ends, min(lo+leaf, n))
	}
	out["chunks"] = ends
	for _, most := range []int{40, leaf} {
		var ends []int
		for lo := 0; lo < n; {
			lo = min(lo+1+r.IntN(most), n)
			ends = append(ends, lo)
		}
		out[fmt.Sprintf("random<=%d", most)] = ends
	}
	return out
}

// vecObjectives are the objectives with vector kernels, in every form the
// kernels branch on: Rosenbrock; the quadratic with every c_i 1, with
// coefficients computed on the fly, and with precomputed ones replaced by
// arbitrary values (specials and NaNs among them, so that an operand order
// the scalar code does not use shows).
func vecObjectives(r *rand.Rand, n int) map[string]vecObjective {
	out := map[string]vecObjective{}
	if n >= 2 {
		out["rosenbrock"] = vecObjective{eval: rosenCPU{n: n}, n: n, reach: 1}
	}
	quad := func(q *quadCPU) vecObjective { return vecObjective{eval: q, quad: q, n: n} }
	out["quadratic/unit"] = quad(&quadCPU{n: n, cond: 1, unit: true})
	out["quadratic/cond=100"] = quad(&quadCPU{n: n, cond: 100, unit: n <= 1})
	arb := &quadCPU{n: n, cond: 100, coef: make([]float64, n)}
	testcases.VecInput(r, arb.coef, 6)
	out["quadratic/arbitrary-coef"] = quad(arb)
	return out
}

// checkObjectiveVector compares objSweep with and without the vector
// kernels, and both with refSweep, bit by bit.
func checkObjectiveVector(t *testing.T, name string, o vecObjective, x []float64, ends []int) {
	t.Helper()
	tr, gr := refSweep(o, x, ends)
	for _, vec := range []bool{false, true} {
		tg, gg := objSweep(o, x, ends, vec)
		for _, c := range []struct {
			what      string
			got, want []float64
		}{{"terms", tg, tr}, {"grad", gg, gr}} {
			if len(c.got) != len(c.want) {
				t.Fatalf("%s, vector kernels %v: %d %s, reference %d", name, vec, len(c.got), c.what, len(c.want))
			}
			if i := testcases.FirstBitDiff(c.got, c.want); i >= 0 {
				ctx := x[max(i-1, 0):min(i+3, len(x))]
				t.Fatalf("%s, vector kernels %v: %s[%d] = %v (%#x), reference %v (%#x); x[%d:] %v",
					name, vec, c.what, i, c.got[i], math.Float64bits(c.got[i]), c.want[i], math.Float64bits(c.want[i]), max(i-1, 0), ctx)
			}
		}
	}
}

// refSweep is objSweep through refTerms and refGrad, which take the
// previous element across a segment edge from prev, as the CPU backend's
// sweep did before objectives read their neighbours from x: each segment
// is overwritten whole after its gradient.
func refSweep(o vecObjective, x []float64, ends []int) (terms, grad []float64) {
	x = slices.Clone(x)
	var t, cb [leaf]float64
	prev := 0.0
	lo := 0
	for _, hi := range ends {
		var c []float64
		if o.quad != nil {
			c = o.quad.coefs(&cb, lo, hi)
		}
		k := refTerms(o, t[:], c, x, lo, hi)
		terms = append(terms, t[:k]...)
		g := make([]float64, hi-lo)
		prev = refGrad(o, g, c, x, lo, hi, prev)
		grad = append(grad, g...)
		for j := lo; j < hi; j++ {
			x[j] = overwritten
		}
		lo = hi
	}
	return terms, grad
}

// refTerms is the CPU backend's objective.terms for the quadratic and
// Rosenbrock as it was before the vector kernels (commit 85bcb1b),
// verbatim: the reference that both paths of today's code are held to.
func refTerms(o vecObjective, t []float64, c, x []float64, lo, hi int) int {
	if o.quad != nil {
		xs := x[lo:hi]
		t = t[:len(xs)]
		if c == nil {
			for j, xi := range xs {
				t[j] = xi * xi
			}
		} else {
			c = c[:len(xs)]
			for j, xi := range xs {
				t[j] = (c[j] * xi) * xi
			}
		}
		return len(xs)
	}
	end := min(hi, o.n-1)
	if end <= lo {
		return 0
	}
	xs := x[lo : end+1]
	t = t[:end-lo]
	for j := range t {
		xi, xn := xs[j], xs[j+1]
		a := xn - float64(xi*xi)
		b := 1 - xi
		t[j] = float64(100*float64(a*a)) + float64(b*b)
	}
	return len(t)
}

// refGrad is the CPU backend's objective.grad for the quadratic and
// Rosenbrock as it was before the vector kernels (commit 85bcb1b),
// verbatim.
func refGrad(o vecObjective, g, c, x []float64, lo, hi int, prev float64) float64 {
	g = g[:hi-lo]
	if o.quad != nil {
		xs := x[lo:hi]
		if c == nil {
			copy(g, xs)
		} else {
			c = c[:len(xs)]
			for j, xi := range xs {
				g[j] = c[j] * xi
			}
		}
		return xs[len(xs)-1]
	}
	n := o.n
	i := lo
	if i == 0 {
		x0, x1 := x[0], x[1]
		g[0] = float64(-400*x0*(x1-float64(x0*x0))) - float64(2*(1-x0))
		prev = x0
		i = 1
	}
	end := min(hi, n-1)
	if i < end {
		xs := x[i : end+1]
		gs := g[i-lo : end-lo]
		for j := range gs {
			xi, xn := xs[j], xs[j+1]
			a := float64(200 * (xi - float64(prev*prev)))
			b := float64(400 * (xn - float64(xi*xi)) * xi)
			gs[j] = a - b - float64(2*(1-xi))
			prev = xi
		}
		i = end
	}
	if i == n-1 && hi == n {
		xi := x[i]
		g[i-lo] = 200 * (xi - float64(prev*prev))
		prev = xi
	}
	return prev
}

func TestObjectiveVectorBits(t *testing.T) {
	// Rosenbrock's and the quadratic's terms and gradient, with the vector
	// kernels and without, against the code before them (refTerms,
	// refGrad), on the same random points (specials, NaN payloads tagged
	// by input, included): the same bits in every term and gradient
	// component, at every length from 0 to 17, chunk boundaries and
	// longer, split in whole chunks as a sweep does and in random
	// segments, with every element the next segment may not read (beyond
	// the problem's Reach) overwritten after each segment, as the update
	// does.
	if !kern.UseAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	r := rand.New(rand.NewPCG(11, 5))
	lengths := []int{leaf - 1, leaf, leaf + 1, leaf + 2, 1000, 3*leaf + 5}
	for n := 0; n <= 17; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for round := range 10 {
			x := make([]float64, n)
			if round%2 == 0 {
				testcases.VecInput(r, x, 1)
			} else { // finite and moderate: values a run meets
				for i := range x {
					x[i] = r.NormFloat64() * 3
				}
			}
			for oname, o := range vecObjectives(r, n) {
				for sname, ends := range objSplits(r, n) {
					checkObjectiveVector(t, fmt.Sprintf("%s/n=%d/%s/round %d", oname, n, sname, round), o, x, ends)
				}
			}
		}
	}
	// The vector kernels, not only the scalar loops, ran on everything up
	// to the last multiple of 4 they can take.
	z := make([]float64, 16)
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"RosenTermsVec(11 of 12)", kern.RosenTermsVec(z[:11], z[:12]), 8},
		{"RosenGradVec(11 of 13)", kern.RosenGradVec(z[:11], z[:13]), 8},
		{"QuadTermsVec(11)", kern.QuadTermsVec(z[:11], nil, z[:11]), 8},
		{"QuadTermsVec(11, c)", kern.QuadTermsVec(z[:11], z[:11], z[:11]), 8},
		{"QuadGradVec(11)", kern.QuadGradVec(z[:11], z[:11], z[:11]), 8},
		{"RosenGradVec(3 of 5)", kern.RosenGradVec(z[:3], z[:5]), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s took %d elements, want %d", c.what, c.got, c.want)
		}
	}
}

func FuzzObjectiveVector(f *testing.F) {
	// Arbitrary bit patterns in x (and in the quadratic's coefficients),
	// up to 80 elements, in segments of a length the fuzzer picks: the
	// vector kernels and the scalar loops give the same bits (see
	// TestObjectiveVectorBits).
	seed := make([]byte, 8*2*37)
	for i := range len(seed) / 8 {
		binary.LittleEndian.PutUint64(seed[8*i:], math.Float64bits(testcases.Specials[i%len(testcases.Specials)]))
	}
	f.Add(uint8(0), uint8(0), seed)
	f.Add(uint8(1), uint8(5), seed)
	f.Add(uint8(3), uint8(13), seed[:8*2*9])
	f.Fuzz(func(t *testing.T, which, seg uint8, b []byte) {
		if !kern.UseAVX {
			t.Skip("this build or CPU has no vector kernels")
		}
		n := min(len(b)/16, 80)
		x, c := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			c[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*(n+i):]))
		}
		quad := func(q *quadCPU) vecObjective { return vecObjective{eval: q, quad: q, n: n} }
		var o vecObjective
		switch which % 4 {
		case 0:
			if n < 2 {
				return
			}
			o = vecObjective{eval: rosenCPU{n: n}, n: n, reach: 1}
		case 1:
			o = quad(&quadCPU{n: n, cond: 1, unit: true})
		case 2:
			o = quad(&quadCPU{n: n, cond: 100, coef: c})
		case 3:
			o = quad(&quadCPU{n: n, cond: 100, unit: n <= 1})
		}
		var ends []int
		step := 1 + int(seg)%leaf
		for lo := 0; lo < n; lo += step {
			ends = append(ends, min(lo+step, n))
		}
		checkObjectiveVector(t, fmt.Sprintf("kind %d, n=%d, segments of %d", which%4, n, step), o, x, ends)
	})
}
