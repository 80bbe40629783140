package bench

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
)

// benchCase is a row's configuration.
type benchCase struct {
	op      string
	desc    string
	problem string
	// objective, when set, is a typed objective the row runs instead of
	// problem (Config.Objective).
	objective string
	opt       string
	set       map[string]float64
	cond      float64
	kind      engine.BenchOp // on the GPU; "loop" rows use gdgpu.Run
	words     int            // elements moved per parameter (the byte model)
	warm      int            // steps before the timed ones (lbfgs: to fill its history)
}

// benchCases are the rows, in order. The optimizer rows are fused with
// the quadratic at cond 1, whose coefficients are all 1 and never read.
var benchCases = []benchCase{
	{op: "copy", desc: "device copy x -> y (read + write)", problem: "quadratic", opt: "sgd", kind: engine.BenchCopy, words: 2},
	{op: "sgd", desc: "sgd step fused with quadratic cond 1", problem: "quadratic", opt: "sgd", kind: engine.BenchStep, words: 2},
	{op: "momentum", desc: "sgd momentum 0.9 step fused with quadratic cond 1", problem: "quadratic", opt: "sgd", set: map[string]float64{"momentum": 0.9}, kind: engine.BenchStep, words: 4},
	{op: "adam", desc: "adam step fused with quadratic cond 1", problem: "quadratic", opt: "adam", kind: engine.BenchStep, words: 6},
	{op: "adam-given", desc: "adam step on a stored gradient", problem: "quadratic", opt: "adam", kind: engine.BenchGiven, words: 7},
	{op: "loss", desc: "loss alone: eval pass + reduction (quadratic)", problem: "quadratic", opt: "sgd", kind: engine.BenchLoss, words: 1},
	{op: "rosenbrock+adam", desc: "fused rosenbrock objective+gradient+adam", problem: "rosenbrock", opt: "adam", kind: engine.BenchStep, words: 6},
	{op: "quadratic+adam", desc: "fused quadratic cond 100 (coefficients read) + adam", problem: "quadratic", opt: "adam", cond: 100, kind: engine.BenchStep, words: 7},
	{op: "loop", desc: "gdgpu.Run, adam on quadratic cond 1, --log-every 100", problem: "quadratic", opt: "adam", words: 6},
}

// lbfgsCases are the Config.LBFGS rows: one torch L-BFGS iteration
// (max-iter 1, fixed step) on rosenbrock with m pairs held, after m+2
// steps that fill the ring. Byte model, in vectors of N read or written:
// the evaluation and max|g| (3), y and s (5), y.s and y.y (4), d = -g (2),
// the two loops (10 per pair: a dot and an axpy each way), d*H_diag (2),
// g.d (2), prev_flat_grad = g (2), x + t d (3): 23 + 10m.
func lbfgsCases() []benchCase {
	var cs []benchCase
	for _, m := range []int{10, 100} {
		cs = append(cs, benchCase{op: fmt.Sprintf("lbfgs-h%d", m), desc: fmt.Sprintf("one lbfgs iteration (max-iter 1, fixed step) with %d pairs held, rosenbrock", m),
			problem: "rosenbrock", opt: "lbfgs", set: map[string]float64{"history-size": float64(m), "max-iter": 1, "lr": 1e-4},
			kind: engine.BenchStep, words: 23 + 10*m, warm: m + 2})
	}
	return cs
}

// skip marks r skipped by err.
func (r *Row) skip(err error) {
	r.Skipped, r.Err = err.Error(), err
}

// compileRow times compiling a typed objective on the host: parse,
// differentiate, simplify, emit the GLSL and the CPU programs.
func compileRow(src string, reps int) Row {
	row := Row{Op: "objective-compile", Desc: "parse, differentiate and emit the typed objective (gdgpu.ParseObjective)", TimeSource: "wall"}
	if err := row.wallTimes(reps, func() error { _, err := gdgpu.ParseObjective(src); return err }); err != nil {
		row.skip(err)
	}
	return row
}

