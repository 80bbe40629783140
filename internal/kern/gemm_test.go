package kern

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gdgpu/gdgpu/internal/testcases"
)

// gonumGemm is the reference: gonum's Dgemm with alpha 1 and beta 1 on C
// tiles of at most 64 x 64, as gdgpu's model_mlp.go calls it.
func gonumGemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	for i0 := 0; i0 < m; i0 += 64 {
		mi := min(64, m-i0)
		for j0 := 0; j0 < n; j0 += 64 {
			nj := min(64, n-j0)
			ao, bo := i0*lda, j0
			if transA {
				ao = i0
			}
			if transB {
				bo = j0 * ldb
			}
			blas64.Implementation().Dgemm(ta, tb, mi, nj, k, 1, a[ao:], lda, b[bo:], ldb, 1, c[i0*ldc+j0:], ldc)
		}
	}
}

// gemmInput fills v as the mlp's operands look (about half exact zeros,
// some -0, magnitudes over 20 decades so that the order of additions
// shows in the bits) with specials (testcases.VecInput's: NaNs tagged by
// operand, infinities, subnormals) in about one element of every in
// (none for 0).
func gemmInput(r *rand.Rand, v []float64, in int, tag uint64) {
	sp := make([]float64, len(v))
	testcases.VecInput(r, sp, tag)
	for i := range v {
		switch {
		case in > 0 && r.IntN(in) == 0:
			v[i] = sp[i]
		case r.IntN(2) == 0:
			v[i] = math.Copysign(0, float64(r.IntN(2))-0.5)
		default:
			v[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(21)-10))
		}
	}
}

// TestGemmBits holds Gemm's kernels to gonum's Dgemm bit for bit (NaN
// payloads included) on every form it takes, over sizes on both sides of
// each kernel's strip, block and tail, with padded leading dimensions,
// alone and shared by a Team.
func TestGemmBits(t *testing.T) {
	if !UseAVX {
		t.Skip("this build or CPU has no AVX gemm kernels")
	}
	r := rand.New(rand.NewPCG(5, 17))
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 31, 33, 36, 63, 65, 129, 131}
	forms := []struct{ ta, tb bool }{{false, false}, {true, false}, {false, true}}
	checked := 0
	teams := []*Team{NewTeam(1), NewTeam(2), NewTeam(3), nil}
	TeamMinWork = 1 // split even these small products
	defer func() { TeamMinWork = 1 << 21 }()
	for _, team := range teams {
		defer team.Close()
	}
	for _, f := range forms {
		for _, in := range []int{0, 300, 5} {
			for round := range 30 {
				m, n, k := sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))], sizes[r.IntN(len(sizes))]
				if round == 0 {
					m, n, k = 70, 75, 200 // every strip width, block and tail at once
				}
				pad := r.IntN(3)
				ar, ac := m, k
				if f.ta {
					ar, ac = k, m
				}
				br, bc := k, n
				if f.tb {
					br, bc = n, k
				}
				lda, ldb, ldc := ac+pad, bc+pad, n+pad
				a, b, c := make([]float64, ar*lda), make([]float64, br*ldb), make([]float64, m*ldc)
				gemmInput(r, a, in, 1)
				gemmInput(r, b, in, 2)
				gemmInput(r, c, in, 3)
				want, ct := slices.Clone(c), slices.Clone(c)
				gonumGemm(f.ta, f.tb, m, n, k, a, lda, b, ldb, want, ldc)
				if !Gemm(f.ta, f.tb, m, n, k, a, lda, b, ldb, c, ldc) {
					t.Fatalf("Gemm(%v, %v) did not take the form", f.ta, f.tb)
				}
				if i := testcases.FirstBitDiff(c, want); i >= 0 {
					t.Fatalf("transA %v transB %v, %dx%dx%d, pad %d, specials 1/%d: c[%d,%d] = %x, gonum %x",
						f.ta, f.tb, m, n, k, pad, in, i/ldc, i%ldc, math.Float64bits(c[i]), math.Float64bits(want[i]))
				}
				// The same product shared among 1 to 3 helpers, rows or
				// columns split (16 or more a part).
				team, helpers := teams[round%len(teams)], 0
				if team != nil {
					helpers = team.helpers
				}
				if !team.Gemm(f.ta, f.tb, m, n, k, a, lda, b, ldb, ct, ldc) {
					t.Fatalf("Team.Gemm(%v, %v) did not take the form", f.ta, f.tb)
				}
				if i := testcases.FirstBitDiff(ct, want); i >= 0 {
					t.Fatalf("%d helpers, transA %v transB %v, %dx%dx%d, pad %d, specials 1/%d: c[%d,%d] = %x, gonum %x",
						helpers, f.ta, f.tb, m, n, k, pad, in, i/ldc, i%ldc, math.Float64bits(ct[i]), math.Float64bits(want[i]))
				}
				checked++
			}
		}
	}
	if Gemm(true, true, 2, 2, 2, make([]float64, 4), 2, make([]float64, 4), 2, make([]float64, 4), 2) {
		t.Error("Gemm took Aᵀ·Bᵀ, which it has no kernel for")
	}
	t.Logf("%d products bit-identical to gonum", checked)
}

