package gdgpu

import "math"

// linearModel is linear regression, z = w·x + b, with the job's regression
// cost (Job.Loss, one file each: cost_*.go) as its per-sample loss.
func linearModel() ModelInfo {
	return ModelInfo{
		Name: "linear", Summary: "linear regression z = w·x + b with {Job.Loss} mse|mae|huber|logcosh", Labels: "real",
		Costs: true,
		CPU:   func(job *Job) CPUModelLoss { return jobCost(job).CPU },
		GPU:   func(job *Job) []string { return []string{jobCost(job).GPU, "model_linear.glsl"} },
		Kink: func(job *Job) func(z, y float64) float64 {
			if !jobCost(job).Kinked {
				return nil
			}
			// a kinked cost's kink is at the residual r = z - y = 0
			return func(z, y float64) float64 { return math.Abs(z - y) }
		},
	}
}
