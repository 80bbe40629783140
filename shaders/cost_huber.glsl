// huber (cost_huber.go): torch.nn.HuberLoss with delta (model_loss.glsl).

real cost(real r, out real dl) {
	real ar = abs(r);
	if (ar < delta) {
		dl = r;
		return real(0.5) * r * r;
	}
	dl = delta * sign(r);
	return delta * (ar - real(0.5) * delta);
}
