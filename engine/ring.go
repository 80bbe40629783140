package engine

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// ringSlots is the read-back slots in flight before a step waits for the
// oldest.
const ringSlots = 64

// sampleRing is the read-back of samples, shared by the objective backend
// and the model backend (docs/architecture.md, "Reductions and
// read-back"): a reduction kernel writes a sample's reals to a slot of
// ring and copies the non-finite record to the same slot of flagRing,
// then push fences the slot. collect reads only slots whose fences have
// signalled, and next waits for the oldest slot only when every slot is
// in flight, so no step waits on the device otherwise.
//
// Without a persistent mapping, push also copies the slot into its own
// staging buffer before the fence, and collect reads that buffer with
// glGetBufferSubData: no later dispatch writes it, so the read never
// waits on the steps queued after the sample, as a read of the ring
// itself may on a driver that tracks writes per buffer object.
//
// A slot holds width reals: the objective and the squared gradient norm,
// then, for a model (model_reduce.glsl), the training accuracy, the
// validation loss and the validation accuracy. The backends embed it, so
// b.ring and b.flagRing are its buffers.
type sampleRing struct {
	ring     buffer // width reals a slot
	flagRing buffer // two uints a slot: the non-finite record (common.glsl)
	// stage is one buffer per slot of the first ringSlots, each holding
	// a copy of the slot's reals then its two flag uints; nil with a
	// persistent mapping, which reads the ring in place.
	stage []buffer

	width    int    // reals a slot: 2, or modelRingReals
	elem     int    // bytes a real
	dim      int    // parameters, to split a flag's rank into step and index
	accuracy bool   // the slot's accuracies are a classifier's, delivered
	vals     []byte // one slot's reals, read from ring

	nextSlot int
	pending  []pending      // recorded, not yet read back, oldest first
	ready    []gdgpu.Sample // read back, not yet delivered
}

// pending is a recorded sample waiting behind a fence.
type pending struct {
	step  int
	slot  int
	fence uintptr
}

// initRing allocates the ring's two buffers (named with prefix, "" or
// "model "), persistent-mapped where persistent says, with spare slots
// after the ringSlots that next cycles through (an L-BFGS closure's, read
// at once). On the GL thread; what it made is released by release.
func (r *sampleRing) initRing(prefix string, width, elem, dim int, accuracy, persistent bool, spare int) (err error) {
	r.width, r.elem, r.dim, r.accuracy = width, elem, dim, accuracy
	r.vals = make([]byte, width*elem)
	if r.ring, err = newReadBuffer(prefix+"read-back ring", width*(ringSlots+spare), elem, persistent); err != nil {
		return err
	}
	if r.flagRing, err = newReadBuffer(prefix+"non-finite flags ring", 2*(ringSlots+spare), 4, persistent); err != nil || persistent {
		return err
	}
	// The spare slots are read at once after their own wait, so only the
	// ringSlots need staging.
	r.stage = make([]buffer, ringSlots)
	for i := range r.stage {
		if r.stage[i], err = newBufferFor(prefix+"read-back staging slot", width*elem+8, 1, gl.STREAM_READ); err != nil {
			return err
		}
	}
	return nil
}

// next returns the slot for a new sample, first waiting for the oldest
// when all are in flight (an error if that wait fails: the slot must not
// be overwritten unread). On the GL thread.
func (r *sampleRing) next(c *Context) (int, error) {
	if len(r.pending) == ringSlots {
		if err := r.collect(c, true, 1); err != nil {
			return 0, err
		}
	}
	slot := r.nextSlot
	r.nextSlot = (r.nextSlot + 1) % ringSlots
	return slot, nil
}

// bindRing binds the ring and its flags copy for a reduction kernel.
func (r *sampleRing) bindRing() {
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindRing, r.ring.id)
	gl.BindBufferBase(gl.SHADER_STORAGE_BUFFER, bindFlagRing, r.flagRing.id)
}

