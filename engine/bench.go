package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// BenchOp names an operation Backend.Bench times.
type BenchOp int

const (
	// BenchCopy copies the parameter buffer into the other parameter
	// buffer with glCopyBufferSubData: the device's bandwidth baseline
	// (N elements read and N written).
	BenchCopy BenchOp = iota
	// BenchStep is one fused objective+optimizer step, as Backend.Step
	// issues it without recording a sample.
	BenchStep
	// BenchLoss is the loss alone: the evaluation pass (objective terms
	// summed per workgroup) and the reduction of the partial sums.
	BenchLoss
	// BenchGiven is one optimizer step on a stored gradient (the kernel
	// behind ApplyGradient, without the upload): x, the gradient and the
	// state vectors read, x and the state written. The gradient buffer is
	// allocated on first use and holds zeros.
	BenchGiven
)

func (op BenchOp) String() string {
	switch op {
	case BenchCopy:
		return "copy"
	case BenchStep:
		return "step"
	case BenchLoss:
		return "loss"
	case BenchGiven:
		return "given"
	}
	return fmt.Sprintf("BenchOp(%d)", int(op))
}

// BenchTiming is what Backend.Bench measured.
type BenchTiming struct {
	// GPU holds each repetition's device time, in issue order, from a
	// pair of GL_TIMESTAMP queries (glQueryCounter) around it.
	GPU []time.Duration
	// Wall is the wall time of the whole batch of repetitions, from a
	// glFinish before the first to a glFinish after the last.
	Wall time.Duration
}

// Bench issues op reps times in one batch and times it: GL_TIMESTAMP
// query pairs around each repetition for the device time, and wall time
// with glFinish around the batch. One repetition runs first as a warm-up.
// Query results are read while the batch is issued, for earlier
// repetitions whose GL_QUERY_RESULT_AVAILABLE says they are ready, and
// the rest after the closing glFinish: nothing waits on a query. The
// backend's state changes as steps would change it. Jobs that clip by
// norm are refused (their step is several kernels).
func (b *Backend) Bench(op BenchOp, reps int) (BenchTiming, error) {
	if reps < 1 {
		return BenchTiming{}, fmt.Errorf("engine: Bench: %d repetitions", reps)
	}
	if b.clip != nil {
		return BenchTiming{}, errors.New("engine: Bench: a job clipping by norm has no single step kernel")
	}
	var res BenchTiming
	err := b.do(func() error {
		if op == BenchGiven && b.grad.id == 0 {
			var err error
			if b.grad, err = newBuffer("gradient", b.job.Dim, b.elem); err != nil {
				return err
			}
			b.grad.zero()
		}
		issue, err := b.benchIssue(op)
		if err != nil {
			return err
		}
		b.dropPending()
		issue() // warm-up
		gl.Finish()

		queries := make([]uint32, 2*reps)
		gl.GenQueries(int32(len(queries)), &queries[0])
		defer gl.DeleteQueries(int32(len(queries)), &queries[0])
		res.GPU = make([]time.Duration, reps)
		read := 0 // repetitions whose times have been read
		readOne := func(i int) {
			var t0, t1 uint64
			gl.GetQueryObjectui64v(queries[2*i], gl.QUERY_RESULT, &t0)
			gl.GetQueryObjectui64v(queries[2*i+1], gl.QUERY_RESULT, &t1)
			res.GPU[i] = time.Duration(t1 - t0)
		}
		start := time.Now()
		for i := 0; i < reps; i++ {
			gl.QueryCounter(queries[2*i], gl.TIMESTAMP)
			issue()
			gl.QueryCounter(queries[2*i+1], gl.TIMESTAMP)
			// Read what is ready, oldest first, without waiting.
			for read < i {
				var avail int32
				gl.GetQueryObjectiv(queries[2*read+1], gl.QUERY_RESULT_AVAILABLE, &avail)
				if avail == gl.FALSE {
					break
				}
				readOne(read)
				read++
			}
		}
		gl.Finish()
		res.Wall = time.Since(start)
		for ; read < reps; read++ {
			readOne(read) // available after glFinish
		}
		return b.c.glError()
	})
	return res, err
}

// benchIssue returns the GL calls of one repetition of op. On the GL thread.
func (b *Backend) benchIssue(op BenchOp) (func(), error) {
	lr := b.job.Optimizer.LR
	if b.lb != nil && (op == BenchStep || op == BenchGiven) {
		// Its step waits for the scalars it decides on: no GPU-timed form.
		return nil, fmt.Errorf("engine: Bench: an %s step waits for the scalars its line search decides on, so it is timed by the wall clock, not with GL timestamps", b.job.Optimizer.Name)
	}
	switch op {
	case BenchCopy:
		return func() {
			gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
			copyBuffer(b.x[1-b.cur], b.x[b.cur])
		}, nil
	case BenchStep:
		return b.benchStep(b.step, lr, true), nil
	case BenchLoss:
		return func() {
			b.runPrepass()
			b.dispatchChunks(b.eval)
			b.runReduce(b.reduce, -1)
		}, nil
	case BenchGiven:
		return b.benchStep(b.given, lr, false), nil
	}
	return nil, fmt.Errorf("engine: Bench: unknown operation %v", op)
}

// benchStep is one timed optimizer step through program p (the fused
// step, or the given-gradient kernel on the stored gradient). pre runs the
// objective's pre-pass first, as Step does, so an objective with global
// quantities is timed with the pass it needs.
func (b *Backend) benchStep(p *program, lr float64, pre bool) func() {
	return func() {
		b.t++
		if pre {
			b.runPrepass()
		}
		b.setStepScalars(lr)
		b.dispatchChunks(p)
		b.cur = 1 - b.cur
	}
}

// ElemBytes is the size of one element in the job's precision: 4 or 8.
func (b *Backend) ElemBytes() int { return b.elem }
