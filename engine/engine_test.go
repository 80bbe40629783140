package engine

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// openTest opens a debug context: any GL error or error-severity debug
// message fails the call that raised it. Without a context the test fails:
// CI has Mesa's llvmpipe, so a missing context is a broken machine, not a
// reason to skip.
//
// -gdgpu.gpu N runs the tests on EGL device N, and -gdgpu.hardware refuses
// a software renderer (scripts/gpu-check.sh passes both on a GPU machine).
func openTest(t testing.TB, opts Options) *Context {
	t.Helper()
	opts.Debug = true
	applyTestDevice(&opts)
	c, err := Open(opts)
	if err != nil {
		t.Fatalf("no GL context (GL tests are required, they do not skip): %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

var (
	testGPU      = flag.Int("gdgpu.gpu", 0, "EGL device index for the GL tests")
	testHardware = flag.Bool("gdgpu.hardware", false, "fail the GL tests on a software renderer")
)

// applyTestDevice points opts at the device the test flags name.
func applyTestDevice(opts *Options) {
	opts.GPU = *testGPU
	if *testHardware {
		opts.Software = SoftwareRefuse
	}
}

func newJob(problem, optimizer string, dim int, prec gdgpu.Precision) gdgpu.Job {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Precision = problem, dim, prec
	job.Optimizer, _ = gdgpu.DefaultOptimizer(optimizer)
	return job
}

func newBackend(t testing.TB, c *Context, job *gdgpu.Job) *Backend {
	t.Helper()
	return openBackend(t, c, job).(*Backend)
}

// openBackend builds job's backend on c, closed (and checked) when the
// test ends.
func openBackend(t testing.TB, c *Context, job *gdgpu.Job) gdgpu.Backend {
	t.Helper()
	b, err := c.NewBackend(job)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	return b
}

func TestOpenMissingGPUListsAttempts(t *testing.T) {
	_, err := Open(Options{GPU: 99})
	if err == nil {
		t.Fatal("Open with --gpu 99 succeeded on a machine with fewer devices")
	}
	msg := err.Error()
	for _, want := range []string{"engine:", "Options.GPU 99", "EGL device 99"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not mention %q", msg, want)
		}
	}
}

func TestInfo(t *testing.T) {
	c := openTest(t, Options{})
	in := c.Info()
	if in.Renderer == "" || in.Version == "" || in.Platform == "" {
		t.Errorf("empty identification: %+v", in)
	}
	if in.MaxWorkGroupCount[0] < 65535 || in.MaxInvocations < localSize || in.MaxSSBOBlockSize < 1<<24 || in.SSBOAlignment < 1 {
		t.Errorf("limits below the GL 4.3 minimums: %+v", in)
	}
}

// TestShaderErrorCarriesLogAndSource: a kernel that does not compile gives
// a ShaderError with the log and the numbered source, and the log's line
// numbers are the source's, despite the binding defines compileProgram
// adds after #version, wherever that line is.
func TestShaderErrorCarriesLogAndSource(t *testing.T) {
	c := openTest(t, Options{})
	for _, tc := range []struct {
		name, src string
		line      int // the line of the error
	}{
		{"version first", "#version 430 core\nlayout(local_size_x = 1) in;\nvoid main() {\n\tundefined_thing = 1;\n}\n", 4},
		{"comments first", "// a kernel\n\n/* of\n   mine */\n#version 430 core\nlayout(local_size_x = 1) in;\nvoid main() {\n\tundefined_thing = 1;\n}\n", 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := c.th.callErr(func() error {
				p, err := c.program("broken", tc.src)
				if err == nil {
					p.release()
				}
				return err
			})
			var se *ShaderError
			if !errors.As(err, &se) {
				t.Fatalf("want *ShaderError, got %v", err)
			}
			msg := se.Error()
			for _, want := range []string{"shader broken failed to compile", "undefined_thing", fmt.Sprintf("%4d  \tundefined_thing = 1;", tc.line)} {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not contain %q:\n%s", want, msg)
				}
			}
			if se.Log == "" || se.Log == "(empty info log)" {
				t.Errorf("no info log: %q", se.Log)
			}
			// Mesa writes "0:4(2)", NVIDIA "0(4)".
			if !strings.Contains(se.Log, fmt.Sprintf("0:%d(", tc.line)) && !strings.Contains(se.Log, fmt.Sprintf("0(%d)", tc.line)) {
				t.Errorf("the log does not put the error on line %d: %q", tc.line, se.Log)
			}
			// A failed compile leaves no GL error behind for the next call.
			if err := c.do(func() error { return nil }); err != nil {
				t.Errorf("GL error after a failed compile: %v", err)
			}
		})
	}
}

