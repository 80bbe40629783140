// torch.optim.Adamax (stepSize = clr = lr/(1-beta1^t)):
//   m <- lerp(m, g, 1-beta1);  u <- max(u*beta2, |g| + eps);  x <- x - (clr*m)/u
STATE0(m)
STATE1(u)
uniform real beta2;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj = torchLerp(m[j], g, scalars.oneMinusBeta1);
	real uj = max(u[j] * beta2, abs(g) + eps);
	m[j] = kept(mj);
	u[j] = kept(uj);
	return x - (scalars.stepSize * mj) / uj;
}
