package engine

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// netCase is one network of the mlp parity tables.
type netCase struct {
	hidden     []int
	activation string
	regression bool
	classes    int
	l1, l2     float64
	val        bool
}

func (nc netCase) String() string {
	s := fmt.Sprintf("%v-%s", nc.hidden, nc.activation)
	if nc.regression {
		s += "-regression"
	} else {
		s += fmt.Sprintf("-k%d", nc.classes)
	}
	if nc.l1 > 0 || nc.l2 > 0 {
		s += fmt.Sprintf(",l1=%g,l2=%g", nc.l1, nc.l2)
	}
	if nc.val {
		s += ",val"
	}
	return s
}

// netCases cover every activation, depths 1 to 3, widths off the GEMM's
// tile, both heads, the penalties and a validation set.
func netCases() []netCase {
	return []netCase{
		{hidden: []int{5}, activation: "relu", classes: 3, val: true},
		{hidden: []int{7, 4}, activation: "tanh", classes: 4, l2: 0.01},
		{hidden: []int{6}, activation: "sigmoid", regression: true, val: true},
		{hidden: []int{4, 3, 5}, activation: "gelu", classes: 3, l1: 0.005},
		{hidden: []int{33}, activation: "leaky-relu", classes: 2, val: true},
		{hidden: []int{3}, activation: "tanh", classes: 40}, // softmax's outputs in dz (Z_IN_DZ)
	}
}

// job is nc's job on rows x cols seeded data in prec.
func (nc netCase) job(t testing.TB, rows, cols int, prec gdgpu.Precision, seed uint64) gdgpu.Job {
	t.Helper()
	val := 0
	if nc.val {
		val = 13
	}
	var d *gdgpu.Data
	if nc.regression {
		d = modelDataK(t, "linear", rows, cols, val, seed, 0)
	} else {
		d = modelDataK(t, "softmax", rows, cols, val, seed, nc.classes)
	}
	job := newJob("mlp", "sgd", 1, prec)
	job.Data, job.Loss = d, ""
	job.Hidden, job.Activation = nc.hidden, nc.activation
	if nc.activation == "leaky-relu" {
		job.LeakySlope = 0.1
	}
	job.L1, job.L2 = nc.l1, nc.l2
	var err error
	if job.Dim, err = gdgpu.ModelParams(&job); err != nil {
		t.Fatal(err)
	}
	return job
}

// newNet builds the GPU backend of an mlp job. (NewBackend refuses the mlp
// until its parity holds, so the tests build it below the refusal.)
func newNet(t testing.TB, c *Context, job *gdgpu.Job) *modelBackend {
	t.Helper()
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := c.newModelBackend(job)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b.(*modelBackend)
}

// checkNetRun runs an mlp job on the GPU context c and on the CPU
// reference from the network's seeded start and compares the samples and
// the final parameters with the shared harness's bounds.
func checkNetRun(t *testing.T, c *Context, job *gdgpu.Job) {
	t.Helper()
	gpu := newNet(t, c, job)
	ref, err := cpu.NewModel(job)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	net, err := gdgpu.ModelNetwork(job)
	if err != nil {
		t.Fatal(err)
	}
	x0 := make([]float64, job.Dim)
	net.Init(x0, 5)
	if job.Precision == gdgpu.F32 {
		roundF32(x0)
	}
	gres, err := gdgpu.Run(context.Background(), job, gpu, x0, gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	cres, err := gdgpu.Run(context.Background(), job, ref, x0, gdgpu.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if gres.Status != cres.Status || gres.Steps != cres.Steps {
		t.Fatalf("gpu %v after %d steps, cpu %v after %d", gres.Status, gres.Steps, cres.Status, cres.Steps)
	}
	compareSamples(t, job.Precision, job.Data.Rows, gres.Samples, cres.Samples)
	got, want := make([]float64, job.Dim), make([]float64, job.Dim)
	if err := gpu.Params(got); err != nil {
		t.Fatal(err)
	}
	if err := ref.Params(want); err != nil {
		t.Fatal(err)
	}
	compareVec(t, "final params", job.Precision, got, want)
	lw, lg := cres.Final.Loss, gres.Final.Loss
	t.Logf("final params: worst error %.3g of their largest; final loss gpu %v cpu %v (relative %.3g)", worstRel(got, want), lg, lw, abs(lg-lw)/abs(lw))
}

// TestMLPGradientMatchesCPU: the network's full-set gradient on the GPU
// (Gradient) is cpu.ModelGrad's within the parity bounds, at a seeded
// point, for every case, in both precisions, through the plain and the
// forced small-pass path (16-position passes, 4-row chunks).
func TestMLPGradientMatchesCPU(t *testing.T) {
	plain := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, nc := range netCases() {
			for _, ch := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/chunked=%v", prec, nc, ch), func(t *testing.T) {
					c := plain
					if ch {
						c = chunked
					}
					job := nc.job(t, 50, 3, prec, uint64(40+ci))
					m := newNet(t, c, &job)
					net, _ := gdgpu.ModelNetwork(&job)
					x := make([]float64, job.Dim)
					net.Init(x, uint64(ci))
					if prec == gdgpu.F32 {
						roundF32(x)
					}
					got, want := make([]float64, job.Dim), make([]float64, job.Dim)
					if err := m.Gradient(x, got); err != nil {
						t.Fatal(err)
					}
					if err := cpu.ModelGrad(&job, want, x); err != nil {
						t.Fatal(err)
					}
					compareVec(t, "gradient", prec, got, want)
					t.Logf("gradient: worst error %.3g of its largest component", worstRel(got, want))
				})
			}
		}
	}
}

