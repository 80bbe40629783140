//go:build !window

package window

import (
	"context"

	"github.com/gdgpu/gdgpu/viewer"
)

// Run races the racers live in a GLFW window, until it is closed or ctx
// is cancelled, and returns the races as they ended: in a binary built
// with -tags window (see the package's doc). This binary was built
// without it, so that it links no GLFW or X11 (a headless server has
// neither): here Run opens nothing and returns ErrNotBuilt.
func Run(ctx context.Context, racers []Racer, o Options) ([]*viewer.Race, error) {
	return nil, ErrNotBuilt
}
