package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// setVector turns the vector kernels on or off, this package's (Adam, the
// non-finite check) and the objectives' (internal/kern), and returns the
// function that restores both.
func setVector(vec bool) (restore func()) {
	u, k := useAVX, kern.UseAVX
	useAVX, kern.UseAVX = vec, vec
	return func() { useAVX, kern.UseAVX = u, k }
}

// The vector kernels' test inputs (internal/testcases): specials, random
// values with tagged NaNs, and the first bit difference.
var (
	specials     = testcases.Specials
	vecInput     = testcases.VecInput
	firstBitDiff = testcases.FirstBitDiff
)

func TestAdamVectorBackend(t *testing.T) {
	// Whole backends, with and without the vector kernels, over several
	// parts and an odd length (leaves not a multiple of the vector width,
	// held first elements, a short last leaf): the same bits in x and in
	// every state vector, and the same samples.
	if !useAVX {
		t.Skip("this build or CPU has no vector kernels")
	}
	opts := map[string]gdgpu.Optimizer{}
	for _, name := range []string{"adam", "adamw"} {
		o, _ := gdgpu.DefaultOptimizer(name)
		opts[name] = o
		o.Maximize = true
		opts[name+"+maximize"] = o
		o.Maximize, o.WeightDecay = false, 0.1
		opts[name+"+wd"] = o
		o.WeightDecay, o.Amsgrad = 0, true
		opts[name+"+amsgrad"] = o
	}
	for label, o := range opts {
		for _, problem := range []string{"rosenbrock", "quadratic"} {
			run := func(vec bool) ([]float64, [][]float64, []gdgpu.Sample) {
				defer setVector(vec)()
				job := stepJob(problem, 5*chunk-13, 10, o)
				b, err := newBackendOptions(job, options{workers: 3, minPar: -1})
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				b.Load(job.StartPoint())
				for range 5 {
					b.Step([]float64{0.05}, true)
				}
				var st gdgpu.State
				b.Snapshot(&st)
				s, _ := b.Samples(nil, true)
				return st.Params, st.Vectors, s
			}
			xs, ss, smps := run(false)
			xv, sv, smpv := run(true)
			if i := firstBitDiff(xv, xs); i >= 0 {
				t.Errorf("%s/%s: x[%d] = %v with the vector kernels, %v without", label, problem, i, xv[i], xs[i])
			}
			for j := range ss {
				if i := firstBitDiff(sv[j], ss[j]); i >= 0 {
					t.Errorf("%s/%s: state %d [%d] = %v with the vector kernels, %v without", label, problem, j, i, sv[j][i], ss[j][i])
				}
			}
			if !slices.Equal(smpv, smps) {
				t.Errorf("%s/%s: samples %v with the vector kernels, %v without", label, problem, smpv, smps)
			}
		}
	}
}

func TestAllFiniteVector(t *testing.T) {
	// allFinite (vectorised where it can be) and allFiniteGo agree on every
	// length up to 70 with all values finite (specials among them) and with
	// one NaN or infinity at each position.
	r := rand.New(rand.NewPCG(3, 9))
	finite := []float64{}
	for _, s := range specials {
		if !math.IsNaN(s) && !math.IsInf(s, 0) {
			finite = append(finite, s)
		}
	}
	bad := []float64{math.Inf(1), math.Inf(-1), math.NaN(), math.Float64frombits(0xfff0000000000001)}
	for n := 0; n <= 70; n++ {
		v := make([]float64, n)
		for i := range v {
			v[i] = finite[r.IntN(len(finite))]
		}
		if !allFinite(v) || !allFiniteGo(v) {
			t.Fatalf("n=%d, all finite: allFinite %v, allFiniteGo %v", n, allFinite(v), allFiniteGo(v))
		}
		for j := range v {
			for _, b := range bad {
				old := v[j]
				v[j] = b
				if allFinite(v) || allFiniteGo(v) {
					t.Fatalf("n=%d, %v at %d: allFinite %v, allFiniteGo %v", n, b, j, allFinite(v), allFiniteGo(v))
				}
				v[j] = old
			}
		}
	}
}