// worstRel is the largest |got - want| over the vector's largest |want|:
// the figure the tests log, to size the bounds by.
func worstRel(got, want []float64) float64 {
	scale, worst := 0.0, 0.0
	for i := range want {
		scale = max(scale, abs(want[i]))
		worst = max(worst, abs(got[i]-want[i]))
	}
	return worst / scale
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestMLPParity runs the mlp on the GPU and the CPU reference from the same
// seeded start and compares the samples (loss, gradient norm, accuracies)
// and the final parameters with the shared harness's bounds (parityTol),
// unchanged: full batch, shuffled batches of 7 (n = 50, so each epoch's
// last batch holds 1 row) and of 1, in both precisions, through the plain
// and the forced small-pass path, every case of netCases (each activation,
// both heads).
//
// f64: both sides run the same formulas (gemm.glsl's sums in order over
// the inner dimension; the CPU's gonum tiles the same way over rows), so
// the differences are reassociation and FMA contraction, an ulp or so per
// operation: well inside 1e-12. f32: docs/tolerances.md's mlp section.
func TestMLPParity(t *testing.T) {
	plain := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, nc := range netCases() {
			for _, batch := range []int{0, 7, 1} {
				for _, ch := range []bool{false, true} {
					if testing.Short() && ch && batch != 7 {
						continue
					}
					t.Run(fmt.Sprintf("%s/%s/batch=%d/chunked=%v", prec, nc, batch, ch), func(t *testing.T) {
						c := plain
						if ch {
							c = chunked
						}
						job := nc.job(t, 50, 3, prec, uint64(50+ci))
						job.BatchSize, job.Seed = batch, uint64(9+ci)
						job.Steps, job.LogEvery = 40, 5
						if batch == 1 {
							job.Steps = 60
						}
						job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
						job.Optimizer.LR = 0.02
						checkNetRun(t, c, &job)
					})
				}
			}
		}
	}
}

// TestMLPDeterministic: two GPU runs of the same mlp job, shuffled batches
// through the small-pass path, end on the same bits (every sum in a fixed
// order, no atomics), and so do their samples.
func TestMLPDeterministic(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		nc := netCases()[1]
		job := nc.job(t, 50, 3, prec, 3)
		job.BatchSize, job.Steps, job.LogEvery = 7, 20, 5
		var params [2][]float64
		var samples [2][]gdgpu.Sample
		for run := range params {
			m := newNet(t, c, &job)
			x0 := make([]float64, job.Dim)
			net, _ := gdgpu.ModelNetwork(&job)
			net.Init(x0, 1)
			res, err := gdgpu.Run(context.Background(), &job, m, x0, gdgpu.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			params[run] = make([]float64, job.Dim)
			if err := m.Params(params[run]); err != nil {
				t.Fatal(err)
			}
			samples[run] = res.Samples
		}
		for i := range params[0] {
			if math.Float64bits(params[0][i]) != math.Float64bits(params[1][i]) {
				t.Fatalf("%s: parameter %d: %v, then %v", prec, i, params[0][i], params[1][i])
			}
		}
		for i := range samples[0] {
			if !sameSample(samples[0][i], samples[1][i]) {
				t.Fatalf("%s: sample %d: %+v, then %+v", prec, i, samples[0][i], samples[1][i])
			}
		}
	}
}

