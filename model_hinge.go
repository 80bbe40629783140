package gdgpu

import "math"

// hingeModel is the linear SVM's hinge loss, labels {-1,1}.
func hingeModel() ModelInfo {
	return ModelInfo{
		Name: "hinge", Summary: "linear SVM, the hinge loss max(0, 1 - y z), labels ±1", Labels: "{-1,1}", Classifier: true,
		CPU: func(*Job) CPUModelLoss { return hingeLoss },
		GPU: func(*Job) []string { return []string{"model_hinge.glsl"} },
		// the kink is at the margin y z = 1
		Kink: func(*Job) func(z, y float64) float64 {
			return func(z, y float64) float64 { return math.Abs(float64(y*z) - 1) }
		},
		Predict: predictBinary,
	}
}

// hingeLoss: l = max(0, 1 - y z), dl/dz = -y where y z < 1, else 0.
func hingeLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	correct := 0
	for i, v := range z {
		yi := y[i]
		dz[i] = 0
		if yi*v < 1 {
			dz[i] = -yi
		}
		loss += max(0, 1-float64(yi*v)) // rounded: no FMA
		if (v > 0) == (yi == 1) {
			correct++
		}
	}
	return loss, correct
}
