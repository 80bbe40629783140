package cpu

import (
	"encoding/binary"
	"fmt"
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

// adamVariants are Adam steps covering every branch the vector kernel
// takes: maximize or not; no weight decay, L2 (adam) and decoupled
// (adamw); small and large lerp weights; amsgrad or not; early and late
// steps (bias corrections far from and close to 1).
func adamVariants() []struct {
	name string
	k    kernel
} {
	var out []struct {
		name string
		k    kernel
	}
	for _, name := range []string{"adam", "adamw"} {
		for _, wd := range []float64{0, 0.01} {
			for _, beta1 := range []float64{0.9, 0.3} {
				for _, maximize := range []bool{false, true} {
					for _, ams := range []bool{false, true} {
						for _, t := range []int{1, 3, 10000} {
							o, _ := gdgpu.DefaultOptimizer(name)
							o.WeightDecay, o.Beta1, o.Maximize, o.Amsgrad = wd, beta1, maximize, ams
							o.Beta2, o.Eps = 0.99, 1e-6
							st := gdgpu.NewScalarState()
							k := newKernel(&o, adam, o.Scalars(t, 1e-3, &st))
							out = append(out, struct {
								name string
								k    kernel
							}{fmt.Sprintf("%s/wd=%v/beta1=%v/maximize=%v/amsgrad=%v/t=%d", name, wd, beta1, maximize, ams, t), k})
						}
					}
				}
			}
		}
	}
	return out
}

func TestAdamVectorBits(t *testing.T) {
	// The vector Adam kernel and adamScalar, on the same random inputs
	// (specials included), must write the same bits to x, m, v and (with
	// amsgrad) max_exp_avg_sq, at every length from 0 to 17 (tails of every
	// size) and a few longer ones.
	if !useAVX {
		t.Skip("this build or CPU has no vector Adam kernel")
	}
	r := rand.New(rand.NewPCG(7, 4))
	lengths := []int{256, 1000}
	for n := 0; n <= 17; n++ {
		lengths = append(lengths, n)
	}
	for _, av := range adamVariants() {
		k := av.k
		for _, n := range lengths {
			for round := range 20 {
				x, g, m, v, vmax := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
				vecInput(r, x, 1)
				vecInput(r, g, 2)
				vecInput(r, m, 3)
				vecInput(r, v, 4)
				vecInput(r, vmax, 5)
				if round%2 == 0 { // exp_avg_sq as torch keeps it, never negative
					for i := range v {
						v[i], vmax[i] = math.Abs(v[i]), math.Abs(vmax[i])
					}
				}
				xs, ms, vs, vmaxs := slices.Clone(x), slices.Clone(m), slices.Clone(v), slices.Clone(vmax)
				k.adamScalar(xs, g, ms, vs, vmaxs)
				xv, mv, vv, vmaxv := slices.Clone(x), slices.Clone(m), slices.Clone(v), slices.Clone(vmax)
				k.adam(xv, g, mv, vv, vmaxv)
				for _, c := range []struct {
					what      string
					got, want []float64
				}{{"x", xv, xs}, {"m", mv, ms}, {"v", vv, vs}, {"vmax", vmaxv, vmaxs}} {
					if i := firstBitDiff(c.got, c.want); i >= 0 {
						t.Fatalf("%s, n=%d: %s[%d] = %v (%#x), scalar %v (%#x); inputs x %v (%#x), g %v (%#x), m %v (%#x), v %v (%#x), vmax %v (%#x)",
							av.name, n, c.what, i, c.got[i], math.Float64bits(c.got[i]), c.want[i], math.Float64bits(c.want[i]),
							x[i], math.Float64bits(x[i]), g[i], math.Float64bits(g[i]), m[i], math.Float64bits(m[i]), v[i], math.Float64bits(v[i]),
							vmax[i], math.Float64bits(vmax[i]))
					}
				}
			}
		}
		// The vector kernel, not only adamScalar, ran on everything up to
		// the last multiple of 4.
		x := make([]float64, 11)
		if got := k.adamVec(x, x, slices.Clone(x), slices.Clone(x), slices.Clone(x)); got != 8 {
			t.Fatalf("%s: adamVec took %d of 11 elements, want 8", av.name, got)
		}
	}
}

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

func FuzzAdamVector(f *testing.F) {
	// Arbitrary bit patterns (every NaN payload, subnormal and infinity the
	// fuzzer finds) in x, g, m, v and max_exp_avg_sq, up to 64 elements, on
	// any of adamVariants' steps: the vector kernel and adamScalar write the
	// same bits.
	variants := adamVariants()
	seed := make([]byte, 5*8*9)
	for i := range len(seed) / 8 {
		binary.LittleEndian.PutUint64(seed[8*i:], math.Float64bits(specials[i%len(specials)]))
	}
	f.Add(uint8(0), seed)
	f.Add(uint8(37), seed[:5*8*5])
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		if !useAVX {
			t.Skip("this build or CPU has no vector Adam kernel")
		}
		av := variants[int(which)%len(variants)]
		n := min(len(b)/40, 64)
		in := make([][]float64, 5) // x, g, m, v, vmax
		for j := range in {
			in[j] = make([]float64, n)
			for i := range n {
				in[j][i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*(j*n+i):]))
			}
		}
		x, g, m, v, vmax := in[0], in[1], in[2], in[3], in[4]
		xs, ms, vs, vmaxs := slices.Clone(x), slices.Clone(m), slices.Clone(v), slices.Clone(vmax)
		av.k.adamScalar(xs, g, ms, vs, vmaxs)
		xv, mv, vv, vmaxv := slices.Clone(x), slices.Clone(m), slices.Clone(v), slices.Clone(vmax)
		av.k.adam(xv, g, mv, vv, vmaxv)
		for _, c := range []struct {
			what      string
			got, want []float64
		}{{"x", xv, xs}, {"m", mv, ms}, {"v", vv, vs}, {"vmax", vmaxv, vmaxs}} {
			if i := firstBitDiff(c.got, c.want); i >= 0 {
				t.Fatalf("%s, n=%d: %s[%d] = %#x, scalar %#x; inputs x %#x, g %#x, m %#x, v %#x, vmax %#x",
					av.name, n, c.what, i, math.Float64bits(c.got[i]), math.Float64bits(c.want[i]),
					math.Float64bits(x[i]), math.Float64bits(g[i]), math.Float64bits(m[i]), math.Float64bits(v[i]), math.Float64bits(vmax[i]))
			}
		}
	})
}
