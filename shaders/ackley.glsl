// Ackley (a = 20, b = 0.2, c = 2 pi), with m1 = mean x_i^2, m2 = mean cos(c x_i):
//   f = -a exp(-b sqrt(m1)) - exp(m2) + a + e
//   df/dx_i = k1 x_i + k2 sin(c x_i), k1 = a b exp(-b r)/(r N), k2 = c exp(m2)/N
// with r = sqrt(m1); at r = 0 (x = 0, a kink of the cone) k1 is taken as 0.
// f and g need the two sums first: prepass.glsl sums prepass() into them
// and prepassFinish() turns them into glob[0] = f, glob[1] = k1,
// glob[2] = k2, which objective() reads. Invocation 0 owns the whole f.
// rsin/rcos/rexp come from fp64math.glsl. The operations and their order
// are cpu/testfuncs.go's.

void prepass(uint i, out real a, out real b) {
	real x = X(i);
	a = x * x;
	b = rcos(real(6.283185307179586lf) * x);
}

real prepassCombineA(real u, real v) { return u + v; }
real prepassCombineB(real u, real v) { return u + v; }
const real PREPASS_A0 = real(0);
const real PREPASS_B0 = real(0);

void prepassFinish(real s1, real s2) {
	real nn = real(n);
	real r = sqrt(s1 / nn);
	real e1 = rexp(real(-0.2lf) * r);
	real e2 = rexp(s2 / nn);
	// (a - a e1) + (e - e2): exactly 0 at x = 0
	glob[0] = (real(20) - real(20) * e1) + (real(2.718281828459045lf) - e2);
	glob[1] = r > real(0) ? (real(4) * e1) / (r * nn) : real(0);
	glob[2] = (real(6.283185307179586lf) * e2) / nn;
}

void objective(uint i, out real f, out real g) {
	real x = X(i);
	f = i == 0u ? glob[0] : real(0);
	g = glob[1] * x + glob[2] * rsin(real(6.283185307179586lf) * x);
}
