// rsin, rcos, rexp, ratan, rasin and racos: sine, cosine, exponential and
// the inverse tangent, sine and cosine in the kernel's precision. GLSL 4.30
// has these for float only, so with REAL_IS_DOUBLE (which the engine
// defines when real is double) they are dsin, dcos, dexp, datan, dasin and
// dacos below; with float they are the built-ins.
//
// dsin and dcos follow fdlibm 5.3 (Sun Microsystems, 1993; the code behind
// FreeBSD's and Java's StrictMath sin and cos): e_rem_pio2.c's "medium"
// Cody-Waite reduction of x to n*pi/2 + (y0 + y1), with pi/2 split into three
// 33-bit parts and their tails (up to three rounds, taken when cancellation
// leaves too few bits), then k_sin.c's and k_cos.c's minimax polynomials on
// [-pi/4, pi/4], which take the tail y1 into account. Constants are set from
// fdlibm's hexadecimal bit patterns, so no literal parsing is involved.
//
// Accuracy, as measured by engine's TestFP64SinCos against Go's math.Sin and
// math.Cos (which reduce with Payne-Hanek where needed):
//   |x| < 2^19 pi/2 (about 8.2e5): within 1 ulp (fdlibm's bound for these
//       arguments: n*pio2_1 is exact while n < 2^20);
//   up to 2^50: n*pio2_1 rounds, so the absolute error grows like |x|*2^-53
//       (1e-10 at 1e6, 1e-4 at 1e12): no blow-up, but fewer correct digits;
//   |x| >= 2^50: the reduced argument has no correct digit left; it is
//       clamped to [-pi/4, pi/4], so the results stay in [-1, 1] and mean
//       nothing;
//   NaN or +-Inf: NaN.
// The variables of the reduction and the kernels are precise: reassociating
// or contracting (t - r) - w would lose the tails.

#ifdef REAL_IS_DOUBLE

double fdlD(uint hi, uint lo) { return packDouble2x32(uvec2(lo, hi)); }
uint fdlHigh(double x) { return unpackDouble2x32(x).y; }

// __kernel_sin(x, y, iy) for |x| <= pi/4, y the tail of x.
double fdlKernelSin(double x, double y, bool tail) {
	double S1 = fdlD(0xBFC55555u, 0x55555549u);
	double S2 = fdlD(0x3F811111u, 0x1110F8A6u);
	double S3 = fdlD(0xBF2A01A0u, 0x19C161D5u);
	double S4 = fdlD(0x3EC71DE3u, 0x57B1FE7Du);
	double S5 = fdlD(0xBE5AE5E6u, 0x8A2B9CEBu);
	double S6 = fdlD(0x3DE5D93Au, 0x5ACFD57Cu);
	precise double z = x * x;
	precise double v = z * x;
	precise double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
	precise double s;
	if (!tail) {
		s = x + v * (S1 + z * r);
	} else {
		s = x - ((z * (0.5lf * y - v * r) - y) - v * S1);
	}
	return s;
}

// __kernel_cos(x, y) for |x| <= pi/4, y the tail of x.
double fdlKernelCos(double x, double y) {
	double C1 = fdlD(0x3FA55555u, 0x5555554Cu);
	double C2 = fdlD(0xBF56C16Cu, 0x16C15177u);
	double C3 = fdlD(0x3EFA01A0u, 0x19CB1590u);
	double C4 = fdlD(0xBE927E4Fu, 0x809C52ADu);
	double C5 = fdlD(0x3E21EE9Eu, 0xBDB4B1C4u);
	double C6 = fdlD(0xBDA8FAE9u, 0xBE8838D4u);
	uint ix = fdlHigh(x) & 0x7fffffffu;
	if (ix < 0x3e400000u) { // |x| < 2^-27
		return 1.0lf;
	}
	precise double z = x * x;
	precise double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
	precise double c;
	if (ix < 0x3FD33333u) { // |x| < 0.3
		c = 1.0lf - (0.5lf * z - (z * r - x * y));
	} else {
		double qx = ix > 0x3fe90000u ? 0.28125lf : fdlD(ix - 0x00200000u, 0u); // x/4 truncated
		precise double hz = 0.5lf * z - qx;
		precise double a = 1.0lf - qx;
		c = a - (hz - (z * r - x * y));
	}
	return c;
}

