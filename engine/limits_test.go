package engine

import (
	"errors"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// A job far bigger than the device is refused by NewBackend before any
// buffer is made (quickly: nothing is allocated or compiled), naming what
// it needs and what is available.
func TestTooBigRefusedBeforeAllocating(t *testing.T) {
	c := openTest(t, Options{})
	var source string
	c.do(func() error { _, _, source = c.availableMemory(); return nil })
	if source == "" {
		t.Skipf("%s reports no available memory (no NVX/ATI extension, not a software renderer)", c.Info().Renderer)
	}
	job := newJob("quadratic", "adam", gdgpu.MaxDim, gdgpu.F64)
	start := time.Now()
	b, err := c.NewBackend(&job)
	took := time.Since(start)
	if err == nil {
		b.Close()
		t.Fatalf("a %d-parameter f64 adam job was accepted on %s", job.Dim, c.Info().Renderer)
	}
	// No timed assertion (timings belong in benchmarks): a *MemoryError comes
	// only from the check that runs before any compile or allocation.
	var me *MemoryError
	if !errors.Is(err, ErrTooBig) || !errors.As(err, &me) {
		t.Fatalf("error %v (%T) is not a *MemoryError matching ErrTooBig", err, err)
	}
	n := int64(job.Dim) * 8
	if me.Need.Params != 2*n || me.Need.State != 2*n || me.Need.Kept != 6*n || me.Need.Gradient != n || me.Need.Total() <= me.Available {
		t.Errorf("need %+v, available %d: wrong breakdown", me.Need, me.Available)
	}
	msg := err.Error()
	for _, want := range []string{
		mib(me.Need.Total()), "parameters x2 " + mib(2*n), "exp_avg, exp_avg_sq", "gradient " + mib(n), "partials",
		strconv.FormatInt(me.Available>>20, 10) + " MiB", source,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %q", msg, want)
		}
	}
	t.Logf("refused in %v: %v", took, err)
}

// A vector longer than MaxElemsPerDispatch is split into several
// dispatches, and the split changes no parameter bit (each element's update
// reads only its own and its neighbours' values, which the halo covers).
func TestMaxElemsPerDispatchSplits(t *testing.T) {
	const n = 10_000
	run := func(opts Options) ([]float64, int) {
		c := openTest(t, opts)
		job := newJob("rosenbrock", "adam", n, gdgpu.F32)
		b := newBackend(t, c, &job)
		dispatches := 0
		b.probe = func(before bool) {
			if before {
				dispatches++
			}
		}
		if err := b.Load(job.StartPoint()); err != nil {
			t.Fatal(err)
		}
		if err := b.Step([]float64{1e-3, 1e-3, 1e-3}, true); err != nil {
			t.Fatal(err)
		}
		x := make([]float64, n)
		if err := b.Params(x); err != nil {
			t.Fatal(err)
		}
		return x, dispatches
	}
	whole, one := run(Options{})
	split, many := run(Options{MaxElemsPerDispatch: 1000})
	if one != 3 || many < 3*10 {
		t.Errorf("3 steps took %d dispatches whole and %d split at 1000 elements; want 3 and >= 30", one, many)
	}
	for i := range whole {
		if math.Float64bits(whole[i]) != math.Float64bits(split[i]) {
			t.Fatalf("x[%d]: %v in one dispatch, %v split", i, whole[i], split[i])
		}
	}
}

// The default cap holds for the largest job, and a negative one lifts it.
func TestMaxElemsPerDispatchDefault(t *testing.T) {
	c := openTest(t, Options{})
	job := newJob("quadratic", "sgd", gdgpu.MaxDim, gdgpu.F32)
	b := &Backend{c: c, job: job, elem: 4}
	b.plan()
	if b.chunk > defaultMaxElemsPerDispatch || b.chunks() < gdgpu.MaxDim/defaultMaxElemsPerDispatch {
		t.Errorf("default: chunk %d elements, %d chunks", b.chunk, b.chunks())
	}
	c.opts.MaxElemsPerDispatch = -1
	b.plan()
	if limit := int(c.Info().MaxSSBOBlockSize / 4); b.chunk <= defaultMaxElemsPerDispatch && limit > 2*defaultMaxElemsPerDispatch {
		t.Errorf("no cap: chunk %d elements, block limit %d", b.chunk, limit)
	}
}

