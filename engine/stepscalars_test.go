package engine

import (
	"testing"

	"github.com/go-gl/gl/v4.3-core/gl"

	"github.com/gdgpu/gdgpu"
)

// TestStepScalarsLayout holds setStepScalars' layout of the StepScalars
// block to the driver's: each member's offset as GL reports it for a
// linked step kernel, the block's binding point and its size, which the
// buffer must cover. std140 makes every member active, so any rule's
// kernel reports them all.
func TestStepScalarsLayout(t *testing.T) {
	c := openTest(t, Options{})
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		for _, opt := range []string{"sgd", "radam"} {
			t.Run(prec.String()+"/"+opt, func(t *testing.T) {
				job := newJob("quadratic", opt, 16, prec)
				b := newBackend(t, c, &job)
				e := b.elem
				want := map[string]int32{
					"stepSize": ssStepSize * int32(e), "decay": ssDecay * int32(e), "bc1": ssBC1 * int32(e),
					"bc2": ssBC2 * int32(e), "bc2sqrt": ssBC2Sqrt * int32(e), "coefGrad": ssCoefGrad * int32(e),
					"coefAvg": ssCoefAvg * int32(e), "rect": ssRect * int32(e), "momentum": ssMomentum * int32(e),
					"oneMinusBeta1": ssOneMinusBeta1 * int32(e),
					"rectified":     stepReals * int32(e), "firstStep": stepReals*int32(e) + 4,
				}
				err := c.do(func() error {
					id := b.step.l.id
					block := gl.GetUniformBlockIndex(id, gl.Str("StepScalars\x00"))
					if block == gl.INVALID_INDEX {
						t.Error("the step kernel has no StepScalars block") // not Fatal: this is the GL thread
						return nil
					}
					var size, binding int32
					gl.GetActiveUniformBlockiv(id, block, gl.UNIFORM_BLOCK_DATA_SIZE, &size)
					gl.GetActiveUniformBlockiv(id, block, gl.UNIFORM_BLOCK_BINDING, &binding)
					if binding != bindStepScalars {
						t.Errorf("binding %d, want %d", binding, bindStepScalars)
					}
					if int(size) > b.stepBuf.bytes() || stepBlockBytes(e) > int(size) {
						t.Errorf("block of %d bytes; the host writes %d into a buffer of %d", size, stepBlockBytes(e), b.stepBuf.bytes())
					}
					for name, off := range want {
						var index uint32
						names, free := gl.Strs("StepScalars." + name + "\x00") // the block's name qualifies its members
						gl.GetUniformIndices(id, 1, names, &index)
						free()
						if index == gl.INVALID_INDEX {
							t.Errorf("%s: not a member", name)
							continue
						}
						var got int32
						gl.GetActiveUniformsiv(id, 1, &index, gl.UNIFORM_OFFSET, &got)
						if got != off {
							t.Errorf("%s at offset %d, setStepScalars writes it at %d", name, got, off)
						}
					}
					return c.glError()
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}
