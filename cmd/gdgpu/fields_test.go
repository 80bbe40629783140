package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
	for _, dir := range []string{"../..", "../../engine", "../../cpu", "../../bench", "../../device", "../../viewer", "../../viewer/window"} {
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
