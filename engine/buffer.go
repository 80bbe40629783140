package engine

import (
	"fmt"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// buffer is a GL buffer object holding len elements of elem bytes.
type buffer struct {
	id   uint32
	len  int // elements
	elem int // bytes per element
}

func (b buffer) bytes() int { return b.len * b.elem }

// newBuffer allocates an uninitialised storage buffer, or says how much it
// wanted when the driver has no memory for it. On the GL thread.
func newBuffer(name string, n, elem int) (buffer, error) {
	b := buffer{len: n, elem: elem}
	gl.GenBuffers(1, &b.id)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.BufferData(gl.SHADER_STORAGE_BUFFER, b.bytes(), nil, gl.DYNAMIC_COPY)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if code := gl.GetError(); code != gl.NO_ERROR {
		gl.DeleteBuffers(1, &b.id)
		return buffer{}, fmt.Errorf("engine: allocating %s (%d elements, %d bytes): %s", name, n, b.bytes(), glErrorName(code))
	}
	return b, nil
}

// zero fills the buffer with zero bytes (0.0 in float and double).
func (b buffer) zero() {
	gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT) // earlier dispatches' writes land first
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, b.id)
	gl.ClearBufferData(gl.COPY_WRITE_BUFFER, gl.R32UI, gl.RED_INTEGER, gl.UNSIGNED_INT, nil)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
}

// bindRange binds elements [first, first+count) to an indexed SSBO binding.
// first*elem must be a multiple of GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT.
func (b buffer) bindRange(binding uint32, first, count int) {
	gl.BindBufferRange(gl.SHADER_STORAGE_BUFFER, binding, b.id, first*b.elem, count*b.elem)
}

func (b *buffer) delete() {
	if b.id != 0 {
		gl.DeleteBuffers(1, &b.id)
		b.id = 0
	}
}
