package gdgpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// mlpModel is a multi-layer perceptron: fully connected hidden layers
// (Job.Hidden) with one activation (Job.Activation), then a linear output
// layer of one output per class and softmax cross-entropy, as the softmax
// model's. It is a network of its own (ModelInfo.Net): on the CPU
// backend the Network below runs it, on the GPU engine's mlp.go, with
// softmax's (or the linear model's MSE) GLSL as its head.
func mlpModel() ModelInfo {
	sm := softmaxModel()
	return ModelInfo{
		Name: "mlp", Summary: "multi-layer perceptron: {Job.Hidden} layers with {Job.Activation}, softmax cross-entropy over K classes, or the mean squared error with {DataSpec.Task} regression", Labels: "0..K-1", Classifier: true,
		SumsOutputs:   true,
		CPU:           func(*Job) CPUModelLoss { return softmaxLoss },
		GPU:           sm.GPU, // the head (engine's mlp_head.glsl): softmax's loss
		Predict:       sm.Predict,
		Probabilities: sm.Probabilities,
		Net:           newMLP,
		RealTargets:   mlpRegression,
	}
}

// mlpRegression is the mlp on real targets: one output, the linear
// model's mean squared error (r², r = z - y, as torch's MSELoss averages
// it over the batch).
func mlpRegression() ModelInfo {
	m := mlpModel()
	m.Labels, m.Classifier, m.SumsOutputs = "real", false, false
	m.CPU = func(*Job) CPUModelLoss { return mseCost().CPU }
	m.GPU = func(*Job) []string { return []string{mseCost().GPU, "model_linear.glsl"} }
	m.Predict, m.Probabilities, m.RealTargets = nil, nil, nil
	return m
}

// Activations are the MLP's hidden activations (Job.Activation).
var Activations = []string{"relu", "tanh", "sigmoid", "gelu", "leaky-relu"}

// InitSchemes are the MLP's weight initialisations (Job.InitScheme): torch
// (nn.Linear's default, the zero value), xavier and kaiming.
var InitSchemes = []string{"torch", "xavier", "kaiming"}

// DefaultLeakySlope is leaky-relu's negative slope where the command line
// gives none (torch.nn.LeakyReLU's default).
const DefaultLeakySlope = 0.01

// mlp is one MLP's shape: layer l maps width[l] inputs to width[l+1]
// outputs, with its weights (width[l+1] x width[l], row-major, torch's
// nn.Linear.weight) at off[l] followed by its biases.
type mlp struct {
	width []int
	off   []int
	dim   int
	act   int // index in Activations
	slope float64
	init  string
}

// newMLP checks job's network fields and builds its MLP on inputs
// features with outputs outputs (ModelInfo.Net).
// MaxHiddenLayers bounds an mlp's depth: the engine's final kernel tests
// each layer's weight run in one expression, which Mesa's GLSL compiler
// overflows its stack on past about 10,000 terms, and no network here
// needs a fraction of that.
const MaxHiddenLayers = 256

func newMLP(job *Job, inputs, outputs int) (Network, error) {
	if len(job.Hidden) == 0 {
		return nil, FieldErrorf("{Job.Problem} mlp needs at least one hidden layer: {Job.Hidden} is empty")
	}
	if len(job.Hidden) > MaxHiddenLayers {
		return nil, FieldErrorf("{Job.Hidden} has %d layers, more than the %d an mlp takes", len(job.Hidden), MaxHiddenLayers)
	}
	n := &mlp{width: append(append([]int{inputs}, job.Hidden...), outputs), slope: job.LeakySlope}
	if n.slope == 0 {
		n.slope = DefaultLeakySlope
	}
	for i, h := range job.Hidden {
		if h < 1 {
			return nil, FieldErrorf("{Job.Hidden} layer %d has width %d: each must be >= 1", i+1, h)
		}
	}
	act := job.Activation
	if act == "" {
		act = "relu"
	}
	n.act = -1
	for i, a := range Activations {
		if a == act {
			n.act = i
		}
	}
	if n.act < 0 {
		return nil, FieldErrorf("{Job.Activation} %q is unknown (want %s)", job.Activation, strings.Join(Activations, ", "))
	}
	if math.IsNaN(job.LeakySlope) || math.IsInf(job.LeakySlope, 0) {
		return nil, FieldErrorf("{Job.LeakySlope} %g must be finite", job.LeakySlope)
	}
	if job.LeakySlope != 0 && act != "leaky-relu" {
		return nil, FieldErrorf("{Job.LeakySlope} applies to {Job.Activation} leaky-relu, not %s", act)
	}
	n.init = job.InitScheme
	if n.init == "" {
		n.init = "torch"
	}
	if !slices.Contains(InitSchemes, n.init) {
		return nil, FieldErrorf("{Job.InitScheme} %q is unknown (want %s)", job.InitScheme, strings.Join(InitSchemes, ", "))
	}
	if job.NoIntercept {
		return nil, FieldErrorf("{Job.NoIntercept}: every layer of mlp has its biases")
	}
	total := int64(0)
	for l := 0; l+1 < len(n.width); l++ {
		n.off = append(n.off, int(total))
		total += int64(n.width[l+1]) * int64(n.width[l]+1)
		if total > MaxDim {
			return nil, FieldErrorf("{Job.Hidden} %v on %d features and %d outputs has more than %d parameters", job.Hidden, inputs, outputs, MaxDim)
		}
	}
	n.dim = int(total)
	return n, nil
}

