// Package linkcheck reads which shared libraries an executable links, so
// that tests can hold the headless binaries to libEGL alone: a server
// without X11 must be able to run them.
package linkcheck

import (
	"debug/elf"
	"fmt"
	"os"
	"strings"
)

// Windowing lists the prefixes of the libraries a headless binary must not
// link: X11 and xcb, libGL and GLX (which pull in X11), and GLFW.
var Windowing = []string{"libX", "libxcb", "libGL.so", "libGLX", "libglfw"}

// Self checks the running executable (a test binary links what the
// package under test links): it returns the libraries it imports that
// start with one of the forbidden prefixes, and whether it links libEGL.
func Self(forbidden []string) (bad []string, egl bool, libs []string, err error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, false, nil, fmt.Errorf("linkcheck: %w", err)
	}
	f, err := elf.Open(exe)
	if err != nil {
		return nil, false, nil, fmt.Errorf("linkcheck: %w", err)
	}
	defer f.Close()
	if libs, err = f.ImportedLibraries(); err != nil {
		return nil, false, nil, fmt.Errorf("linkcheck: %s: %w", exe, err)
	}
	for _, l := range libs {
		for _, p := range forbidden {
			if strings.HasPrefix(l, p) {
				bad = append(bad, l)
				break
			}
		}
		egl = egl || strings.HasPrefix(l, "libEGL")
	}
	return bad, egl, libs, nil
}