// TestDispatchCoversEveryElement runs SGD on the unit quadratic with lr 1/2,
// where each step halves every x_i exactly (x - x/2 is exact in binary
// floating point), so every element must come back as x0_i/4 bit for bit.
// The sizes straddle a workgroup (255, 257), one element past the largest
// 1-D dispatch of 65535 groups of 256, and the forced small-chunk path.
func TestDispatchCoversEveryElement(t *testing.T) {
	cases := []struct {
		name  string
		dim   int
		chunk int
		prec  gdgpu.Precision
	}{
		{"N=1", 1, 0, gdgpu.F32},
		{"N=255", 255, 0, gdgpu.F32},
		{"N=257", 257, 0, gdgpu.F64},
		{"N=257/chunk=64", 257, 64, gdgpu.F32},
		{"N=100003/chunk=1000", 100003, 1000, gdgpu.F64},
		{"N=65535*256+1", 65535*256 + 1, 0, gdgpu.F32},
		{"N=65535*256+1/chunk=4M", 65535*256 + 1, 4 << 20, gdgpu.F32},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.dim > 1<<20 {
				t.Skip("large N skipped in -short")
			}
			c := openTest(t, Options{ChunkElems: tc.chunk})
			job := newJob("quadratic", "sgd", tc.dim, tc.prec)
			job.Optimizer.LR = 0.5
			job.RandomStart, job.Seed = true, 7
			b := newBackend(t, c, &job)
			if tc.chunk > 0 && b.chunks() < 2 {
				t.Fatalf("forced chunk %d gave %d chunk(s)", tc.chunk, b.chunks())
			}
			x0 := job.StartPoint()
			if err := b.Load(x0); err != nil {
				t.Fatal(err)
			}
			if err := b.Step([]float64{0.5, 0.5}, false); err != nil {
				t.Fatal(err)
			}
			x := make([]float64, tc.dim)
			if err := b.Params(x); err != nil {
				t.Fatal(err)
			}
			bad := 0
			for i := range x {
				want := x0[i]
				if tc.prec == gdgpu.F32 {
					want = float64(float32(want))
				}
				if want /= 4; x[i] != want {
					if bad < 5 {
						t.Errorf("x[%d] = %v, want %v", i, x[i], want)
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d elements wrong", bad, tc.dim)
			}
		})
	}
}

// TestKnownValues checks objective values the definitions fix exactly.
func TestKnownValues(t *testing.T) {
	c := openTest(t, Options{})
	cases := []struct {
		name    string
		problem string
		x       []float64
		loss    float64
		grad    float64
	}{
		{"rosenbrock at ones", "rosenbrock", []float64{1, 1, 1, 1, 1}, 0, 0},
		{"rosenbrock at (-1.2,1)", "rosenbrock", []float64{-1.2, 1}, 24.2, math.Hypot(-215.6, -88)},
		{"quadratic", "quadratic", []float64{1, -2, 3}, 7, math.Sqrt(14)},
	}
	for _, tc := range cases {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(tc.name+"/"+prec.String(), func(t *testing.T) {
				job := newJob(tc.problem, "sgd", len(tc.x), prec)
				s := sampleAt(t, newBackend(t, c, &job), tc.x)
				tol := 1e-14
				if prec == gdgpu.F32 {
					tol = 1e-6
				}
				if math.Abs(s.Loss-tc.loss) > tol*math.Max(1, tc.loss) || math.Abs(s.GradNorm-tc.grad) > tol*math.Max(1, tc.grad) {
					t.Errorf("loss %v grad norm %v, want %v %v", s.Loss, s.GradNorm, tc.loss, tc.grad)
				}
			})
		}
	}
}

