package viewer

import (
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestSceneWhere: the summary names the landscape's box and where it was
// evaluated for two parameters, and the projection's share of the
// variance, with the dimension named by name (its Go name when nil), for
// more.
func TestSceneWhere(t *testing.T) {
	line := &Race{Done: true, Result: gdgpu.Result{Status: gdgpu.StepLimit}}
	plane := &Race{Done: true, Result: gdgpu.Result{Status: gdgpu.StepLimit}}
	for i := 0; i <= 10; i++ {
		s := float64(i)
		line.Steps = append(line.Steps, i)
		line.Points = append(line.Points, []float64{s / 10, s / 10})
		plane.Steps = append(plane.Steps, i)
		plane.Points = append(plane.Points, []float64{s, 0, 0, 0})
	}
	for _, tc := range []struct {
		name  string
		job   *gdgpu.Job
		race  *Race
		box   []float64
		namer func(string) string
		want  string
	}{
		{"landscape", &gdgpu.Job{Problem: "himmelblau", Dim: 2}, line, []float64{-1, 2.5, 0, 1}, nil,
			"himmelblau on [-1, 2.5] x [0, 1], landscape on bowl"},
		{"projected", &gdgpu.Job{Problem: "rosenbrock", Dim: 4}, plane, nil, nil,
			"rosenbrock at Job.Dim 4 projected on the trajectories' principal plane (100.0% + 0.0% of their variance)"},
		{"projected, named", &gdgpu.Job{Problem: "rosenbrock", Dim: 4}, plane, nil, func(f string) string { return "<" + f + ">" },
			"rosenbrock at <Job.Dim> 4 projected on the trajectories' principal plane (100.0% + 0.0% of their variance)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			land := func(box []float64, w, h int, out []float64) (string, error) {
				_, err := bowl(box, w, h, out)
				return "bowl", err
			}
			sc, err := NewScene(tc.job, []*Race{tc.race}, tc.box, 300, 260, Light, land)
			if err != nil {
				t.Fatal(err)
			}
			if got := sc.Where(tc.namer); got != tc.want {
				t.Errorf("Where = %q, want %q", got, tc.want)
			}
		})
	}
}