// TestLongestSubmission measures the longest single dispatch of a step at
// a large N with GL_TIMESTAMP query pairs around each glDispatchCompute
// (GL_TIME_ELAPSED reads about 1 ns on llvmpipe). Not run by CI: set
// GDGPU_LONGEST=N (e.g. 1e8), optionally GDGPU_LONGEST_OPT (default sgd),
// and run without -short. BENCHMARKS.md ("Longest submission") has the
// figures.
func TestLongestSubmission(t *testing.T) {
	spec := os.Getenv("GDGPU_LONGEST")
	if testing.Short() || spec == "" {
		t.Skip("set GDGPU_LONGEST=N (e.g. 1e8) and run without -short")
	}
	f, err := strconv.ParseFloat(spec, 64)
	if err != nil || f < 1 || f > gdgpu.MaxDim {
		t.Fatalf("GDGPU_LONGEST=%q is not a dimension", spec)
	}
	opt := os.Getenv("GDGPU_LONGEST_OPT")
	if opt == "" {
		opt = "sgd"
	}
	for _, tc := range []struct {
		name string
		per  int
	}{{"default cap", 0}, {"no cap", -1}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{MaxElemsPerDispatch: tc.per} // no debug context: it serialises the driver
			applyTestDevice(&opts)
			c, err := Open(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			job := newJob("quadratic", opt, int(f), gdgpu.F32)
			job.Cond = 100 // coefficients read from memory, as in BenchmarkStep
			bi, err := c.NewBackend(&job)
			if err != nil {
				t.Fatal(err)
			}
			b := bi.(*Backend)
			defer b.Close()
			if err := b.Load(job.StartPoint()); err != nil {
				t.Fatal(err)
			}
			lr := []float64{job.Optimizer.LR}
			if err := b.Step(lr, false); err != nil { // warm-up
				t.Fatal(err)
			}
			waitDevice(t, b)
			var queries []uint32
			b.probe = func(bool) {
				var q uint32
				gl.GenQueries(1, &q)
				gl.QueryCounter(q, gl.TIMESTAMP)
				queries = append(queries, q)
			}
			start := time.Now()
			err = b.Step(lr, false)
			b.probe = nil
			if err != nil {
				t.Fatal(err)
			}
			waitDevice(t, b)
			wall := time.Since(start)
			var longest, sum time.Duration
			c.do(func() error {
				for i := 0; i+1 < len(queries); i += 2 {
					var t0, t1 uint64
					gl.GetQueryObjectui64v(queries[i], gl.QUERY_RESULT, &t0)
					gl.GetQueryObjectui64v(queries[i+1], gl.QUERY_RESULT, &t1)
					d := time.Duration(t1 - t0)
					longest, sum = max(longest, d), sum+d
				}
				gl.DeleteQueries(int32(len(queries)), &queries[0])
				return c.glError()
			})
			t.Logf("%s: N=%d %s f32 on %s: %d dispatches of up to %d elements; longest %v, all %v, step with read-back %v",
				tc.name, job.Dim, opt, c.Info().Renderer, len(queries)/2, b.chunk, longest, sum, wall)
		})
	}
}

