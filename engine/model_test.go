package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
	"github.com/gdgpu/gdgpu/shaders"
)

// modelData draws a seeded data set for model: rows x cols features
// N(0, 1) (float32), targets from a fixed linear rule plus noise in the
// model's encoding, and valRows validation rows the same way.
func modelData(t testing.TB, model string, rows, cols, valRows int, seed uint64) *gdgpu.Data {
	t.Helper()
	return modelDataK(t, model, rows, cols, valRows, seed, 3)
}

// modelDataK is modelData with softmax's number of classes.
func modelDataK(t testing.TB, model string, rows, cols, valRows int, seed uint64, k int) *gdgpu.Data {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 17))
	classes := 0
	if model == "softmax" {
		classes = k
	}
	outs := max(classes, 1)
	w := make([]float64, outs*cols)
	for i := range w {
		w[i] = r.NormFloat64()
	}
	gen := func(n int) ([]float32, []float32) {
		x := make([]float32, n*cols)
		y := make([]float32, n)
		for i := 0; i < n; i++ {
			best, arg := math.Inf(-1), 0
			for k := 0; k < outs; k++ {
				z := 0.5 * r.NormFloat64()
				for j := 0; j < cols; j++ {
					if k == 0 {
						x[i*cols+j] = float32(r.NormFloat64())
					}
					z += w[k*cols+j] * float64(x[i*cols+j])
				}
				if z > best {
					best, arg = z, k
				}
			}
			switch model {
			case "linear":
				y[i] = float32(best + 0.3)
			case "logistic":
				y[i] = float32(boolInt(best > 0))
			case "perceptron", "hinge":
				y[i] = float32(2*boolInt(best > 0) - 1)
			case "softmax":
				y[i] = float32(arg)
			}
		}
		return x, y
	}
	x, y := gen(rows)
	var vx, vy []float32
	if valRows > 0 {
		vx, vy = gen(valRows)
	}
	d, err := gdgpu.NewData(model, x, y, rows, cols, vx, vy, valRows, classes)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// modelJob is a job for model on d.
func modelJob(model, loss string, d *gdgpu.Data, prec gdgpu.Precision) gdgpu.Job {
	job := newJob(model, "sgd", 1, prec)
	job.Data, job.Loss = d, loss
	if loss == "" {
		job.Loss = "mse"
	}
	job.Dim = gdgpu.ModelDim(d, true)
	return job
}

func newModel(t testing.TB, c *Context, job *gdgpu.Job) *modelBackend {
	t.Helper()
	b := openBackend(t, c, job)
	m, ok := b.(*modelBackend)
	if !ok {
		t.Fatalf("NewBackend gave a %T for model %s", b, job.Problem)
	}
	return m
}

// refModel computes docs/models.md's objective and gradient in float64
// over the rows rows of the training set (all of them when rows is nil),
// straight from the formulas: an independent check of the kernels.
func refModel(job *gdgpu.Job, x []float64, rows []int32, grad []float64) (loss, acc float64) {
	d := job.Data
	k := d.Outputs()
	p := d.Cols
	if !job.NoIntercept {
		p++
	}
	if rows == nil {
		rows = make([]int32, d.Rows)
		for i := range rows {
			rows[i] = int32(i)
		}
	}
	for i := range grad {
		grad[i] = 0
	}
	z := make([]float64, k)
	correct := 0.0
	for _, i := range rows {
		for o := 0; o < k; o++ {
			z[o] = 0
			for j := 0; j < d.Cols; j++ {
				z[o] += x[o*p+j] * float64(d.X[int(i)*d.Cols+j])
			}
			if !job.NoIntercept {
				z[o] += x[o*p+d.Cols]
			}
		}
		y := float64(d.Y[i])
		var l float64
		dz := make([]float64, k)
		switch job.Problem {
		case "linear":
			r := z[0] - y
			switch job.Loss {
			case "mse":
				l, dz[0] = r*r, 2*r
			case "mae":
				l, dz[0] = math.Abs(r), sign(r)
			case "huber":
				if math.Abs(r) < job.Delta {
					l, dz[0] = 0.5*r*r, r
				} else {
					l, dz[0] = job.Delta*(math.Abs(r)-0.5*job.Delta), job.Delta*sign(r)
				}
			case "logcosh":
				l, dz[0] = math.Abs(r)+math.Log1p(math.Exp(-2*math.Abs(r)))-math.Ln2, math.Tanh(r)
			}
		case "logistic":
			l = math.Max(z[0], 0) - y*z[0] + math.Log1p(math.Exp(-math.Abs(z[0])))
			dz[0] = 1/(1+math.Exp(-z[0])) - y
			if (z[0] > 0) == (y == 1) {
				correct++
			}
		case "perceptron", "hinge":
			m := 0.0
			if job.Problem == "hinge" {
				m = 1
			}
			l = math.Max(0, m-y*z[0])
			if y*z[0] < m || (m == 0 && y*z[0] == 0) {
				dz[0] = -y
			}
			if (z[0] > 0) == (y == 1) {
				correct++
			}
		case "softmax":
			mx, arg := z[0], 0
			for o := 1; o < k; o++ {
				if z[o] > mx {
					mx, arg = z[o], o
				}
			}
			s := 0.0
			for o := 0; o < k; o++ {
				s += math.Exp(z[o] - mx)
			}
			l = mx + math.Log(s) - z[int(y)]
			for o := 0; o < k; o++ {
				dz[o] = math.Exp(z[o]-mx) / s
			}
			dz[int(y)]--
			if arg == int(y) {
				correct++
			}
		}
		loss += l
		for o := 0; o < k; o++ {
			for j := 0; j < p; j++ {
				xv := 1.0
				if j < d.Cols {
					xv = float64(d.X[int(i)*d.Cols+j])
				}
				grad[o*p+j] += dz[o] * xv
			}
		}
	}
	m := float64(len(rows))
	loss /= m
	for o := 0; o < k; o++ {
		for j := 0; j < p; j++ {
			grad[o*p+j] /= m
			if j < d.Cols {
				w := x[o*p+j]
				grad[o*p+j] += job.L1*sign(w) + job.L2*w
				loss += job.L1*math.Abs(w) + job.L2/2*w*w
			}
		}
	}
	return loss, correct / m
}

