package main

import (
	"fmt"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
)

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
