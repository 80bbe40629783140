package main

import (
	"strings"
	"testing"
)

// A job too big for the device is bad input: exit 2 with the engine's
// message naming what it needs and what is available, before the host
// allocates anything of the job's size (so it comes back at once).
// TestRunTooBigForHost: the same on the CPU, which refuses rather than let
// Go die out of memory.
func TestRunTooBigForHost(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "2147483647", "--optimizer", "adam", "--steps", "1")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUsage, stdout, stderr)
	}
	for _, want := range []string{"job too big for this machine", "MiB of host memory", "MemAvailable"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr)
		}
	}
}

func TestRunTooBigForDevice(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "run", "--dim", "2147483647", "--precision", "f64", "--optimizer", "adam", "--steps", "1")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitUsage, stdout, stderr)
	}
	for _, want := range []string{"job needs ", "of device memory (parameters x2", "exp_avg", "MiB", "available ("} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not name %q:\n%s", want, stderr)
		}
	}
}
