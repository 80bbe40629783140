package main

import (
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestGradcheckCPU: every registered problem's analytic gradient passes
// the finite-difference check on the CPU.
func TestGradcheckCPU(t *testing.T) {
	for _, p := range gdgpu.ProblemNames() {
		code, stdout, stderr := gdgpuRun(t, "gradcheck", "--problem", p, "--device", "cpu", "--points", "3", "--dim", dimFor(p))
		if code != 0 || !strings.Contains(stdout, "within tolerance") || !strings.Contains(stdout, "not checked") {
			t.Errorf("%s: exit %d\n%s%s", p, code, stdout, stderr)
		}
	}
}

func dimFor(p string) string {
	if info, _ := gdgpu.LookupProblem(p); info.MaxDim == 2 {
		return "2"
	}
	return "37"
}

func TestGradcheckBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--problem", "nope"},
		{"--points", "0"},
		{"--device", "tpu"},
		{"--precision", "f16"},
		{"--problem", "beale", "--dim", "3"},
		{"--dim", "x"},
	} {
		code, stdout, stderr := gdgpuRun(t, append([]string{"gradcheck", "--device", "cpu"}, args...)...)
		if code != gdgpu.ExitUsage {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, gdgpu.ExitUsage, stdout, stderr)
		}
	}
}

// TestGPUGradcheck: every registered problem's GPU gradient matches the
// CPU's in both precisions (llvmpipe in CI; fails without a GL context).
func TestGPUGradcheck(t *testing.T) {
	for _, p := range gdgpu.ProblemNames() {
		for _, prec := range []string{"f32", "f64"} {
			code, stdout, stderr := gdgpuRun(t, "gradcheck", "--problem", p, "--precision", prec, "--points", "2", "--dim", dimFor(p))
			if code != 0 || !strings.Contains(stdout, "gpu/"+prec+" vs cpu") || !strings.Contains(stdout, "within tolerance") {
				t.Errorf("%s %s: exit %d\n%s%s", p, prec, code, stdout, stderr)
			}
		}
	}
}