func sign(v float64) float64 {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}

// modelCase is one model configuration of the tables.
type modelCase struct {
	model, loss string
	l1, l2      float64
	noIntercept bool
	val         bool
	classes     int // softmax: 0 means 3
}

func (mc modelCase) String() string {
	s := mc.model
	if mc.model == "linear" {
		s += "-" + mc.loss
	}
	if mc.classes > 0 {
		s += fmt.Sprintf("-k%d", mc.classes)
	}
	if mc.l1 > 0 || mc.l2 > 0 {
		s += fmt.Sprintf(",l1=%g,l2=%g", mc.l1, mc.l2)
	}
	if mc.noIntercept {
		s += ",no-intercept"
	}
	if mc.val {
		s += ",val"
	}
	return s
}

// modelCases covers every model and linear loss, with penalties, without
// intercept and with a validation set in some.
func modelCases() []modelCase {
	return []modelCase{
		{model: "linear", loss: "mse", val: true},
		{model: "linear", loss: "mae", l1: 0.01},
		{model: "linear", loss: "huber", l2: 0.1, noIntercept: true},
		{model: "linear", loss: "logcosh", val: true},
		{model: "logistic", l2: 0.05, val: true},
		{model: "perceptron", noIntercept: true},
		{model: "hinge", l1: 0.01, l2: 0.01, val: true},
		{model: "softmax", l2: 0.01, val: true},
		{model: "softmax", l1: 0.005, noIntercept: true},
		{model: "softmax", classes: 2}, // one output per class, two classes included
	}
}

func (mc modelCase) job(t testing.TB, rows, cols int, prec gdgpu.Precision, seed uint64) gdgpu.Job {
	val := 0
	if mc.val {
		val = 13
	}
	k := mc.classes
	if k == 0 {
		k = 3
	}
	d := modelDataK(t, mc.model, rows, cols, val, seed, k)
	job := modelJob(mc.model, mc.loss, d, prec)
	if mc.model != "linear" {
		job.Loss = ""
	}
	job.L1, job.L2, job.NoIntercept = mc.l1, mc.l2, mc.noIntercept
	job.Dim = gdgpu.ModelDim(d, !mc.noIntercept)
	return job
}

// TestModelGradientFormula checks one step's gradient and one sample
// against refModel, the formulas of docs/models.md written out in float64,
// at a random point: the step is SGD with lr 1 from x, so x - x' is the
// batch gradient. Every model, the full batch and a shuffled batch of 7
// (the first of its epoch), through the forced small-chunk path too.
func TestModelGradientFormula(t *testing.T) {
	plain := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, mc := range modelCases() {
			for _, batch := range []int{0, 7} {
				for _, ch := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/batch=%d/chunked=%v", prec, mc, batch, ch)
					t.Run(name, func(t *testing.T) {
						c := plain
						if ch {
							c = chunked
						}
						job := mc.job(t, 50, 3, prec, uint64(ci))
						job.BatchSize, job.Seed = batch, 11
						job.Optimizer.LR = 1
						m := newModel(t, c, &job)
						r := rand.New(rand.NewPCG(uint64(ci), 5))
						x := make([]float64, job.Dim)
						for i := range x {
							x[i] = 0.5 * r.NormFloat64()
						}
						roundF32(x)
						b, _ := gdgpu.Batches(batch, job.Data.Rows)
						order := make([]int32, job.Data.Rows)
						gdgpu.EpochOrder(order, job.Seed, 0, b)
						if err := m.Load(x); err != nil {
							t.Fatal(err)
						}
						if err := m.SetOrder(0, order); err != nil {
							t.Fatal(err)
						}
						if err := m.Step([]float64{1}, true); err != nil {
							t.Fatal(err)
						}
						ss, err := m.Samples(nil, true)
						if err != nil {
							t.Fatal(err)
						}
						x1 := make([]float64, job.Dim)
						if err := m.Params(x1); err != nil {
							t.Fatal(err)
						}
						got := make([]float64, job.Dim)
						for i := range got {
							got[i] = x[i] - x1[i]
						}
						want := make([]float64, job.Dim)
						refModel(&job, x, order[:b], want)
						compareVec(t, "batch gradient", prec, got, want)
						full := make([]float64, job.Dim)
						loss, acc := refModel(&job, x, nil, full)
						gn := 0.0
						for _, g := range full {
							gn += g * g
						}
						if len(ss) != 1 {
							t.Fatalf("%d samples", len(ss))
						}
						s := ss[0]
						info, _ := gdgpu.LookupModel(job.Problem)
						if !info.Classifier {
							acc = 0
						}
						compareScalars(t, "loss, gradient norm, accuracy", prec, job.Data.Rows,
							[]float64{s.Loss, s.GradNorm, s.Accuracy}, []float64{loss, math.Sqrt(gn), acc})
						t.Logf("sample %+v", s)
					})
				}
			}
		}
	}
}

