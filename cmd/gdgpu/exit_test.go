package main

import (
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestConvergedRunsSucceed: a run stopped by any of the job's rules exits
// 0 with the status in its summary; only Diverged (4) and Interrupted (5)
// fail. Each rule is met for real, on the CPU.
func TestConvergedRunsSucceed(t *testing.T) {
	base := []string{"run", "--device", "cpu", "--problem", "quadratic", "--dim", "10", "--optimizer", "sgd", "--lr", "0.5", "--steps", "1000", "--log-every", "5"}
	for _, tc := range []struct {
		args   []string
		status gdgpu.Status
		code   int
	}{
		{nil, gdgpu.StepLimit, exitOK},
		{[]string{"--grad-tol", "1e-6"}, gdgpu.GradientThreshold, exitOK},
		{[]string{"--func-tol", "1e-6", "--lr", "1e-9"}, gdgpu.FunctionConvergence, exitOK},
		{[]string{"--loss-target", "1e-8"}, gdgpu.FunctionThreshold, exitOK},
		{[]string{"--time-limit", "1ns"}, gdgpu.RuntimeLimit, exitOK},
		{[]string{"--lr", "5"}, gdgpu.Diverged, exitDiverged},
	} {
		code, stdout, stderr := gdgpuRun(t, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(stdout, tc.status.String()+" at step") {
			t.Errorf("%v: exit %d, want %d with %s\n%s%s", tc.args, code, tc.code, tc.status, stdout, stderr)
		}
		if statusExit(tc.status) != tc.code {
			t.Errorf("statusExit(%s) = %d, want %d", tc.status, statusExit(tc.status), tc.code)
		}
	}
	if statusExit(gdgpu.Interrupted) != exitInterrupted || statusExit(gdgpu.NotTerminated) != exitFailure {
		t.Error("Interrupted must exit 5, an unfinished status 3")
	}
}
