// Package kern holds the float64 building blocks that gdgpu's CPU objectives
// and the cpu backend share: the pairwise summation tree whose shape the
// samples' bits depend on, the AVX kernels of the built-in quadratic
// and Rosenbrock objectives and of the optimizers' steps, and the mlp's
// matrix products (Gemm), bit for bit gonum's.
package kern

// Leaf is the number of elements a sweep handles at a time: the length of
// the gradient scratch (2 KiB, so it stays in L1) and of a summation leaf.
// A power of two, so that a full leaf is a perfectly balanced tree.
const Leaf = 256

// LeafSum sums t pairwise in place, destroying it, and returns the sum.
// len(t) ≤ Leaf. The tail beyond len(t) up to the next power of two is
// padded with zeros, which add exactly, so a leaf of L terms puts at most
// ⌈log2 L⌉ additions between a term and its sum.
func LeafSum(t []float64) float64 {
	n := len(t)
	if n == 0 {
		return 0
	}
	p := 1
	for p < n {
		p <<= 1
	}
	t = t[:p] // callers pass a slice of a Leaf-long array
	clear(t[n:])
	for h := p / 2; h >= 1; h /= 2 {
		a, b := t[:h], t[h:2*h]
		for i := range a {
			a[i] += b[i]
		}
	}
	return t[0]
}

// Pairwise combines leaf sums in a balanced binary tree, streaming: it
// keeps one partial sum per set bit of the leaf count, like a binary
// counter, so it needs no allocation and O(log N) space. Combining the
// partials at the end adds at most one level, so with 256-term leaves at
// most ⌈log2 N⌉+2 additions lie between any term and the total, and the
// error is at most (⌈log2 N⌉+2)·u·Σ|t_i| to first order.
type Pairwise struct {
	part [64]float64 // part[k] sums 2^j leaves for decreasing j
	top  int         // partials in part
	n    uint64      // leaves pushed
}

// Push adds the sum of the next leaf.
func (p *Pairwise) Push(s float64) {
	for k := p.n; k&1 == 1; k >>= 1 {
		p.top--
		s = p.part[p.top] + s
	}
	p.part[p.top] = s
	p.top++
	p.n++
}

// Sum returns the total of every leaf pushed, combining the partials from
// the smallest (newest) to the largest.
func (p *Pairwise) Sum() float64 {
	if p.top == 0 {
		return 0
	}
	s := p.part[p.top-1]
	for i := p.top - 2; i >= 0; i-- {
		s = p.part[i] + s
	}
	return s
}

// PairwiseSum returns the sum of x with the same tree as the sweeps use:
// leaves of Leaf elements, combined by a pairwise accumulator. It copies
// x Leaf by Leaf, so x is left alone.
func PairwiseSum(x []float64) float64 {
	var buf [Leaf]float64
	var acc Pairwise
	for lo := 0; lo < len(x); lo += Leaf {
		hi := min(lo+Leaf, len(x))
		n := copy(buf[:], x[lo:hi])
		acc.Push(LeafSum(buf[:n]))
	}
	return acc.Sum()
}