// TestModelMathFP64 runs model_math.glsl's double-precision log, log1p,
// expm1 and tanh in a test-only kernel against Go's math package: within
// 4 ulps over arguments spanning the ranges the losses use (log of
// [1, K e^0] sums and of subnormal to huge values; log1p of e^-|r| in
// (0, 1]; expm1 and tanh near 0, where the naive forms cancel, and far
// out). dlog is fdlibm's e_log.c, below 1 ulp; Kahan's log1p and expm1 on
// top of it and of dexp (1 ulp) add a few roundings, and Go's own
// functions are themselves up to 1 ulp off. The special values are exact.
func TestModelMathFP64(t *testing.T) {
	c := openTest(t, Options{})
	r := rand.New(rand.NewPCG(8, 9))
	var xs []float64
	for _, v := range []float64{1, 2, 0.5, math.E, 1e-300, 5e-324, 1e300, math.MaxFloat64, 3, 1 + 0x1p-52, 1 - 0x1p-53, math.Sqrt2, math.Sqrt2 / 2} {
		xs = append(xs, v)
	}
	for i := 0; i < 2000; i++ {
		xs = append(xs, math.Exp(r.Float64()*80-40))
	}
	lib := ""
	for _, f := range []string{"fp64math.glsl", "model_math.glsl"} {
		src, err := shaders.Source(f)
		if err != nil {
			t.Fatal(err)
		}
		lib += src
	}
	logs := runFP64Lib(t, c, "model math", lib, 4,
		"ys[4u * i] = rlog(xs[i]);\n\t\tys[4u * i + 1u] = rlog1p(xs[i] < 1.0lf ? xs[i] : 1.0lf / xs[i]);\n\t\tys[4u * i + 2u] = rexpm1(xs[i] < 1.0lf ? -xs[i] : 1.0lf / xs[i]);\n\t\tys[4u * i + 3u] = rtanh(xs[i] < 1.0lf ? xs[i] : -xs[i]);", xs)
	ulps := func(got, want float64) float64 {
		if got == want {
			return 0
		}
		return math.Abs(got-want) / math.Abs(math.Nextafter(want, math.Inf(1))-want)
	}
	for i, x := range xs {
		small := x
		if x >= 1 {
			small = 1 / x
		}
		em := -x
		if x >= 1 {
			em = 1 / x
		}
		th := x
		if x >= 1 {
			th = -x
		}
		for _, c := range []struct {
			name      string
			arg       float64
			got, want float64
		}{
			{"log", x, logs[4*i], goLog(x)},
			{"log1p", small, logs[4*i+1], math.Log1p(small)},
			{"expm1", em, logs[4*i+2], math.Expm1(em)},
			{"tanh", th, logs[4*i+3], math.Tanh(th)},
		} {
			if u := ulps(c.got, c.want); !(u <= 4) {
				t.Errorf("%s(%v) = %v, Go %v: %.1f ulps", c.name, c.arg, c.got, c.want, u)
			}
		}
	}
	// The special values are built from bits (compilers may fold 1.0/0.0):
	// each input class is checked, -0 and -Inf included.
	special := runFP64Lib(t, c, "model math specials", lib, 1, "ys[i] = rlog(xs[i]);", []float64{0, math.Inf(1), -1, math.NaN(), math.Copysign(0, -1), math.Inf(-1), 1})
	if !math.IsInf(special[0], -1) || !math.IsInf(special[1], 1) || !math.IsNaN(special[2]) || !math.IsNaN(special[3]) ||
		!math.IsInf(special[4], -1) || !math.IsNaN(special[5]) || special[6] != 0 {
		t.Errorf("log(0, +Inf, -1, NaN, -0, -Inf, 1) = %v, want -Inf, +Inf, NaN, NaN, -Inf, NaN, 0", special)
	}
}