// BenchmarkGemm times each form at the mlp's shapes (784-1024-1024-10 at
// batch 256), against gonum's tiled Dgemm.
func BenchmarkGemm(b *testing.B) {
	const rows, in, out = 256, 784, 1024
	r := rand.New(rand.NewPCG(1, 2))
	fill := func(n int, zeros bool) []float64 {
		v := make([]float64, n)
		for i := range v {
			if !zeros || r.IntN(2) == 0 {
				v[i] = r.NormFloat64()
			}
		}
		return v
	}
	for _, f := range []struct {
		name          string
		ta, tb        bool
		m, n, k       int
		lda, ldb, ldc int
		zeros         bool
		an, bn, cn    int
	}{
		{"forward/A·Wᵀ", false, true, rows, out, in, in, in, out, false, rows * in, out * in, rows * out},
		{"gradW/doutᵀ·A", true, false, out, in, rows, out, in, in, true, rows * out, rows * in, out * in},
		{"dinput/dout·W", false, false, rows, in, out, out, in, in, true, rows * out, out * in, rows * in},
	} {
		a, bb, c := fill(f.an, f.zeros), fill(f.bn, false), fill(f.cn, false)
		for _, impl := range []string{"kern", "gonum"} {
			b.Run(fmt.Sprintf("%s/%s", f.name, impl), func(b *testing.B) {
				for b.Loop() {
					if impl == "gonum" || !Gemm(f.ta, f.tb, f.m, f.n, f.k, a, f.lda, bb, f.ldb, c, f.ldc) {
						gonumGemm(f.ta, f.tb, f.m, f.n, f.k, a, f.lda, bb, f.ldb, c, f.ldc)
					}
				}
				b.ReportMetric(2*float64(f.m*f.n*f.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// FuzzGemm holds Gemm, alone and shared by a Team of 2 helpers, to gonum's
// Dgemm bit for bit on random shapes (1 to 130 on each side: past gonum's
// 64-wide tiles and the kernels' blocks and strips), leading
// dimensions, forms and operands (gemmInput's, specials in one element of
// 1 + density, or none).
func FuzzGemm(f *testing.F) {
	if !UseAVX {
		f.Skip("this build or CPU has no AVX gemm kernels")
	}
	f.Add(uint64(1), uint8(70), uint8(75), uint8(200), uint8(0), uint8(0), uint8(0))
	f.Add(uint64(2), uint8(1), uint8(33), uint8(3), uint8(1), uint8(2), uint8(4))
	f.Add(uint64(3), uint8(65), uint8(4), uint8(129), uint8(2), uint8(1), uint8(250))
	team := NewTeam(2)
	defer team.Close()
	TeamMinWork = 1
	defer func() { TeamMinWork = 1 << 21 }()
	f.Fuzz(func(t *testing.T, seed uint64, m8, n8, k8, form, pad, density uint8) {
		m, n, k := 1+int(m8)%130, 1+int(n8)%130, 1+int(k8)%130
		ta, tb := form%3 == 1, form%3 == 2
		p := int(pad % 4)
		r := rand.New(rand.NewPCG(seed, uint64(m)<<16|uint64(n)<<8|uint64(k)))
		ar, ac, br, bc := m, k, k, n
		if ta {
			ar, ac = k, m
		}
		if tb {
			br, bc = n, k
		}
		lda, ldb, ldc := ac+p, bc+p, n+p
		a, b, c := make([]float64, ar*lda), make([]float64, br*ldb), make([]float64, m*ldc)
		in := 0
		if density > 0 {
			in = 1 + int(density)
		}
		gemmInput(r, a, in, 1)
		gemmInput(r, b, in, 2)
		gemmInput(r, c, in, 3)
		want, alone, shared := slices.Clone(c), slices.Clone(c), slices.Clone(c)
		gonumGemm(ta, tb, m, n, k, a, lda, b, ldb, want, ldc)
		Gemm(ta, tb, m, n, k, a, lda, b, ldb, alone, ldc)
		team.Gemm(ta, tb, m, n, k, a, lda, b, ldb, shared, ldc)
		for _, got := range [][]float64{alone, shared} {
			if i := testcases.FirstBitDiff(got, want); i >= 0 {
				t.Fatalf("transA %v transB %v, %dx%dx%d, pad %d: c[%d,%d] = %x, gonum %x",
					ta, tb, m, n, k, p, i/ldc, i%ldc, math.Float64bits(got[i]), math.Float64bits(want[i]))
			}
		}
	})
}