// benchJob is the job of a case at dimension n.
func benchJob(bc benchCase, n int, prec gdgpu.Precision, loopSteps int) gdgpu.Job {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Precision = bc.problem, n, prec
	if bc.objective != "" {
		job.Objective = bc.objective
		job.Problem = gdgpu.ObjectiveName(bc.objective) // registered by Run
	}
	job.Optimizer, _ = gdgpu.DefaultOptimizer(bc.opt)
	for flag, v := range bc.set {
		job.Optimizer.Set(flag, v)
	}
	job.Cond = 1
	if bc.cond > 0 {
		job.Cond = bc.cond
	}
	job.Steps, job.LogEvery = loopSteps, 100
	return job
}

// wallTimes times reps calls of op one by one by the wall clock into r:
// the statistics of the calls and the wall time per call. It stops at
// op's first error and returns it.
func (r *Row) wallTimes(reps int, op func() error) error {
	sec := make([]float64, reps)
	start := time.Now()
	for i := range sec {
		t0 := time.Now()
		if err := op(); err != nil {
			return err
		}
		sec[i] = time.Since(t0).Seconds()
	}
	r.WallPerOpS = time.Since(start).Seconds() / float64(reps)
	r.stats(sec)
	return nil
}

// deviceTimes fills r from an engine timing of reps operations: the
// statistics of the device times, the wall time per operation, and the
// host overhead, wall less device.
func (r *Row) deviceTimes(t engine.BenchTiming, reps int) {
	sec := make([]float64, len(t.GPU))
	var sum float64
	for i, d := range t.GPU {
		sec[i] = d.Seconds()
		sum += sec[i]
	}
	r.stats(sec)
	r.WallPerOpS = t.Wall.Seconds() / float64(reps)
	over := r.WallPerOpS - sum/float64(reps)
	r.OverheadPerOp = &over
}

// stats fills a row's median, min and p90 from per-op seconds.
func (r *Row) stats(sec []float64) {
	s := slices.Clone(sec)
	slices.Sort(s)
	r.Reps = len(s)
	r.MinS = s[0]
	r.MedianS = quantile(s, 0.5)
	r.P90S = quantile(s, 0.9)
}

// quantile of sorted s, linear between neighbours.
func quantile(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(pos)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (pos-float64(i))*(s[i+1]-s[i])
}

// finish computes the bandwidth figures of every row from the baseline
// row (op base) at the same n.
func finish(rep *Report, base string) {
	baseline := map[int]float64{}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		if r.Skipped == "" && r.MedianS > 0 {
			r.GBps = float64(r.N) * r.BytesPerParam / r.MedianS / 1e9
		}
		if r.Op == base {
			baseline[r.N] = r.GBps
		}
	}
	for i := range rep.Rows {
		r := &rep.Rows[i]
		r.Baseline = base
		if b := baseline[r.N]; b > 0 {
			r.BaselineFrac = r.GBps / b
		}
	}
}