// goLog is math.Log, with subnormal arguments scaled into the normal
// range first: Go's amd64 Log returns log(2^-1023) = -709.09 for 5e-324,
// whose log is -744.44.
func goLog(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

// TestModelMemoryNeedCountsEveryBuffer: the bytes a model backend
// allocates, its optimizer's (after both Keep slots) and its own, are
// exactly what the memory check counted, with and without a validation
// set and a shuffled order, chunked and not.
func TestModelMemoryNeedCountsEveryBuffer(t *testing.T) {
	for _, opts := range []Options{{}, {ChunkElems: 16}} {
		c := openTest(t, opts)
		for _, tc := range []struct {
			mc    modelCase
			batch int
			prec  gdgpu.Precision
		}{
			{modelCase{model: "linear", loss: "mse"}, 0, gdgpu.F32},
			{modelCase{model: "softmax", val: true}, 7, gdgpu.F64},
			{modelCase{model: "logistic", val: true}, 1, gdgpu.F32},
		} {
			t.Run(fmt.Sprintf("chunk=%d/%s/batch=%d/%s", opts.ChunkElems, tc.mc, tc.batch, tc.prec), func(t *testing.T) {
				job := tc.mc.job(t, 50, 3, tc.prec, 1)
				job.BatchSize = tc.batch
				job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
				m := newModel(t, c, &job)
				for k := 0; k < 2; k++ {
					if err := m.Keep(k); err != nil {
						t.Fatal(err)
					}
				}
				b := m.in
				need := b.memoryNeed()
				bufs := backendBuffers(b)
				var own int64
				for _, buf := range []*buffer{&m.x, &m.y, &m.valX, &m.valY, &m.order, &m.dz, &m.gpart, &m.part, &m.ring, &m.flagRing} {
					own += int64(buf.bytes())
				}
				var got int64
				for _, buf := range bufs {
					got += int64(buf.bytes())
				}
				if own != need.Data || got+own != need.Total() {
					t.Errorf("allocated %d bytes (model %d), memoryNeed counts %d (data %d: %+v)", got+own, own, need.Total(), need.Data, need)
				}
				if !strings.Contains(need.String(), "data set and model scratch "+mib(need.Data)) {
					t.Errorf("String %q does not name the data", need.String())
				}
			})
		}
	}
}

// TestModelDiverges: linear regression (MSE) with SGD at lr 10 blows up.
// Sampled only at the start and the end, the run stops with Diverged at
// the flag the step kernels raised, naming a parameter, the same step and
// index as the CPU reference in f64; the first bad value is where the
// flag says: stepping a fresh backend one step at a time, x_{s-1} is
// finite (s = StatusStep) and x_{s+1} is not at BadIndex (a non-finite
// x_s or gradient at x_s reaches x_{s+1}). Sampled every 4 steps, the
// loss (r^2, which overflows long before the gradient 2r x does) is the
// first non-finite value: Diverged at that sample, with no index, as on
// the CPU. Both runs end on a finite kept state.
func TestModelDiverges(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, batch := range []int{0, 7} {
			for _, logEvery := range []int{400, 4} {
				t.Run(fmt.Sprintf("%s/batch=%d/log-every=%d", prec, batch, logEvery), func(t *testing.T) {
					job := modelCase{model: "linear", loss: "mse"}.job(t, 50, 3, prec, 2)
					job.BatchSize, job.Seed = batch, 3
					job.Optimizer.LR = 10
					job.Steps, job.LogEvery = 400, logEvery
					m := newModel(t, c, &job)
					x0 := make([]float64, job.Dim)
					res, err := gdgpu.Run(context.Background(), &job, m, x0, gdgpu.Hooks{})
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("diverged at step %d, index %d, kept %d", res.StatusStep, res.BadIndex, res.KeptStep)
					if res.Status != gdgpu.Diverged || res.KeptStep < 0 || res.KeptStep >= res.StatusStep {
						t.Fatalf("status %v at step %d, kept %d", res.Status, res.StatusStep, res.KeptStep)
					}
					x := make([]float64, job.Dim)
					if err := m.Params(x); err != nil {
						t.Fatal(err)
					}
					for i, v := range x {
						if math.IsNaN(v) || math.IsInf(v, 0) {
							t.Fatalf("reverted x[%d] = %v", i, v)
						}
					}
					if prec == gdgpu.F64 {
						ref, err := cpu.NewModel(&job)
						if err != nil {
							t.Fatal(err)
						}
						defer ref.Close()
						cres, err := gdgpu.Run(context.Background(), &job, ref, x0, gdgpu.Hooks{})
						if err != nil {
							t.Fatal(err)
						}
						// Here the first bad value is the batch gradient at
						// x_s (it overflows first; x_s is finite): both
						// backends flag it at step s, as gdgpu.Sample
						// documents, naming the same index.
						if cres.Status != res.Status || cres.StatusStep != res.StatusStep || cres.BadIndex != res.BadIndex {
							t.Errorf("gpu %v at %d index %d kept %d, cpu %v at %d index %d kept %d", res.Status, res.StatusStep, res.BadIndex, res.KeptStep,
								cres.Status, cres.StatusStep, cres.BadIndex, cres.KeptStep)
						}
					}
					if logEvery == 4 {
						if res.BadIndex != -1 || res.Final.Step != res.StatusStep || !math.IsInf(res.Final.Loss, 1) {
							t.Errorf("diverged at step %d index %d, final sample %+v: want the loss's overflow, no index", res.StatusStep, res.BadIndex, res.Final)
						}
						return
					}
					if res.BadIndex < 0 || res.BadIndex >= job.Dim {
						t.Fatalf("bad index %d", res.BadIndex)
					}
					fresh := newModel(t, c, &job)
					if err := fresh.Load(x0); err != nil {
						t.Fatal(err)
					}
					b, per := gdgpu.Batches(job.BatchSize, job.Data.Rows)
					order := make([]int32, job.Data.Rows)
					for s := 0; s <= res.StatusStep; s++ {
						if s%per == 0 {
							gdgpu.EpochOrder(order, job.Seed, s/per, b)
							if err := fresh.SetOrder(s/per, order); err != nil {
								t.Fatal(err)
							}
						}
						if s == res.StatusStep-1 {
							if err := fresh.Params(x); err != nil {
								t.Fatal(err)
							}
							for i, v := range x {
								if math.IsNaN(v) || math.IsInf(v, 0) {
									t.Fatalf("x_%d[%d] = %v: the flag at step %d is late", s, i, v, res.StatusStep)
								}
							}
						}
						if err := fresh.Step([]float64{job.Optimizer.LR}, false); err != nil {
							t.Fatal(err)
						}
					}
					if err := fresh.Params(x); err != nil {
						t.Fatal(err)
					}
					if v := x[res.BadIndex]; !math.IsNaN(v) && !math.IsInf(v, 0) {
						t.Errorf("x_%d[%d] = %v is finite: the flag at step %d names the wrong value", res.StatusStep+1, res.BadIndex, v, res.StatusStep)
					}
				})
			}
		}
	}
}