// sampleAt loads x into b and returns the sample recorded there.
func sampleAt(t *testing.T, b *Backend, x []float64) gdgpu.Sample {
	t.Helper()
	if err := b.Load(x); err != nil {
		t.Fatal(err)
	}
	if err := b.Record(); err != nil {
		t.Fatal(err)
	}
	s, err := b.Samples(nil, true)
	if err != nil || len(s) != 1 {
		t.Fatalf("samples %v, %v", s, err)
	}
	return s[0]
}

// TestDeterministic: the same job twice gives the same bits, since every
// reduction runs in a fixed order.
func TestDeterministic(t *testing.T) {
	c := openTest(t, Options{})
	job := newJob("rosenbrock", "adam", 100000, gdgpu.F32)
	job.Steps, job.LogEvery = 20, 5
	var first []gdgpu.Sample
	var firstX []float64
	for run := 0; run < 2; run++ {
		b := newBackend(t, c, &job)
		res, err := gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float64, job.Dim)
		if err := b.Params(x); err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first, firstX = res.Samples, x
			continue
		}
		for i := range res.Samples {
			if res.Samples[i] != first[i] {
				t.Errorf("sample %d: %+v then %+v", i, first[i], res.Samples[i])
			}
		}
		for i := range x {
			if x[i] != firstX[i] {
				t.Fatalf("x[%d]: %v then %v", i, firstX[i], x[i])
			}
		}
	}
}

func TestClosedBackendRefusesWork(t *testing.T) {
	c := openTest(t, Options{})
	job := newJob("quadratic", "adam", 10, gdgpu.F32)
	b, err := c.NewBackend(&job)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := b.Step([]float64{1e-3}, false); err == nil {
		t.Error("Step on a closed backend succeeded")
	}
}

// TestDebugContextReportsErrors proves the harness can fail: a GL call with
// a misaligned range raises GL_INVALID_VALUE, which do must return.
func TestDebugContextReportsErrors(t *testing.T) {
	c := openTest(t, Options{})
	job := newJob("quadratic", "sgd", 64, gdgpu.F32)
	b := newBackend(t, c, &job)
	err := c.do(func() error {
		b.x[0].bindRange(bindXIn, 1, 8) // offset 4 bytes: below the SSBO alignment
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "GL_INVALID_VALUE") {
		t.Fatalf("misaligned glBindBufferRange gave %v, want GL_INVALID_VALUE", err)
	}
}

// TestClipping checks both clipping modes against torch's formulas on the
// unit quadratic, where g = x: clip_grad_value_ clamps each component,
// clip_grad_norm_ scales g by min(max_norm/(||g||+1e-6), 1). The sample's
// gradient norm is the raw one, as clip_grad_norm_ returns it.
func TestClipping(t *testing.T) {
	const dim, lr = 1000, 0.1
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, chunk := range []int{0, 96} {
			c := openTest(t, Options{ChunkElems: chunk})
			for _, mode := range []string{"value", "norm"} {
				t.Run(fmt.Sprintf("%s/%s/chunk=%d", mode, prec, chunk), func(t *testing.T) {
					job := newJob("quadratic", "sgd", dim, prec)
					job.Optimizer.LR = lr
					job.RandomStart, job.Seed = true, 11
					if mode == "value" {
						job.ClipValue = 0.5
					} else {
						job.ClipNorm = 3
					}
					b := newBackend(t, c, &job)
					x0 := job.StartPoint()
					roundF32(x0) // exact on both precisions
					if err := b.Load(x0); err != nil {
						t.Fatal(err)
					}
					if err := b.Step([]float64{lr}, true); err != nil {
						t.Fatal(err)
					}
					norm := 0.0
					for _, v := range x0 {
						norm += v * v
					}
					norm = math.Sqrt(norm)
					want := make([]float64, dim)
					for i, v := range x0 {
						g := v
						if mode == "value" {
							g = math.Max(-0.5, math.Min(0.5, g))
						} else {
							g *= math.Min(3/(norm+1e-6), 1)
						}
						want[i] = v - lr*g
					}
					got := make([]float64, dim)
					if err := b.Params(got); err != nil {
						t.Fatal(err)
					}
					compareVec(t, "params after one clipped step", prec, got, want)
					s, err := b.Samples(nil, true)
					if err != nil || len(s) != 1 {
						t.Fatalf("samples %v %v", s, err)
					}
					compareScalars(t, "raw gradient norm", prec, dim, []float64{s[0].GradNorm}, []float64{norm})
				})
			}
		}
	}
}

