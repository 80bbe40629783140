package main

import (
	"errors"
	"fmt"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// landscapeEngine is the engine a view's landscape is evaluated on: ec
// for a GPU run, none (cpu.Loss in float64) for a --device cpu one, in
// the window too, whose context would otherwise evaluate it in
// --precision and draw another picture than the PNG's.
func landscapeEngine(s *setup, ec *engine.Context) *engine.Context {
	if s.device != "gpu" {
		return nil
	}
	return ec
}

// landscapeFunc evaluates job's landscape on ec's GPU, or on the CPU when
// ec is nil or the objective needs a pre-pass (engine.ErrLandscapePrepass).
func landscapeFunc(job *gdgpu.Job, ec *engine.Context) viewer.LandscapeFunc {
	return func(box []float64, w, h int, land []float64) (string, error) {
		if ec != nil {
			err := ec.Landscape(job, box[0], box[1], box[2], box[3], w, h, land)
			if err == nil {
				return "gpu/" + job.Precision.String(), nil
			}
			if !errors.Is(err, engine.ErrLandscapePrepass) {
				return "", err
			}
		}
		cpuLandscape(job, box, w, h, land)
		return "cpu/f64", nil
	}
}

// sceneWhere says what the scene's left panel shows, for view's summary
// line.
func sceneWhere(job *gdgpu.Job, sc *viewer.Scene) string {
	if viewer.Projected(job) {
		return fmt.Sprintf("%s at --dim %d projected on the trajectories' principal plane (%.1f%% + %.1f%% of their variance)",
			job.Problem, job.Dim, 100*sc.Explained[0], 100*sc.Explained[1])
	}
	b := sc.Box
	return fmt.Sprintf("%s on [%g, %g] x [%g, %g], landscape on %s", job.Problem, b[0], b[1], b[2], b[3], sc.LandscapeOn)
}
