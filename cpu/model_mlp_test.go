package cpu

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/kern"
)

// mlpJob is an mlp job on a standardized synthetic classification set
// (seed 1) of rows training and val held-out rows.
func mlpJob(t testing.TB, rows, val, cols, classes int, hidden []int, act string) *gdgpu.Job {
	t.Helper()
	ds, err := data.Synthetic("classification", rows+val, cols, classes, 0.8, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds.Standardize()
	d, err := gdgpu.NewData("mlp", ds.X[:rows*cols], ds.Y[:rows], rows, cols, ds.X[rows*cols:], ds.Y[rows:], val, classes)
	if err != nil {
		t.Fatal(err)
	}
	job := gdgpu.NewJob()
	job.Problem, job.Data, job.Hidden, job.Activation, job.Seed = "mlp", d, hidden, act, 3
	if job.Dim, err = gdgpu.ModelParams(&job); err != nil {
		t.Fatal(err)
	}
	job.Precision = gdgpu.F64
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	return &job
}

// TestMLPIdentityHiddenIsSoftmax: a network whose hidden layer is the
// identity (leaky-relu of slope 1) computes z = W2(W1 x + b1) + b2, the
// softmax model with W = W2 W1 and b = W2 b1 + b2: the same loss, and by
// the chain rule the gradients ∂L/∂W1 = W2ᵀ ∂L/∂W, ∂L/∂b1 = W2ᵀ ∂L/∂b,
// ∂L/∂W2 = ∂L/∂W W1ᵀ + ∂L/∂b b1ᵀ, ∂L/∂b2 = ∂L/∂b. Bounds: a few ulps of
// the sums of products (d = 4, h = 3, K = 3), 1e-12 relative.
func TestMLPIdentityHiddenIsSoftmax(t *testing.T) {
	const d, h, k = 4, 3, 3
	mj := mlpJob(t, 90, 0, d, k, []int{h}, "leaky-relu")
	mj.LeakySlope = 1
	sj := *mj
	sj.Problem, sj.Hidden, sj.Activation, sj.LeakySlope = "softmax", nil, "", 0
	sj.Dim = gdgpu.ModelDim(sj.Data, true)
	if err := sj.Validate(); err != nil {
		t.Fatal(err)
	}
	w := mj.StartPoint()
	W1, b1 := w[:h*d], w[h*d:h*(d+1)]
	W2, b2 := w[h*(d+1):h*(d+1)+k*h], w[h*(d+1)+k*h:]
	// the softmax parameters: row o is W_o (d) then b_o
	s := make([]float64, k*(d+1))
	for o := range k {
		for j := range d {
			for u := range h {
				s[o*(d+1)+j] += W2[o*h+u] * W1[u*d+j]
			}
		}
		s[o*(d+1)+d] = b2[o]
		for u := range h {
			s[o*(d+1)+d] += W2[o*h+u] * b1[u]
		}
	}
	lm, err := ModelLoss(mj, w)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := ModelLoss(&sj, s)
	if err != nil {
		t.Fatal(err)
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: mlp %v, softmax %v", what, got, want)
		}
	}
	near("loss", lm, ls)
	gm := make([]float64, mj.Dim)
	gs := make([]float64, sj.Dim)
	if err := ModelGrad(mj, gm, w); err != nil {
		t.Fatal(err)
	}
	if err := ModelGrad(&sj, gs, s); err != nil {
		t.Fatal(err)
	}
	gW := func(o, j int) float64 { return gs[o*(d+1)+j] }
	gb := func(o int) float64 { return gs[o*(d+1)+d] }
	for u := range h {
		for j := range d {
			want := 0.0
			for o := range k {
				want += W2[o*h+u] * gW(o, j)
			}
			near("dW1", gm[u*d+j], want)
		}
		want := 0.0
		for o := range k {
			want += W2[o*h+u] * gb(o)
		}
		near("db1", gm[h*d+u], want)
	}
	for o := range k {
		for u := range h {
			want := gb(o) * b1[u]
			for j := range d {
				want += gW(o, j) * W1[u*d+j]
			}
			near("dW2", gm[h*(d+1)+o*h+u], want)
		}
		near("db2", gm[h*(d+1)+k*h+o], gb(o))
	}
}

