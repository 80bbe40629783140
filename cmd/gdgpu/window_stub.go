//go:build !window

package main

import (
	"io"

	"github.com/spf13/cobra"
)

// runWindow is the live window's stand-in in the default binary: the
// window needs GLFW and X11, which the default build must not link (a
// headless server has neither), so it is built only with -tags window.
func runWindow(cmd *cobra.Command, setups []*setup, v *viewFlags, box []float64, w, h int, stdout io.Writer) error {
	return usagef("this gdgpu was built without the live window; give --png FILE or --frames DIR, or build the window with `make view` (bin/gdgpu-view, go build -tags egl,window ./cmd/gdgpu)")
}