// Dim is the parameter count: Σ_l width[l+1]·(width[l] + 1).
func (n *mlp) Dim() int { return n.dim }

// Layout describes the parameter vector for the model card.
func (n *mlp) Layout() string {
	var s []string
	for l := 0; l+1 < len(n.width); l++ {
		s = append(s, fmt.Sprintf("W%d %d x %d, b%d %d", l+1, n.width[l+1], n.width[l], l+1, n.width[l+1]))
	}
	return "layer by layer, weights row-major (out x in, torch's nn.Linear.weight) then biases: " + strings.Join(s, "; ") + " (docs/models.md)"
}

// Init draws the start point with seed, layer by layer, weights then
// biases (docs/models.md): torch's nn.Linear default, U(±1/sqrt(fan_in))
// for both (kaiming_uniform_ with a = sqrt(5)); xavier,
// U(±sqrt(6/(fan_in+fan_out))) weights; kaiming, U(±sqrt(6/fan_in))
// weights (kaiming_uniform_ for relu); biases 0 for the last two.
func (n *mlp) Init(x []float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x6d6c70696e6974))
	for l := 0; l+1 < len(n.width); l++ {
		in, out := float64(n.width[l]), float64(n.width[l+1])
		wb, bb := 1/math.Sqrt(in), 1/math.Sqrt(in)
		switch n.init {
		case "xavier":
			wb, bb = math.Sqrt(6/(in+out)), 0
		case "kaiming":
			wb, bb = math.Sqrt(6/in), 0
		}
		w := x[n.off[l] : n.off[l]+n.width[l+1]*(n.width[l]+1)]
		nw := n.width[l+1] * n.width[l]
		for i := range w {
			b := wb
			if i >= nw {
				b = bb
			}
			w[i] = b * (2*r.Float64() - 1)
		}
	}
}

// Weights calls f with each run [lo, hi) of the parameters that are
// weights (the penalties' terms), in order.
func (n *mlp) Weights(f func(lo, hi int)) {
	for l := 0; l+1 < len(n.width); l++ {
		f(n.off[l], n.off[l]+n.width[l+1]*n.width[l])
	}
}

// Scratch is the float64s Pass needs for up to rows rows: each hidden
// layer's pre-activations and activations, the outputs and dl/dz, and
// two gradient buffers of the widest layer.
func (n *mlp) Scratch(rows int) int {
	s, widest := 0, 0
	for _, h := range n.width[1 : len(n.width)-1] {
		s += 2 * h
	}
	for _, w := range n.width {
		widest = max(widest, w)
	}
	k := n.width[len(n.width)-1]
	return rows * (s + 2*k + 2*widest)
}

// Pass is the network on a run of rows (Network.Pass).
func (n *mlp) Pass(loss float64, head CPUModelLoss, w, x, y, g, scratch []float64) (float64, int) {
	return n.PassTeam(nil, loss, head, w, x, y, g, scratch)
}

