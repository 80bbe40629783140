package engine

import (
	"math"
	"reflect"
	"testing"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// readRecord reads the non-finite record (the flag buffer) back; the
// test waits for the device.
func readRecord(t *testing.T, b *Backend) [2]uint32 {
	t.Helper()
	var r [2]uint32
	if err := b.do(func() error {
		gl.MemoryBarrier(gl.BUFFER_UPDATE_BARRIER_BIT)
		gl.BindBuffer(gl.COPY_READ_BUFFER, b.flags.id)
		gl.GetBufferSubData(gl.COPY_READ_BUFFER, 0, 8, unsafe.Pointer(&r[0]))
		gl.BindBuffer(gl.COPY_READ_BUFFER, 0)
		return b.c.glError()
	}); err != nil {
		t.Fatal(err)
	}
	return r
}

// Backend.Gradient agrees with cpu.Grad within the parity bounds for every
// registered problem in both precisions, and leaves the parameters, the
// state vectors, the step count and the non-finite record as they were,
// also when the point it is given has a non-finite gradient.
func TestGradientMatchesCPU(t *testing.T) {
	c := openTest(t, Options{ChunkElems: 256}) // several chunks at N = 1000
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, p := range gdgpu.Problems() {
			n := 1000
			if p.MaxDim == 2 {
				n = 2
			}
			t.Run(p.Name+"/"+prec.String(), func(t *testing.T) {
				job := newJob(p.Name, "adam", n, prec)
				b := newBackend(t, c, &job)
				x0 := job.StartPoint()
				if prec == gdgpu.F32 {
					roundF32(x0)
				}
				if err := b.Load(x0); err != nil {
					t.Fatal(err)
				}
				if err := b.Step([]float64{1e-3, 1e-3}, false); err != nil {
					t.Fatal(err)
				}
				var before gdgpu.State
				if err := b.Snapshot(&before); err != nil {
					t.Fatal(err)
				}
				rec := readRecord(t, b)

				// A point off the start, so that no component is trivially
				// the start point's (symmetric starts give equal components).
				x := make([]float64, n)
				for i := range x {
					x[i] = x0[i] + 0.25*math.Sin(float64(i)+1)
				}
				if prec == gdgpu.F32 {
					roundF32(x)
				}
				got := make([]float64, n)
				if err := b.Gradient(x, got); err != nil {
					t.Fatal(err)
				}
				compareVec(t, "gradient", prec, got, cpu.Grad(&job, nil, x))

				x[n-1] = math.NaN() // the kernel would flag it: the record must survive
				if err := b.Gradient(x, got); err != nil {
					t.Fatal(err)
				}
				var after gdgpu.State
				if err := b.Snapshot(&after); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(before, after) {
					t.Errorf("Gradient changed the state: step %d -> %d, params or state vectors differ", before.Step, after.Step)
				}
				if after.Step != 2 || b.StepCount() != 2 {
					t.Errorf("step count %d (snapshot %d) after 2 steps and Gradient", b.StepCount(), after.Step)
				}
				if r := readRecord(t, b); r != rec {
					t.Errorf("non-finite record %v before Gradient, %v after", rec, r)
				}
			})
		}
	}
}
