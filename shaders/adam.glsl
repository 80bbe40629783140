// Adam, torch.optim.Adam (amsgrad=False), in torch's operation order:
//   g <- g + weight_decay * x
//   m <- lerp(m, g, 1 - beta1)            (exp_avg.lerp_)
//   v <- v * beta2 + (1 - beta2) * g * g  (mul_, addcmul_)
//   x <- x - stepSize * (m / (sqrt(v) / bc2sqrt + eps))
// The host computes per step, in float64: stepSize = lr / (1 - beta1^t) and
// bc2sqrt = sqrt(1 - beta2^t), and oneMinusBeta1/2 once.
layout(std430, binding = 2) buffer M { real m[]; };
layout(std430, binding = 3) buffer V { real v[]; };

uniform real beta2;
uniform real oneMinusBeta1;
uniform real oneMinusBeta2;
uniform real eps;
uniform real weightDecay;
uniform real stepSize;
uniform real bc2sqrt;

// lerp as torch computes it: the form depends on the weight, for accuracy.
real torchLerp(real a, real b, real w) {
	return abs(w) < real(0.5) ? a + w * (b - a) : b - (b - a) * (real(1) - w);
}

real update(uint j, real x, real g) {
	g = g + weightDecay * x;
	real mj = torchLerp(m[j], g, oneMinusBeta1);
	real vj = v[j] * beta2 + oneMinusBeta2 * g * g;
	m[j] = mj;
	v[j] = vj;
	real denom = sqrt(vj) / bc2sqrt + eps;
	return x - stepSize * (mj / denom);
}