// PassTeam is Pass with its matrix products shared with team's helpers
// (TeamNetwork.PassTeam).
func (n *mlp) PassTeam(team *Team, loss float64, head CPUModelLoss, w, x, y, g, scratch []float64) (float64, int) {
	rows := len(y)
	L := len(n.width) - 1 // layers
	k := n.width[L]
	tk := team.kernel()
	off := n.forward(tk, w, x, rows, scratch)
	z, dz := scratch[off:off+rows*k], scratch[off+rows*k:off+2*rows*k]
	off += 2 * rows * k
	var correct int
	loss, correct = head(loss, z, dz, y, 0)
	if g == nil {
		return loss, correct
	}
	widest := 0
	for _, v := range n.width {
		widest = max(widest, v)
	}
	buf := [2][]float64{scratch[off : off+rows*widest], scratch[off+rows*widest : off+2*rows*widest]}
	// Backward: dout is dl/d(layer l's outputs), rows x width[l+1].
	dout := dz
	for l := L - 1; l >= 0; l-- {
		inW, outW := n.width[l], n.width[l+1]
		lin := x
		if l > 0 {
			_, lin = n.hidden(scratch, rows, l-1)
		}
		gw := g[n.off[l] : n.off[l]+outW*inW]
		gb := g[n.off[l]+outW*inW : n.off[l]+outW*(inW+1)]
		// gW += doutᵀ · in, in tiles that gonum computes serially.
		gemm(tk, blas.Trans, blas.NoTrans, outW, inW, rows, dout, outW, lin, inW, gw, inW)
		for r := range rows {
			for o, v := range dout[r*outW : (r+1)*outW] {
				gb[o] += v
			}
		}
		if l == 0 {
			break
		}
		// d(in) = dout · W, then through the activation's derivative.
		din := buf[l%2][:rows*inW]
		clear(din)
		wl := w[n.off[l] : n.off[l]+outW*inW]
		gemm(tk, blas.NoTrans, blas.NoTrans, rows, inW, outW, dout, outW, wl, inW, din, inW)
		a, h := n.hidden(scratch, rows, l-1)
		n.derive(a, h, din)
		dout = din
	}
	return loss, correct
}

// hidden is hidden layer l's (0-based) pre-activations A and
// activations H on rows rows in scratch (rows x width each): the layers'
// pairs lie one after the other from the start.
func (n *mlp) hidden(scratch []float64, rows, l int) (a, h []float64) {
	off := 0
	for _, w := range n.width[1 : l+1] {
		off += 2 * rows * w
	}
	m := rows * n.width[l+1]
	return scratch[off : off+m], scratch[off+m : off+2*m]
}

// forward computes the hidden layers (hidden) and the outputs Z (rows x
// K, at the offset returned, after the hidden layers) of rows rows of x
// in scratch.
func (n *mlp) forward(team *kern.Team, w, x []float64, rows int, scratch []float64) int {
	L := len(n.width) - 1
	in := x
	for l := 0; l < L-1; l++ {
		a, h := n.hidden(scratch, rows, l)
		n.affine(team, l, w, in, a, rows)
		n.activate(a, h)
		in = h
	}
	off := 0
	for _, v := range n.width[1:L] {
		off += 2 * rows * v
	}
	n.affine(team, L-1, w, in, scratch[off:off+rows*n.width[L]], rows)
	return off
}

// Outputs writes the outputs of the rows x into z (Network.Outputs).
func (n *mlp) Outputs(w, x, z, scratch []float64) {
	k := n.width[len(n.width)-1]
	rows := len(z) / k
	off := n.forward(nil, w, x, rows, scratch)
	copy(z, scratch[off:off+rows*k])
}

// affine writes layer l's outputs on rows inputs in (rows x width[l]):
// out = in·Wᵀ + b.
func (n *mlp) affine(team *kern.Team, l int, w, in, out []float64, rows int) {
	inW, outW := n.width[l], n.width[l+1]
	wl := w[n.off[l] : n.off[l]+outW*inW]
	b := w[n.off[l]+outW*inW : n.off[l]+outW*(inW+1)]
	for r := range rows {
		copy(out[r*outW:(r+1)*outW], b)
	}
	gemm(team, blas.NoTrans, blas.Trans, rows, outW, inW, in, inW, wl, inW, out, outW)
}

// gemmTile is the largest tile of C that gemm hands gonum: below
// gonum's parallel threshold, so that every call runs serially (the
// backend's blocks are the parallelism, and gonum's goroutines would
// allocate) and sums each element in one fixed order.
const gemmTile = 64

