package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// logcoshCost is log cosh r.
func logcoshCost() RegressionCost {
	return RegressionCost{Name: "logcosh", CPU: logcoshLoss, GPU: "cost_logcosh.glsl"}
}

// logcoshLoss: l = log cosh r, computed as |r| + log1p(exp(-2|r|)) - log 2
// so that it does not overflow, and dl/dz = tanh r.
func logcoshLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	for i, v := range z {
		r := v - y[i]
		a := math.Abs(r)
		dz[i] = kern.Tanh(r)
		loss += a + math.Log1p(kern.Exp(-2*a)) - math.Ln2
	}
	return loss, 0
}
