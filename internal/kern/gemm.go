package kern

// The mlp's matrix products on the CPU (gdgpu's model_mlp.go), faster than
// gonum's serial Dgemm and bit for bit what gonum v0.17's Dgemm gives with
// alpha 1 and beta 1 on C tiles of at most 64 x 64 (so its serial
// kernels, each element summed over the whole of k):
//
//   - A·B and Aᵀ·B (dgemmSerialNotNot, dgemmSerialTransNot, both through
//     f64.AxpyUnitary): c[i,j] = b[l,j]*a[i,l] + c[i,j] for l ascending,
//     each product and sum rounded (no FMA), and the l with a[i,l] == 0
//     (±0) skipped, as gonum's tmp != 0 skips them;
//   - A·Bᵀ (dgemmSerialNotTrans, through f64.DotUnitary): c[i,j] = d +
//     c[i,j], where d sums a[i,l]*b[j,l] in four partial sums s_q over the
//     l ≡ q (mod 4) below k&^3, adds the last k%4 terms to s_0 in order, and
//     ends (s_1+s_3) + (s_0+s_2).
//
// Every operand order is gonum's (its assembly's, and gc's for the line
// that adds the dot to C), so that where two NaNs meet the same payload
// wins. TestGemmBits holds the kernels to gonum, NaNs, infinities and
// signed zeros included.
//
// Why faster: the axpy forms keep a 32-wide strip of a row of C in
// registers over a block of l (gonum loads and stores C for every l) and
// visit only the nonzero a[i,l] from a list built once per block (relu's
// gradients are about half zeros); the dot form computes a 2 x 4 block of
// dots at once, four lanes each, from 256-bit loads (gonum: one dot at a
// time, two lanes).

const (
	// gemmKC is the l per block of the axpy forms, and gemmMB the rows of
	// C whose lists are built together: a block's rows of B stay in L2,
	// and the group's lists (8 KiB) and the 32-wide panel of B they
	// read (8 KiB) stay in L1 while its rows reuse them. Chosen by
	// BenchmarkGemm on a Zen 4 core (32 KiB L1, 1 MiB L2): KC 32 and MB
	// 16 were 8% faster than 64 and 8, 50% faster than 128 or 256.
	gemmKC = 32
	gemmMB = 16
	// gemmNB is the rows of B per block of the dot form (32 rows of 1024
	// doubles, 256 KiB, in L2 while every row of A passes them).
	gemmNB = 32
)

// Gemm adds op(A)·op(B) to the m x n matrix C, row-major with leading
// dimensions lda, ldb and ldc, k the inner dimension, summing each element
// exactly as gonum's Dgemm does (above), and reports whether it did: it
// takes A·B, Aᵀ·B and A·Bᵀ where the AVX kernels run (UseAVX), and leaves
// the rest to the caller's gonum call. The slices must hold what the
// dimensions address; a short one panics.
func Gemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) bool {
	if !UseAVX || transA && transB {
		return false
	}
	if m <= 0 || n <= 0 || k <= 0 {
		return true
	}
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if transB {
		gemmDot(m, n, k, a, lda, b, ldb, c, ldc)
	} else {
		gemmAxpy(transA, m, n, k, a, lda, b, ldb, c, ldc)
	}
	return true
}

// checkGemm panics unless the slices hold every element the dimensions
// address (m, n, k positive): the kernels read and write only inside
// these spans.
func checkGemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if transA {
		_ = a[(k-1)*lda+m-1]
	} else {
		_ = a[(m-1)*lda+k-1]
	}
	if transB {
		_ = b[(n-1)*ldb+k-1]
	} else {
		_ = b[(k-1)*ldb+n-1]
	}
	_ = c[(m-1)*ldc+n-1]
}

// gemmAxpy is the A·B and Aᵀ·B forms: for each block of l and group of
// gemmMB rows of C, it lists each row's nonzero a[i,l] with the byte
// offset of B's row l, and the kernel adds them along the rows.
func gemmAxpy(transA bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	// On the stack: the kernel does not keep them (noescape).
	var vals [gemmMB * gemmKC]float64
	var offs [gemmMB * gemmKC]int
	var cnts [gemmMB]int
	sa, sl := lda, 1 // a[i,l] is a[i*sa + l*sl]
	if transA {
		sa, sl = 1, lda
	}
	for l0 := 0; l0 < k; l0 += gemmKC {
		kc := min(gemmKC, k-l0)
		for i0 := 0; i0 < m; i0 += gemmMB {
			mb := min(gemmMB, m-i0)
			for ii := range mb {
				t, p := 0, (i0+ii)*sa+l0*sl
				for l := range kc {
					if v := a[p+l*sl]; v != 0 {
						vals[ii*gemmKC+t] = v
						offs[ii*gemmKC+t] = (l0 + l) * ldb * 8
						t++
					}
				}
				cnts[ii] = t
			}
			gemmAxpyAVX(&c[i0*ldc], ldc, mb, &vals[0], &offs[0], &cnts[0], gemmKC, &b[0], n)
		}
	}
}

