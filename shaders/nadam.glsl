// torch.optim.NAdam (coefGrad = -lr(1-mu_t)/(1-prod mu), coefAvg =
// -lr mu_{t+1}/(1-prod mu * mu_{t+1}), bc2 = 1-beta2^t, all from the host):
//   m <- lerp(m, g, 1-beta1);  v <- v*beta2 + (1-beta2)*g*g
//   denom = sqrt(v / bc2) + eps
//   x <- x + (coefGrad*g)/denom;  x <- x + (coefAvg*m)/denom
layout(std430, binding = 2) buffer S0 { real m[]; };
layout(std430, binding = 3) buffer S1 { real v[]; };
uniform real beta2;
uniform real oneMinusBeta1;
uniform real oneMinusBeta2;
uniform real bc2;
uniform real coefGrad;
uniform real coefAvg;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj = torchLerp(m[j], g, oneMinusBeta1);
	real vj = v[j] * beta2 + oneMinusBeta2 * g * g;
	m[j] = mj;
	v[j] = vj;
	real denom = sqrt(vj / bc2) + eps;
	x = x + (coefGrad * g) / denom;
	return x + (coefAvg * mj) / denom;
}