// TestMLPWorkersBitIdentical: an mlp run (minibatches spanning several
// blocks, L2, a validation set) ends on the same bits on 1 and 4
// goroutines, samples included.
func TestMLPWorkersBitIdentical(t *testing.T) {
	job := mlpJob(t, 3000, 400, 5, 3, []int{70, 9}, "gelu")
	job.BatchSize, job.L2, job.Steps, job.LogEvery = 1400, 0.01, 8, 4
	run := func(procs int) ([]float64, []gdgpu.Sample) {
		return runModel(t, job, procs, func(b *Model) {
			if b.workers != min(procs, b.blocks) || b.blocks < 3 {
				t.Fatalf("%d workers for GOMAXPROCS %d, %d blocks", b.workers, procs, b.blocks)
			}
		})
	}
	x1, s1 := run(1)
	x4, s4 := run(4)
	sameRun(t, "1 goroutine against 4", x1, s1, x4, s4)
	if len(s1) < 3 {
		t.Fatalf("%d samples", len(s1))
	}
	if s1[len(s1)-1].Loss >= s1[0].Loss {
		t.Errorf("the loss went from %v to %v", s1[0].Loss, s1[len(s1)-1].Loss)
	}
}

// TestMLPGemmBitIdentical: an mlp run ends on the same bits, samples
// included, whether its matrix products run in kern.Gemm's AVX kernels or
// in gonum's Dgemm, shared with a team of 3 helpers or not (its batches
// and its validation set are one block each, so the team takes part),
// and whatever run of rows a block hands Pass (the default 256, 1, 7):
// relu's zeros, widths across the kernels' 32- and 4-wide strips, inner
// dimensions across their 32-row blocks and 4-wide tails, rows and
// columns split among the team, L2.
func TestMLPGemmBitIdentical(t *testing.T) {
	if !kern.UseAVX {
		t.Skip("this build or CPU has no AVX gemm kernels")
	}
	job := mlpJob(t, 1500, 300, 71, 5, []int{38, 67}, "relu")
	job.BatchSize, job.L2, job.Steps, job.LogEvery = 300, 0.01, 6, 3
	minWork := kern.TeamMinWork
	kern.TeamMinWork = 1 // split these small products too
	defer func() { kern.TeamMinWork = minWork }()
	run := func(avx bool, maxRun, procs int) ([]float64, []gdgpu.Sample) {
		kern.UseAVX, maxNetRun = avx, maxRun
		defer func() { kern.UseAVX, maxNetRun = true, 256 }()
		return runModel(t, job, procs, func(b *Model) {
			if b.run != maxRun || (b.teams != nil) != (procs > 1) {
				t.Fatalf("runs of %d rows, want %d; teams %v with GOMAXPROCS %d", b.run, maxRun, b.teams != nil, procs)
			}
		})
	}
	xg, sg := run(false, 256, 1)
	if len(sg) < 3 {
		t.Fatalf("%d samples", len(sg))
	}
	for _, c := range []struct {
		avx           bool
		maxRun, procs int
	}{{true, 256, 1}, {true, 1, 1}, {true, 7, 1}, {false, 7, 1}, {true, 256, 4}, {true, 7, 4}, {false, 256, 4}} {
		x, s := run(c.avx, c.maxRun, c.procs)
		sameRun(t, fmt.Sprintf("%+v against gonum, one goroutine and runs of 256", c), x, s, xg, sg)
	}
}

// TestMLPTeamsPerWorker: where a pass has fewer blocks than threads (a
// batch of 1100 rows is 3 blocks), each block's worker shares its
// products with its own team of the idle threads, 2, 2 and 1 of 8, or 1,
// 1 and none of 5, and the run ends on the bits of one goroutine.
func TestMLPTeamsPerWorker(t *testing.T) {
	if !kern.UseAVX {
		t.Skip("this build or CPU has no AVX gemm kernels")
	}
	job := mlpJob(t, 3000, 300, 23, 4, []int{40, 33}, "tanh")
	job.BatchSize, job.Steps, job.LogEvery = 1100, 5, 5
	minWork := kern.TeamMinWork
	kern.TeamMinWork = 1 // split these small products too
	defer func() { kern.TeamMinWork = minWork }()
	x1, s1 := runModel(t, job, 1, nil)
	for _, c := range []struct {
		procs   int
		helpers []int
	}{{8, []int{2, 2, 1}}, {5, []int{1, 1, 0}}} {
		var b *Model
		x, s := runModel(t, job, c.procs, func(m *Model) { b = m })
		teams := b.teams[3]
		if len(teams) != 3 {
			t.Fatalf("GOMAXPROCS %d: %d teams for the batches' 3 blocks", c.procs, len(teams))
		}
		for w, team := range teams {
			if got := team.Helpers(); got != c.helpers[w] {
				t.Fatalf("GOMAXPROCS %d: worker %d has %d helpers, want %d", c.procs, w, got, c.helpers[w])
			}
		}
		sameRun(t, fmt.Sprintf("GOMAXPROCS %d against 1", c.procs), x, s, x1, s1)
	}
}

