package engine

import (
	"fmt"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// buffer is a GL buffer object holding len elements of elem bytes.
type buffer struct {
	id   uint32
	len  int // elements
	elem int // bytes per element
	// mapped is a read-back buffer's persistent, coherent mapping
	// (newReadBuffer), nil for any other.
	mapped unsafe.Pointer
}

func (b buffer) bytes() int { return b.len * b.elem }

// newBuffer allocates an uninitialised storage buffer, or says how much it
// wanted when the driver has no memory for it. On the GL thread.
func newBuffer(name string, n, elem int) (buffer, error) {
	return newBufferFor(name, n, elem, gl.DYNAMIC_COPY) // written and read by kernels
}

// newBufferFor is newBuffer with the usage hint usage. On the GL thread.
func newBufferFor(name string, n, elem int, usage uint32) (buffer, error) {
	b := buffer{len: n, elem: elem}
	gl.GenBuffers(1, &b.id)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.BufferData(gl.SHADER_STORAGE_BUFFER, b.bytes(), nil, usage)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if code := gl.GetError(); code != gl.NO_ERROR {
		gl.DeleteBuffers(1, &b.id)
		return buffer{}, fmt.Errorf("engine: allocating %s (%d elements, %d bytes): %s", name, n, b.bytes(), glErrorName(code))
	}
	return b, nil
}

// newReadBuffer allocates a small buffer the host reads back (the sample
// rings): with persistent mapping (GL 4.4 or GL_ARB_buffer_storage, and
// Options.CopyReadBack off) it is immutable storage mapped once for
// reading, persistent and coherent, so a read after its fence is a plain
// memory copy; else it is newBuffer's, read with glGetBufferSubData. On
// the GL thread.
func newReadBuffer(name string, n, elem int, persistent bool) (buffer, error) {
	if !persistent {
		return newBuffer(name, n, elem)
	}
	b := buffer{len: n, elem: elem}
	const flags = gl.MAP_READ_BIT | gl.MAP_PERSISTENT_BIT | gl.MAP_COHERENT_BIT
	gl.GenBuffers(1, &b.id)
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
	gl.BufferStorage(gl.SHADER_STORAGE_BUFFER, b.bytes(), nil, flags)
	code := gl.GetError() // the storage's failure, kept for the message
	if code == gl.NO_ERROR {
		b.mapped = gl.MapBufferRange(gl.SHADER_STORAGE_BUFFER, 0, b.bytes(), flags)
		code = gl.GetError()
	}
	gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
	if code != gl.NO_ERROR || b.mapped == nil {
		gl.DeleteBuffers(1, &b.id)
		return buffer{}, fmt.Errorf("engine: allocating and mapping %s (%d elements, %d bytes): %s", name, n, b.bytes(), glErrorName(code))
	}
	return b, nil
}

// read copies bytes [off, off+len(dst)) of the buffer into dst: from the
// persistent mapping where there is one (the caller has waited on the
// fence that covers the writes, issued after a client-mapped barrier),
// else with glGetBufferSubData. On the GL thread.
func (b buffer) read(off int, dst []byte) {
	if b.mapped != nil {
		copy(dst, unsafe.Slice((*byte)(unsafe.Add(b.mapped, off)), len(dst)))
		return
	}
	gl.BindBuffer(gl.COPY_READ_BUFFER, b.id)
	gl.GetBufferSubData(gl.COPY_READ_BUFFER, off, len(dst), unsafe.Pointer(&dst[0]))
	gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
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
		if b.mapped != nil {
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, b.id)
			gl.UnmapBuffer(gl.SHADER_STORAGE_BUFFER)
			gl.BindBuffer(gl.SHADER_STORAGE_BUFFER, 0)
			b.mapped = nil
		}
		gl.DeleteBuffers(1, &b.id)
		b.id = 0
	}
}