// runGPU runs every case at every size on ec. Cases sharing a job share
// a backend (kernels compile once).
func runGPU(ctx context.Context, ec *engine.Context, rep *Report, cases []benchCase, cfg *Config) error {
	elem := 4
	if cfg.Precision == gdgpu.F64 {
		elem = 8
	}
	for _, n := range cfg.Sizes {
		var (
			cur    *engine.Backend
			curKey string
			curErr error
		)
		closeCur := func() error {
			if cur == nil {
				return nil
			}
			err := cur.Close()
			cur = nil
			return err
		}
		for _, bc := range cases {
			if ctx.Err() != nil {
				closeCur()
				return ErrInterrupted
			}
			row := Row{Op: bc.op, N: n, Desc: bc.desc, TimeSource: "gl_timestamp", BytesPerParam: float64(bc.words * elem)}
			job := benchJob(bc, n, cfg.Precision, cfg.LoopSteps)
			key := fmt.Sprint(job.Problem, job.Cond, job.Optimizer)
			if key != curKey {
				if err := closeCur(); err != nil {
					return err
				}
				curKey = key
				var b gdgpu.Backend
				t0 := time.Now()
				b, curErr = ec.NewBackend(&job)
				if bc.objective != "" && curErr == nil {
					built := Row{Op: "objective-build", N: n, Desc: "the typed objective's first backend: its shader programs compiled and its buffers made", TimeSource: "wall"}
					built.stats([]float64{time.Since(t0).Seconds()})
					built.WallPerOpS = built.MedianS
					rep.Rows = append(rep.Rows, built)
				}
				if curErr == nil {
					cur = b.(*engine.Backend)
					curErr = cur.Load(job.StartPoint())
				}
			}
			switch {
			case errors.Is(curErr, engine.ErrTooBig):
				row.skip(curErr)
			case curErr != nil:
				closeCur()
				return curErr
			case bc.op == "loop":
				if err := loopRow(ctx, &row, &job, cur); err != nil {
					closeCur()
					return err
				}
			case bc.warm > 0:
				// lbfgs waits for the device at each scalar it decides on:
				// its step is timed by the wall clock, as on the CPU.
				if err := wallSteps(&row, bc, &job, cur, cfg.Reps); err != nil {
					closeCur()
					return err
				}
			default:
				t, err := cur.Bench(bc.kind, cfg.Reps)
				if err != nil {
					closeCur()
					return err
				}
				row.deviceTimes(t, cfg.Reps)
			}
			rep.Rows = append(rep.Rows, row)
		}
		if err := closeCur(); err != nil {
			return err
		}
	}
	finish(rep, "copy")
	return nil
}

// loopRow runs the driver loop once and records its wall time per step
// (the row's median, min and p90 are that one figure).
func loopRow(ctx context.Context, row *Row, job *gdgpu.Job, b gdgpu.Backend) error {
	res, err := gdgpu.Run(ctx, job, b, job.StartPoint(), gdgpu.Hooks{})
	if err != nil {
		return err
	}
	if res.Status == gdgpu.Interrupted {
		return ErrInterrupted
	}
	per := res.Elapsed.Seconds() / float64(max(res.Steps, 1))
	row.TimeSource = "wall"
	row.stats([]float64{per})
	row.WallPerOpS = per
	return nil
}

// runCPU runs the CPU rows: the triad and copy baselines, then every
// case on the CPU backend (wall time of each repetition).
func runCPU(ctx context.Context, rep *Report, cases []benchCase, cfg *Config) error {
	const elem = 8
	for _, n := range cfg.Sizes {
		for _, base := range []struct {
			op, desc string
			words    int
			run      func(a, b, c []float64)
		}{
			{"triad", "STREAM triad a = b + s*c on every thread", 3, triad},
			{"copy", "copy b -> a on every thread (read + write)", 2, func(a, b, _ []float64) { parallelCopy(a, b) }},
		} {
			row := Row{Op: base.op, N: n, Desc: base.desc, TimeSource: "wall", BytesPerParam: float64(base.words * elem)}
			if err := hostRow(&row, n, cfg.Reps, base.run); err != nil {
				row.skip(err)
			}
			rep.Rows = append(rep.Rows, row)
		}
		for _, bc := range cases {
			if ctx.Err() != nil {
				return ErrInterrupted
			}
			if bc.op == "copy" {
				continue // the host copy above
			}
			row := Row{Op: bc.op, N: n, Desc: bc.desc, TimeSource: "wall", BytesPerParam: float64(bc.words * elem)}
			job := benchJob(bc, n, gdgpu.F64, cfg.LoopSteps)
			b, err := cpu.New(&job)
			if errors.Is(err, cpu.ErrTooBig) {
				// As on the GPU: the row says why, the sweep goes on.
				row.skip(err)
				rep.Rows = append(rep.Rows, row)
				continue
			}
			if err != nil {
				return err
			}
			err = cpuCase(ctx, &row, bc, &job, b, cfg.Reps)
			if cerr := b.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			rep.Rows = append(rep.Rows, row)
		}
	}
	finish(rep, "triad")
	return nil
}