// fdlRemPio2 writes y0 + y1 = x - n pi/2 (|y0| <= pi/4 up to rounding) and
// returns n mod 4, for |x| > pi/4 and finite.
int fdlRemPio2(double x, out double y0, out double y1) {
	double invpio2 = fdlD(0x3FE45F30u, 0x6DC9C883u);
	double pio2_1 = fdlD(0x3FF921FBu, 0x54400000u);  // first 33 bits of pi/2
	double pio2_1t = fdlD(0x3DD0B461u, 0x1A626331u); // pi/2 - pio2_1
	double pio2_2 = fdlD(0x3DD0B461u, 0x1A600000u);  // second 33 bits
	double pio2_2t = fdlD(0x3BA3198Au, 0x2E037073u); // pi/2 - (pio2_1 + pio2_2)
	double pio2_3 = fdlD(0x3BA3198Au, 0x2E000000u);  // third 33 bits
	double pio2_3t = fdlD(0x397B839Au, 0x252049C1u); // pi/2 - (pio2_1 + pio2_2 + pio2_3)
	uint hx = fdlHigh(x);
	int j = int((hx >> 20) & 0x7ffu);
	precise double t = abs(x);
	precise double fn = floor(t * invpio2 + 0.5lf);
	precise double r = t - fn * pio2_1;
	precise double w = fn * pio2_1t;
	precise double a = r - w;
	if (j - int((fdlHigh(a) >> 20) & 0x7ffu) > 16) { // cancellation: second round
		precise double u = r;
		w = fn * pio2_2;
		r = u - w;
		w = fn * pio2_2t - ((u - r) - w);
		a = r - w;
		if (j - int((fdlHigh(a) >> 20) & 0x7ffu) > 49) { // third round
			u = r;
			w = fn * pio2_3;
			r = u - w;
			w = fn * pio2_3t - ((u - r) - w);
			a = r - w;
		}
	}
	precise double b = (r - a) - w;
	if (j >= 0x431) { // |x| >= 2^50: nothing left to trust; stay in the kernels' range
		a = clamp(a, -0.7853981633974483lf, 0.7853981633974483lf);
		b = 0.0lf;
	}
	int n = int(mod(fn, 4.0lf));
	if ((hx & 0x80000000u) != 0u) {
		y0 = -a;
		y1 = -b;
		return (4 - n) & 3;
	}
	y0 = a;
	y1 = b;
	return n;
}

// dsin returns sin(x) in double precision (accuracy above).
double dsin(double x) {
	uint ix = fdlHigh(x) & 0x7fffffffu;
	if (ix >= 0x7ff00000u) {
		return fdlD(0x7ff80000u, 0u); // NaN for NaN and +-Inf (x - x folds to 0)
	}
	if (ix <= 0x3fe921fbu) { // |x| <= pi/4 (to the high word)
		return fdlKernelSin(x, 0.0lf, false);
	}
	double y0, y1;
	int n = fdlRemPio2(x, y0, y1);
	if (n == 0) {
		return fdlKernelSin(y0, y1, true);
	} else if (n == 1) {
		return fdlKernelCos(y0, y1);
	} else if (n == 2) {
		return -fdlKernelSin(y0, y1, true);
	}
	return -fdlKernelCos(y0, y1);
}

// dcos returns cos(x) in double precision (accuracy above).
double dcos(double x) {
	uint ix = fdlHigh(x) & 0x7fffffffu;
	if (ix >= 0x7ff00000u) {
		return fdlD(0x7ff80000u, 0u);
	}
	if (ix <= 0x3fe921fbu) {
		return fdlKernelCos(x, 0.0lf);
	}
	double y0, y1;
	int n = fdlRemPio2(x, y0, y1);
	if (n == 0) {
		return fdlKernelCos(y0, y1);
	} else if (n == 1) {
		return -fdlKernelSin(y0, y1, true);
	} else if (n == 2) {
		return -fdlKernelCos(y0, y1);
	}
	return fdlKernelSin(y0, y1, true);
}

