package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/internal/lbfgs"
	"github.com/gdgpu/gdgpu/internal/testcases"
	"github.com/gdgpu/gdgpu/internal/testjobs"
)

var lbfgsJob = testjobs.LBFGSJob

// TestLBFGSMatchesCPU: the GPU's L-BFGS follows the CPU's, step by step
// (steps of --max-iter 1 to 4), with and without the line search, over
// several chunks: each step's loss within rtol of the CPU's, relative to
// the larger of that loss and 1e-6 of the start's.
//
// f64: rtol 1e-12. The two sum their dot products in different orders,
// so they agree to rounding (about 1e-15 is seen here); longer runs drift
// apart as any two orders of summation would on a non-convex problem (a
// fixed-step run on Rosenbrock turns 1e-16 into 1e-13 in one iteration),
// which is why the runs are short. The counts of iterations and
// evaluations must match too.
//
// f32, fixed step: the first step (one sum and an elementwise step) within
// 1e-5, later ones within 1e-2. That bound is measured, not derived: the
// dot products of 2000-5000 float32 terms carry relative errors near
// 1e-6, which the two-loop's curvature pairs amplify (5e-4 on Rosenbrock
// after five iterations here).
//
// f32 with --strong-wolfe is not held to the CPU's iterates: the search
// decides on float32 losses, and from the first iteration it can accept
// another step than the float64 search (the quadratic below: loss 1000
// against 667 after one step). It must converge: below 1e-6 of the start.
func TestLBFGSMatchesCPU(t *testing.T) {
	for _, tc := range []struct {
		name    string
		problem string
		dim     int
		wolfe   bool
		iter    int
		steps   int
		prec    gdgpu.Precision
		local   int // Options.LocalSize: L-BFGS's reductions at other workgroup sizes
	}{
		{"rosenbrock/fixed/f64", "rosenbrock", 5000, false, 1, 12, gdgpu.F64, 0},
		{"rosenbrock/wolfe/f64", "rosenbrock", 5000, true, 1, 12, gdgpu.F64, 0},
		{"styblinski-tang/wolfe/f64", "styblinski-tang", 3000, true, 4, 3, gdgpu.F64, 0},
		{"quadratic/wolfe/f64", "quadratic", 3001, true, 4, 3, gdgpu.F64, 0},
		{"rosenbrock/fixed/f32", "rosenbrock", 5000, false, 1, 6, gdgpu.F32, 0},
		{"rastrigin/fixed/f32", "rastrigin", 2000, false, 2, 3, gdgpu.F32, 0},
		{"quadratic/wolfe/f32", "quadratic", 3001, true, 4, 3, gdgpu.F32, 0},
		{"rosenbrock/wolfe/f64/local=32", "rosenbrock", 5000, true, 1, 12, gdgpu.F64, 32},
		{"rosenbrock/wolfe/f64/local=1024", "rosenbrock", 5000, true, 1, 12, gdgpu.F64, 1024},
		{"rosenbrock/fixed/f32/local=128", "rosenbrock", 5000, false, 1, 6, gdgpu.F32, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openTest(t, Options{ChunkElems: 1024, LocalSize: tc.local}) // several chunks
			job := lbfgsJob(t, tc.problem, tc.dim, 5, tc.wolfe, tc.iter, tc.prec)
			g := openBackend(t, c, &job)
			cjob := job
			cjob.Precision = gdgpu.F64
			cb, err := cpu.New(&cjob)
			if err != nil {
				t.Fatal(err)
			}
			defer cb.Close()
			x0 := job.StartPoint()
			if err := g.Load(x0); err != nil {
				t.Fatal(err)
			}
			if err := cb.Load(x0); err != nil {
				t.Fatal(err)
			}
			for range tc.steps {
				if err := g.Step([]float64{1}, true); err != nil {
					t.Fatal(err)
				}
				if err := cb.Step([]float64{1}, true); err != nil {
					t.Fatal(err)
				}
			}
			// One more sample: the point the last step ended on.
			if err := g.Record(); err != nil {
				t.Fatal(err)
			}
			if err := cb.Record(); err != nil {
				t.Fatal(err)
			}
			gs, err := g.Samples(nil, true)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := cb.Samples(nil, true)
			if err != nil {
				t.Fatal(err)
			}
			if len(gs) != tc.steps+1 || len(cs) != tc.steps+1 {
				t.Fatalf("%d and %d samples, want %d", len(gs), len(cs), tc.steps+1)
			}
			floor := math.Max(1e-6*math.Abs(cs[0].Loss), math.SmallestNonzeroFloat64)
			if tc.prec == gdgpu.F32 && tc.wolfe {
				if last := gs[len(gs)-1].Loss; !(last <= floor) {
					t.Errorf("f32 with the line search: loss %v after %d steps, want below %v", last, tc.steps, floor)
				}
				return
			}
			worst := 0.0
			for k := range gs {
				rtol := 1e-12
				if tc.prec == gdgpu.F32 {
					rtol = 1e-2
					if k <= 1 {
						rtol = 1e-5
					}
				}
				d := math.Abs(gs[k].Loss-cs[k].Loss) / math.Max(math.Abs(cs[k].Loss), floor)
				worst = math.Max(worst, d)
				if !(d <= rtol) || gs[k].Step != cs[k].Step {
					t.Errorf("step %d: loss %v on the GPU, %v on the CPU (rel %.3g, rtol %g)", cs[k].Step, gs[k].Loss, cs[k].Loss, d, rtol)
				}
			}
			if tc.prec == gdgpu.F64 {
				gi, ge := g.(gdgpu.Counter).Counts()
				ci, ce := cb.Counts()
				if gi != ci || ge != ce {
					t.Errorf("n_iter %d, func_evals %d on the GPU; %d, %d on the CPU", gi, ge, ci, ce)
				}
			}
			if cs[0].Loss == cs[len(cs)-1].Loss {
				t.Error("the run did not move: the comparison shows nothing")
			}
			t.Logf("largest relative loss difference %.3g over %d steps", worst, tc.steps)
		})
	}
}

