package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// maeCost is the absolute error |r|, torch.nn.L1Loss's term.
func maeCost() RegressionCost {
	return RegressionCost{Name: "mae", CPU: maeLoss, GPU: "cost_mae.glsl", Kinked: true}
}

// maeLoss: l = |r|, dl/dz = sign(r), 0 at r = 0.
func maeLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	for i, v := range z {
		r := v - y[i]
		dz[i] = kern.Sign(r)
		loss += math.Abs(r)
	}
	return loss, 0
}