// TestMLPStepAllocs: a network's steps allocate nothing per step (the
// GEMM calls' uniforms and descriptors stay on the stack), as the linear
// models' (TestModelStepAllocs), with and without shuffled batches.
func TestMLPStepAllocs(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, batch := range []int{0, 2} {
		job := netCases()[1].job(t, 50, 3, gdgpu.F32, 1)
		job.BatchSize = batch
		m := newNet(t, c, &job)
		checkStepAllocs(t, m, &job, batch)
	}
}

// TestMLPResumeMidEpoch: a network's GPU run resumed from a checkpoint
// taken mid-epoch ends on the bits of the straight run (the optimizer
// state is the inner backend's, the passes depend only on the step).
func TestMLPResumeMidEpoch(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		t.Run(prec.String(), func(t *testing.T) {
			job := netCases()[0].job(t, 50, 3, prec, 9)
			job.BatchSize, job.Seed, job.Steps, job.LogEvery = 7, 4, 40, 6
			job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
			job.CheckpointEvery = 18
			path := filepath.Join(t.TempDir(), "ck")
			hooks := gdgpu.Hooks{Checkpoint: func(ck *gdgpu.Checkpoint) error {
				if ck.Driver.Step != 18 {
					return nil
				}
				return gdgpu.WriteCheckpoint(path, ck)
			}}
			x0 := make([]float64, job.Dim)
			net, _ := gdgpu.ModelNetwork(&job)
			net.Init(x0, 2)
			straight := newNet(t, c, &job)
			sres, err := gdgpu.Run(context.Background(), &job, straight, x0, hooks)
			if err != nil {
				t.Fatal(err)
			}
			ck, err := gdgpu.ReadCheckpoint(path)
			if err != nil {
				t.Fatal(err)
			}
			if ck.Driver.Step != 18 || ck.Driver.Epoch != 2 || ck.Driver.Batch != 2 {
				t.Fatalf("checkpoint at step %d, epoch %d, batch %d", ck.Driver.Step, ck.Driver.Epoch, ck.Driver.Batch)
			}
			resumed := newNet(t, c, &job)
			rres, err := gdgpu.RunFrom(context.Background(), &job, resumed, ck, gdgpu.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			checkResumedParams(t, straight, resumed, job.Dim)
			if rres.Final != sres.Final {
				t.Errorf("resumed final sample %+v, straight %+v", rres.Final, sres.Final)
			}
		})
	}
}

// TestMLPMemoryNeedCountsEveryBuffer: a network's memoryNeed is what its
// model buffers and the column of ones allocate (the activations in dz,
// one row of gradient sums in gpart), as TestModelMemoryNeedCountsEveryBuffer
// checks for the linear models.
func TestMLPMemoryNeedCountsEveryBuffer(t *testing.T) {
	for _, opts := range []Options{{}, {ChunkElems: 16}} {
		c := openTest(t, opts)
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			job := netCases()[0].job(t, 50, 3, prec, 1)
			job.BatchSize = 7
			m := newNet(t, c, &job)
			var own int64
			for _, buf := range []*buffer{&m.x, &m.y, &m.valX, &m.valY, &m.order, &m.dz, &m.gpart, &m.part, &m.ring, &m.flagRing, &m.net.ones} {
				own += int64(buf.bytes())
			}
			if need := m.memoryNeed(); own != need {
				t.Errorf("chunk=%d/%s: allocated %d bytes, memoryNeed counts %d", opts.ChunkElems, prec, own, need)
			}
		}
	}
}

