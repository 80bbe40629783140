package gdgpu

import "math"

// perceptronModel is the perceptron criterion, labels {-1,1}.
func perceptronModel() ModelInfo {
	return ModelInfo{
		Name: "perceptron", Summary: "the perceptron criterion max(0, -y z), labels ±1", Labels: "{-1,1}", Classifier: true,
		CPU: func(*Job) CPUModelLoss { return perceptronLoss },
		GPU: func(*Job) []string { return []string{"model_perceptron.glsl"} },
		// the kink is at the margin y z = 0
		Kink: func(*Job) func(z, y float64) float64 {
			return func(z, y float64) float64 { return math.Abs(float64(y*z) - 0) }
		},
		Predict: predictBinary,
	}
}

// perceptronLoss: l = max(0, -y z), dl/dz = -y where y z <= 0 (a sample
// on the boundary updates, so the all-zero start moves), else 0.
func perceptronLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	correct := 0
	for i, v := range z {
		yi := y[i]
		dz[i] = 0
		if yi*v <= 0 {
			dz[i] = -yi
		}
		loss += max(0, -yi*v)
		if (v > 0) == (yi == 1) {
			correct++
		}
	}
	return loss, correct
}
