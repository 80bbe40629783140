package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer/window"
)

// runWindow races the racers live in the window (package viewer/window),
// which the binary has when built with -tags window, from start (nil: the
// first racer's start point), and prints each race's final line.
func runWindow(cmd *cobra.Command, racers []window.Racer, start []float64, v *viewFlags, box []float64, w, h int, stdout io.Writer) error {
	theme, _ := viewTheme(v.theme, true) // runView has checked the name
	stderr := cmd.ErrOrStderr()
	races, err := window.Run(cmd.Context(), racers, window.Options{
		Width: w, Height: h, Theme: theme, Bounds: box,
		StepsPerFrame: max(1, v.every),
		Start:         start,                           // --init's values; nil: the job's start point
		Started:       func() { graceful.Store(true) }, // the window polls ctx each frame and closes cleanly
		Saved: func(path string, err error) {
			if err != nil {
				fmt.Fprintf(stderr, "gdgpu: %s\n", strings.TrimPrefix(err.Error(), "window: "))
			} else {
				fmt.Fprintf(stdout, "saved %s\n", path)
			}
		},
		Warn: func(err error) { fmt.Fprintf(stderr, "gdgpu: %v\n", err) },
	})
	if err != nil {
		return windowError(err, racers)
	}
	for _, r := range races {
		fmt.Fprintln(stdout, r.Label())
	}
	return nil
}

// windowError is the command line's error for the window's err: the
// binary without the window, or no display, says what to do instead; a
// race too big for its device is bad input (exit 2), as in run.
func windowError(err error, racers []window.Racer) error {
	if errors.Is(err, window.ErrNotBuilt) {
		return usagef("this gdgpu was built without the live window; give --png FILE or --frames DIR, or build the window with `make view` (bin/gdgpu-view, go build -tags egl,window ./cmd/gdgpu)")
	}
	var we *window.Error
	if errors.As(err, &we) {
		if we.Headless {
			return failure(fmt.Errorf("gdgpu: the window: %v (a display is needed; headless, use --png or --frames)", we.Err))
		}
		return failure(fmt.Errorf("gdgpu: the window: %v", we.Err))
	}
	return raceError(err, racers)
}

// raceError is the command line's error for a race's err, in the window or
// a picture (window.RaceError): a race too big for its device is bad
// input (exit 2), as in run; anything else a runtime error.
func raceError(err error, racers []window.Racer) error {
	var re *window.RaceError
	if errors.As(err, &re) && (errors.Is(err, cpu.ErrTooBig) || errors.Is(err, engine.ErrTooBig)) {
		return usagef("%v%s", re.Err, historyHint(&racers[re.Race].Job))
	}
	return failure(err)
}