// TestMLPTeamsMadeFirst: the teams of every pass a run makes (a batch of
// 3 blocks, the epoch's last batch of 1, the rows and the validation rows)
// are made with the backend: a run starts no goroutine.
func TestMLPTeamsMadeFirst(t *testing.T) {
	job := mlpJob(t, 1300, 700, 23, 4, []int{40}, "relu")
	job.BatchSize, job.Steps, job.LogEvery = 1100, 4, 1
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	b, err := NewModel(job)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, used := range []int{3, 1, 2} { // batches, last batches, validation
		if len(b.teams[used]) != used {
			t.Fatalf("no teams for a pass of %d blocks: %v", used, b.teams)
		}
	}
	before := runtime.NumGoroutine()
	if _, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{}); err != nil {
		t.Fatal(err)
	}
	if after := runtime.NumGoroutine(); after != before {
		t.Fatalf("%d goroutines before the run, %d after", before, after)
	}
}

// TestMLPStepAllocs: an mlp step, with and without a sample, allocates
// nothing, for a network wider than gemm's tile and for one of 20 hidden
// layers.
func TestMLPStepAllocs(t *testing.T) {
	deep := make([]int, 20)
	for i := range deep {
		deep[i] = 3 + i%4
	}
	for _, hidden := range [][]int{{130, 5, 7}, deep} {
		job := mlpJob(t, 600, 100, 6, 4, hidden, "relu")
		job.BatchSize, job.L1, job.L2 = 150, 0.001, 0.01
		b, err := NewModel(job)
		if err != nil {
			t.Fatal(err)
		}
		checkStepAllocs(t, b, job, fmt.Sprintf("%d hidden layers", len(hidden)))
	}
}

// TestMLPIdentityHiddenIsLinear: on real targets the mlp's head is the
// mean squared error, so a network whose hidden layer is the identity
// (leaky-relu of slope 1) has the loss of linear regression (MSE) with
// w = W2 W1, b = W2 b1 + b2, and ∂L/∂b2 is linear's ∂L/∂b (bound: a few
// ulps of the sums, 1e-12 relative).
func TestMLPIdentityHiddenIsLinear(t *testing.T) {
	const d, h = 4, 3
	ds, err := data.Synthetic("regression", 80, d, 0, 0.8, 1)
	if err != nil {
		t.Fatal(err)
	}
	ds.Standardize()
	dd, err := gdgpu.NewData("linear", ds.X, ds.Y, 80, d, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	mj := gdgpu.NewJob()
	mj.Problem, mj.Data, mj.Hidden, mj.Activation, mj.LeakySlope, mj.Seed = "mlp", dd, []int{h}, "leaky-relu", 1, 5
	if mj.Dim, err = gdgpu.ModelParams(&mj); err != nil || mj.Dim != h*(d+1)+h+1 {
		t.Fatalf("%d parameters, %v", mj.Dim, err)
	}
	lj := gdgpu.NewJob()
	lj.Problem, lj.Data, lj.Dim = "linear", dd, d+1
	w := mj.StartPoint()
	W1, b1, W2, b2 := w[:h*d], w[h*d:h*(d+1)], w[h*(d+1):h*(d+1)+h], w[h*(d+1)+h]
	s := make([]float64, d+1)
	s[d] = b2
	for u := range h {
		for j := range d {
			s[j] += W2[u] * W1[u*d+j]
		}
		s[d] += W2[u] * b1[u]
	}
	lm, err := ModelLoss(&mj, w)
	if err != nil {
		t.Fatal(err)
	}
	ll, err := ModelLoss(&lj, s)
	if err != nil {
		t.Fatal(err)
	}
	gm := make([]float64, mj.Dim)
	gl := make([]float64, lj.Dim)
	if err := ModelGrad(&mj, gm, w); err != nil {
		t.Fatal(err)
	}
	if err := ModelGrad(&lj, gl, s); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what      string
		got, want float64
	}{{"loss", lm, ll}, {"db2", gm[mj.Dim-1], gl[d]}} {
		if math.Abs(c.got-c.want) > 1e-12*math.Max(1, math.Abs(c.want)) {
			t.Errorf("%s: mlp %v, linear %v", c.what, c.got, c.want)
		}
	}
}