// TestMLPFusedHead: the head fused with the output layer's GEMM (K <= 32,
// gemm.glsl's epilogue 3) and the head dispatch (mlp_head.glsl, forced by
// fuseHeadMax = 0) agree with each other and with the CPU: the gradient
// on the same bits (the same z, the same rowLoss: dl/dz is the head's),
// and a run's samples and final parameters within the parity bounds (only
// the loss sums are grouped otherwise: a tile's rows, not the head's
// workgroups), in both precisions, through the plain and the forced
// small-pass path. The 40-class case (Z_IN_DZ) keeps the head.
func TestMLPFusedHead(t *testing.T) {
	defer func(v int) { fuseHeadMax = v }(fuseHeadMax)
	fuseMax := fuseHeadMax
	plain := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, nc := range netCases() {
			for _, ch := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/chunked=%v", prec, nc, ch), func(t *testing.T) {
					c := plain
					if ch {
						c = chunked
					}
					job := nc.job(t, 50, 3, prec, uint64(60+ci))
					job.BatchSize, job.Seed = 7, uint64(3+ci)
					job.Steps, job.LogEvery = 30, 5
					job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
					job.Optimizer.LR = 0.02
					net, _ := gdgpu.ModelNetwork(&job)
					x := make([]float64, job.Dim)
					net.Init(x, uint64(ci))
					if prec == gdgpu.F32 {
						roundF32(x)
					}
					var grads [2][]float64
					var samples [2][]gdgpu.Sample
					var params [2][]float64
					for path, max := range []int{fuseMax, 0} {
						fuseHeadMax = max
						m := newNet(t, c, &job)
						if want := path == 0 && job.Data.Outputs() <= 32; m.net.fused != want {
							t.Fatalf("path %d: fused %v, want %v", path, m.net.fused, want)
						}
						grads[path] = make([]float64, job.Dim)
						if err := m.Gradient(x, grads[path]); err != nil {
							t.Fatal(err)
						}
						res, err := gdgpu.Run(context.Background(), &job, m, x, gdgpu.Hooks{})
						if err != nil {
							t.Fatal(err)
						}
						samples[path] = res.Samples
						params[path] = make([]float64, job.Dim)
						if err := m.Params(params[path]); err != nil {
							t.Fatal(err)
						}
					}
					fuseHeadMax = fuseMax
					want := make([]float64, job.Dim)
					if err := cpu.ModelGrad(&job, want, x); err != nil {
						t.Fatal(err)
					}
					for i := range grads[0] {
						if math.Float64bits(grads[0][i]) != math.Float64bits(grads[1][i]) {
							t.Fatalf("gradient %d: fused %v, head %v", i, grads[0][i], grads[1][i])
						}
					}
					compareVec(t, "fused gradient vs cpu", prec, grads[0], want)
					compareSamples(t, prec, job.Data.Rows, samples[0], samples[1])
					compareVec(t, "fused vs head final params", prec, params[0], params[1])
					ref, err := cpu.NewModel(&job)
					if err != nil {
						t.Fatal(err)
					}
					defer ref.Close()
					cres, err := gdgpu.Run(context.Background(), &job, ref, x, gdgpu.Hooks{})
					if err != nil {
						t.Fatal(err)
					}
					wp := make([]float64, job.Dim)
					if err := ref.Params(wp); err != nil {
						t.Fatal(err)
					}
					worstLoss := [2]float64{}
					for path := range samples {
						compareSamples(t, prec, job.Data.Rows, samples[path], cres.Samples)
						compareVec(t, "final params vs cpu", prec, params[path], wp)
						for i, s := range samples[path] {
							w := cres.Samples[i]
							worstLoss[path] = max(worstLoss[path], abs(s.Loss-w.Loss)/abs(w.Loss))
							if nc.val {
								worstLoss[path] = max(worstLoss[path], abs(s.ValLoss-w.ValLoss)/abs(w.ValLoss))
							}
						}
					}
					diff := 0.0
					for i, s := range samples[0] {
						diff = max(diff, abs(s.Loss-samples[1][i].Loss)/abs(samples[1][i].Loss))
					}
					t.Logf("gradient vs cpu %.3g; loss vs cpu: fused %.3g, head %.3g; fused vs head loss %.3g; final params vs cpu: fused %.3g, head %.3g",
						worstRel(grads[0], want), worstLoss[0], worstLoss[1], diff, worstRel(params[0], wp), worstRel(params[1], wp))
				})
			}
		}
	}
}

