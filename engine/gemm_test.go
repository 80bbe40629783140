package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// hostGEMM is the float64 reference: C = op(A)·op(B), row-major, A m x k
// (k x m with ta), B k x n (n x k with tb), and the bound of the
// recursive sum's rounding error on each element, γ_k Σ_p |a_ip b_pj|
// with γ_k = k u / (1 - k u) (Higham, Accuracy and Stability of Numerical
// Algorithms, 2nd ed., eq. 3.5), for the unit roundoff u.
func hostGEMM(m, n, k int, a []float64, ta bool, b []float64, tb bool, u float64) (c, bound []float64) {
	c, bound = make([]float64, m*n), make([]float64, m*n)
	gamma := float64(k) * u / (1 - float64(k)*u)
	for i := range m {
		for j := range n {
			s, abs := 0.0, 0.0
			for p := range k {
				av := a[i*k+p]
				if ta {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if tb {
					bv = b[j*k+p]
				}
				s += av * bv
				abs += math.Abs(av * bv)
			}
			c[i*n+j], bound[i*n+j] = s, gamma*abs
		}
	}
	return c, bound
}

// gemmBuffers uploads vectors to new buffers of b's precision; they are
// released at the test's end.
func gemmBuffers(t *testing.T, c *Context, b *Backend, vs ...[]float64) []buffer {
	t.Helper()
	bufs := make([]buffer, len(vs))
	if err := c.do(func() error {
		for i, v := range vs {
			var err error
			if bufs[i], err = newBuffer(fmt.Sprint("gemm test ", i), max(len(v), 1), b.elem); err != nil {
				return err
			}
			b.upload(bufs[i], func(j int) float64 {
				if j < len(v) {
					return v[j]
				}
				return 0
			})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.do(func() error {
			for i := range bufs {
				bufs[i].delete()
			}
			return nil
		})
	})
	return bufs
}

// randVec draws n values U(-1, 1), rounded to float32 for f32 so that the
// inputs are exact in both precisions.
func randVec(r *rand.Rand, n int, prec gdgpu.Precision) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 2*r.Float64() - 1
		if prec == gdgpu.F32 {
			v[i] = float64(float32(v[i]))
		}
	}
	return v
}

// unitRoundoff is the precision's u.
func unitRoundoff(prec gdgpu.Precision) float64 {
	if prec == gdgpu.F64 {
		return 0x1p-53
	}
	return 0x1p-24
}

