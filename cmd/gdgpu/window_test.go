//go:build window

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/xvfb"
)

// startXvfb points DISPLAY at a virtual X server for the test.
func startXvfb(t *testing.T) { xvfb.Start(t) }

// TestWindowCommand: view without --png or --frames opens the window
// (package viewer/window, whose own tests draw in it and read it back)
// with the races the flags describe, and prints each race's line when it
// ends: here at once, its context cancelled as SIGINT cancels it.
func TestWindowCommand(t *testing.T) {
	startXvfb(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var so, se bytes.Buffer
	args := []string{"view", "--problem", "himmelblau", "--race", "adam lr=0.01", "--race", "sgd lr=0.02 momentum=0.9",
		"--steps", "40", "--every", "4", "--size", "256x240"}
	if code := runContext(ctx, args, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s%s", code, so.String(), se.String())
	}
	lines := strings.Split(strings.TrimSpace(so.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "adam lr 0.01") || !strings.HasPrefix(lines[1], "sgd momentum=0.9 lr 0.02") {
		t.Errorf("stdout %q, want a line per race, named as the legend names it", so.String())
	}
}

// TestWindowNoDisplay: without a display (DISPLAY unset, or naming a
// server that is not there) view fails with a message that says so and
// how to run headless, and does not panic: GLFW's go binding logs a
// platform error from glfwInit and returns nil, and the next GLFW call
// panicked with NotInitialized.
func TestWindowNoDisplay(t *testing.T) {
	for _, display := range []string{"", ":12345"} {
		t.Setenv("DISPLAY", display)
		t.Setenv("WAYLAND_DISPLAY", "")
		var so, se bytes.Buffer
		code := runContext(context.Background(), []string{"view", "--problem", "himmelblau", "--steps", "10"}, &so, &se)
		if code != 3 {
			t.Errorf("DISPLAY=%q: exit %d, want 3: %s", display, code, se.String())
		}
		if !strings.Contains(se.String(), "--png or --frames") {
			t.Errorf("DISPLAY=%q: stderr %q does not say how to run headless", display, se.String())
		}
		if want := "gdgpu: the window: DISPLAY is not set (a display is needed; headless, use --png or --frames)\n"; display == "" && se.String() != want {
			t.Errorf("DISPLAY unset: stderr %q, want %q", se.String(), want)
		}
	}
}
