package kern

// LeafProd multiplies t pairwise in place, like LeafSum (padding with
// ones), and returns the product. len(t) ≤ Leaf.
func LeafProd(t []float64) float64 {
	n := len(t)
	if n == 0 {
		return 1
	}
	p := 1
	for p < n {
		p <<= 1
	}
	t = t[:p]
	for i := n; i < p; i++ {
		t[i] = 1
	}
	for h := p / 2; h >= 1; h /= 2 {
		a, b := t[:h], t[h:2*h]
		for i := range a {
			a[i] *= b[i]
		}
	}
	return t[0]
}

// PairwiseProd is Pairwise with products: leaf products combined in a
// balanced tree, so a product of N factors has at most ⌈log2 N⌉+2
// multiplications between a factor and the result on any path, and a
// relative error of at most (N-1)u (each multiplication rounds once).
type PairwiseProd struct {
	part [64]float64
	top  int
	n    uint64
}

// Push multiplies in the product of the next leaf.
func (p *PairwiseProd) Push(s float64) {
	for k := p.n; k&1 == 1; k >>= 1 {
		p.top--
		s = p.part[p.top] * s
	}
	p.part[p.top] = s
	p.top++
	p.n++
}

// Prod returns the product of every leaf pushed.
func (p *PairwiseProd) Prod() float64 {
	if p.top == 0 {
		return 1
	}
	s := p.part[p.top-1]
	for i := p.top - 2; i >= 0; i-- {
		s = p.part[i] * s
	}
	return s
}
