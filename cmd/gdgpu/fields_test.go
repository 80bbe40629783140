package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestEveryFieldHasAFlag: every field the library's refusals and
// descriptor texts name ({Job.Dim} in a string, and the schedule fields
// its range checks name) has a flag here, so that no Go name reaches a user of
// the command line (fieldFlag would fall back to it quietly).
func TestEveryFieldHasAFlag(t *testing.T) {
	// A field's mark in a string literal (gdgpu.NameFields' form).
	literal := regexp.MustCompile(`"(?:[^"\\\n]|\\.)*"`)
	token := regexp.MustCompile(`\{([A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9-]*)\}`)
	schedCheck := regexp.MustCompile(`\b(?:atLeast|positive|nonNegative)\("([A-Za-z0-9]+)"`)
	found := map[string]string{} // field -> a file naming it
	for _, dir := range []string{"../..", "../../engine", "../../cpu", "../../bench", "../../device", "../../gradcheck", "../../viewer", "../../viewer/window"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(b), "\n") {
				for _, lit := range literal.FindAllString(line, -1) {
					for _, m := range token.FindAllStringSubmatch(lit, -1) {
						found[m[1]] = f
					}
				}
				for _, m := range schedCheck.FindAllStringSubmatch(line, -1) {
					found["Schedule."+m[1]] = f
				}
			}
		}
	}
	if len(found) < 40 {
		t.Fatalf("found %d fields named, want the library's (40 or more): is the scan broken?", len(found))
	}
	for field, f := range found {
		if fieldFlag(field) == field {
			t.Errorf("%s names %s, which has no flag in fieldFlags", f, field)
		}
	}
}

// TestFieldGiven: a field counts as given when its flag was (the value
// after = or a space dropped), or one of alsoFlags; and every field
// gdgpu.Checkpoint.ResumeJob asks about has a flag, so that none is
// silently taken from the checkpoint.
func TestFieldGiven(t *testing.T) {
	for _, tc := range []struct {
		field   string
		changed []string
		want    bool
	}{
		{"Job.Dim", []string{"dim"}, true},
		{"Job.Dim", []string{"steps"}, false},
		{"Job.Steps", []string{"steps"}, true},
		{"Job.Steps", []string{"epochs"}, false}, // JobRequest.Epochs, its own field
		{"JobRequest.Epochs", []string{"epochs"}, true},
		{"Optimizer.lr", []string{"lr"}, true},
		{"Optimizer.beta1", []string{"lr"}, false},
		{"Schedule.Gamma", []string{"lr-gamma"}, true},
		{"Job.NoIntercept", []string{"intercept"}, true},
		{"JobRequest.Intercept", []string{"intercept"}, true},
		{"JobRequest.InitFile", []string{"init"}, true},
		{"JobRequest.Resume", []string{"resume"}, true},
		{"Job.Objective", []string{"objective-file"}, true},
		{"Job.Objective", []string{"objective"}, true},
		{"cpu.Open", []string{"device"}, true},
		{"gdgpu.ProblemNames", []string{"problem"}, false},
		{"No.Such", []string{"No.Such"}, false},
	} {
		given := fieldGiven(func(fl string) bool { return slices.Contains(tc.changed, fl) })
		if got := given(tc.field); got != tc.want {
			t.Errorf("%s with %v given: %v, want %v", tc.field, tc.changed, got, tc.want)
		}
	}
	cp := &gdgpu.Checkpoint{Job: gdgpu.NewJob()}
	job := cp.Job
	asked := 0
	cp.ResumeJob(&job, func(field string) bool {
		asked++
		if !strings.HasPrefix(fieldFlag(field), "--") {
			t.Errorf("ResumeJob asks about %s, which has no flag", field)
		}
		return false
	})
	if asked < 20 {
		t.Errorf("ResumeJob asked about %d fields: is the check broken?", asked)
	}
}

// TestInFlagsNested: a FieldError that reports another (viewer's refusal
// of a racer whose job is invalid) has the fields of both in flags.
func TestInFlagsNested(t *testing.T) {
	inner := gdgpu.FieldErrorf("{Optimizer.momentum} %g is out of range", -1.0)
	for _, tc := range []struct {
		err  error
		want string
	}{
		{inner, "gdgpu: --momentum -1 is out of range"},
		{gdgpu.FieldErrorf("{RacerSpec.Text} %q: %w", "sgd momentum=-1", inner).In("viewer"),
			`viewer: --race "sgd momentum=-1": gdgpu: --momentum -1 is out of range`},
		{fmt.Errorf("cpu: %w", gdgpu.FieldErrorf("{RaceRequest.Every} 0: %w", inner)),
			"cpu: gdgpu: --every 0: gdgpu: --momentum -1 is out of range"},
		{errors.New("no fields"), "no fields"},
	} {
		if got := inFlags(tc.err, fieldFlag); got != tc.want {
			t.Errorf("inFlags(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
