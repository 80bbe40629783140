package main

import (
	"strings"
	"testing"
)

// TestHelpSlips: --target's placeholder is a column, --history is a whole
// number with torch's name, plot's --log-y states its default once, and a
// run's summary shows where it started beside where it ended.
func TestHelpSlips(t *testing.T) {
	_, help, _ := gdgpuRun(t, "run", "--help")
	for _, want := range []string{"--target COLUMN", "--history int", "history_size"} {
		if !strings.Contains(help, want) {
			t.Errorf("run --help lacks %q", want)
		}
	}
	_, help, _ = gdgpuRun(t, "plot", "--help")
	for _, line := range strings.Split(help, "\n") {
		if strings.Contains(line, "--log-y ") && strings.Count(line, "default") != 1 {
			t.Errorf("plot --help: %q", line)
		}
	}
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "5")
	if code != 0 || !strings.Contains(stdout, "start loss:   2057 (step 0), grad norm 2069.43") {
		t.Errorf("exit %d, the summary lacks the start\n%s%s", code, stdout, stderr)
	}
}

// TestVersionAndCompletion: --version names the tool, its build and Go;
// completion scripts come for bash, zsh and fish; an unknown shell is a
// usage error.
func TestVersionAndCompletion(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "gdgpu ") || !strings.Contains(stdout, "go1.") {
		t.Errorf("--version: exit %d\n%s%s", code, stdout, stderr)
	}
	for shell, want := range map[string]string{"bash": "__gdgpu", "zsh": "#compdef gdgpu", "fish": "complete -c gdgpu"} {
		code, stdout, stderr := gdgpuRun(t, "completion", shell)
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("completion %s: exit %d, lacks %q\n%s", shell, code, want, stderr)
		}
	}
	if code, _, stderr := gdgpuRun(t, "completion", "tcsh"); code != exitUsage {
		t.Errorf("completion tcsh: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
}
