// torch.optim.NAdam (coefGrad = -lr(1-mu_t)/(1-prod mu), coefAvg =
// -lr mu_{t+1}/(1-prod mu * mu_{t+1}), bc2 = 1-beta2^t, all from the host):
//   m, v as moments.glsl computes them
//   denom = sqrt(v / bc2) + eps
//   x <- x + (coefGrad*g)/denom;  x <- x + (coefAvg*m)/denom

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj, vj;
	moments(j, g, mj, vj);
	real denom = sqrt(vj / scalars.bc2) + eps;
	x = x + (scalars.coefGrad * g) / denom;
	return x + (scalars.coefAvg * mj) / denom;
}
