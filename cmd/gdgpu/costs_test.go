package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestCosts: the figure is written in each format, names every loss in
// its legend, and bad flags are refused.
func TestCosts(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.png")
	if code, out, errs := gdgpuRun(t, "costs", "-o", p, "--width", "16cm", "--height", "8cm"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 200 {
		t.Errorf("picture %v", b)
	}
	s := filepath.Join(dir, "c.svg")
	if code, out, errs := gdgpuRun(t, "costs", "-o", s, "--delta", "0.5"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	svg := string(readFile(t, s))
	for _, l := range append(gdgpu.Losses, "huber (delta 0.5)", "derivative dl/dr") {
		if !strings.Contains(svg, l) {
			t.Errorf("the SVG does not name %q", l)
		}
	}
	for _, args := range [][]string{{"-o", filepath.Join(dir, "c.txt")}, {"-o", p, "--delta", "0"}, {"-o", p, "--range", "NaN"}, {}} {
		if code, _, _ := gdgpuRun(t, append([]string{"costs"}, args...)...); code != exitUsage {
			t.Errorf("costs %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