// TestLBFGSStateGPU: on the GPU, a snapshot restored into a new backend
// goes on with the same bits as the uninterrupted run; a kept state
// reverted to gives back x, d, prev_flat_grad and the counters with an
// empty history; Run diverges cleanly on the unbounded saddle.
func TestLBFGSStateGPU(t *testing.T) {
	c := openTest(t, Options{})
	job := lbfgsJob(t, "rosenbrock", 700, 3, true, 3, gdgpu.F64)
	x0 := job.StartPoint()
	open := func() gdgpu.Backend {
		b := openBackend(t, c, &job)
		if err := b.Load(x0); err != nil {
			t.Fatal(err)
		}
		return b
	}
	lrs := []float64{1, 0.5, 1, 1, 0.7, 1}
	whole := open()
	if err := whole.Step(lrs, false); err != nil {
		t.Fatal(err)
	}
	var want gdgpu.State
	if err := whole.Snapshot(&want); err != nil {
		t.Fatal(err)
	}
	a := open()
	a.Step(lrs[:3], false)
	var mid gdgpu.State
	a.Snapshot(&mid)
	b := open()
	if err := b.Restore(&mid); err != nil {
		t.Fatal(err)
	}
	b.Step(lrs[3:], false)
	var s gdgpu.State
	if err := b.Snapshot(&s); err != nil {
		t.Fatal(err)
	}
	if s.Step != want.Step || s.Scalars != want.Scalars || !slices.Equal(s.Params, want.Params) {
		t.Errorf("restored: step %d %+v, want %d %+v; parameters equal: %v", s.Step, s.Scalars, want.Step, want.Scalars, slices.Equal(s.Params, want.Params))
	}
	for k := range s.Vectors {
		if !slices.Equal(s.Vectors[k], want.Vectors[k]) {
			t.Errorf("restored: state vector %d differs", k)
		}
	}
	// Reverted: x, d, prev_flat_grad and the counters come back, the
	// history (not kept) is emptied, as on the CPU.
	a.Keep(0)
	a.Step([]float64{3, 3}, false)
	if err := a.Revert(0); err != nil {
		t.Fatal(err)
	}
	if err := a.Snapshot(&s); err != nil {
		t.Fatal(err)
	}
	wantSc := mid.Scalars
	wantSc.Pairs, wantSc.Oldest, wantSc.HDiag = 0, 0, 1
	if s.Step != mid.Step || s.Scalars != wantSc || !slices.Equal(s.Params, mid.Params) ||
		!slices.Equal(s.Vectors[0], mid.Vectors[0]) || !slices.Equal(s.Vectors[1], mid.Vectors[1]) {
		t.Errorf("reverted: step %d %+v, want %d %+v; x, d or prev_flat_grad not the kept ones", s.Step, s.Scalars, mid.Step, wantSc)
	}
	bad := mid
	bad.Scalars.Pairs = 4
	if err := open().Restore(&bad); err == nil {
		t.Error("a ring of 4 pairs for a history of 3 restored")
	}

	sad := lbfgsJob(t, "saddle", 2, 5, true, 20, gdgpu.F64)
	sad.Steps, sad.LogEvery = 50, 1
	sb := openBackend(t, c, &sad)
	res, err := gdgpu.Run(context.Background(), &sad, sb, sad.StartPoint(), gdgpu.Hooks{})
	if err != nil || res.Status != gdgpu.Diverged || res.KeptStep < 0 {
		t.Errorf("saddle: %v, %v (kept step %d); want Diverged on a kept state", res.Status, err, res.KeptStep)
	}
}

