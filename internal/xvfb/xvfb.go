// Package xvfb starts a virtual X server for the tests of the live window
// (built with -tags window), which need a display.
package xvfb

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Start starts a virtual X server on a free display (Xvfb picks it and
// writes its number to -displayfd) and points DISPLAY at it for the test;
// the server is killed when the test ends. A missing Xvfb fails the test:
// scripts/deps.sh installs it.
func Start(t testing.TB) {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		t.Fatalf("Xvfb is needed for the window test (scripts/deps.sh installs xvfb): %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	x := exec.Command(bin, "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	x.ExtraFiles = []*os.File{w}
	var xerr bytes.Buffer
	x.Stderr = &xerr
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() {
		x.Process.Kill() // the server this test started, by its process
		x.Wait()
	})
	// Xvfb writes the display number once it accepts connections; EOF
	// instead means it exited.
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("Xvfb did not start: %v\n%s", err, xerr.String())
	}
	t.Setenv("DISPLAY", ":"+strings.TrimSpace(line))
}
