// torch.optim.RAdam (bc1 = 1-beta1^t, bc2sqrt = sqrt(1-beta2^t); rectified
// and rect from the host: rho_t > 5 and r_t):
//   m <- lerp(m, g, 1-beta1);  v <- v*beta2 + (1-beta2)*g*g
//   mhat = m / bc1
//   rectified: x <- x - ((mhat*lr) * ((1 / (sqrt(v) + eps)) * bc2sqrt)) * rect
// (torch divides a scalar by a tensor as tensor.reciprocal() * scalar)
//   else:      x <- x - mhat*lr
layout(std430, binding = 2) buffer S0 { real m[]; };
layout(std430, binding = 3) buffer S1 { real v[]; };
uniform real beta2;
uniform real oneMinusBeta1;
uniform real oneMinusBeta2;
uniform real bc1;
uniform real bc2sqrt;
uniform real rect;
uniform bool rectified;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj = torchLerp(m[j], g, oneMinusBeta1);
	real vj = v[j] * beta2 + oneMinusBeta2 * g * g;
	m[j] = mj;
	v[j] = vj;
	real mhat = mj / bc1;
	if (rectified) {
		return x - ((mhat * stepSize) * ((real(1) / (sqrt(vj) + eps)) * bc2sqrt)) * rect;
	}
	return x - mhat * stepSize;
}