// TestGEMM checks gemm.glsl's three forms against hostGEMM on shapes that
// are not multiples of the tile (32) or the slice (16), at offsets into
// the buffers and with accumulation: every element within the recursive
// sum's bound γ_k Σ|a b| (plus the rounding of the stored result, and for
// accumulate of the addition), and the same bits on a second run and
// with every other invocation block (GEMMBlocks: the same sums in the same
// order, in other tiles).
func TestGEMM(t *testing.T) {
	c := openTest(t, Options{})
	shapes := [][3]int{{1, 1, 1}, {7, 13, 5}, {65, 33, 17}, {128, 64, 10}, {3, 40, 100}, {33, 1, 64}, {130, 150, 40}}
	if testing.Short() {
		shapes = shapes[:4]
	}
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		real := "float"
		elem := 4
		if prec == gdgpu.F64 {
			real, elem = "double", 8
		}
		var p *program
		if err := c.do(func() (err error) { p, err = c.buildGEMM(real, -1); return err }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.do(func() error { p.release(); return nil }) })
		blocks := map[int]*program{} // the other blocks', where the device's shared memory holds their tiles
		for _, r := range GEMMBlocks()[1:] {
			if need := gemmSharedBytes(real, r); need > c.Info().MaxSharedMemory {
				t.Logf("%s: block %d skipped: %d bytes of shared memory, the device has %d", prec, r, need, c.Info().MaxSharedMemory)
				continue
			}
			var pr *program
			if err := c.do(func() (err error) { pr, err = c.buildGEMMBlock(real, -1, r); return err }); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.do(func() error { pr.release(); return nil }) })
			blocks[r] = pr
		}
		b := &Backend{c: c, elem: elem}
		u := unitRoundoff(prec)
		for _, sh := range shapes {
			for _, form := range []struct {
				name   string
				ta, tb bool
			}{{"A·B", false, false}, {"Aᵀ·B", true, false}, {"A·Bᵀ", false, true}} {
				for _, acc := range []bool{false, true} {
					m, n, k := sh[0], sh[1], sh[2]
					name := fmt.Sprintf("%s/%s/%dx%dx%d/accumulate=%v", prec, form.name, m, n, k, acc)
					r := rand.New(rand.NewPCG(uint64(m*1000+n), uint64(k)))
					const aOff, bOff, cOff = 3, 5, 7 // offsets into the buffers
					a, bv := randVec(r, m*k, prec), randVec(r, k*n, prec)
					c0 := randVec(r, m*n, prec)
					want, bound := hostGEMM(m, n, k, a, form.ta, bv, form.tb, u)
					bufs := gemmBuffers(t, c, b, append(make([]float64, aOff), a...), append(make([]float64, bOff), bv...), append(make([]float64, cOff), c0...))
					lda, ldb := k, n
					if form.ta {
						lda = m
					}
					if form.tb {
						ldb = k
					}
					call := gemmCall{m: m, n: n, k: k, a: rowMajor(bufs[0], aOff, lda, form.ta), b: rowMajor(bufs[1], bOff, ldb, form.tb),
						c: bufs[2], cOff: cOff, ldc: n, accumulate: acc}
					multiply := func(p *program, call gemmCall) []float64 {
						got := make([]float64, cOff+m*n)
						if err := c.do(func() error {
							b.upload(bufs[2], func(j int) float64 {
								if j < cOff {
									return 0
								}
								return c0[j-cOff]
							})
							if err := c.dispatchGEMM(p, call); err != nil {
								return err
							}
							b.download(bufs[2], got)
							return c.glError()
						}); err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						return got
					}
					got := [2][]float64{multiply(p, call), multiply(p, call)}
					for r, pr := range blocks {
						rc := call
						rc.tile = 16 * r
						if i := testcases.FirstBitDiff(multiply(pr, rc), got[0]); i >= 0 {
							t.Errorf("%s: block %d: C[%d] differs from block 2's", name, r, i)
						}
					}
					worst := 0.0
					for i := range want {
						w, tol := want[i], bound[i]
						if acc {
							w += c0[i]
							tol += u * math.Abs(w)
						}
						tol += u*math.Abs(w) + 1e-300
						g := got[0][cOff+i]
						if d := math.Abs(g - w); !(d <= tol) {
							t.Errorf("%s: C[%d,%d] = %v, want %v (error %.3g > bound %.3g)", name, i/n, i%n, g, w, d, tol)
							break
						} else {
							worst = max(worst, d/tol)
						}
						if math.Float64bits(g) != math.Float64bits(got[1][cOff+i]) {
							t.Errorf("%s: C[%d] differs between two runs: %v, %v", name, i, g, got[1][cOff+i])
							break
						}
					}
					for i := range cOff {
						if got[0][i] != 0 {
							t.Errorf("%s: wrote before C's offset at %d", name, i)
						}
					}
					t.Logf("%s: worst error %.3f of the bound", name, worst)
				}
			}
		}
	}
}

// hostAct is docs/models.md's activation act and derivative act' at a.
func hostAct(act int, slope, a float64) (h, d float64) {
	switch gdgpu.Activations[act] {
	case "relu":
		if a > 0 {
			return a, 1
		}
		return 0, 0
	case "tanh":
		h = math.Tanh(a)
		return h, 1 - h*h
	case "sigmoid":
		h = 1 / (1 + math.Exp(-a))
		return h, h * (1 - h)
	case "gelu":
		phi := 0.5 * (1 + math.Erf(a/math.Sqrt2))
		return a * phi, phi + a*0.3989422804014327*math.Exp(-0.5*a*a)
	default: // leaky-relu
		if a > 0 {
			return a, 1
		}
		return slope * a, slope
	}
}

