package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/shaders"
)

// ErrLandscapePrepass is returned by Landscape for the objectives whose
// value needs a pre-pass over all parameters (GPUObjective.Prepass:
// ackley, griewank): the landscape kernel has none yet. Callers may compute those on the CPU
// (gdgpu view does, with cpu.Loss).
var ErrLandscapePrepass = errors.New("engine: Landscape does not evaluate objectives that need a pre-pass (ackley, griewank) yet")

// Landscape evaluates the job's objective on a w x h grid over
// [x0, x1] x [y0, y1] on the GPU and writes f(x, y) into dst (len w*h),
// row by row: dst[py*w+px] is f at x = x0 + px (x1-x0)/(w-1),
// y = y0 + py (y1-y0)/(h-1) (py = 0 is y0). The job must have two
// parameters: a 2-D problem, or an N-D one at --dim 2. The kernel
// (shaders/landscape_x.glsl, the objective's files, shaders/landscape.glsl)
// computes in the job's precision, one invocation per pixel in grid-stride
// order, each summing the objective's two terms. Coordinates are computed
// in that precision, so an f32 landscape's points differ from the float64
// grid by a rounding of the coordinates.
func (c *Context) Landscape(job *gdgpu.Job, x0, x1, y0, y1 float64, w, h int, dst []float64) error {
	if err := job.Validate(); err != nil {
		return err
	}
	if job.Dim != 2 {
		return gdgpu.FieldErrorf("Landscape needs a two-parameter job; %s has {Job.Dim} %d", job.Problem, job.Dim).In("engine")
	}
	p, ok := gdgpu.LookupProblem(job.Problem)
	if !ok || !p.HasGPU() {
		return gdgpu.FieldErrorf("Landscape: {Job.Problem} %s has no GPU objective (its GLSL)", job.Problem).In("engine")
	}
	if p.GPU.Prepass {
		return ErrLandscapePrepass
	}
	if w < 2 || h < 2 {
		return fmt.Errorf("engine: Landscape grid %dx%d: need at least 2x2", w, h)
	}
	if int64(w)*int64(h) > math.MaxInt32 {
		return fmt.Errorf("engine: Landscape grid %dx%d is too large", w, h)
	}
	if len(dst) != w*h {
		return fmt.Errorf("engine: Landscape dst has %d values, the grid %d", len(dst), w*h)
	}
	for _, v := range []float64{x0, x1, y0, y1} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("engine: Landscape bounds must be finite, got [%g, %g] x [%g, %g]", x0, x1, y0, y1)
		}
	}
	elem, real := 4, "float"
	defs := map[string]string{"LOCAL_SIZE": fmt.Sprint(localSize)}
	if job.Precision == gdgpu.F64 {
		elem, real = 8, "double"
		defs["REAL_IS_DOUBLE"] = "1"
	}
	defs["real"] = real
	var coefAt func(i int) float64
	if p.GPU.Coef != nil {
		coefAt = p.GPU.Coef(job) // job.Dim is 2
	}
	if coefAt != nil {
		defs["HAS_COEF"] = "1"
	}
	src := shaders.AssembleText(defs, slices.Concat(glslFiles("landscape_x.glsl"), objectiveTexts(&p), glslFiles("landscape.glsl"))...)
	total := w * h
	return c.do(func() (err error) {
		p, err := c.program(fmt.Sprintf("landscape(%s,%s)", job.Problem, job.Precision), src)
		if err != nil {
			return err
		}
		defer p.release()
		out, err := newBuffer("landscape", total, elem)
		if err != nil {
			return err
		}
		defer out.delete()
		var coef buffer
		if coefAt != nil {
			if coef, err = newBuffer(job.Problem+" coefficients", 2, elem); err != nil {
				return err
			}
			defer coef.delete()
			st := make([]byte, 2*elem)
			for i := 0; i < 2; i++ {
				putReal(st, elem, i, coefAt(i))
			}
			gl.BindBuffer(gl.COPY_WRITE_BUFFER, coef.id)
			gl.BufferSubData(gl.COPY_WRITE_BUFFER, 0, len(st), unsafe.Pointer(&st[0]))
			gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
			gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindCoef, coef.id)
		}
		p.use()
		p.setUint("n", 2)
		p.setUint("base", 0)
		p.setUint("w", uint32(w))
		p.setUint("h", uint32(h))
		setReal := func(name string, v float64) {
			if elem == 8 {
				p.setDouble(name, v)
			} else {
				p.setFloat(name, float32(v))
			}
		}
		setReal("x0", x0)
		setReal("dx", (x1-x0)/float64(w-1))
		setReal("y0", y0)
		setReal("dy", (y1-y0)/float64(h-1))
		gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindXOut, out.id)
		groups := min((total+localSize-1)/localSize, c.maxGroups(localSize), max(c.info.MaxWorkGroupCount[0], 1))
		gl.DispatchCompute(uint32(groups), 1, 1)
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		st := make([]byte, min(total, xferElems)*elem)
		gl.BindBuffer(gl.COPY_READ_BUFFER, out.id)
		for first := 0; first < total; first += xferElems {
			k := min(xferElems, total-first)
			gl.GetBufferSubData(gl.COPY_READ_BUFFER, first*elem, k*elem, unsafe.Pointer(&st[0]))
			for j := 0; j < k; j++ {
				dst[first+j] = getReal(st, elem, j)
			}
		}
		gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
		return c.glError()
	})
}

func putReal(st []byte, elem, j int, v float64) {
	if elem == 8 {
		*(*float64)(unsafe.Pointer(&st[8*j])) = v
	} else {
		*(*float32)(unsafe.Pointer(&st[4*j])) = float32(v)
	}
}

func getReal(st []byte, elem, j int) float64 {
	if elem == 8 {
		return *(*float64)(unsafe.Pointer(&st[8*j]))
	}
	return float64(*(*float32)(unsafe.Pointer(&st[4*j])))
}
