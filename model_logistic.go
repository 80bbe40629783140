package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// logisticModel is logistic regression: binary cross-entropy on the logit
// z = w·x + b, labels {0,1}.
func logisticModel() ModelInfo {
	return ModelInfo{
		Name: "logistic", Summary: "logistic regression, binary cross-entropy on the logit z = w·x + b", Labels: "{0,1}", Classifier: true,
		CPU:     func(*Job) CPUModelLoss { return logisticLoss },
		GPU:     func(*Job) []string { return []string{"model_logistic.glsl"} },
		Predict: predictBinary,
		Probabilities: func(z, p []float64) {
			s := 1 / (1 + kern.Exp(-z[0]))
			if z[0] < 0 {
				e := kern.Exp(z[0])
				s = e / (1 + e)
			}
			p[0], p[1] = 1-s, s
		},
	}
}

// logisticLoss: binary cross-entropy with logits, l = max(z, 0) - y z +
// log1p(exp(-|z|)), dl/dz = σ(z) - y.
func logisticLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	correct := 0
	for i, v := range z {
		yi := y[i]
		dz[i] = sigmoid(v) - yi
		loss += max(v, 0) - float64(yi*v) + math.Log1p(kern.Exp(-math.Abs(v))) // rounded: no FMA
		if (v > 0) == (yi == 1) {
			correct++
		}
	}
	return loss, correct
}

// sigmoid is 1/(1+e^-z), computed from e^-|z| so that neither branch
// overflows.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + kern.Exp(-z))
	}
	e := kern.Exp(z)
	return e / (1 + e)
}
