package gdgpu

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/kern"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// adamVariants are Adam steps covering every branch the vector kernel
// takes: maximize or not; no weight decay, L2 (adam) and decoupled
// (adamw); small and large lerp weights; amsgrad or not; early and late
// steps (bias corrections far from and close to 1).
func adamVariants() []struct {
	name string
	k    *cpuRule
} {
	var out []struct {
		name string
		k    *cpuRule
	}
	for _, name := range []string{"adam", "adamw"} {
		for _, wd := range []float64{0, 0.01} {
			for _, beta1 := range []float64{0.9, 0.3} {
				for _, maximize := range []bool{false, true} {
					for _, ams := range []bool{false, true} {
						for _, t := range []int{1, 3, 10000} {
							o, _ := DefaultOptimizer(name)
							o.WeightDecay, o.Beta1, o.Maximize, o.Amsgrad = wd, beta1, maximize, ams
							o.Beta2, o.Eps = 0.99, 1e-6
							st := NewScalarState()
							k := newAdamRule(&o, name == "adamw")
							k.SetStep(o.Scalars(t, 1e-3, &st))
							out = append(out, struct {
								name string
								k    *cpuRule
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
	if !kern.UseAVX {
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
				testcases.VecInput(r, x, 1)
				testcases.VecInput(r, g, 2)
				testcases.VecInput(r, m, 3)
				testcases.VecInput(r, v, 4)
				testcases.VecInput(r, vmax, 5)
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
					if i := testcases.FirstBitDiff(c.got, c.want); i >= 0 {
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

func FuzzAdamVector(f *testing.F) {
	// Arbitrary bit patterns (every NaN payload, subnormal and infinity the
	// fuzzer finds) in x, g, m, v and max_exp_avg_sq, up to 64 elements, on
	// any of adamVariants' steps: the vector kernel and adamScalar write the
	// same bits.
	variants := adamVariants()
	seed := make([]byte, 5*8*9)
	for i := range len(seed) / 8 {
		binary.LittleEndian.PutUint64(seed[8*i:], math.Float64bits(testcases.Specials[i%len(testcases.Specials)]))
	}
	f.Add(uint8(0), seed)
	f.Add(uint8(37), seed[:5*8*5])
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		if !kern.UseAVX {
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
			if i := testcases.FirstBitDiff(c.got, c.want); i >= 0 {
				t.Fatalf("%s, n=%d: %s[%d] = %#x, scalar %#x; inputs x %#x, g %#x, m %#x, v %#x, vmax %#x",
					av.name, n, c.what, i, math.Float64bits(c.got[i]), math.Float64bits(c.want[i]),
					math.Float64bits(x[i]), math.Float64bits(g[i]), math.Float64bits(m[i]), math.Float64bits(v[i]), math.Float64bits(vmax[i]))
			}
		}
	})
}

// BenchmarkAdamKernel times Adam's update alone (cpuRule.adam, no
// objective, no checks) on one 256-element leaf, the size a sweep hands
// it, so that every vector stays in L1: the arithmetic's cost per element,
// scalar (adamScalar) against the vector kernel where this build has one.
func BenchmarkAdamKernel(b *testing.B) {
	for _, vec := range []bool{false, true} {
		if vec && !kern.UseAVX {
			continue
		}
		for _, name := range []string{"adam", "adamw", "adam+amsgrad"} {
			b.Run(fmt.Sprintf("%s/vector=%v", name, vec), func(b *testing.B) {
				o, _ := DefaultOptimizer(strings.TrimSuffix(name, "+amsgrad"))
				o.Amsgrad = strings.HasSuffix(name, "+amsgrad")
				st := NewScalarState()
				k := newAdamRule(&o, name == "adamw")
				k.SetStep(o.Scalars(10, o.LR, &st))
				x, g, m, v, vmax := make([]float64, leaf), make([]float64, leaf), make([]float64, leaf), make([]float64, leaf), make([]float64, leaf)
				for i := range x {
					x[i], g[i] = float64(i)*1e-3, float64(leaf-i)*1e-2
				}
				for b.Loop() {
					if vec {
						k.adam(x, g, m, v, vmax)
					} else {
						k.adamScalar(x, g, m, v, vmax)
					}
				}
				b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/leaf, "ns/param")
			})
		}
	}
}

// TestSGDVectorBits: sgdPlain with kern's AVX kernel and with the scalar
// loop alone write the same bits to x (NaN payloads included), at every
// length from 0 to 17 and a few longer ones, for learning rates of both
// signs (maximize folds into the rule's sign elsewhere) and a NaN one.
func TestSGDVectorBits(t *testing.T) {
	if !kern.UseAVX {
		t.Skip("this build or CPU has no vector SGD kernel")
	}
	r := rand.New(rand.NewPCG(3, 9))
	lengths := []int{256, 1001}
	for n := 0; n <= 17; n++ {
		lengths = append(lengths, n)
	}
	for _, lr := range []float64{1e-3, 0.5, -0.1, math.NaN(), math.Inf(1)} {
		for _, n := range lengths {
			for round := range 10 {
				x, g := make([]float64, n), make([]float64, n)
				testcases.VecInput(r, x, 1)
				testcases.VecInput(r, g, 2)
				xs := slices.Clone(x)
				k := &cpuRule{stepSize: lr}
				sgdPlain(k, x, g, nil)
				kern.UseAVX = false
				sgdPlain(k, xs, g, nil)
				kern.UseAVX = true
				for i := range x {
					if math.Float64bits(x[i]) != math.Float64bits(xs[i]) {
						t.Fatalf("lr %v n %d round %d: x[%d] = %x (vector), %x (scalar)", lr, n, round, i, math.Float64bits(x[i]), math.Float64bits(xs[i]))
					}
				}
			}
		}
	}
}
