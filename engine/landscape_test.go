package engine

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
)

// TestLandscapeMatchesCPU evaluates landscapes on the GPU and checks every
// grid point against cpu.Loss at the float64 grid point, in both precisions,
// with the parity harness's bounds (the f32 kernel also rounds the
// coordinates, an error of about |grad f| |x| 6e-8, inside 1e-6 of the
// grid's largest |f| for these boxes).
func TestLandscapeMatchesCPU(t *testing.T) {
	c := openTest(t, Options{})
	cases := []struct {
		problem        string
		x0, x1, y0, y1 float64
		cond           float64
	}{
		{"himmelblau", -5, 5, -5, 5, 1},
		{"rosenbrock", -2, 2, -1, 3, 1},
		{"beale", -4.5, 4.5, -4.5, 4.5, 1},
		{"rastrigin", -5.12, 5.12, -5.12, 5.12, 1},
		{"levy", -10, 10, -10, 10, 1},
		{"quadratic", -3, 2, -1, 4, 100},
	}
	const w, h = 37, 23 // not multiples of anything, and w*h > one workgroup
	for _, tc := range cases {
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			t.Run(fmt.Sprintf("%s/%s", tc.problem, prec), func(t *testing.T) {
				job := newJob(tc.problem, "adam", 2, prec)
				job.Cond = tc.cond
				got := make([]float64, w*h)
				if err := c.Landscape(&job, tc.x0, tc.x1, tc.y0, tc.y1, w, h, got); err != nil {
					t.Fatal(err)
				}
				want := make([]float64, w*h)
				dx, dy := (tc.x1-tc.x0)/(w-1), (tc.y1-tc.y0)/(h-1)
				for py := 0; py < h; py++ {
					for px := 0; px < w; px++ {
						want[py*w+px] = cpu.Loss(&job, []float64{tc.x0 + float64(px)*dx, tc.y0 + float64(py)*dy})
					}
				}
				compareVec(t, "landscape", prec, got, want)
			})
		}
	}
}

func TestLandscapeRefuses(t *testing.T) {
	c := openTest(t, Options{})
	dst := make([]float64, 4)
	job := newJob("ackley", "adam", 2, gdgpu.F32)
	if err := c.Landscape(&job, -1, 1, -1, 1, 2, 2, dst); !errors.Is(err, ErrLandscapePrepass) {
		t.Errorf("ackley: got %v, want ErrLandscapePrepass", err)
	}
	job = newJob("rosenbrock", "adam", 3, gdgpu.F32)
	if err := c.Landscape(&job, -1, 1, -1, 1, 2, 2, dst); err == nil {
		t.Error("rosenbrock --dim 3: no error")
	}
	job = newJob("himmelblau", "adam", 2, gdgpu.F32)
	if err := c.Landscape(&job, -1, 1, -1, 1, 3, 2, dst); err == nil {
		t.Error("short dst: no error")
	}
}