// TestModelDeterministic: two backends on the same job give the same bits
// (parameters and samples): every reduction runs in a fixed order.
func TestModelDeterministic(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	job := modelCase{model: "softmax", l2: 0.01, val: true}.job(t, 50, 3, gdgpu.F32, 4)
	job.BatchSize, job.Seed, job.Steps, job.LogEvery = 7, 5, 30, 5
	job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
	var params [2][]float64
	var samples [2][]gdgpu.Sample
	for k := range params {
		m := newModel(t, c, &job)
		res, err := gdgpu.Run(context.Background(), &job, m, make([]float64, job.Dim), gdgpu.Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		params[k] = make([]float64, job.Dim)
		if err := m.Params(params[k]); err != nil {
			t.Fatal(err)
		}
		samples[k] = res.Samples
	}
	for i := range params[0] {
		if params[0][i] != params[1][i] {
			t.Fatalf("x[%d]: %v then %v", i, params[0][i], params[1][i])
		}
	}
	if fmt.Sprint(samples[0]) != fmt.Sprint(samples[1]) {
		t.Errorf("samples differ:\n%v\n%v", samples[0], samples[1])
	}
}

// TestModelOrderChecked: a shuffled step refuses to run on another
// epoch's order, and SetOrder refuses an order of the wrong length or
// with a row outside the set.
func TestModelOrderChecked(t *testing.T) {
	c := openTest(t, Options{})
	job := modelCase{model: "logistic"}.job(t, 50, 3, gdgpu.F32, 1)
	job.BatchSize = 10
	m := newModel(t, c, &job)
	if err := m.Load(make([]float64, job.Dim)); err != nil {
		t.Fatal(err)
	}
	order := make([]int32, 50)
	gdgpu.EpochOrder(order, 1, 0, 10)
	if err := m.Step([]float64{0.1}, false); err == nil || !strings.Contains(err.Error(), "engine: ") {
		t.Errorf("a step without an order: %v", err)
	}
	if err := m.SetOrder(0, order[:49]); err == nil {
		t.Error("SetOrder took 49 rows of 50")
	}
	order[3] = 50
	if err := m.SetOrder(0, order); err == nil {
		t.Error("SetOrder took row 50 of 50")
	}
	gdgpu.EpochOrder(order, 1, 1, 10)
	if err := m.SetOrder(1, order); err != nil {
		t.Fatal(err)
	}
	if err := m.Step([]float64{0.1}, false); err == nil || !strings.Contains(err.Error(), "epoch 0") {
		t.Errorf("step 0 ran on epoch 1's order: %v", err)
	}
}

// TestModelClosed: a closed model backend refuses work, and closing twice
// is fine.
func TestModelClosed(t *testing.T) {
	c := openTest(t, Options{})
	job := modelCase{model: "hinge"}.job(t, 20, 2, gdgpu.F64, 1)
	b, err := c.NewBackend(&job)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Step([]float64{0.1}, false); !errors.Is(err, errBackendClosed) {
		t.Errorf("Step after Close: %v", err)
	}
	if err := b.Record(); !errors.Is(err, errBackendClosed) {
		t.Errorf("Record after Close: %v", err)
	}
	// the full batch's SetOrder uploads nothing, but is refused all the same
	if err := b.(gdgpu.Orderer).SetOrder(0, make([]int32, 20)); !errors.Is(err, errBackendClosed) {
		t.Errorf("SetOrder after Close: %v", err)
	}
}

// TestModelParity runs every model case through gdgpu.Run on the GPU and
// on the CPU reference (cpu.NewModel) from the all-zero start and compares
// every sample and the final parameters through the shared harness: the
// full batch, shuffled batches of 7 (n = 50, so each epoch's last batch
// holds 1 row) and of 1, 40 steps (5 epochs of 7-row batches; 50-row
// epochs of single rows cross one epoch boundary at 60 steps), in both
// precisions, through the plain and the forced small-chunk paths (4-row
// data chunks, 16-position passes).
//
// The bounds are the shared harness's (parityTol), unchanged: a gradient
// component is a mean over at most n = 50 rows of terms that each take
// about 10 rounded operations (z, the loss's derivative, the product), so
// its error relative to the mean of the terms' sizes is about
// (10 + sqrt(n)) u per step in the worst case the reduction orders allow
// (the GPU sums per workgroup, pass and chunk, the CPU per block of rows):
// 2e-6 in float32, 4e-15 in float64, within the harness's 1e-5 and 1e-12
// after the optimizer's own rounding. The losses are means of n terms,
// which compareScalars bounds by its log2(n) summation factor. Larger n
// would need sqrt(n) u room in float32 (TestModelParityLarger, n = 2000:
// 3e-6, still inside).
func TestModelParity(t *testing.T) {
	plain := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, mc := range modelCases() {
			for _, batch := range []int{0, 7, 1} {
				for _, ch := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/batch=%d/chunked=%v", prec, mc, batch, ch), func(t *testing.T) {
						c := plain
						if ch {
							c = chunked
						}
						job := mc.job(t, 50, 3, prec, uint64(ci))
						job.BatchSize, job.Seed = batch, uint64(7+ci)
						job.Steps, job.LogEvery = 40, 5
						if batch == 1 {
							job.Steps = 60
						}
						job.Optimizer.LR = 0.05
						switch mc.model {
						case "logistic", "softmax":
							job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
							job.Optimizer.LR = 0.05
						case "hinge":
							job.Optimizer.Momentum = 0.9
						}
						checkModelRun(t, c, &job)
					})
				}
			}
		}
	}
}

