// The moment estimates Adam, AdamW, NAdam and RAdam share, in torch's
// operation order:
//   m <- lerp(m, g, 1-beta1)             (exp_avg.lerp_)
//   v <- v*beta2 + (1-beta2)*g*g         (exp_avg_sq.mul_(beta2).addcmul_)
STATE0(m)
STATE1(v)
uniform real beta2;
uniform real oneMinusBeta2;

// moments updates m[j] and v[j] with g and returns the new values.
void moments(uint j, real g, out real mj, out real vj) {
	mj = torchLerp(m[j], g, scalars.oneMinusBeta1);
	vj = v[j] * beta2 + oneMinusBeta2 * g * g;
	m[j] = kept(mj);
	v[j] = kept(vj);
}