// TestLBFGSDivergesAsCPU: on the unbounded saddle both backends' runs end
// Diverged at the same step and index, on the same kept state: a sample
// carries the non-finite values its whole step found, a point the step
// moved to counting as the next step's, as a fused step's values do.
func TestLBFGSDivergesAsCPU(t *testing.T) {
	c := openTest(t, Options{})
	for _, tc := range []struct {
		name     string
		wolfe    bool
		iter     int
		logEvery int
		steps    int
	}{
		{"fixed/log-every-1", false, 20, 1, 60},
		{"fixed/log-every-5", false, 20, 5, 60},
		{"fixed/max-iter-1", false, 1, 1, 3000},
		{"wolfe", true, 20, 1, 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := lbfgsJob(t, "saddle", 2, 5, tc.wolfe, tc.iter, gdgpu.F64)
			job.Steps, job.LogEvery = tc.steps, tc.logEvery
			g := openBackend(t, c, &job)
			gr, err := gdgpu.Run(context.Background(), &job, g, job.StartPoint(), gdgpu.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			cb, err := cpu.New(&job)
			if err != nil {
				t.Fatal(err)
			}
			defer cb.Close()
			cr, err := gdgpu.Run(context.Background(), &job, cb, job.StartPoint(), gdgpu.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if gr.Status != gdgpu.Diverged || gr.Status != cr.Status || gr.StatusStep != cr.StatusStep || gr.KeptStep != cr.KeptStep ||
				gr.BadIndex != cr.BadIndex || gr.Steps != cr.Steps || len(gr.Samples) != len(cr.Samples) {
				t.Errorf("GPU: %v at %d, index %d, kept %d, %d steps, %d samples; CPU: %v at %d, index %d, kept %d, %d steps, %d samples",
					gr.Status, gr.StatusStep, gr.BadIndex, gr.KeptStep, gr.Steps, len(gr.Samples),
					cr.Status, cr.StatusStep, cr.BadIndex, cr.KeptStep, cr.Steps, len(cr.Samples))
			}
			if gr.KeptStep < 0 {
				t.Errorf("no kept state to end on (kept %d, diverged at %d)", gr.KeptStep, gr.StatusStep)
			}
		})
	}
	// No GPU-timed step: Bench refuses it rather than dispatching nothing.
	job := lbfgsJob(t, "rosenbrock", 100, 5, false, 1, gdgpu.F32)
	b := openBackend(t, c, &job).(*Backend)
	if _, err := b.Bench(BenchStep, 1); err == nil {
		t.Error("Bench(BenchStep) on an lbfgs job: no error")
	}
}

// twoLoopApart is the GPU two-loop as it ran before its update and dot
// were fused: each dot (LB_PART, LB_FIN into sc) and each update of D
// (LB_VEC) a pass of its own.
func twoLoopApart(o *gpuOps, m int, slots []int, ro []float64, hDiag float64) {
	b, l := o.b, o.b.lb
	for i := len(slots) - 1; i >= 0; i-- {
		k := slots[i]
		o.reduceInto(0, lbfgs.Stp(m, k), lbfgs.D, l.sc, k, ro[k])
		b.vecOpSc(*o.buf(lbfgs.D), *o.buf(lbfgs.Dir(k)), k, -1, -1)
	}
	o.Scale(lbfgs.D, lbfgs.D, hDiag)
	for _, k := range slots {
		o.reduceInto(0, lbfgs.Dir(k), lbfgs.D, l.sc, m, ro[k])
		b.vecOpSc(*o.buf(lbfgs.D), *o.buf(lbfgs.Stp(m, k)), k, m, 1)
	}
}

// TestLBFGSTwoLoopFusedBits: the GPU two-loop with each update of D fused
// with the next pair's dot (TwoLoop, lbfgs.glsl's LB_AXPYDOT) gives the
// bits of the update and the dot in passes of their own (twoLoopApart):
// D and every scalar in sc, for 1 to 5 pairs held (the ring's slots
// wrapped), over several chunks, in both precisions. Both kernels sum
// with fma() into a precise accumulator, so this holds on any driver; run
// it on a GPU to see.
func TestLBFGSTwoLoopFusedBits(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 1024})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for _, held := range []int{1, 2, 5} {
			const m, n = 5, 3001
			job := lbfgsJob(t, "rosenbrock", n, m, false, 1, prec)
			be := openBackend(t, c, &job).(*Backend)
			o := &gpuOps{b: be}
			r := rand.New(rand.NewPCG(uint64(held), 7))
			slots := make([]int, held) // oldest first, wrapped around the ring
			for i := range slots {
				slots[i] = (3 + i) % m
			}
			ro := make([]float64, m)
			for k := range ro {
				ro[k] = 0.5 + r.Float64()
			}
			vecs := []lbfgs.Vec{lbfgs.D}
			for k := range m {
				vecs = append(vecs, lbfgs.Dir(k), lbfgs.Stp(m, k))
			}
			vals := make([][]float64, len(vecs))
			for i := range vals {
				vals[i] = make([]float64, n)
				for j := range vals[i] {
					vals[i][j] = r.NormFloat64() * math.Pow(2, float64(r.IntN(9)-4))
				}
			}
			run := func(fused bool) (d, sc []float64) {
				d, sc = make([]float64, n), make([]float64, m+1)
				if err := c.do(func() error {
					for i, v := range vecs {
						be.upload(*o.buf(v), func(j int) float64 { return vals[i][j] })
					}
					be.upload(be.lb.sc, func(int) float64 { return 0 })
					if fused {
						o.TwoLoop(m, slots, ro, 0.75)
					} else {
						twoLoopApart(o, m, slots, ro, 0.75)
					}
					be.download(*o.buf(lbfgs.D), d)
					be.download(be.lb.sc, sc)
					return c.glError()
				}); err != nil {
					t.Fatal(err)
				}
				return d, sc
			}
			dApart, scApart := run(false)
			dFused, scFused := run(true)
			if i := testcases.FirstBitDiff(dFused, dApart); i >= 0 {
				t.Errorf("%s, %d pairs: D[%d] = %v fused, %v apart", prec, held, i, dFused[i], dApart[i])
			}
			if i := testcases.FirstBitDiff(scFused, scApart); i >= 0 {
				t.Errorf("%s, %d pairs: sc[%d] = %v fused, %v apart", prec, held, i, scFused[i], scApart[i])
			}
		}
	}
}
