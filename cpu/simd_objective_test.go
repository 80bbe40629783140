package cpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// overwritten is what objSweep writes over each segment after its
// gradient, as a sweep's update does: a NaN no input carries, so a kernel
// that read x[lo-1] instead of prev would show it in its output.
var overwritten = math.Float64frombits(0x7ff80000deadbeef)

// objSweep runs o's terms and gradient over x segment by segment, the
// segments ending at the indices in ends (the last is o.n), as a sweep
// does chunk by chunk: terms, gradient with the previous segment's prev,
// then the segment overwritten in x. It returns the terms and gradient of
// every segment concatenated, and the prev each grad returned. x is left
// alone.
func objSweep(o *objective, x []float64, ends []int, vec bool) (terms, grad, prevs []float64) {
	defer func(u bool) { useAVX = u }(useAVX)
	useAVX = vec
	x = slices.Clone(x)
	var t, cb [chunk]float64
	prev := 0.0
	lo := 0
	for _, hi := range ends {
		if hi-lo > chunk {
			panic("segment longer than a chunk")
		}
		c := o.coefs(&cb, lo, hi)
		k := o.terms(t[:], c, x, lo, hi)
		terms = append(terms, t[:k]...)
		g := make([]float64, hi-lo)
		prev = o.grad(g, c, x, lo, hi, prev)
		grad = append(grad, g...)
		prevs = append(prevs, prev)
		for j := lo; j < hi; j++ {
			x[j] = overwritten
		}
		lo = hi
	}
	return terms, grad, prevs
}

