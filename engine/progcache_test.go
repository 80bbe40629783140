package engine

import (
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
)

// compiles is the number of programs c has compiled so far, failed ones
// included, and how many it holds.
func compiles(t testing.TB, c *Context) (n, live int) {
	t.Helper()
	if err := c.do(func() error {
		n = c.progs.compiles
		live, _ = c.progs.live()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return n, live
}

// cachePair is two jobs whose kernels have the same source but whose
// uniforms differ: the dimension, the learning rate, the clip values, the
// optimizer's hyperparameters, a model's rows and penalties.
type cachePair struct {
	name string
	jobs func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job
	lr   [2]float64
}

func cachePairs() []cachePair {
	withOpt := func(job gdgpu.Job, name string, set func(o *gdgpu.Optimizer)) gdgpu.Job {
		job.Optimizer, _ = gdgpu.DefaultOptimizer(name)
		set(&job.Optimizer)
		return job
	}
	return []cachePair{
		{"rosenbrock,adam,clip-value", func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job {
			a := withOpt(newJob("rosenbrock", "adam", 1000, prec), "adam", func(o *gdgpu.Optimizer) {
				o.WeightDecay, o.Eps = 0.01, 1e-8
			})
			a.ClipValue = 0.5
			b := withOpt(newJob("rosenbrock", "adam", 2500, prec), "adam", func(o *gdgpu.Optimizer) {
				o.WeightDecay, o.Eps, o.Beta2 = 0.1, 1e-6, 0.99
			})
			b.ClipValue = 2
			return [2]gdgpu.Job{a, b}
		}, [2]float64{1e-3, 3e-3}},
		{"quadratic,sgd,clip-norm", func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job {
			a := withOpt(newJob("quadratic", "sgd", 700, prec), "sgd", func(o *gdgpu.Optimizer) {
				o.Momentum, o.Dampening = 0.9, 0
			})
			a.ClipNorm = 1
			b := withOpt(newJob("quadratic", "sgd", 1800, prec), "sgd", func(o *gdgpu.Optimizer) {
				o.Momentum, o.Dampening = 0.5, 0.1
			})
			b.ClipNorm = 10
			return [2]gdgpu.Job{a, b}
		}, [2]float64{1e-2, 5e-3}},
		{"ackley,rmsprop,prepass", func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job {
			a := withOpt(newJob("ackley", "rmsprop", 300, prec), "rmsprop", func(o *gdgpu.Optimizer) { o.Alpha = 0.99 })
			b := withOpt(newJob("ackley", "rmsprop", 1000, prec), "rmsprop", func(o *gdgpu.Optimizer) { o.Alpha, o.Eps = 0.9, 1e-5 })
			return [2]gdgpu.Job{a, b}
		}, [2]float64{1e-2, 2e-2}},
		{"rosenbrock,lbfgs", func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job {
			return [2]gdgpu.Job{lbfgsJob(t, "rosenbrock", 400, 5, false, 2, prec), lbfgsJob(t, "rosenbrock", 900, 5, true, 3, prec)}
		}, [2]float64{0.5, 1}},
		{"logistic,adam", func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job {
			a := modelCase{model: "logistic", l2: 0.05, val: true}.job(t, 50, 4, prec, 1)
			b := modelCase{model: "logistic", l1: 0.01, l2: 0.2, val: true}.job(t, 80, 4, prec, 2)
			a = withOpt(a, "adam", func(o *gdgpu.Optimizer) {})
			b = withOpt(b, "adam", func(o *gdgpu.Optimizer) { o.Beta2 = 0.95 })
			return [2]gdgpu.Job{a, b}
		}, [2]float64{1e-2, 3e-2}},
		{"mlp,leaky-relu,sgd", func(t *testing.T, prec gdgpu.Precision) [2]gdgpu.Job {
			a := netCase{hidden: []int{5}, activation: "leaky-relu", classes: 3, l2: 0.01}.job(t, 40, 3, prec, 3)
			b := netCase{hidden: []int{5}, activation: "leaky-relu", classes: 3, l1: 0.02}.job(t, 60, 3, prec, 4)
			b.LeakySlope = 0.3
			b = withOpt(b, "sgd", func(o *gdgpu.Optimizer) { o.Momentum = 0.8 })
			return [2]gdgpu.Job{a, b}
		}, [2]float64{5e-2, 1e-1}},
	}
}

// cacheSteps is how many steps each backend of a pair takes.
const cacheSteps = 12

// cacheRun is a backend's outcome: its samples and final parameters.
type cacheRun struct {
	samples []gdgpu.Sample
	params  []float64
}

// startCacheRun loads job's start point into b.
func startCacheRun(t *testing.T, b gdgpu.Backend, job *gdgpu.Job) {
	t.Helper()
	x0 := job.StartPoint()
	if job.Precision == gdgpu.F32 {
		roundF32(x0)
	}
	if err := b.Load(x0); err != nil {
		t.Fatal(err)
	}
	if err := b.Record(); err != nil {
		t.Fatal(err)
	}
}

// stepCacheRun takes step s of a cache run on b, recording a sample every
// third step.
func stepCacheRun(t *testing.T, b gdgpu.Backend, lr float64, s int) {
	t.Helper()
	if err := b.Step([]float64{lr}, s%3 == 2); err != nil {
		t.Fatal(err)
	}
}

// finishCacheRun reads b's samples and parameters.
func finishCacheRun(t *testing.T, b gdgpu.Backend, job *gdgpu.Job) cacheRun {
	t.Helper()
	var r cacheRun
	var err error
	if r.samples, err = b.Samples(nil, true); err != nil {
		t.Fatal(err)
	}
	r.params = make([]float64, job.Dim)
	if err := b.Params(r.params); err != nil {
		t.Fatal(err)
	}
	return r
}

// sameRun fails the test unless got and want are the same bits.
func sameRun(t *testing.T, what string, got, want cacheRun) {
	t.Helper()
	if fmt.Sprint(got.samples) != fmt.Sprint(want.samples) {
		t.Errorf("%s: samples differ:\nshared %v\nalone  %v", what, got.samples, want.samples)
	}
	for i := range want.params {
		if math.Float64bits(got.params[i]) != math.Float64bits(want.params[i]) {
			t.Errorf("%s: x[%d]: shared %v, alone %v", what, i, got.params[i], want.params[i])
			return
		}
	}
}

// TestProgramCacheSharedBackends: two backends of different jobs whose
// kernels have the same source share the programs of one Context, stepping
// in turn, and each computes what it computes alone on a Context of its
// own, bit for bit: a backend's uniforms are its own although the
// programs are not (progcache.go). It fails when the cache hands out a
// program without restoring the backend's uniforms.
func TestProgramCacheSharedBackends(t *testing.T) {
	for _, pair := range cachePairs() {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(fmt.Sprintf("%s,%s", pair.name, prec), func(t *testing.T) {
				jobs := pair.jobs(t, prec)
				var alone [2]cacheRun
				aloneCompiles := 0
				for k := range jobs {
					c := openTest(t, Options{ChunkElems: 256})
					b := openBackend(t, c, &jobs[k])
					startCacheRun(t, b, &jobs[k])
					for s := 0; s < cacheSteps; s++ {
						stepCacheRun(t, b, pair.lr[k], s)
					}
					alone[k] = finishCacheRun(t, b, &jobs[k])
					n, _ := compiles(t, c)
					aloneCompiles += n
				}
				c := openTest(t, Options{ChunkElems: 256})
				var bs [2]gdgpu.Backend
				for k := range jobs {
					bs[k] = openBackend(t, c, &jobs[k])
					startCacheRun(t, bs[k], &jobs[k])
				}
				for s := 0; s < cacheSteps; s++ {
					for k := range bs {
						stepCacheRun(t, bs[k], pair.lr[k], s)
					}
				}
				for k := range bs {
					sameRun(t, fmt.Sprintf("job %d", k), finishCacheRun(t, bs[k], &jobs[k]), alone[k])
				}
				if n, _ := compiles(t, c); n >= aloneCompiles {
					t.Errorf("the two backends compiled %d programs on one Context, %d on two: nothing was shared", n, aloneCompiles)
				}
			})
		}
	}
}

// TestProgramCacheSecondBackend: a second backend of the same job, or one
// opened after the first is closed (a window's restart), compiles nothing;
// every program is released, and Context.Close deletes them all.
func TestProgramCacheSecondBackend(t *testing.T) {
	for _, tc := range []struct {
		name string
		job  func(t *testing.T) gdgpu.Job
	}{
		{"rosenbrock,adam", func(t *testing.T) gdgpu.Job { return newJob("rosenbrock", "adam", 1000, gdgpu.F32) }},
		{"ackley,lbfgs,f64", func(t *testing.T) gdgpu.Job { return lbfgsJob(t, "ackley", 100, 5, true, 2, gdgpu.F64) }},
		{"softmax", func(t *testing.T) gdgpu.Job {
			return modelCase{model: "softmax", l2: 0.01, val: true}.job(t, 50, 3, gdgpu.F32, 1)
		}},
		{"mlp", func(t *testing.T) gdgpu.Job {
			return netCase{hidden: []int{4, 3}, activation: "tanh", classes: 3}.job(t, 30, 3, gdgpu.F64, 2)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := tc.job(t)
			c := openTest(t, Options{})
			first, err := c.NewBackend(&job)
			if err != nil {
				t.Fatal(err)
			}
			n1, live := compiles(t, c)
			if n1 == 0 || live != n1 {
				t.Fatalf("the first backend compiled %d programs, the cache holds %d", n1, live)
			}
			start := time.Now()
			second, err := c.NewBackend(&job)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("second backend opened in %v", time.Since(start))
			if n2, _ := compiles(t, c); n2 != n1 {
				t.Errorf("the second backend compiled %d programs", n2-n1)
			}
			for _, b := range []gdgpu.Backend{first, second} {
				if err := b.Close(); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.do(func() error {
				if all, idle := c.progs.live(); idle != all || all != n1 {
					t.Errorf("after Close: %d programs, %d idle; want %d, all idle", all, idle, n1)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			again, err := c.NewBackend(&job) // a restart
			if err != nil {
				t.Fatal(err)
			}
			if n3, _ := compiles(t, c); n3 != n1 {
				t.Errorf("a backend opened after the others closed compiled %d programs", n3-n1)
			}
			if err := again.Close(); err != nil {
				t.Fatal(err)
			}
			c.Close()
			if all, idle := c.progs.live(); all != 0 || idle != 0 {
				t.Errorf("after Context.Close: %d programs, %d idle", all, idle)
			}
		})
	}
}

// TestProgramCacheFailureNotCached: a source that fails to compile is
// compiled again, and its ShaderError given again, each time it is asked
// for, and leaves nothing in the cache.
func TestProgramCacheFailureNotCached(t *testing.T) {
	c := openTest(t, Options{})
	src := "#version 430 core\nlayout(local_size_x = 1) in;\nvoid main() {\n\tundefined_thing = 1;\n}\n"
	for try := 1; try <= 2; try++ {
		err := c.th.callErr(func() error {
			p, err := c.program("broken", src)
			if err == nil {
				p.release()
			}
			return err
		})
		var se *ShaderError
		if !errors.As(err, &se) {
			t.Fatalf("try %d: want *ShaderError, got %v", try, err)
		}
		if n, live := compiles(t, c); n != try || live != 0 {
			t.Errorf("try %d: %d compiles, %d programs held; want %d, 0", try, n, live, try)
		}
	}
}

// TestProgramCacheIdleBound: programs no handle uses are kept up to
// maxIdlePrograms, the least recently released deleted first.
func TestProgramCacheIdleBound(t *testing.T) {
	c := openTest(t, Options{})
	src := func(i int) string {
		return fmt.Sprintf("#version 430 core\nlayout(local_size_x = 1) in;\n#define K %d\nvoid main() {}\n", i)
	}
	err := c.do(func() error {
		for i := 0; i <= maxIdlePrograms; i++ {
			p, err := c.program("idle", src(i))
			if err != nil {
				return err
			}
			p.release()
		}
		if all, idle := c.progs.live(); all != maxIdlePrograms || idle != maxIdlePrograms {
			t.Errorf("%d programs, %d idle; want %d", all, idle, maxIdlePrograms)
		}
		before := c.progs.compiles
		for _, i := range []int{maxIdlePrograms, 0} { // the newest is kept, the oldest was deleted
			p, err := c.program("idle", src(i))
			if err != nil {
				return err
			}
			p.release()
		}
		if got := c.progs.compiles - before; got != 1 {
			t.Errorf("asking again for the newest and the oldest compiled %d programs, want 1", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