// gemm adds op(A)·op(B) to the m x n matrix C (row-major, leading
// dimensions lda, ldb, ldc), k the inner dimension: through kern.Gemm's
// AVX kernels where they run, which give gonum's bits 3.6-5.4x faster,
// shared with team's helpers (nil: none), else through gonum tile by
// tile.
func gemm(team *kern.Team, ta, tb blas.Transpose, m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
	if team.Gemm(ta == blas.Trans, tb == blas.Trans, m, n, k, a, lda, b, ldb, c, ldc) {
		return
	}
	for i0 := 0; i0 < m; i0 += gemmTile {
		mi := min(gemmTile, m-i0)
		for j0 := 0; j0 < n; j0 += gemmTile {
			nj := min(gemmTile, n-j0)
			var A, B blas64.General
			if ta == blas.Trans {
				A = blas64.General{Rows: k, Cols: mi, Stride: lda, Data: a[i0:]}
			} else {
				A = blas64.General{Rows: mi, Cols: k, Stride: lda, Data: a[i0*lda:]}
			}
			if tb == blas.Trans {
				B = blas64.General{Rows: nj, Cols: k, Stride: ldb, Data: b[j0*ldb:]}
			} else {
				B = blas64.General{Rows: k, Cols: nj, Stride: ldb, Data: b[j0:]}
			}
			C := blas64.General{Rows: mi, Cols: nj, Stride: ldc, Data: c[i0*ldc+j0:]}
			blas64.Gemm(ta, tb, 1, trim(A), trim(B), 1, C)
		}
	}
}

// trim cuts a view's data to what its rows span (blas64 checks the
// length).
func trim(g blas64.General) blas64.General {
	if g.Rows > 0 {
		g.Data = g.Data[:(g.Rows-1)*g.Stride+g.Cols]
	}
	return g
}

// activate writes the activation of the pre-activations a into h.
func (n *mlp) activate(a, h []float64) {
	switch Activations[n.act] {
	case "relu":
		for i, v := range a {
			h[i] = max(v, 0)
		}
	case "tanh":
		for i, v := range a {
			h[i] = kern.Tanh(v)
		}
	case "sigmoid":
		for i, v := range a {
			h[i] = sigmoid(v)
		}
	case "gelu":
		for i, v := range a {
			h[i] = 0.5 * v * (1 + kern.Erf(v/math.Sqrt2))
		}
	case "leaky-relu":
		for i, v := range a {
			if v > 0 {
				h[i] = v
			} else {
				h[i] = n.slope * v
			}
		}
	}
}

// derive multiplies the gradient d by the activation's derivative at
// the pre-activations a (h the activations): relu's is 0 at 0, and
// leaky-relu's the slope, as torch takes them.
func (n *mlp) derive(a, h, d []float64) {
	switch Activations[n.act] {
	case "relu":
		for i, v := range a {
			if !(v > 0) {
				d[i] = 0
			}
		}
	case "tanh":
		for i, t := range h {
			d[i] *= 1 - float64(t*t) // rounded: no FMA
		}
	case "sigmoid":
		for i, s := range h {
			d[i] *= s * (1 - s)
		}
	case "gelu":
		const invSqrt2Pi = 0.3989422804014327 // 1/sqrt(2π)
		for i, v := range a {
			d[i] *= float64(0.5*(1+kern.Erf(v/math.Sqrt2))) + float64(v*invSqrt2Pi*kern.Exp(-0.5*v*v))
		}
	case "leaky-relu":
		for i, v := range a {
			if !(v > 0) {
				d[i] *= n.slope
			}
		}
	}
}

// Kink is the smallest distance of a hidden pre-activation from a kink
// of the activation (relu and leaky-relu at 0) over rows of x, or +Inf
// for a smooth activation.
func (n *mlp) Kink(w, x []float64, rows int) float64 {
	if a := Activations[n.act]; a != "relu" && a != "leaky-relu" {
		return math.Inf(1)
	}
	scratch := make([]float64, n.Scratch(rows))
	n.forward(nil, w, x, rows, scratch)
	best := math.Inf(1)
	for l := range len(n.width) - 2 {
		a, _ := n.hidden(scratch, rows, l)
		for _, v := range a {
			best = math.Min(best, math.Abs(v))
		}
	}
	return best
}

// Describe is the network's shape in a line, as the run header shows it:
// "layers=64-128-64-10 activation=relu init=torch".
func (n *mlp) Describe() string {
	s := make([]string, len(n.width))
	for i, w := range n.width {
		s[i] = strconv.Itoa(w)
	}
	d := "layers=" + strings.Join(s, "-") + " activation=" + Activations[n.act]
	if Activations[n.act] == "leaky-relu" {
		d += fmt.Sprintf(" leaky-slope=%g", n.slope)
	}
	return d + " init=" + n.init
}
