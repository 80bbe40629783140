package engine

import (
	"encoding/binary"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// bindStepScalars is the uniform-buffer binding point of the StepScalars
// block (optim_common.glsl; BIND_STEP_SCALARS in the shaders). Uniform
// blocks number their binding points apart from the SSBOs.
const bindStepScalars = 0

// The StepScalars block's reals in its order (optim_common.glsl): real j
// lies at offset j times the real's size, which std140 gives scalars of
// one size declared in a row. stepReals counts them; the bools rectified
// and firstStep follow, four bytes each.
const (
	ssStepSize = iota
	ssDecay
	ssBC1
	ssBC2
	ssBC2Sqrt
	ssCoefGrad
	ssCoefAvg
	ssRect
	ssMomentum
	ssOneMinusBeta1
	stepReals
)

// stepBlockBytes is the size of the StepScalars block with reals of elem
// bytes: the reals, then two four-byte bools.
func stepBlockBytes(elem int) int { return stepReals*elem + 8 }

// newStepBuffer allocates the buffer behind the StepScalars block, rounded
// up to a vec4 as std140 rounds a block, and the host copy it is filled
// from. On the GL thread.
func (b *Backend) newStepBuffer() (err error) {
	b.stepBytes = make([]byte, stepBlockBytes(b.elem))
	// The host writes it every step and kernels only read it: DYNAMIC_DRAW
	// says so, where the storage buffers' DYNAMIC_COPY would not.
	b.stepBuf, err = newBufferFor("step scalars", roundUp(len(b.stepBytes), 16)/4, 4, gl.DYNAMIC_DRAW)
	return err
}

// setStepScalars writes step b.t's scalars to the StepScalars block and
// binds it, for the step's update kernels. The scalars are computed in
// float64 by gdgpu.Optimizer.ScheduledScalars exactly as the CPU backend
// gets them, and stored in the job's precision (encode: float32(v) in
// f32, as glUniform1f took them before).
//
// One glBufferSubData a step, into the one buffer, does not make the step
// wait on the device: the GL orders a buffer update after the commands
// issued before it (the dispatches of earlier steps still read their own
// values) and takes the data from host memory at the call, so a driver
// either puts a small update in the command stream, as it does
// glUniform's values, or stages a copy of it; neither waits for the queued
// dispatches. (A persistent-mapped ring of slots would need a fence per
// slot before reusing it, which is a wait.)
func (b *Backend) setStepScalars(lr float64) {
	s := b.opt.ScheduledScalars(&b.job.Schedule, b.t, lr, &b.scalars)
	o := &b.job.Optimizer
	v := [stepReals]float64{
		ssStepSize: s.StepSize, ssDecay: s.Decay, ssBC1: s.BC1, ssBC2: s.BC2, ssBC2Sqrt: s.BC2Sqrt,
		ssCoefGrad: s.CoefGrad, ssCoefAvg: s.CoefAvg, ssRect: s.Rect,
		ssMomentum: o.Momentum, ssOneMinusBeta1: 1 - o.Beta1,
	}
	switch b.cycled { // the step's momentum or beta1 (a onecycle schedule cycles them)
	case "momentum":
		v[ssMomentum] = s.Momentum
	case "oneMinusBeta1":
		v[ssOneMinusBeta1] = 1 - s.Momentum
	}
	for j, x := range v {
		b.encode(b.stepBytes, j, x)
	}
	binary.NativeEndian.PutUint32(b.stepBytes[stepReals*b.elem:], uint32(boolInt(s.Rectified)))
	binary.NativeEndian.PutUint32(b.stepBytes[stepReals*b.elem+4:], uint32(boolInt(s.FirstStep)))
	gl.BindBufferBase(gl.UNIFORM_BUFFER, bindStepScalars, b.stepBuf.id)
	gl.BufferSubData(gl.UNIFORM_BUFFER, 0, len(b.stepBytes), unsafe.Pointer(&b.stepBytes[0]))
}