// TestMLPGEMMBlocks: an mlp run ends on the same bits, samples included,
// with its GEMMs forced to each invocation block (Options.GEMMBlock) and
// with the blocks chosen by shape, in both precisions: every block sums
// each element over the inner dimension in the same order. The shapes
// (300 positions, layers of 70 and 45, 3 classes, relu) let the choice
// take 4 x 4 and 8 x 8 blocks for some products on llvmpipe, and leave
// edges in every tile size.
func TestMLPGEMMBlocks(t *testing.T) {
	nc := netCase{hidden: []int{70, 45}, activation: "relu", classes: 3, val: true}
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		job := nc.job(t, 300, 9, prec, 7)
		job.BatchSize, job.Steps, job.LogEvery = 200, 6, 3
		var ref []float64
		var refSamples []gdgpu.Sample
		for _, blk := range append([]int{0}, GEMMBlocks()...) {
			c := openTest(t, Options{GEMMBlock: blk})
			m := newNet(t, c, &job)
			if blk == 0 {
				larger := 0
				for _, k := range [][3]int{{200, 70}, {200, 45}, {70, 9}, {45, 70}} {
					if _, tile := m.net.gemmLin.pick(k[0], k[1], m.net.gemmFill); tile > gemmTile {
						larger++
					}
				}
				t.Logf("%s: %d of 4 shapes take a block larger than 2 (fill %d)", prec, larger, m.net.gemmFill)
			}
			x0 := make([]float64, job.Dim)
			net, _ := gdgpu.ModelNetwork(&job)
			net.Init(x0, 1)
			res, err := gdgpu.Run(context.Background(), &job, m, x0, gdgpu.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			x := make([]float64, job.Dim)
			if err := m.Params(x); err != nil {
				t.Fatal(err)
			}
			if ref == nil {
				ref, refSamples = x, res.Samples
				continue
			}
			if i := testcases.FirstBitDiff(x, ref); i >= 0 {
				t.Fatalf("%s: block %d: parameter %d %v, %v with the blocks chosen by shape", prec, blk, i, x[i], ref[i])
			}
			for i := range res.Samples {
				if !sameSample(res.Samples[i], refSamples[i]) {
					t.Fatalf("%s: block %d: sample %d %+v, %+v", prec, blk, i, res.Samples[i], refSamples[i])
				}
			}
		}
	}
	opts := Options{GEMMBlock: 3}
	applyTestDevice(&opts)
	if c, err := Open(opts); err == nil {
		c.Close()
		t.Error("Options.GEMMBlock 3 opened a context")
	} else if !strings.Contains(err.Error(), "GEMM block 3 is not 0 (chosen by shape) or one of [2 4 8]") {
		t.Errorf("Options.GEMMBlock 3: %v", err)
	}
}

// TestMLPDispatchBound: with Options.MaxElemsPerDispatch (the watchdog
// bound) low, a network's pass covers at most bound / max(features,
// activations a position) positions and bound·macs / (the widest layer's
// weights) (macs 64 multiply-adds an element in f32, 8 in f64), and runs
// still match the CPU reference in f64 (the passes group the gradient's
// sums only). A 300 x 300 layer makes the GEMMs' bound the tighter in f64
// and the activations' in f32. In f32 the run is checked to train:
// checkNetRun's fixed f32 bound is for narrow networks (this one misses it
// 66-fold in a single pass too, Adam magnifying the rounding of its
// smallest gradients).
func TestMLPDispatchBound(t *testing.T) {
	const per = 30000
	c := openTest(t, Options{MaxElemsPerDispatch: per})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, nc := range []netCase{{hidden: []int{300, 300}, activation: "tanh", classes: 3, val: true}} {
			t.Run(fmt.Sprintf("%s/%s", prec, nc), func(t *testing.T) {
				job := nc.job(t, 50, 3, prec, uint64(70+ci))
				job.BatchSize, job.Seed, job.Steps, job.LogEvery = 40, 2, 10, 5
				job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
				job.Optimizer.LR = 0.005
				m := newNet(t, c, &job)
				macs := 64
				if prec == gdgpu.F64 {
					macs = 8
				}
				act, gemms := per/max(3, m.net.perPos), per*macs/m.net.widestLayer()
				if want := min(act, gemms, 50); m.posChunk != want || want < 1 || (prec == gdgpu.F64) != (gemms < act) {
					t.Fatalf("passes of %d positions, want %d (activations' bound %d, the GEMMs' %d)", m.posChunk, want, act, gemms)
				}
				if prec == gdgpu.F64 {
					checkNetRun(t, c, &job)
					return
				}
				x0 := make([]float64, job.Dim)
				net, _ := gdgpu.ModelNetwork(&job)
				net.Init(x0, 1)
				res, err := gdgpu.Run(context.Background(), &job, m, x0, gdgpu.Hooks{})
				if err != nil || len(res.Samples) < 2 || !(res.Samples[len(res.Samples)-1].Loss < res.Samples[0].Loss) {
					t.Fatalf("%v, samples %+v", err, res.Samples)
				}
			})
		}
	}
}