func cpuCase(ctx context.Context, row *Row, bc benchCase, job *gdgpu.Job, b *cpu.Backend, reps int) error {
	if err := b.Load(job.StartPoint()); err != nil {
		return err
	}
	if bc.op == "loop" {
		return loopRow(ctx, row, job, b)
	}
	lr := []float64{job.Optimizer.LR}
	for range bc.warm {
		if err := b.Step(lr, false); err != nil {
			return err
		}
	}
	if m := int(job.Optimizer.History); bc.warm > 0 && b.ScalarState().Pairs != m {
		row.Skipped = fmt.Sprintf("%d steps kept %d pairs, not %d: the row would not time a full history", bc.warm, b.ScalarState().Pairs, m)
		return nil
	}
	var g []float64
	if bc.kind == engine.BenchGiven {
		g = make([]float64, job.Dim)
	}
	op := func() error {
		switch bc.kind {
		case engine.BenchStep:
			return b.Step(lr, false)
		case engine.BenchGiven:
			return b.ApplyGradient(g, lr[0])
		case engine.BenchLoss:
			if err := b.Record(); err != nil {
				return err
			}
			_, err := b.Samples(nil, true)
			return err
		}
		return fmt.Errorf("bench: no CPU form of %s", bc.op)
	}
	if err := op(); err != nil { // warm-up
		return err
	}
	return row.wallTimes(reps, op)
}

// wallSteps times reps steps of b one by one by the wall clock, after
// bc.warm steps that fill an lbfgs history (a row that does not get it
// full is skipped, with the reason).
func wallSteps(row *Row, bc benchCase, job *gdgpu.Job, b gdgpu.Backend, reps int) error {
	lr := []float64{job.Optimizer.LR}
	for range bc.warm {
		if err := b.Step(lr, false); err != nil {
			return err
		}
	}
	var s gdgpu.State
	if err := b.Snapshot(&s); err != nil {
		return err
	}
	if m := int(job.Optimizer.History); s.Scalars.Pairs != m {
		row.Skipped = fmt.Sprintf("%d steps kept %d pairs, not %d: the row would not time a full history", bc.warm, s.Scalars.Pairs, m)
		return nil
	}
	row.TimeSource = "wall"
	return row.wallTimes(reps, func() error { return b.Step(lr, false) })
}

// hostRow times a host kernel over three float64 vectors of n.
func hostRow(row *Row, n, reps int, run func(a, b, c []float64)) (err error) {
	defer func() {
		if recover() != nil { // make panics when memory cannot be had
			err = fmt.Errorf("cannot allocate 3 x %d float64", n)
		}
	}()
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range b {
		b[i], c[i] = 1, 2
	}
	run(a, b, c) // warm-up, and pages touched
	return row.wallTimes(reps, func() error { run(a, b, c); return nil })
}

// parallelFor runs body over [0, n) split in GOMAXPROCS contiguous parts.
func parallelFor(n int, body func(lo, hi int)) {
	w := min(runtime.GOMAXPROCS(0), max(n/(1<<14), 1))
	var wg sync.WaitGroup
	for k := 0; k < w; k++ {
		lo, hi := n*k/w, n*(k+1)/w
		if k == w-1 {
			body(lo, hi)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			body(lo, hi)
		}()
	}
	wg.Wait()
}

// triad is STREAM's a = b + s*c.
func triad(a, b, c []float64) {
	const s = 3.0
	parallelFor(len(a), func(lo, hi int) {
		a, b, c := a[lo:hi], b[lo:hi], c[lo:hi]
		for i := range a {
			a[i] = b[i] + s*c[i]
		}
	})
}

func parallelCopy(a, b []float64) {
	parallelFor(len(a), func(lo, hi int) { copy(a[lo:hi], b[lo:hi]) })
}
