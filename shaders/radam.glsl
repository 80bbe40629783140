// torch.optim.RAdam (bc1 = 1-beta1^t, bc2sqrt = sqrt(1-beta2^t); rectified
// and rect from the host: rho_t > 5 and r_t):
//   m, v as moments.glsl computes them
//   mhat = m / bc1
//   rectified: x <- x - ((mhat*lr) * ((1 / (sqrt(v) + eps)) * bc2sqrt)) * rect
// (torch divides a scalar by a tensor as tensor.reciprocal() * scalar)
//   else:      x <- x - mhat*lr

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj, vj;
	moments(j, g, mj, vj);
	real mhat = mj / scalars.bc1;
	if (scalars.rectified) {
		return x - ((mhat * scalars.stepSize) * ((real(1) / (sqrt(vj) + eps)) * scalars.bc2sqrt)) * scalars.rect;
	}
	return x - mhat * scalars.stepSize;
}