// TestModelParityLarger runs the parity check where every level of the
// chunked path is several deep at once: 2000 rows of 5 features in
// 100-row data chunks (ChunkElems 512), 512-position passes, 8 kernel 2
// workgroups per pass, 2 kernel 1 workgroups, shuffled batches of 300
// (the last of each epoch 200) that scatter over every chunk, and the
// full batch, for linear MSE and softmax, in both precisions.
func TestModelParityLarger(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 512, Groups: 8})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, mc := range []modelCase{{model: "linear", loss: "mse", l1: 0.001, val: true}, {model: "softmax", l2: 0.01, val: true}} {
			for _, batch := range []int{0, 300} {
				t.Run(fmt.Sprintf("%s/%s/batch=%d", prec, mc, batch), func(t *testing.T) {
					job := mc.job(t, 2000, 5, prec, uint64(20+ci))
					job.BatchSize, job.Seed = batch, 3
					job.Steps, job.LogEvery = 20, 4
					job.Optimizer.LR = 0.05
					m := newModel(t, c, &job)
					if m.rowsPerChunk != 100 || m.posChunk != 512 || m.g2 != 8 || m.g1 != 2 {
						t.Fatalf("chunks of %d rows, passes of %d, %d and %d workgroups: not the layout this test is for", m.rowsPerChunk, m.posChunk, m.g1, m.g2)
					}
					checkModelRun(t, c, &job)
				})
			}
		}
	}
}

// checkModelRun runs job on the GPU context c and on the CPU reference
// from zero and compares the samples and final parameters.
func checkModelRun(t *testing.T, c *Context, job *gdgpu.Job) {
	t.Helper()
	gpu := newModel(t, c, job)
	ref, err := cpu.NewModel(job)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	x0 := make([]float64, job.Dim)
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
	t.Logf("first sample %+v\nlast %+v", gres.Samples[0], gres.Final)
}

// TestModelGradientMatchesCPU: Gradient (gdgpu gradcheck's GPU side) is
// cpu.ModelGrad's full-set gradient within the parity bounds, for every
// model case in both precisions, chunked, and leaves the parameters, the
// step count and the non-finite record alone.
func TestModelGradientMatchesCPU(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, mc := range modelCases() {
			t.Run(prec.String()+"/"+mc.String(), func(t *testing.T) {
				job := mc.job(t, 50, 3, prec, uint64(30+ci))
				m := newModel(t, c, &job)
				r := rand.New(rand.NewPCG(uint64(ci), 6))
				x0 := make([]float64, job.Dim)
				x := make([]float64, job.Dim)
				for i := range x {
					x0[i], x[i] = 0.25*r.NormFloat64(), 0.5*r.NormFloat64()
				}
				roundF32(x0)
				roundF32(x)
				if err := m.Load(x0); err != nil {
					t.Fatal(err)
				}
				got, want := make([]float64, job.Dim), make([]float64, job.Dim)
				if err := m.Gradient(x, got); err != nil {
					t.Fatal(err)
				}
				if err := cpu.ModelGrad(&job, want, x); err != nil {
					t.Fatal(err)
				}
				compareVec(t, "gradient", prec, got, want)
				if err := m.Params(got); err != nil {
					t.Fatal(err)
				}
				for i := range got {
					if got[i] != x0[i] {
						t.Fatalf("Gradient moved x[%d] from %v to %v", i, x0[i], got[i])
					}
				}
				if m.StepCount() != 0 {
					t.Errorf("step count %d after Gradient", m.StepCount())
				}
			})
		}
	}
}

// TestModelPenaltyOffAtInfiniteWeight: a penalty that is off adds nothing
// to the gradient of an overflowed weight, as on the CPU: with --l1 set
// and --l2 0, logistic regression's gradient at a weight of +Inf is the
// (finite) data term plus L1, where l2·w added 0·Inf = NaN on the GPU.
func TestModelPenaltyOffAtInfiniteWeight(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for _, pen := range [][2]float64{{0.1, 0}, {0, 0.1}} {
			job := modelCase{model: "logistic", l1: pen[0], l2: pen[1]}.job(t, 20, 2, prec, 5)
			m := newModel(t, c, &job)
			x := make([]float64, job.Dim)
			x[1] = math.Inf(1)
			got, want := make([]float64, job.Dim), make([]float64, job.Dim)
			if err := m.Gradient(x, got); err != nil {
				t.Fatal(err)
			}
			if err := cpu.ModelGrad(&job, want, x); err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if math.IsNaN(got[i]) != math.IsNaN(want[i]) || math.IsInf(got[i], 0) != math.IsInf(want[i], 0) {
					t.Errorf("%s l1=%g l2=%g: gradient[%d] %v on the GPU, %v on the CPU", prec, pen[0], pen[1], i, got[i], want[i])
				}
			}
		}
	}
}

