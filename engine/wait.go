package engine

import (
	"errors"
	"fmt"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// ErrDeviceLost is wrapped by the error of any call that found the GL
// context lost: the GPU was reset (a hang, a driver fault, another
// process's fault on a shared GPU) and every buffer is gone. The context
// cannot be used again; a run can resume from its last checkpoint.
var ErrDeviceLost = errors.New("engine: GPU device lost (context reset)")

// waitSlice is how long one glClientWaitSync may block, in nanoseconds,
// before the wait asks whether the context was lost.
const waitSlice = 500_000_000

// waitFence says whether fence has signalled. Without wait it only polls.
// With wait it blocks, in slices of waitSlice between which it asks
// glGetGraphicsResetStatus whether the context was lost, so a reset GPU
// ends the wait with ErrDeviceLost instead of hanging it. step is the
// sample's, for errors (formatted only then: collect runs every step).
// On the GL thread.
func (c *Context) waitFence(fence uintptr, wait bool, step int) (bool, error) {
	var timeout uint64
	if wait {
		timeout = waitSlice
	}
	for {
		switch r := gl.ClientWaitSync(fence, gl.SYNC_FLUSH_COMMANDS_BIT, timeout); r {
		case gl.ALREADY_SIGNALED, gl.CONDITION_SATISFIED:
			return true, nil
		case gl.TIMEOUT_EXPIRED:
			if !wait {
				return false, nil
			}
			if err := c.resetStatus(); err != nil {
				return false, fmt.Errorf("%w while waiting for the sample of step %d", err, step)
			}
		default: // GL_WAIT_FAILED
			if err := c.resetStatus(); err != nil {
				return false, fmt.Errorf("%w while waiting for the sample of step %d", err, step)
			}
			return false, fmt.Errorf("engine: waiting for the sample of step %d failed (glClientWaitSync returned 0x%x): %s", step, r, glErrorName(gl.GetError()))
		}
	}
}

// resetStatus returns an error wrapping ErrDeviceLost when the context was
// lost, nil when it was not or when the driver cannot say. On the GL thread.
func (c *Context) resetStatus() error {
	var st uint32
	switch c.resetQuery() {
	case "core":
		st = gl.GetGraphicsResetStatus()
	case "KHR":
		st = gl.GetGraphicsResetStatusKHR()
	case "ARB":
		st = gl.GetGraphicsResetStatusARB()
	default:
		return nil
	}
	switch st {
	case gl.NO_ERROR:
		return nil
	case gl.GUILTY_CONTEXT_RESET:
		return fmt.Errorf("%w: this context's own work caused it (GL_GUILTY_CONTEXT_RESET)", ErrDeviceLost)
	case gl.INNOCENT_CONTEXT_RESET:
		return fmt.Errorf("%w: another context's work caused it (GL_INNOCENT_CONTEXT_RESET)", ErrDeviceLost)
	default:
		return fmt.Errorf("%w: cause unknown (reset status 0x%x)", ErrDeviceLost, st)
	}
}

// resetQuery says which glGetGraphicsResetStatus the context has: "core"
// (GL 4.5), "KHR" or "ARB" (the robustness extensions), or "" for none;
// go-gl's entry points are loaded unchecked, so calling one the driver
// lacks would crash.
func (c *Context) resetQuery() string {
	v := c.info.Version // "4.5 (Core Profile) Mesa ..." or "4.6.0 NVIDIA ..."
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err == nil && (major > 4 || major == 4 && minor >= 5) {
		return "core"
	}
	for _, e := range c.info.Extensions {
		switch e {
		case "GL_KHR_robustness":
			return "KHR"
		case "GL_ARB_robustness":
			return "ARB"
		}
	}
	return ""
}
