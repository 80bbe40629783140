// Griewank, with u_i = x_i / sqrt(i+1) (0-based i) and P = prod_i cos(u_i):
//   f = 1 + sum_i x_i^2/4000 - P
//   df/dx_i = x_i/2000 + sin(u_i)/sqrt(i+1) * prod_{j != i} cos(u_j)
// The product comes first, from prepass.glsl: a fixed-order product tree of
// the non-zero cosines (a) and a count of the zero ones (b, saturating at 2),
// which prepassFinish() leaves in glob[0] = P (0 when a cosine is 0),
// glob[1] = a, glob[2] = b. The leave-one-out product is a/cos(u_i) when
// cos(u_i) != 0 and no other cosine is 0, a when cos(u_i) is the only zero,
// and 0 otherwise: no division by zero. Invocation 0 owns the term 1 - P
// besides its own x_0^2/4000. rsin/rcos come from fp64math.glsl. The
// operations and their order are cpu/testfuncs.go's.

void prepass(uint i, out real a, out real b) {
	real c = rcos(X(i) / sqrt(real(i + 1u)));
	a = c == real(0) ? real(1) : c;
	b = c == real(0) ? real(1) : real(0);
}

real prepassCombineA(real u, real v) { return u * v; }
real prepassCombineB(real u, real v) { return min(u + v, real(2)); }
const real PREPASS_A0 = real(1);
const real PREPASS_B0 = real(0);

void prepassFinish(real a, real b) {
	glob[0] = b > real(0) ? real(0) : a;
	glob[1] = a;
	glob[2] = b;
}

void objective(uint i, out real f, out real g) {
	real x = X(i);
	real s = sqrt(real(i + 1u));
	real u = x / s;
	real c = rcos(u);
	f = (x * x) / real(4000);
	if (i == 0u) {
		f += real(1) - glob[0];
	}
	real q;
	if (c != real(0)) {
		q = glob[2] > real(0) ? real(0) : glob[1] / c;
	} else {
		q = glob[2] < real(1.5) ? glob[1] : real(0);
	}
	g = x / real(2000) + (rsin(u) / s) * q;
}