// TestModelResumeMidEpoch: a run checkpointed in the middle of an epoch
// (step 18 of 8-step epochs), or at an epoch's first step (16), and
// resumed by a fresh GPU backend through gdgpu.RunFrom ends on the same bits as the uninterrupted run, samples
// included, in both precisions: the data cursor follows from the step,
// and the order from the seed and epoch.
func TestModelResumeMidEpoch(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, at := range []struct{ step, epoch, batch int }{{18, 2, 2}, {16, 2, 0}} { // mid-epoch, and at an epoch's first step
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(fmt.Sprintf("%s/step=%d", prec, at.step), func(t *testing.T) {
				job := modelCase{model: "softmax", l2: 0.01, val: true}.job(t, 50, 3, prec, 9)
				job.BatchSize, job.Seed, job.Steps, job.LogEvery = 7, 4, 40, 6
				job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
				job.CheckpointEvery = at.step
				path := filepath.Join(t.TempDir(), "ck")
				hooks := gdgpu.Hooks{Checkpoint: func(ck *gdgpu.Checkpoint) error {
					if ck.Driver.Step != at.step {
						return nil
					}
					return gdgpu.WriteCheckpoint(path, ck)
				}}
				straight := newModel(t, c, &job)
				sres, err := gdgpu.Run(context.Background(), &job, straight, make([]float64, job.Dim), hooks)
				if err != nil {
					t.Fatal(err)
				}
				ck, err := gdgpu.ReadCheckpoint(path)
				if err != nil {
					t.Fatal(err)
				}
				if ck.Driver.Step != at.step || ck.Driver.Epoch != at.epoch || ck.Driver.Batch != at.batch {
					t.Fatalf("checkpoint at step %d, epoch %d, batch %d", ck.Driver.Step, ck.Driver.Epoch, ck.Driver.Batch)
				}
				resumed := newModel(t, c, &job)
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
}

// checkResumedParams fails the test unless the resumed backend's
// parameters equal the straight run's bit for bit (the resume tests of the
// models, the mlp and L-BFGS on models).
func checkResumedParams(t *testing.T, straight, resumed gdgpu.Backend, dim int) {
	t.Helper()
	want, got := make([]float64, dim), make([]float64, dim)
	if err := straight.Params(want); err != nil {
		t.Fatal(err)
	}
	if err := resumed.Params(got); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("resumed x[%d] = %v, straight %v", i, got[i], want[i])
		}
	}
}

// TestModelStepAllocs: a Step call's allocations (the GL thread's
// hand-off, as for every backend call) do not grow with its steps: the
// per-step passes, chunks and the sample allocate nothing, full batch and
// shuffled, chunked.
func TestModelStepAllocs(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, batch := range []int{0, 2} {
		job := modelCase{model: "softmax", val: true}.job(t, 50, 3, gdgpu.F32, 1)
		job.BatchSize = batch
		m := newModel(t, c, &job)
		checkStepAllocs(t, m, &job, batch)
	}
}

// TestModelParityOptions: the optimizer options that act on the gradient
// a model hands its optimizer (clipping by norm and by value, weight
// decay, maximize) and other optimizers, against the CPU reference:
// mini-batches of 7, chunked, both precisions.
func TestModelParityOptions(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 16})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, tc := range []struct {
			mc        modelCase
			opt       optimizerCase
			clipNorm  float64
			clipValue float64
		}{
			{modelCase{model: "linear", loss: "mse"}, optimizerCase{"sgd", map[string]float64{"momentum": 0.9, "nesterov": 1, "lr": 0.05}}, 0.5, 0},
			{modelCase{model: "logistic", val: true}, optimizerCase{"adamw", map[string]float64{"weight-decay": 0.01, "lr": 0.05}}, 0, 0.05},
			{modelCase{model: "softmax", l2: 0.01}, optimizerCase{"rmsprop", map[string]float64{"centered": 1}}, 1, 0},
			{modelCase{model: "linear", loss: "mae"}, optimizerCase{"sgd", map[string]float64{"maximize": 1, "lr": 0.01}}, 0, 0},
			{modelCase{model: "hinge", noIntercept: true}, optimizerCase{"adagrad", nil}, 0, 0},
		} {
			t.Run(fmt.Sprintf("%s/%s/%s/clip-norm=%g/clip-value=%g", prec, tc.mc, tc.opt, tc.clipNorm, tc.clipValue), func(t *testing.T) {
				job := tc.mc.job(t, 50, 3, prec, uint64(40+ci))
				job.Optimizer = tc.opt.optimizer(t)
				job.ClipNorm, job.ClipValue = tc.clipNorm, tc.clipValue
				job.BatchSize, job.Seed, job.Steps, job.LogEvery = 7, 2, 30, 5
				checkModelRun(t, c, &job)
			})
		}
	}
}

// TestModelDispatchBound: with Options.MaxElemsPerDispatch (the watchdog
// bound) at 40, a pass covers at most 40 / max(features, parameters)
// positions and a data chunk 40 / features rows (aligned), and runs
// still match the CPU reference: the split changes the order of the
// additions only.
func TestModelDispatchBound(t *testing.T) {
	c := openTest(t, Options{MaxElemsPerDispatch: 40})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, mc := range []modelCase{{model: "linear", loss: "huber", val: true}, {model: "softmax", l1: 0.01}} {
			for _, batch := range []int{0, 7} {
				t.Run(fmt.Sprintf("%s/%s/batch=%d", prec, mc, batch), func(t *testing.T) {
					job := mc.job(t, 50, 3, prec, uint64(50+ci))
					job.BatchSize, job.Seed, job.Steps, job.LogEvery = batch, 1, 20, 5
					m := newModel(t, c, &job)
					if want := 40 / max(3, job.Dim); m.posChunk != want || m.rowsPerChunk*3 > 40 {
						t.Fatalf("passes of %d positions (want %d), chunks of %d rows", m.posChunk, want, m.rowsPerChunk)
					}
					checkModelRun(t, c, &job)
				})
			}
		}
	}
}