// push fences slot, just written by the reduction for step's sample,
// behind a barrier with barrier's bits: they include the client-mapped
// barrier, which makes the slot's shader writes visible through a
// persistent mapping once the fence signals.
func (r *sampleRing) push(step, slot int, barrier uint32) {
	if r.stage != nil {
		// The copies read what the reduction wrote, so the barrier goes
		// first; barrier holds GL_BUFFER_UPDATE_BARRIER_BIT, which orders
		// shader writes before buffer copies.
		gl.MemoryBarrier(barrier)
		n := r.width * r.elem
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, r.stage[slot].id)
		gl.BindBuffer(gl.COPY_READ_BUFFER, r.ring.id)
		gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, slot*n, 0, n)
		gl.BindBuffer(gl.COPY_READ_BUFFER, r.flagRing.id)
		gl.CopyBufferSubData(gl.COPY_READ_BUFFER, gl.COPY_WRITE_BUFFER, 8*slot, n, 8)
		gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
		gl.BindBuffer(gl.COPY_WRITE_BUFFER, 0)
		barrier = 0 // issued above
	}
	r.pending = append(r.pending, pending{step: step, slot: slot, fence: r.fence(barrier)})
}

// fence returns a fence behind a barrier with barrier's bits (none for
// 0), flushed so that it can signal without anyone waiting on it.
func (r *sampleRing) fence(barrier uint32) uintptr {
	if barrier != 0 {
		gl.MemoryBarrier(barrier)
	}
	f := gl.FenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0)
	gl.Flush()
	return f
}

// samples delivers read-back samples in step order: those signalled, or
// with wait all of them (then asking for GL errors too).
func (r *sampleRing) samples(c *Context, dst []gdgpu.Sample, wait bool) ([]gdgpu.Sample, error) {
	err := c.do(func() error {
		if err := r.collect(c, wait, len(r.pending)); err != nil {
			return err
		}
		if wait {
			return c.glError()
		}
		return nil
	})
	dst = append(dst, r.ready...)
	r.ready = r.ready[:0]
	return dst, err
}

// collect moves up to limit signalled samples from pending to ready,
// oldest first; with wait it blocks on each. On the GL thread.
func (r *sampleRing) collect(c *Context, wait bool, limit int) error {
	done := 0
	var err error
	for done < limit && done < len(r.pending) {
		p := r.pending[done]
		ok, werr := c.waitFence(p.fence, wait, p.step)
		if !ok {
			err = werr
			break
		}
		gl.DeleteSync(p.fence)
		// Its fence has signalled, so these reads do not stall the pipeline.
		var fb [8]byte
		if r.stage != nil {
			r.stage[p.slot].read(0, r.vals)
			r.stage[p.slot].read(len(r.vals), fb[:])
		} else {
			r.ring.read(r.width*p.slot*r.elem, r.vals)
			r.flagRing.read(8*p.slot, fb[:])
		}
		s := gdgpu.Sample{Step: p.step, Loss: r.real(0), GradNorm: math.Sqrt(r.real(1))}
		if r.width > 2 {
			s.ValLoss = r.real(3)
		}
		if r.accuracy {
			s.Accuracy = r.real(2)
			s.ValAccuracy = r.real(4)
		}
		if base, rank := binary.NativeEndian.Uint32(fb[:4]), binary.NativeEndian.Uint32(fb[4:]); base != noFlag {
			n := uint64(r.dim)
			s.NonFinite = true
			s.BadStep = int(uint64(base) + uint64(rank)/n)
			s.BadIndex = int(uint64(rank) % n)
		}
		r.ready = append(r.ready, s)
		done++
	}
	r.pending = r.pending[:copy(r.pending, r.pending[done:])]
	return err
}

// real is the slot's j-th real as read, widened from float32 in f32.
func (r *sampleRing) real(j int) float64 {
	if r.elem == 8 {
		return *(*float64)(unsafe.Pointer(&r.vals[8*j]))
	}
	return float64(*(*float32)(unsafe.Pointer(&r.vals[4*j])))
}

// dropPending forgets recorded samples (their fences are deleted). On the
// GL thread.
func (r *sampleRing) dropPending() {
	for _, p := range r.pending {
		gl.DeleteSync(p.fence)
	}
	r.pending = r.pending[:0]
	r.ready = r.ready[:0]
}

// releaseRing drops the pending samples and deletes the buffers; safe on
// a partly built ring. On the GL thread.
func (r *sampleRing) releaseRing() {
	r.dropPending()
	r.ring.delete()
	r.flagRing.delete()
	for i := range r.stage {
		r.stage[i].delete()
	}
	r.stage = nil
}
