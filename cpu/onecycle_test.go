package cpu

import (
	"context"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestOneCycleMomentumTrajectory runs SGD with momentum and Adam under a
// onecycle schedule that cycles momentum, through gdgpu.Run on this
// backend, against torch's loop written out here from torch.optim.SGD's,
// torch.optim.Adam's and OneCycleLR's source: before optimizer step T
// (1-based) the scheduler has set the lr and the momentum (or beta1) to
// their values after T-1 calls of scheduler.step(), and Adam's bias
// correction 1 - beta1^T uses the beta1 of that step. The schedule's lr and
// momentum values themselves are checked by the gdgpu package's tests.
func TestOneCycleMomentumTrajectory(t *testing.T) {
	const n, steps = 50, 40
	for _, name := range []string{"sgd", "adam"} {
		lr := map[string]float64{"sgd": 1e-4, "adam": 1e-3}[name]
		t.Run(name, func(t *testing.T) {
			job := gdgpu.NewJob()
			job.Problem, job.Dim, job.Steps, job.LogEvery = "rosenbrock", n, steps, steps
			job.Optimizer, _ = gdgpu.DefaultOptimizer(name)
			job.Optimizer.LR = lr
			var err error
			if job.Schedule, err = gdgpu.DefaultSchedule("onecycle"); err != nil {
				t.Fatal(err)
			}
			job.Schedule.TotalSteps = steps
			if err := job.Validate(); err != nil {
				t.Fatal(err)
			}
			b, err := New(&job)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			x0 := job.StartPoint()
			if _, err := gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{}); err != nil {
				t.Fatal(err)
			}
			got := params(t, b)

			// torch's loop.
			x := append([]float64(nil), x0...)
			s0, s1 := make([]float64, n), make([]float64, n)
			g := make([]float64, n)
			o := job.Optimizer
			for T := 1; T <= steps; T++ {
				lr := job.Schedule.LR(o.LR, T-1)
				mom, ok := job.Schedule.Momentum(T - 1)
				if !ok {
					t.Fatal("onecycle gave no momentum")
				}
				Grad(&job, g, x)
				for i := range x {
					if name == "sgd" { // buf = g on the first step, then buf*momentum + g
						if T == 1 {
							s0[i] = g[i]
						} else {
							s0[i] = s0[i]*mom + g[i]
						}
						x[i] -= lr * s0[i]
					} else { // exp_avg.lerp_(g, 1-beta1); exp_avg_sq.mul_(beta2).addcmul_(g, g, 1-beta2)
						s0[i] += (1 - mom) * (g[i] - s0[i])
						s1[i] = s1[i]*o.Beta2 + (1-o.Beta2)*g[i]*g[i]
						bc1 := 1 - math.Pow(mom, float64(T))
						bc2 := 1 - math.Pow(o.Beta2, float64(T))
						x[i] -= lr / bc1 * s0[i] / (math.Sqrt(s1[i])/math.Sqrt(bc2) + o.Eps)
					}
				}
			}
			worst := 0.0
			for i := range x {
				worst = max(worst, math.Abs(got[i]-x[i])/max(math.Abs(x[i]), 1))
			}
			// Both are float64 with the same rule; they differ by the order of
			// a few roundings (lerp's form, the bias corrections' powers).
			if !(worst <= 1e-12) { // NaN too: a diverged pair must not pass

				t.Errorf("parameters differ from torch's loop by %.3g (relative)", worst)
			}
			if r := Loss(&job, x); !(r < Loss(&job, x0)) {
				t.Errorf("torch's loop did not descend (loss %v from %v): the comparison means little", r, Loss(&job, x0))
			}
			// Without the momentum cycle the run is different: the check can fail.
			job2 := job
			job2.Schedule.CycleMomentum = false
			job2.Optimizer, _ = gdgpu.DefaultOptimizer(name)
			job2.Optimizer.LR, job2.Optimizer.Momentum = lr, 0.95
			job2.Optimizer.Beta1 = job.Optimizer.Beta1
			b2, err := New(&job2)
			if err != nil {
				t.Fatal(err)
			}
			defer b2.Close()
			if _, err := gdgpu.Run(context.Background(), &job2, b2, x0, gdgpu.Hooks{}); err != nil {
				t.Fatal(err)
			}
			fixed := params(t, b2)
			diff := 0.0
			for i := range x {
				diff = max(diff, math.Abs(fixed[i]-x[i])/max(math.Abs(x[i]), 1))
			}
			if !(diff > 1e-6) {
				t.Errorf("a fixed momentum gives the same parameters (%.3g): the test cannot tell", diff)
			}
		})
	}
}