// TestModelParityWide: models with more parameters than a workgroup has
// invocations (kernel 2 with one lane, invocations striding over the
// parameters): softmax on 100 features (303 parameters) and linear
// regression on 300 features with fewer rows than features, full batch
// and batches of 7, chunked and not, both precisions.
func TestModelParityWide(t *testing.T) {
	plain := openTest(t, Options{})
	chunked := openTest(t, Options{ChunkElems: 512})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for ci, tc := range []struct {
			mc         modelCase
			rows, cols int
		}{
			{modelCase{model: "softmax", l2: 0.01, val: true}, 60, 100},
			{modelCase{model: "linear", loss: "mse", l2: 0.1}, 40, 300},
		} {
			for _, batch := range []int{0, 7} {
				for _, ch := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/%dx%d/batch=%d/chunked=%v", prec, tc.mc, tc.rows, tc.cols, batch, ch), func(t *testing.T) {
						c := plain
						if ch {
							c = chunked
						}
						job := tc.mc.job(t, tc.rows, tc.cols, prec, uint64(60+ci))
						job.BatchSize, job.Seed, job.Steps, job.LogEvery = batch, 5, 20, 5
						job.Optimizer.LR = 0.01
						m := newModel(t, c, &job)
						if m.lanes() != 1 {
							t.Fatalf("%d parameters: %d lanes", job.Dim, m.lanes())
						}
						checkModelRun(t, c, &job)
					})
				}
			}
		}
	}
}

// TestModelParityManyClasses: softmax on 1000 classes, full and
// mini-batch, with a validation set, in both precisions. The kernels once
// held the K outputs in a private array of K reals per invocation, whose
// compile time on llvmpipe grew as about K^3 (400 classes: 50 s; 1000:
// past the test binary's 10-minute limit); above maxPrivateOutputs they
// now live in the dz buffer.
func TestModelParityManyClasses(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F64, gdgpu.F32} {
		for _, batch := range []int{0, 7} {
			t.Run(fmt.Sprintf("%s/batch=%d", prec, batch), func(t *testing.T) {
				job := modelCase{model: "softmax", l2: 0.01, val: true, classes: 1000}.job(t, 60, 2, prec, 71)
				job.BatchSize, job.Seed, job.Steps, job.LogEvery = batch, 3, 20, 5
				job.Optimizer.LR = 0.01
				// the normaliser's 999 additions are part of every
				// gradient component's and the loss's sums
				if d := newModel(t, c, &job).SumDepth(); d < 999 {
					t.Errorf("SumDepth %d on 1000 classes", d)
				}
				checkModelRun(t, c, &job)
			})
		}
	}
}

// TestModelTooBigNamesData: a model whose data set does not fit in the
// memory the device reports is refused before anything is allocated, with
// a *MemoryError whose breakdown names the data. The renderer's figure is
// llvmpipe's host MemAvailable, replaced here by a file reporting 1 MiB;
// the data set is 1.2 MB.
func TestModelTooBigNamesData(t *testing.T) {
	c := openTest(t, Options{})
	if !c.Info().Software {
		t.Skipf("%s reports its own memory; the test fakes a software renderer's", c.Info().Renderer)
	}
	testcases.FakeMemory(t, map[string]string{"proc/meminfo": "MemTotal: 2048 kB\nMemAvailable: 1024 kB\n"})
	job := modelCase{model: "linear", loss: "mse"}.job(t, 1000, 300, gdgpu.F32, 1)
	b, err := c.NewBackend(&job)
	if err == nil {
		b.Close()
		t.Fatal("a 1.2 MB data set was accepted with 1 MiB available")
	}
	var me *MemoryError
	if !errors.As(err, &me) || !errors.Is(err, ErrTooBig) {
		t.Fatalf("error %v (%T) is not a *MemoryError", err, err)
	}
	if me.Need.Data < 4*1000*301 || !strings.Contains(err.Error(), "data set and model scratch "+mib(me.Need.Data)) {
		t.Errorf("need %+v: %v", me.Need, err)
	}
}

// checkStepAllocs fails t when a Step of 8 steps of m (job's model
// backend, batch rows a step) allocates more than a Step of one: the
// per-step passes, chunks and the sample allocate nothing.
func checkStepAllocs(t *testing.T, m *modelBackend, job *gdgpu.Job, batch int) {
	t.Helper()
	if err := m.Load(make([]float64, job.Dim)); err != nil {
		t.Fatal(err)
	}
	b, _ := gdgpu.Batches(batch, job.Data.Rows)
	order := make([]int32, job.Data.Rows)
	gdgpu.EpochOrder(order, 0, 0, b)
	if err := m.SetOrder(0, order); err != nil {
		t.Fatal(err)
	}
	buf := make([]gdgpu.Sample, 0, 8)
	run := func(lr []float64) func() {
		return func() {
			if err := m.Step(lr, true); err != nil {
				t.Fatal(err)
			}
			var err error
			if buf, err = m.Samples(buf[:0], true); err != nil {
				t.Fatal(err)
			}
		}
	}
	// 2 + 16 steps: within the 25 steps of a 2-row epoch
	one := testing.AllocsPerRun(1, run([]float64{0.01}))
	eight := testing.AllocsPerRun(1, run([]float64{0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01}))
	if eight > one {
		t.Errorf("batch %d: a Step of 8 steps allocates %v times, of 1 step %v", batch, eight, one)
	}
}