// TestGEMMEpilogues checks gemm.glsl's fused epilogues for every
// activation: the forward layer's in·Wᵀ + b with H = act(C) (W and b in
// one buffer, as the mlp's parameters), and the backward d·W ⊙ act'(a).
// The sums are held to TestGEMM's bound; the activation is judged on the
// kernel's own sum, within a few units of roundoff of Go's math (erf,
// tanh and exp ported from the same fdlibm sources in float64).
func TestGEMMEpilogues(t *testing.T) {
	c := openTest(t, Options{})
	const m, n, k = 37, 19, 11
	const slope = 0.1
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		real, elem := "float", 4
		if prec == gdgpu.F64 {
			real, elem = "double", 8
		}
		u := unitRoundoff(prec)
		// float's exp and tanh are the driver's built-ins: a few ulps
		rel := 8 * u
		if prec == gdgpu.F32 {
			rel = 64 * u
		}
		b := &Backend{c: c, elem: elem}
		for act := range gdgpu.Activations {
			name := fmt.Sprintf("%s/%s", prec, gdgpu.Activations[act])
			var p *program
			if err := c.do(func() (err error) {
				if p, err = c.buildGEMM(real, act); err != nil {
					return err
				}
				b.setReal(p, "slope", slope)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.do(func() error { p.release(); return nil }) })
			r := rand.New(rand.NewPCG(uint64(act), 3))
			in := randVec(r, m*k, prec)
			for i := range in {
				in[i] *= 3 // pre-activations over the activations' interesting range
			}
			wb := randVec(r, n*k+n, prec) // W (n x k) then b (n)
			d := randVec(r, m*n, prec)
			want, bound := hostGEMM(m, n, k, in, false, wb[:n*k], true, u)
			for i := range want {
				want[i] += wb[n*k+i%n]
				bound[i] += u * math.Abs(want[i])
			}
			// act: pre-activations then activations (m x n each); out: the backward's m x k
			bufs := gemmBuffers(t, c, b, in, wb, make([]float64, 2*m*n), d, make([]float64, m*k))
			got := make([]float64, 2*m*n)
			back := make([]float64, m*k)
			if err := c.do(func() error {
				if err := c.dispatchGEMM(p, gemmCall{m: m, n: n, k: k, a: rowMajor(bufs[0], 0, k, false), b: rowMajor(bufs[1], 0, k, true),
					c: bufs[2], ldc: n, epi: epiBiasAct, biasOff: n * k, hOff: m * n}); err != nil {
					return err
				}
				gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
				b.download(bufs[2], got)
				// backward: out (m x k) = d (m x n) · W (n x k), times act' at
				// the first k columns of the forward's outputs, as if they were
				// this layer's inputs' pre-activations (ldc k: rows of k)
				return c.dispatchGEMM(p, gemmCall{m: m, n: k, k: n, a: rowMajor(bufs[3], 0, n, false), b: rowMajor(bufs[1], 0, k, false),
					c: bufs[4], ldc: k, epi: epiActDeriv, e: bufs[2], pOff: 0, hOff: m * n})
			}); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := c.do(func() error {
				gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
				b.download(bufs[4], back)
				return c.glError()
			}); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				a := got[i]
				if e := math.Abs(a - want[i]); !(e <= bound[i]+1e-300) {
					t.Fatalf("%s: pre-activation %d = %v, want %v (error %.3g > %.3g)", name, i, a, want[i], e, bound[i])
				}
				h, _ := hostAct(act, slope, a)
				if prec == gdgpu.F32 {
					h = float64(float32(h))
				}
				// gelu's 1 + erf(a/√2) cancels for a << 0 (as on the CPU, in
				// its precision): an absolute error of about u|a|
				if e := math.Abs(got[m*n+i] - h); !(e <= rel*math.Abs(h)+2*u*max(1, math.Abs(a))) {
					t.Fatalf("%s: act(%v) = %v, want %v (error %.3g)", name, a, got[m*n+i], h, e)
				}
			}
			// the backward's inputs as the kernel saw them: the forward's
			// outputs viewed as m x k with leading dimension k
			sum, sb := hostGEMM(m, k, n, d, false, wb[:n*k], false, u)
			for i := range sum {
				_, dv := hostAct(act, slope, got[i])
				if gdgpu.Activations[act] == "tanh" || gdgpu.Activations[act] == "sigmoid" {
					hv := got[m*n+i]
					dv = 1 - hv*hv
					if gdgpu.Activations[act] == "sigmoid" {
						dv = hv * (1 - hv)
					}
				}
				w := sum[i] * dv
				// act' is computed to within rel absolute (1 - h² cancels
				// near |h| = 1: its error is absolute, not relative)
				tol := sb[i]*math.Abs(dv) + rel*math.Abs(sum[i])*max(1, math.Abs(dv)) + u*1e-3
				if e := math.Abs(back[i] - w); !(e <= tol) {
					t.Fatalf("%s: backward %d = %v, want %v (error %.3g > %.3g)", name, i, back[i], w, e, tol)
				}
			}
		}
	}
}