func TestCPUOnlyMethodsRefused(t *testing.T) {
	c := openTest(t, Options{})
	for _, o := range gdgpu.Optimizers() {
		if !o.CPUOnly {
			continue
		}
		job := newJob("quadratic", o.Name, 10, gdgpu.F32)
		_, err := c.NewBackend(&job)
		if err == nil || !strings.Contains(err.Error(), "use cpu.Open") {
			t.Errorf("%s on the GPU: %v", o.Name, err)
		}
	}
}

// TestMLPOnGPU: NewBackend builds the mlp (a network, mlp.go) on the GPU;
// it was refused until its kernels held parity (mlp_test.go).
func TestMLPOnGPU(t *testing.T) {
	c := openTest(t, Options{})
	d, err := gdgpu.NewData("mlp", []float32{1, 2, 3, 4}, []float32{0, 1}, 2, 2, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	job := newJob("quadratic", "sgd", 10, gdgpu.F32)
	job.Problem, job.Data, job.Hidden = "mlp", d, []int{3}
	if job.Dim, err = gdgpu.ModelParams(&job); err != nil {
		t.Fatal(err)
	}
	b := openBackend(t, c, &job)
	if m, ok := b.(*modelBackend); !ok || m.net == nil {
		t.Errorf("NewBackend gave a %T for the mlp, not a network's model backend", b)
	}
}

// TestTwoContexts: each debug context gets its own debug messages, and
// closing one leaves the other working (its display stays initialized).
func TestTwoContexts(t *testing.T) {
	a := openTest(t, Options{})
	b := openTest(t, Options{})
	err := a.do(func() error {
		gl.BindBuffer(0xdead, 0) // GL_INVALID_ENUM, raised on a's thread
		return nil
	})
	if err == nil {
		t.Fatal("an invalid call on context a was not reported")
	}
	if err := b.do(func() error { return nil }); err != nil {
		t.Fatalf("a clean call on context b reported a's error: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	job := newJob("quadratic", "sgd", 1000, gdgpu.F32)
	be := newBackend(t, a, &job)
	if err := be.Load(job.StartPoint()); err != nil {
		t.Fatalf("context a after b closed: %v", err)
	}
	if err := be.Step([]float64{0.1}, true); err != nil {
		t.Fatal(err)
	}
	if s, err := be.Samples(nil, true); err != nil || len(s) != 1 || s[0].Loss != 500 {
		t.Fatalf("context a after b closed: samples %v, %v", s, err)
	}
	if err := a.do(func() error {
		gl.BindBuffer(0xdead, 0)
		return nil
	}); err == nil {
		t.Error("context a's debug output was lost when b closed")
	}
}

// TestSoftwarePolicy: a software renderer is accepted by default on a
// machine without an NVIDIA GPU, refused with SoftwareRefuse and, by
// default, where /dev/nvidia0 exists (faked here), naming the renderer
// and the reason; SoftwareAllow accepts it there. On a GPU the refusing
// policy must accept the context instead.
func TestSoftwarePolicy(t *testing.T) {
	base := Options{}
	applyTestDevice(&base)
	base.Software = SoftwareAllow
	c := openTest(t, base)
	soft := c.Info().Software
	if !soft {
		opts := base
		opts.Software = SoftwareRefuse
		h, err := Open(opts)
		if err != nil {
			t.Fatalf("SoftwareRefuse refused the hardware renderer %q: %v", c.Info().Renderer, err)
		}
		h.Close()
		return
	}
	if isSoftwareRenderer("NVIDIA H100 80GB HBM3/PCIe/SSE2") || !isSoftwareRenderer(c.Info().Renderer) {
		t.Errorf("isSoftwareRenderer misjudges NVIDIA's renderer string or %q", c.Info().Renderer)
	}
	open := func(p SoftwarePolicy) error {
		opts := base
		opts.Software = p
		c, err := Open(opts)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := open(SoftwareAuto); err != nil {
		t.Errorf("the default policy refused the software renderer on a machine without an NVIDIA GPU: %v", err)
	}
	err := open(SoftwareRefuse)
	if err == nil || !strings.Contains(err.Error(), c.Info().Renderer) || !strings.Contains(err.Error(), "hardware GPU is required") {
		t.Errorf("SoftwareRefuse: err = %v, want a refusal naming %q", err, c.Info().Renderer)
	}

	old := nvidiaDevice
	nvidiaDevice = t.TempDir() // exists, as /dev/nvidia0 would
	defer func() { nvidiaDevice = old }()
	err = open(SoftwareAuto)
	if err == nil || !strings.Contains(err.Error(), "NVIDIA GPU") || !strings.Contains(err.Error(), "MIG") {
		t.Errorf("default policy beside an NVIDIA device file: err = %v, want a refusal explaining the missing vendor library or MIG", err)
	}
	if err := open(SoftwareAllow); err != nil {
		t.Errorf("SoftwareAllow refused the software renderer: %v", err)
	}
}

// TestDevices: the device list holds the device the tests run on, with
// the description Open gives it, and every entry either has a context's
// description or says why it has none.
func TestDevices(t *testing.T) {
	devs, err := Devices()
	if err != nil {
		t.Fatal(err)
	}
	c := openTest(t, Options{})
	if *testGPU >= len(devs) {
		t.Fatalf("Devices lists %d devices; the tests run on device %d", len(devs), *testGPU)
	}
	d := devs[*testGPU]
	if d.Index != *testGPU || d.Info == nil || d.Info.Renderer != c.Info().Renderer || d.Software != c.Info().Software {
		t.Errorf("device %d = %+v, want index %d, renderer %q, software %v", *testGPU, d, *testGPU, c.Info().Renderer, c.Info().Software)
	}
	for i, d := range devs {
		if d.Index != i || (d.Info == nil) == (d.Err == "") {
			t.Errorf("device %d: index %d, info %v, error %q: want its index and exactly one of a description or an error", i, d.Index, d.Info != nil, d.Err)
		}
	}
}

// TestRobustResetQuery: the context says whether it is robust, and the
// reset query that bounded waits use is found and reports no reset on a
// healthy context (a real reset cannot be caused from a test).
func TestRobustResetQuery(t *testing.T) {
	c := openTest(t, Options{})
	in := c.Info()
	var q string
	err := c.do(func() error {
		q = c.resetQuery()
		return c.resetStatus()
	})
	if err != nil {
		t.Fatalf("healthy context reports %v", err)
	}
	if q == "" && in.Robust {
		t.Errorf("robust context on %q has no glGetGraphicsResetStatus (version %q)", in.Renderer, in.Version)
	}
	t.Logf("%s: robust %v, reset query %q", in.Renderer, in.Robust, q)
}

// TestReadBackPaths: the samples read through the persistently mapped
// rings and through glGetBufferSubData are the same, for a problem and a
// model, non-finite flags included (a run that diverges); llvmpipe (GL
// 4.5) has persistent mapping, so both paths run here.
func TestReadBackPaths(t *testing.T) {
	mapped := openTest(t, Options{})
	copied := openTest(t, Options{CopyReadBack: true})
	if !mapped.persistentReadBack() || copied.persistentReadBack() {
		t.Fatalf("persistent read-back: %v by default (GL %q), %v with CopyReadBack", mapped.persistentReadBack(), mapped.Info().Version, copied.persistentReadBack())
	}
	saddle := newJob("saddle", "sgd", 2, gdgpu.F32)
	saddle.Optimizer.LR, saddle.Steps, saddle.LogEvery = 0.5, 3000, 50
	rosen := newJob("rosenbrock", "adam", 3000, gdgpu.F64)
	rosen.Steps, rosen.LogEvery = 40, 5
	model := modelJob("softmax", "", modelData(t, "softmax", 200, 5, 40, 3), gdgpu.F32)
	model.Steps, model.LogEvery = 30, 5
	for name, job := range map[string]gdgpu.Job{"saddle (diverges)": saddle, "rosenbrock": rosen, "softmax model": model} {
		var res [2]gdgpu.Result
		for k, c := range []*Context{mapped, copied} {
			j := job
			b := openBackend(t, c, &j)
			r, err := gdgpu.Run(context.Background(), &j, b, j.StartPoint(), gdgpu.Hooks{})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			res[k] = r
		}
		if job.Problem == "saddle" && res[0].Status != gdgpu.Diverged {
			t.Errorf("%s: %v, want Diverged (the flags ring is read then)", name, res[0].Status)
		}
		if len(res[0].Samples) < 3 || !slices.EqualFunc(res[0].Samples, res[1].Samples, sameSample) || res[0].Status != res[1].Status {
			t.Errorf("%s: mapped %v %v\ncopied %v %v", name, res[0].Status, res[0].Samples, res[1].Status, res[1].Samples)
		}
	}
}

// sameSample compares samples bit for bit (NaN equal to NaN).
func sameSample(a, b gdgpu.Sample) bool {
	eq := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }
	return a.Step == b.Step && eq(a.Loss, b.Loss) && eq(a.GradNorm, b.GradNorm) && a.NonFinite == b.NonFinite &&
		a.BadStep == b.BadStep && a.BadIndex == b.BadIndex && eq(a.Accuracy, b.Accuracy) && eq(a.ValLoss, b.ValLoss) && eq(a.ValAccuracy, b.ValAccuracy)
}

// TestDebugLog: with a debug context, a performance message goes to
// DebugLog and fails nothing; an error still fails the call.
func TestDebugLog(t *testing.T) {
	var got []string
	c := openTest(t, Options{DebugLog: func(m string) { got = append(got, m) }})
	err := c.do(func() error {
		gl.DebugMessageInsert(gl.DEBUG_SOURCE_APPLICATION, gl.DEBUG_TYPE_PERFORMANCE, 7, gl.DEBUG_SEVERITY_MEDIUM, -1, gl.Str("gdgpu test: a slow path\x00"))
		return nil
	})
	if err != nil {
		t.Fatalf("a performance message failed the call: %v", err)
	}
	if len(got) != 1 || !strings.Contains(got[0], "performance") || !strings.Contains(got[0], "a slow path") {
		t.Errorf("DebugLog got %q", got)
	}
	err = c.do(func() error {
		gl.DebugMessageInsert(gl.DEBUG_SOURCE_APPLICATION, gl.DEBUG_TYPE_ERROR, 8, gl.DEBUG_SEVERITY_HIGH, -1, gl.Str("gdgpu test: an error\x00"))
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "an error") {
		t.Errorf("an error message: %v, want it to fail the call", err)
	}
}