// dexp returns e^x in double precision: fdlibm 5.3's e_exp.c. x is
// reduced to k ln2 + r, |r| <= ln2/2, with ln2 in two parts (hi has 32
// bits, so k*ln2hi is exact); a degree-5 minimax rational form gives
// e^r, and k is added to the exponent. Below 1 ulp (fdlibm's bound);
// overflow gives +Inf above 709.78, results below 2^-1022 are subnormal
// and 0 below -745.13; NaN gives NaN, -Inf 0, +Inf +Inf.
double dexp(double x) {
	double ln2HI = fdlD(0x3fe62e42u, 0xfee00000u);
	double ln2LO = fdlD(0x3dea39efu, 0x35793c76u);
	double invln2 = fdlD(0x3ff71547u, 0x652b82feu);
	double P1 = fdlD(0x3FC55555u, 0x5555553Eu);
	double P2 = fdlD(0xBF66C16Cu, 0x16BEBD93u);
	double P3 = fdlD(0x3F11566Au, 0xAF25DE2Cu);
	double P4 = fdlD(0xBEBBBD41u, 0xC5D26BF1u);
	double P5 = fdlD(0x3E663769u, 0x72BEA4D0u);
	double oThreshold = fdlD(0x40862E42u, 0xFEFA39EFu);
	double uThreshold = fdlD(0xc0874910u, 0xD52D3051u);
	uint hx = fdlHigh(x);
	bool neg = (hx & 0x80000000u) != 0u;
	hx &= 0x7fffffffu;
	if (hx >= 0x40862E42u) { // |x| >= 709.78, or not finite
		if (hx >= 0x7ff00000u) {
			if (((hx & 0xfffffu) | unpackDouble2x32(x).x) != 0u) {
				return fdlD(0x7ff80000u, 0u); // NaN
			}
			return neg ? 0.0lf : x; // e^-Inf = 0, e^Inf = Inf
		}
		if (x > oThreshold) {
			return fdlD(0x7ff00000u, 0u); // overflow: +Inf
		}
		if (x < uThreshold) {
			return 0.0lf; // underflow
		}
	}
	int k = 0;
	precise double hi = 0.0lf;
	precise double lo = 0.0lf;
	precise double r = x;
	if (hx > 0x3fd62e42u) { // |x| > ln2/2
		if (hx < 0x3FF0A2B2u) { // and |x| < 1.5 ln2
			hi = neg ? x + ln2HI : x - ln2HI;
			lo = neg ? -ln2LO : ln2LO;
			k = neg ? -1 : 1;
		} else {
			k = int(invln2 * x + (neg ? -0.5lf : 0.5lf)); // truncates toward 0, as C's (int)
			precise double t = double(k);
			hi = x - t * ln2HI; // exact
			lo = t * ln2LO;
		}
		r = hi - lo;
	} else if (hx < 0x3e300000u) { // |x| < 2^-28
		return 1.0lf + x;
	}
	precise double t2 = r * r;
	precise double c = r - t2 * (P1 + t2 * (P2 + t2 * (P3 + t2 * (P4 + t2 * P5))));
	if (k == 0) {
		return 1.0lf - ((r * c) / (c - 2.0lf) - r);
	}
	precise double y = 1.0lf - ((lo - (r * c) / (2.0lf - c)) - hi);
	uvec2 w = unpackDouble2x32(y);
	if (k >= -1021) {
		w.y += uint(k) << 20; // add k to the exponent
		return packDouble2x32(w);
	}
	w.y += uint(k + 1000) << 20;
	return packDouble2x32(w) * fdlD(0x01700000u, 0u); // times 2^-1000
}