// objSplits are the segmentations objSweep is run with for n elements:
// whole chunks (a sweep's), and random segments of 1 to 40 and of 1 to
// chunk elements (a part's first chunk and tails of every size, the
// vector kernel starting and ending anywhere).
func objSplits(r *rand.Rand, n int) map[string][]int {
	out := map[string][]int{}
	var ends []int
	for lo := 0; lo < n; lo += chunk {
		ends = append(ends, min(lo+chunk, n))
	}
	out["chunks"] = ends
	for _, most := range []int{40, chunk} {
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
func vecObjectives(r *rand.Rand, n int) map[string]*objective {
	out := map[string]*objective{}
	if n >= 2 {
		out["rosenbrock"] = &objective{kind: rosenbrock, n: n}
	}
	out["quadratic/unit"] = &objective{kind: quadratic, n: n, cond: 1, unit: true}
	out["quadratic/cond=100"] = &objective{kind: quadratic, n: n, cond: 100, unit: n <= 1}
	arb := &objective{kind: quadratic, n: n, cond: 100}
	arb.coef = make([]float64, n)
	vecInput(r, arb.coef, 6)
	out["quadratic/arbitrary-coef"] = arb
	return out
}

// checkObjectiveVector compares objSweep with and without the vector
// kernels, and both with refSweep, bit by bit.
func checkObjectiveVector(t *testing.T, name string, o *objective, x []float64, ends []int) {
	t.Helper()
	tr, gr, pr := refSweep(o, x, ends)
	for _, vec := range []bool{false, true} {
		tg, gg, pg := objSweep(o, x, ends, vec)
		for _, c := range []struct {
			what      string
			got, want []float64
		}{{"terms", tg, tr}, {"grad", gg, gr}, {"prev", pg, pr}} {
			if len(c.got) != len(c.want) {
				t.Fatalf("%s, vector kernels %v: %d %s, reference %d", name, vec, len(c.got), c.what, len(c.want))
			}
			if i := firstBitDiff(c.got, c.want); i >= 0 {
				ctx := x[max(i-1, 0):min(i+3, len(x))]
				t.Fatalf("%s, vector kernels %v: %s[%d] = %v (%#x), reference %v (%#x); x[%d:] %v",
					name, vec, c.what, i, c.got[i], math.Float64bits(c.got[i]), c.want[i], math.Float64bits(c.want[i]), max(i-1, 0), ctx)
			}
		}
	}
}

// refSweep is objSweep through refTerms and refGrad.
func refSweep(o *objective, x []float64, ends []int) (terms, grad, prevs []float64) {
	x = slices.Clone(x)
	var t, cb [chunk]float64
	prev := 0.0
	lo := 0
	for _, hi := range ends {
		c := o.coefs(&cb, lo, hi)
		k := refTerms(o, t[:], c, x, lo, hi)
		terms = append(terms, t[:k]...)
		g := make([]float64, hi-lo)
		prev = refGrad(o, g, c, x, lo, hi, prev)
		grad = append(grad, g...)
		prevs = append(prevs, prev)
		for j := lo; j < hi; j++ {
			x[j] = overwritten
		}
		lo = hi
	}
	return terms, grad, prevs
}

// refTerms is objective.terms for the quadratic and Rosenbrock as it was
// before the vector kernels (commit 85bcb1b), verbatim: the reference that
// both paths of today's code are held to.
func refTerms(o *objective, t []float64, c, x []float64, lo, hi int) int {
	switch o.kind {
	case quadratic:
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
	case rosenbrock:
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
	panic("refTerms: not the quadratic or Rosenbrock")
}

// refGrad is objective.grad for the quadratic and Rosenbrock as it was
// before the vector kernels (commit 85bcb1b), verbatim.
func refGrad(o *objective, g, c, x []float64, lo, hi int, prev float64) float64 {
	g = g[:hi-lo]
	if o.kind == quadratic {
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
	// refGrad), on the same random points
	// (specials, NaN payloads tagged by input, included): the same bits in
	// every term, gradient component and returned prev, at every length
	// from 0 to 17, chunk boundaries and longer, split in whole chunks as
	// a sweep does and in random segments, with each segment overwritten
	// after its gradient as the update does (so the gradient must take
	// the previous element across a segment edge from prev).
	if !useAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	r := rand.New(rand.NewPCG(11, 5))
	lengths := []int{chunk - 1, chunk, chunk + 1, chunk + 2, 1000, 3*chunk + 5}
	for n := 0; n <= 17; n++ {
		lengths = append(lengths, n)
	}
	for _, n := range lengths {
		for round := range 10 {
			x := make([]float64, n)
			if round%2 == 0 {
				vecInput(r, x, 1)
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
		{"rosenTermsVec(11 of 12)", rosenTermsVec(z[:11], z[:12]), 8},
		{"rosenGradVec(11 of 13)", rosenGradVec(z[:11], z[:13]), 8},
		{"quadTermsVec(11)", quadTermsVec(z[:11], nil, z[:11]), 8},
		{"quadTermsVec(11, c)", quadTermsVec(z[:11], z[:11], z[:11]), 8},
		{"quadGradVec(11)", quadGradVec(z[:11], z[:11], z[:11]), 8},
		{"rosenGradVec(3 of 5)", rosenGradVec(z[:3], z[:5]), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s took %d elements, want %d", c.what, c.got, c.want)
		}
	}
}

func TestObjectiveVectorExported(t *testing.T) {
	// Loss, Grad and GradNorm, which share the sweep's kernels, give the
	// same bits with and without the vector kernels.
	if !useAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	r := rand.New(rand.NewPCG(2, 8))
	for _, problem := range []string{"rosenbrock", "quadratic"} {
		for _, cond := range []float64{1, 100} {
			job := problemJob(problem, 3*chunk+7, cond)
			x := make([]float64, job.Dim)
			for i := range x {
				x[i] = r.NormFloat64() * 2
			}
			eval := func(vec bool) (float64, []float64, float64) {
				defer func(u bool) { useAVX = u }(useAVX)
				useAVX = vec
				return Loss(job, x), Grad(job, nil, x), GradNorm(job, x)
			}
			ls, gs, ns := eval(false)
			lv, gv, nv := eval(true)
			if math.Float64bits(lv) != math.Float64bits(ls) || math.Float64bits(nv) != math.Float64bits(ns) {
				t.Errorf("%s/cond=%v: Loss %v, GradNorm %v with the vector kernels; %v, %v without", problem, cond, lv, nv, ls, ns)
			}
			if i := firstBitDiff(gv, gs); i >= 0 {
				t.Errorf("%s/cond=%v: Grad[%d] = %v with the vector kernels, %v without", problem, cond, i, gv[i], gs[i])
			}
		}
	}
}

func TestObjectiveVectorBackend(t *testing.T) {
	// Whole backends, with and without the vector kernels, over several
	// parts and an odd length, recording every step (loss terms and
	// gradient norms), from the start point and from a random one with
	// values whose terms overflow: the same bits in x and every state
	// vector, and the same samples (non-finite flags included).
	if !useAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	adam, _ := gdgpu.DefaultOptimizer("adam")
	opts := map[string]gdgpu.Optimizer{"sgd": sgdOpt(1e-4, 0), "adam": adam}
	for label, o := range opts {
		for _, pc := range []struct {
			problem string
			cond    float64
		}{{"rosenbrock", 1}, {"quadratic", 1}, {"quadratic", 100}} {
			for _, start := range []string{"start", "random"} {
				run := func(vec bool) ([]float64, [][]float64, []gdgpu.Sample) {
					defer func(u bool) { useAVX = u }(useAVX)
					useAVX = vec
					job := stepJob(pc.problem, 5*chunk-13, pc.cond, o)
					b, err := newBackendOptions(job, options{workers: 3, minPar: -1})
					if err != nil {
						t.Fatal(err)
					}
					defer b.Close()
					x := job.StartPoint()
					if start == "random" {
						r := rand.New(rand.NewPCG(4, 4))
						for i := range x {
							x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4))
						}
						x[3*chunk+1] = 1e160 // its terms overflow: flagged non-finite at that index
					}
					b.Load(x)
					for range 5 {
						b.Step([]float64{1e-3}, true)
					}
					var st gdgpu.State
					b.Snapshot(&st)
					s, _ := b.Samples(nil, true)
					return st.Params, st.Vectors, s
				}
				name := fmt.Sprintf("%s/%s/cond=%v/%s", label, pc.problem, pc.cond, start)
				xs, ss, smps := run(false)
				xv, sv, smpv := run(true)
				if i := firstBitDiff(xv, xs); i >= 0 {
					t.Errorf("%s: x[%d] = %v with the vector kernels, %v without", name, i, xv[i], xs[i])
				}
				for j := range ss {
					if i := firstBitDiff(sv[j], ss[j]); i >= 0 {
						t.Errorf("%s: state %d [%d] = %v with the vector kernels, %v without", name, j, i, sv[j][i], ss[j][i])
					}
				}
				if !slices.EqualFunc(smpv, smps, sameSample) {
					t.Errorf("%s: samples %v with the vector kernels, %v without", name, smpv, smps)
				}
			}
		}
	}
}

// sameSample reports whether a and b are equal, their floating-point
// fields bit for bit (a NaN loss equals the same NaN).
func sameSample(a, b gdgpu.Sample) bool {
	la, lb, na, nb := a.Loss, b.Loss, a.GradNorm, b.GradNorm
	a.Loss, b.Loss, a.GradNorm, b.GradNorm = 0, 0, 0, 0
	return a == b && math.Float64bits(la) == math.Float64bits(lb) && math.Float64bits(na) == math.Float64bits(nb)
}

func FuzzObjectiveVector(f *testing.F) {
	// Arbitrary bit patterns in x (and in the quadratic's coefficients),
	// up to 80 elements, in segments of a length the fuzzer picks: the
	// vector kernels and the scalar loops give the same bits (see
	// TestObjectiveVectorBits).
	seed := make([]byte, 8*2*37)
	for i := range len(seed) / 8 {
		binary.LittleEndian.PutUint64(seed[8*i:], math.Float64bits(specials[i%len(specials)]))
	}
	f.Add(uint8(0), uint8(0), seed)
	f.Add(uint8(1), uint8(5), seed)
	f.Add(uint8(3), uint8(13), seed[:8*2*9])
	f.Fuzz(func(t *testing.T, which, seg uint8, b []byte) {
		if !useAVX {
			t.Skip("this build or CPU has no vector kernels")
		}
		n := min(len(b)/16, 80)
		x, c := make([]float64, n), make([]float64, n)
		for i := range n {
			x[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
			c[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*(n+i):]))
		}
		var o *objective
		switch which % 4 {
		case 0:
			if n < 2 {
				return
			}
			o = &objective{kind: rosenbrock, n: n}
		case 1:
			o = &objective{kind: quadratic, n: n, cond: 1, unit: true}
		case 2:
			o = &objective{kind: quadratic, n: n, cond: 100, coef: c}
		case 3:
			o = &objective{kind: quadratic, n: n, cond: 100, unit: n <= 1}
		}
		var ends []int
		step := 1 + int(seg)%chunk
		for lo := 0; lo < n; lo += step {
			ends = append(ends, min(lo+step, n))
		}
		checkObjectiveVector(t, fmt.Sprintf("kind %d, n=%d, segments of %d", which%4, n, step), o, x, ends)
	})
}
