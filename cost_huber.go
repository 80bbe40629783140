package gdgpu

import (
	"math"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// huberCost is torch.nn.HuberLoss's term, with --delta δ.
func huberCost() RegressionCost {
	return RegressionCost{Name: "huber", CPU: huberLoss, GPU: "cost_huber.glsl", Delta: true}
}

// huberLoss: l = ½r² and dl/dz = r where |r| < δ, else δ(|r| - ½δ) and
// δ·sign(r).
func huberLoss(loss float64, z, dz, y []float64, delta float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	for i, v := range z {
		r := v - y[i]
		a := math.Abs(r)
		if a < delta {
			dz[i] = r
			loss += float64(0.5 * r * r) // rounded: no FMA
			continue
		}
		dz[i] = delta * kern.Sign(r)
		loss += float64(delta * (a - float64(0.5*delta)))
	}
	return loss, 0
}
