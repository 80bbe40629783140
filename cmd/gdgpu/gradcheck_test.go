package main

import (
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestGradcheckCPU: every registered problem's analytic gradient passes
// the finite-difference check on the CPU.
func TestGradcheckCPU(t *testing.T) {
	for _, p := range gradcheckTargets() {
		code, stdout, stderr := gdgpuRun(t, append([]string{"gradcheck", "--device", "cpu", "--points", "3"}, p...)...)
		if code != 0 || !strings.Contains(stdout, "within tolerance") || !strings.Contains(stdout, "not checked") {
			t.Errorf("%s: exit %d\n%s%s", p, code, stdout, stderr)
		}
	}
}

// gradcheckTargets is every objective as gradcheck flags: each problem
// with a dimension, each model (linear with each loss, a network with
// each activation) on gradcheck's synthetic data.
func gradcheckTargets() [][]string {
	var t [][]string
	for _, p := range gdgpu.ProblemNames() {
		t = append(t, []string{"--problem", p, "--dim", dimFor(p)})
	}
	for _, m := range gdgpu.ModelNames() {
		if info, _ := gdgpu.LookupModel(m); info.Net != nil {
			t = append(t, []string{"--problem", m})
			for _, a := range gdgpu.Activations {
				t = append(t, []string{"--problem", m, "--hidden", "5,4", "--activation", a})
			}
			t = append(t, []string{"--problem", m, "--mlp-task", "regression"})
			continue
		}
		if m != "linear" {
			t = append(t, []string{"--problem", m})
			continue
		}
		for _, l := range gdgpu.Losses {
			t = append(t, []string{"--problem", m, "--loss", l})
		}
	}
	return t
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
		{"--problem", "logistic", "--dim", "3"},
		{"--problem", "logistic", "--loss", "mae"},
		{"--problem", "linear", "--loss", "l3"},
		{"--problem", "mlp", "--hidden", "0"},
		{"--problem", "mlp", "--activation", "swish"},
		{"--problem", "mlp", "--leaky-slope", "0.2"},
		{"--problem", "softmax", "--hidden", "3"},
		{"--problem", "mlp", "--mlp-task", "ordinal"},
		{"--problem", "softmax", "--mlp-task", "regression"},
	} {
		code, stdout, stderr := gdgpuRun(t, append([]string{"gradcheck", "--device", "cpu"}, args...)...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s%s", args, code, exitUsage, stdout, stderr)
		}
	}
}

// TestGPUGradcheck: every registered problem's GPU gradient matches the
// CPU's in both precisions (llvmpipe in CI; fails without a GL context).
func TestGPUGradcheck(t *testing.T) {
	for _, p := range gradcheckTargets() {
		for _, prec := range []string{"f32", "f64"} {
			code, stdout, stderr := gdgpuRun(t, append([]string{"gradcheck", "--precision", prec, "--points", "2"}, p...)...)
			if info, ok := gdgpu.LookupModel(p[1]); ok && info.GPU == nil {
				// a model without GLSL: refused before any GL context
				if code != exitUsage || !strings.Contains(stderr, "runs on the CPU backend only for now; use --device cpu") {
					t.Errorf("%s %s: exit %d, want %d refusing the GPU\n%s%s", p, prec, code, exitUsage, stdout, stderr)
				}
				continue
			}
			if code != 0 || !strings.Contains(stdout, "gpu/"+prec+" vs cpu") || !strings.Contains(stdout, "within tolerance") {
				t.Errorf("%s %s: exit %d\n%s%s", p, prec, code, stdout, stderr)
			}
		}
	}
}

// A wrong analytic gradient (one component off by 0.5, through the test
// hook) fails the check: exit 1, naming the error beyond tolerance, on the
// CPU alone and with the GPU (whose gradient then disagrees too).
func TestGradcheckMismatch(t *testing.T) {
	gradcheckPerturb = func(g []float64) { g[3] += 0.5 }
	t.Cleanup(func() { gradcheckPerturb = nil })
	for _, device := range []string{"cpu", "gpu"} {
		code, stdout, stderr := gdgpuRun(t, "gradcheck", "--problem", "quadratic", "--device", device, "--precision", "f64", "--points", "2", "--dim", "37")
		if code != exitMismatch {
			t.Errorf("--device %s: exit %d, want %d\n%s%s", device, code, exitMismatch, stdout, stderr)
		}
		if !strings.Contains(stdout, "central differences (cpu, f64): max abs 0.5 ") || !strings.Contains(stdout, "BEYOND TOLERANCE") ||
			!strings.HasSuffix(stdout, "beyond tolerance\n") {
			t.Errorf("--device %s: the output does not name the worst error (max abs 0.5) beyond tolerance:\n%s", device, stdout)
		}
		if device == "gpu" && !strings.Contains(stdout, "vs cpu gradient:                   max abs 0.5 ") {
			t.Errorf("--device gpu: the GPU line does not name the 0.5 difference:\n%s", stdout)
		}
	}
}
