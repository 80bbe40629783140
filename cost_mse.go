package gdgpu

// defaultLoss is Job.Loss in NewJob: the squared error. A model with a
// loss of its own accepts it (or "") as "no loss given".
const defaultLoss = "mse"

// mseCost is the squared error r², torch.nn.MSELoss's term.
func mseCost() RegressionCost {
	return RegressionCost{Name: defaultLoss, CPU: mseLoss, GPU: "cost_mse.glsl"}
}

// mseLoss: l = r², dl/dz = 2r.
func mseLoss(loss float64, z, dz, y []float64, _ float64) (float64, int) {
	y = y[:len(z)]
	dz = dz[:len(z)]
	for i, v := range z {
		r := v - y[i]
		dz[i] = 2 * r
		loss += float64(r * r) // rounded: no FMA
	}
	return loss, 0
}