// gemmDot is the A·Bᵀ form: 2 x 4 blocks of dots, gemmNB rows of B at a
// time, single dots at the edges.
func gemmDot(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	for j0 := 0; j0 < n; j0 += gemmNB {
		j1 := min(j0+gemmNB, n)
		i := 0
		for ; i+2 <= m; i += 2 {
			j := j0
			for ; j+4 <= j1; j += 4 {
				gemmDot2x4AVX(&c[i*ldc+j], ldc, &a[i*lda], lda, &b[j*ldb], ldb, k)
			}
			for ; j < j1; j++ {
				gemmDot1AVX(&c[i*ldc+j], &a[i*lda], &b[j*ldb], k)
				gemmDot1AVX(&c[(i+1)*ldc+j], &a[(i+1)*lda], &b[j*ldb], k)
			}
		}
		if i < m {
			for j := j0; j < j1; j++ {
				gemmDot1AVX(&c[i*ldc+j], &a[i*lda], &b[j*ldb], k)
			}
		}
	}
}

// Team shares Gemm's products out to helper goroutines: each takes a
// range of C's rows (or, where C is wider than tall, of its columns), and
// since every element of C is summed on its own, in its own order, the
// bits are Gemm's whatever the split. A nil *Team has no helpers. One
// goroutine at a time may call Gemm on a Team.
type Team struct {
	helpers int
	tasks   chan gemmTask
	done    chan struct{}
}

// gemmTask is one part of a Team's product, passed by value (a send
// copies it: nothing is allocated).
type gemmTask struct {
	transA, transB bool
	m, n, k        int
	a, b, c        []float64
	lda, ldb, ldc  int
}

// run computes the part with Gemm.
func (q *gemmTask) run() {
	Gemm(q.transA, q.transB, q.m, q.n, q.k, q.a, q.lda, q.b, q.ldb, q.c, q.ldc)
}

// teamMinRows is the fewest rows (or columns) of C a part takes, and
// TeamMinWork the fewest multiply-adds (about 0.1 ms): below them a
// helper's wake-up costs more than the part saves (BenchmarkMLPStep's
// 64-128-64-10 network, whose largest products have 2.1M, was 7-40%
// slower on 2 threads when they were split). TeamMinWork is a variable
// so that tests (here and cpu's) can lower it.
const teamMinRows = 16

var TeamMinWork = 1 << 21

// NewTeam starts helpers goroutines (none for helpers < 1); Close stops
// them.
func NewTeam(helpers int) *Team {
	t := &Team{helpers: max(helpers, 0), tasks: make(chan gemmTask), done: make(chan struct{})}
	for range t.helpers {
		go func() {
			for p := range t.tasks {
				p.run()
				t.done <- struct{}{}
			}
		}()
	}
	return t
}

// Close stops the helpers; the Team must not be used after.
func (t *Team) Close() {
	if t != nil {
		close(t.tasks)
	}
}

// Helpers returns how many goroutines help the caller: 0 for a nil Team.
func (t *Team) Helpers() int {
	if t == nil {
		return 0
	}
	return t.helpers
}

// Gemm is the package's Gemm with the product split among the caller and
// the helpers: the same bits, and false, doing nothing, where Gemm does.
func (t *Team) Gemm(transA, transB bool, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) bool {
	if t == nil || t.helpers == 0 || !UseAVX || transA && transB || m <= 0 || n <= 0 || k <= 0 {
		return Gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	}
	// A short slice panics here, on the caller, before any part is handed
	// out: a helper that panicked would take the process down, and one
	// left waiting would answer the next call's parts.
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	rows := m >= n // split C's rows, else its columns
	span := n
	if rows {
		span = m
	}
	parts := min(t.helpers+1, span/teamMinRows, m*n*k/max(TeamMinWork, 1))
	if parts < 2 {
		return Gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	}
	var first gemmTask
	for p := range parts {
		lo, hi := p*span/parts, (p+1)*span/parts
		if rows && transB {
			lo, hi = lo&^1, hi&^1 // whole pairs of rows for the dot form's 2 x 4 blocks
		}
		if p == parts-1 {
			hi = span
		}
		q := gemmTask{transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc}
		if rows {
			q.m, q.c = hi-lo, c[lo*ldc:]
			if transA {
				q.a = a[lo:]
			} else {
				q.a = a[lo*lda:]
			}
		} else {
			q.n, q.c = hi-lo, c[lo:]
			if transB {
				q.b = b[lo*ldb:]
			} else {
				q.b = b[lo:]
			}
		}
		if p == 0 {
			first = q
			continue
		}
		t.tasks <- q
	}
	first.run()
	for range parts - 1 {
		<-t.done
	}
	return true
}
