// rlog, rlog1p, rexpm1 and rtanh in the kernel's precision, for the model
// losses (docs/models.md). Assembled after fp64math.glsl (rexp, fdlD).
// GLSL 4.30 has log and tanh for float only and no log1p or expm1 at all.
//
// With REAL_IS_DOUBLE, dlog is fdlibm 5.3's e_log.c (below 1 ulp): x is
// split into 2^k (1+f) with sqrt(2)/2 < 1+f < sqrt(2), and
// log(1+f) = f - f^2/2 + s (f^2/2 + R(s^2)), s = f/(2+f), R a minimax
// polynomial; k ln2 is added in two parts. In float it is the built-in.
//
// log1p and expm1 follow Kahan's formulas on top of an accurate log and
// exp (Goldberg, "What every computer scientist should know about
// floating-point arithmetic", Theorem 4): u = 1 + x rounds, but
// log(u) x / (u - 1) corrects the rounding to within a few ulps, and the
// same quotient inverted gives expm1. tanh is built from expm1, so it keeps
// its relative accuracy near 0, where (e^2r - 1)/(e^2r + 1) would cancel,
// and never forms Inf/Inf for large |r|. The temporaries are precise: the
// corrections are exactly what an algebraic simplification would remove.

#ifdef REAL_IS_DOUBLE
double dlog(double x) {
	// Special values are tested and built from bits: an optimising compiler
	// may fold (x - x) / (x - x) or 1.0 / 0.0, and drop isnan and isinf.
	uvec2 w = unpackDouble2x32(x);
	uint hx = w.y;
	bool neg = (hx & 0x80000000u) != 0u;
	bool zero = (hx & 0x7fffffffu) == 0u && w.x == 0u;
	if ((hx & 0x7ff00000u) == 0x7ff00000u) { // NaN or +-Inf
		bool inf = (hx & 0x000fffffu) == 0u && w.x == 0u;
		return inf && !neg ? x : fdlD(0x7ff80000u, 0u); // log +Inf = +Inf; NaN and -Inf: NaN
	}
	if (zero) {
		return fdlD(0xfff00000u, 0u); // log +-0 = -Inf
	}
	if (neg) {
		return fdlD(0x7ff80000u, 0u); // NaN
	}
	int k = 0;
	if (hx < 0x00100000u) { // subnormal: scale by 2^54
		x *= fdlD(0x43500000u, 0u);
		k -= 54;
		w = unpackDouble2x32(x);
		hx = w.y;
	}
	k += int(hx >> 20) - 1023;
	hx &= 0x000fffffu;
	uint i = (hx + 0x95f64u) & 0x100000u;
	// x or x/2, whichever lies in [sqrt(2)/2, sqrt(2))
	precise double m = packDouble2x32(uvec2(w.x, hx | (i ^ 0x3ff00000u)));
	k += int(i >> 20);
	precise double f = m - 1.0lf;
	precise double s = f / (2.0lf + f);
	precise double z = s * s;
	precise double ww = z * z;
	precise double t1 = ww * (fdlD(0x3FD99999u, 0x9997FA04u) + ww * (fdlD(0x3FCC71C5u, 0x1D8E78AFu) + ww * fdlD(0x3FC39A09u, 0xD078C69Fu)));
	precise double t2 = z * (fdlD(0x3FE55555u, 0x55555593u) + ww * (fdlD(0x3FD24924u, 0x94229359u) + ww * (fdlD(0x3FC74664u, 0x96CB03DEu) + ww * fdlD(0x3FC2F112u, 0xDF3E5244u))));
	precise double R = t2 + t1;
	precise double hfsq = 0.5lf * f * f;
	precise double dk = double(k);
	return dk * fdlD(0x3fe62e42u, 0xfee00000u) - ((hfsq - (s * (hfsq + R) + dk * fdlD(0x3dea39efu, 0x35793c76u))) - f);
}
real rlog(real x) { return dlog(x); }
#else
real rlog(real x) { return log(x); }
#endif

// rPosInf tests for +Inf by its bits (isinf may be folded away).
#ifdef REAL_IS_DOUBLE
bool rPosInf(double v) { return unpackDouble2x32(v) == uvec2(0u, 0x7ff00000u); }
#else
bool rPosInf(float v) { return floatBitsToUint(v) == 0x7f800000u; }
#endif

// rlog1p returns log(1 + x) for x > -1.
real rlog1p(real x) {
	precise real u = real(1) + x;
	if (u == real(1)) {
		return x;
	}
	precise real num = rlog(u) * x;
	precise real den = u - real(1);
	return num / den;
}

// rexpm1 returns e^x - 1.
real rexpm1(real x) {
	precise real u = rexp(x);
	if (u == real(1)) {
		return x;
	}
	precise real um1 = u - real(1);
	if (um1 == real(-1)) {
		return real(-1);
	}
	if (rPosInf(u)) {
		return u;
	}
	precise real num = um1 * x;
	return num / rlog(u);
}

// rtanh returns tanh r = sign(r) (-expm1(-2|r|)) / (2 + expm1(-2|r|)).
real rtanh(real r) {
	precise real e = rexpm1(real(-2) * abs(r));
	precise real t = -e / (real(2) + e);
	return r < real(0) ? -t : t;
}