// datan returns atan(x) in double precision: fdlibm 5.3's s_atan.c. |x|
// is reduced to one of [0, 7/16), around 0.5, 1, 1.5, or past 2.4375
// (then atan(inf) + atan(-1/x)), with atan of the centre in two parts,
// and an 11-term polynomial in x^2 does the rest. Below 1 ulp (fdlibm's
// bound); +-Inf gives +-pi/2 and NaN gives NaN.
double datan(double x) {
	double aT0 = fdlD(0x3FD55555u, 0x5555550Du);
	double aT1 = fdlD(0xBFC99999u, 0x9998EBC4u);
	double aT2 = fdlD(0x3FC24924u, 0x920083FFu);
	double aT3 = fdlD(0xBFBC71C6u, 0xFE231671u);
	double aT4 = fdlD(0x3FB745CDu, 0xC54C206Eu);
	double aT5 = fdlD(0xBFB3B0F2u, 0xAF749A6Du);
	double aT6 = fdlD(0x3FB10D66u, 0xA0D03D51u);
	double aT7 = fdlD(0xBFADDE2Du, 0x52DEFD9Au);
	double aT8 = fdlD(0x3FA97B4Bu, 0x24760DEBu);
	double aT9 = fdlD(0xBFA2B444u, 0x2C6A6C2Fu);
	double aT10 = fdlD(0x3F90AD3Au, 0xE322DA11u);
	uint hx = fdlHigh(x);
	bool neg = (hx & 0x80000000u) != 0u;
	uint ix = hx & 0x7fffffffu;
	if (ix >= 0x44100000u) { // |x| >= 2^66, or not finite
		if (ix > 0x7ff00000u || (ix == 0x7ff00000u && unpackDouble2x32(x).x != 0u)) {
			return fdlD(0x7ff80000u, 0u); // NaN
		}
		precise double h = fdlD(0x3FF921FBu, 0x54442D18u) + fdlD(0x3C91A626u, 0x33145C07u);
		return neg ? -h : h;
	}
	int id = -1;
	precise double r = x;
	if (ix < 0x3fdc0000u) { // |x| < 0.4375
		if (ix < 0x3e400000u) { // |x| < 2^-27
			return x;
		}
	} else {
		r = abs(x);
		if (ix < 0x3ff30000u) { // |x| < 1.1875
			if (ix < 0x3fe60000u) { // 7/16 <= |x| < 11/16
				id = 0;
				r = (2.0lf * r - 1.0lf) / (2.0lf + r);
			} else { // 11/16 <= |x| < 19/16
				id = 1;
				r = (r - 1.0lf) / (r + 1.0lf);
			}
		} else if (ix < 0x40038000u) { // |x| < 2.4375
			id = 2;
			r = (r - 1.5lf) / (1.0lf + 1.5lf * r);
		} else { // 2.4375 <= |x| < 2^66
			id = 3;
			r = -1.0lf / r;
		}
	}
	precise double z = r * r;
	precise double w = z * z;
	precise double s1 = z * (aT0 + w * (aT2 + w * (aT4 + w * (aT6 + w * (aT8 + w * aT10)))));
	precise double s2 = w * (aT1 + w * (aT3 + w * (aT5 + w * (aT7 + w * aT9))));
	if (id < 0) {
		return r - r * (s1 + s2);
	}
	double hi, lo;
	if (id == 0) {
		hi = fdlD(0x3FDDAC67u, 0x0561BB4Fu);
		lo = fdlD(0x3C7A2B7Fu, 0x222F65E2u);
	} else if (id == 1) {
		hi = fdlD(0x3FE921FBu, 0x54442D18u);
		lo = fdlD(0x3C81A626u, 0x33145C07u);
	} else if (id == 2) {
		hi = fdlD(0x3FEF730Bu, 0xD281F69Bu);
		lo = fdlD(0x3C700788u, 0x7AF0CBBDu);
	} else {
		hi = fdlD(0x3FF921FBu, 0x54442D18u);
		lo = fdlD(0x3C91A626u, 0x33145C07u);
	}
	precise double v = hi - ((r * (s1 + s2) - lo) - r);
	return neg ? -v : v;
}

// dasin and dacos are asin and acos through datan: asin x =
// atan(x / sqrt((1-x)(1+x))) and acos x = 2 atan(sqrt((1-x)/(1+x))), whose
// 1-x is exact where it matters (x near 1). Not fdlibm's e_asin.c and
// e_acos.c: within 1.5 ulps as engine's TestFP64Atan measures them, no
// bound proven; |x| > 1 and NaN give NaN, +-1 give +-pi/2 (asin) and 0 or
// pi (acos).
double dasin(double x) {
	precise double d = (1.0lf - x) * (1.0lf + x);
	return datan(x / sqrt(d));
}

double dacos(double x) {
	precise double q = (1.0lf - x) / (1.0lf + x);
	return 2.0lf * datan(sqrt(q));
}

real rsin(real x) { return dsin(x); }
real rcos(real x) { return dcos(x); }
real rexp(real x) { return dexp(x); }
real ratan(real x) { return datan(x); }
real rasin(real x) { return dasin(x); }
real racos(real x) { return dacos(x); }

#else

real rsin(real x) { return sin(x); }
real rcos(real x) { return cos(x); }
real rexp(real x) { return exp(x); }
real ratan(real x) { return atan(x); }
real rasin(real x) { return asin(x); }
real racos(real x) { return acos(x); }

#endif
