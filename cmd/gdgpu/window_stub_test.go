//go:build !window

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestViewWindowNotBuilt: the default binary has no window, and view
// without --png or --frames says how to build one (exit 2).
func TestViewWindowNotBuilt(t *testing.T) {
	var so, se bytes.Buffer
	if code := runContext(context.Background(), []string{"view", "--problem", "himmelblau"}, &so, &se); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, se.String())
	}
	for _, want := range []string{"built without the live window", "make view", "-tags egl,window"} {
		if !strings.Contains(se.String(), want) {
			t.Errorf("stderr %q lacks %q", se.String(), want)
		}
	}
}
