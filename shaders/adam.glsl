// torch.optim.Adam and AdamW (DECOUPLED), in torch's operation order
// (stepSize = lr/(1-beta1^t), bc2sqrt = sqrt(1-beta2^t)):
//   m <- lerp(m, g, 1-beta1)             (exp_avg.lerp_)
//   v <- v*beta2 + (1-beta2)*g*g         (mul_, addcmul_)
//   AMSGRAD: vmax <- max(vmax, v), used in place of v below
//   x <- x - (stepSize * m) / (sqrt(v)/bc2sqrt + eps)   (addcdiv_, ATen CPU order)
layout(std430, binding = 2) buffer S0 { real m[]; };
layout(std430, binding = 3) buffer S1 { real v[]; };
#ifdef AMSGRAD
layout(std430, binding = 7) buffer S2 { real vmax[]; };
#endif
uniform real beta2;
uniform real oneMinusBeta1;
uniform real oneMinusBeta2;
uniform real bc2sqrt;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj = torchLerp(m[j], g, oneMinusBeta1);
	real vj = v[j] * beta2 + oneMinusBeta2 * g * g;
	m[j] = mj;
	v[j] = vj;
#ifdef AMSGRAD
	vj = max(vmax[j], vj);
	vmax[j] = vj;
#endif
	real denom = sqrt(vj) / bc2sqrt + eps;
	return x - (stepSize * mj) / denom;
}
