package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// BenchGEMM times the tiled GEMM kernel (shaders/gemm.glsl, the kernel the
// mlp's layers run on) alone: C = A·B with A, B and C n x n row-major
// matrices in prec, no epilogue, 2n³ floating-point operations. It issues
// reps products in one batch after one warm-up and times them as Bench
// does: a pair of GL_TIMESTAMP queries around each, and the wall time of
// the batch between two glFinish calls. The operands hold zeros (the
// kernel's time does not depend on its values). A product whose matrices
// do not fit one shader storage binding, or the device's memory, is
// refused with an error that matches ErrTooBig.
func (c *Context) BenchGEMM(prec gdgpu.Precision, n, reps int) (BenchTiming, error) {
	return c.BenchGEMMBlock(prec, n, reps, 2)
}

// BenchGEMMBlock is BenchGEMM for the kernel compiled with r x r outputs
// an invocation (one of GEMMBlocks(); 2 is BenchGEMM's): the same
// sums in the same order, more products for each shared-memory read, and
// a workgroup's tile 16r on a side, so fewer workgroups. A block whose
// tiles need more shared memory than the device has is refused with an
// error that matches ErrTooBig.
func (c *Context) BenchGEMMBlock(prec gdgpu.Precision, n, reps, r int) (BenchTiming, error) {
	if reps < 1 || n < 1 || !slices.Contains(gemmBlocks[:], r) {
		return BenchTiming{}, fmt.Errorf("engine: BenchGEMMBlock: n %d, %d repetitions, block %d (want one of %v)", n, reps, r, gemmBlocks)
	}
	real, elem := "float", 4
	if prec == gdgpu.F64 {
		real, elem = "double", 8
	}
	bytes := int64(n) * int64(n) * int64(elem)
	if bytes > c.info.MaxSSBOBlockSize {
		return BenchTiming{}, fmt.Errorf("%w: BenchGEMM: a %d x %d matrix is %d bytes, more than one binding holds (GL_MAX_SHADER_STORAGE_BLOCK_SIZE %d)", ErrTooBig, n, n, bytes, c.info.MaxSSBOBlockSize)
	}
	var res BenchTiming
	err := c.do(func() error {
		if avail, _, _ := c.availableMemory(); avail > 0 && 3*bytes > avail {
			return fmt.Errorf("%w: BenchGEMM: three %d x %d matrices need %d bytes, the device has %d available", ErrTooBig, n, n, 3*bytes, avail)
		}
		p, err := c.buildGEMMBlock(real, -1, r) // a block too big for shared memory: ErrTooBig
		if err != nil {
			return err
		}
		defer p.release()
		var bufs [3]buffer
		defer func() {
			for i := range bufs {
				bufs[i].delete()
			}
		}()
		for i := range bufs {
			if bufs[i], err = newBuffer(fmt.Sprintf("gemm bench %c", "ABC"[i]), n*n, elem); err != nil {
				return err
			}
			bufs[i].zero()
		}
		g := gemmCall{m: n, n: n, k: n, a: rowMajor(bufs[0], 0, n, false), b: rowMajor(bufs[1], 0, n, false),
			c: bufs[2], ldc: n, epi: epiPlain, tile: 16 * r}
		issue := func() error {
			// each product reads the previous one's C: none overlaps another
			gl.MemoryBarrier(gl.SHADER_STORAGE_BARRIER_BIT)
			return c.dispatchGEMM(p, g)
		}
		if err := issue(); err != nil { // warm-up
			return err
		}
		gl.Finish()
		queries := make([]uint32, 2*reps)
		gl.GenQueries(int32(len(queries)), &queries[0])
		defer gl.DeleteQueries(int32(len(queries)), &queries[0])
		start := time.Now()
		for i := 0; i < reps; i++ {
			gl.QueryCounter(queries[2*i], gl.TIMESTAMP)
			if err := issue(); err != nil {
				return err
			}
			gl.QueryCounter(queries[2*i+1], gl.TIMESTAMP)
		}
		gl.Finish()
		res.Wall = time.Since(start)
		res.GPU = make([]time.Duration, reps)
		for i := range res.GPU {
			var t0, t1 uint64
			gl.GetQueryObjectui64v(queries[2*i], gl.QUERY_RESULT, &t0)
			gl.GetQueryObjectui64v(queries[2*i+1], gl.QUERY_RESULT, &t1)
			res.GPU[i] = time.Duration(t1 - t0)
		}
		return c.glError()
	})
	return res, err
}

// Finish waits until the device has done every command issued on the
// context (glFinish): the end of a batch of steps timed by the wall clock.
func (c *Context) Finish() error {
	return c.do(func() error {
		gl.Finish()
		return c.glError()
	})
}
