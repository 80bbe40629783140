// torch.optim.Adamax (stepSize = clr = lr/(1-beta1^t)):
//   m <- lerp(m, g, 1-beta1);  u <- max(u*beta2, |g| + eps);  x <- x - (clr*m)/u
layout(std430, binding = BIND_S0) restrict buffer S0 { real m[]; };
layout(std430, binding = BIND_S1) restrict buffer S1 { real u[]; };
uniform real beta2;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj = torchLerp(m[j], g, scalars.oneMinusBeta1);
	real uj = max(u[j] * beta2, abs(g) + eps);
	m[j] = kept(mj);
	u[j] = kept(uj);
	return x - (scalars.stepSize * mj) / uj;
}