// waitDevice waits until the device has finished all issued work.
func waitDevice(t testing.TB, b *Backend) {
	t.Helper()
	if err := b.Record(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Samples(nil, true); err != nil {
		t.Fatal(err)
	}
}

// memoryNeed counts every buffer a backend ever makes: after Keep (both
// slots), Gradient and ApplyGradient (the stored gradient, made on first
// use unless clipping by norm made it) the bytes allocated are exactly the
// need, for jobs with and without coefficients, the pre-pass globals and
// the clip factor.
func TestMemoryNeedCountsEveryBuffer(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 256})
	for _, tc := range []struct {
		problem, opt string
		prec         gdgpu.Precision
		cond, clip   float64
	}{
		{"quadratic", "sgd", gdgpu.F32, 100, 0},
		{"quadratic", "adam", gdgpu.F64, 1, 1},
		{"ackley", "adam", gdgpu.F32, 1, 0},
		{"griewank", "sgd", gdgpu.F64, 1, 1},
		{"rosenbrock", "rmsprop", gdgpu.F32, 1, 0},
	} {
		name := tc.problem + "/" + tc.opt + "/" + tc.prec.String()
		if tc.clip > 0 {
			name += "/clipnorm"
		}
		t.Run(name, func(t *testing.T) {
			const n = 1000
			job := newJob(tc.problem, tc.opt, n, tc.prec)
			job.Cond, job.ClipNorm = tc.cond, tc.clip
			b := newBackend(t, c, &job)
			need := b.memoryNeed()
			x := job.StartPoint()
			if err := b.Load(x); err != nil {
				t.Fatal(err)
			}
			for k := 0; k < 2; k++ {
				if err := b.Keep(k); err != nil {
					t.Fatal(err)
				}
			}
			g := make([]float64, n)
			if err := b.Gradient(x, g); err != nil {
				t.Fatal(err)
			}
			if err := b.ApplyGradient(g, 1e-3); err != nil {
				t.Fatal(err)
			}
			var got int64
			bufs := backendBuffers(b)
			for _, buf := range bufs {
				got += int64(buf.bytes())
			}
			if got != need.Total() {
				t.Errorf("allocated %d bytes, memoryNeed counts %d (%+v)", got, need.Total(), need)
			}
			elem := int64(b.elem)
			if wantG := n*elem + map[bool]int64{true: elem}[tc.clip > 0]; need.Gradient != wantG {
				t.Errorf("Gradient %d bytes, want %d", need.Gradient, wantG)
			}
			if wantGlob := map[bool]int64{true: 4 * elem}[problemPrepass(tc.problem)]; need.Globals != wantGlob {
				t.Errorf("Globals %d bytes, want %d", need.Globals, wantGlob)
			}
			msg := need.String()
			if !strings.Contains(msg, "gradient "+mib(need.Gradient)) || strings.Contains(msg, "objective globals") != (need.Globals > 0) {
				t.Errorf("String %q: gradient or globals misreported", msg)
			}
		})
	}
}

// backendBuffers lists every buffer a Backend may allocate, for the tests
// that hold the memory check to what is allocated.
func backendBuffers(b *Backend) []*buffer {
	bufs := []*buffer{&b.x[0], &b.x[1], &b.coefBuf, &b.partials, &b.ring, &b.grad, &b.scale, &b.flags, &b.flagRing, &b.stepBuf, &b.glob}
	for k := range b.state {
		bufs = append(bufs, &b.state[k])
	}
	for k := range b.kept {
		for v := range b.kept[k].bufs {
			bufs = append(bufs, &b.kept[k].bufs[v])
		}
	}
	return bufs
}

// problemPrepass reports whether a problem's GLSL runs a pre-pass.
func problemPrepass(name string) bool {
	p, _ := gdgpu.LookupProblem(name)
	return p.GPU.Prepass
}

// TestGridGroups: the dispatch grid fills every multiprocessor the driver
// reports (twice its resident warps in groups of localSize), within
// bounds, and is maxGroups where the driver says nothing.
func TestGridGroups(t *testing.T) {
	for _, tc := range []struct {
		in   Info
		want int
	}{
		{Info{}, maxGroups},
		{Info{SMCount: 132, WarpSize: 32, WarpsPerSM: 64}, 2 * 132 * 8}, // H100/H200: 2048 threads per SM
		{Info{SMCount: 2, WarpSize: 32, WarpsPerSM: 8}, 64},             // a small GPU: the floor
		{Info{SMCount: 10000, WarpSize: 32, WarpsPerSM: 64}, 8 * maxGroups},
		{Info{SMCount: 40, WarpSize: 32, WarpsPerSM: 4}, 80}, // fewer threads per SM than a group: one group each, twice
	} {
		if got := gridGroups(tc.in, localSize); got != tc.want {
			t.Errorf("%+v: %d groups, want %d", tc.in, got, tc.want)
		}
	}
}
