// Levy, with w_i = 1 + (x_i - 1)/4 (1-based i in the formula, 0-based here):
//   f = sin^2(pi w_1) + sum_{i<N} (w_i-1)^2 (1 + 10 sin^2(pi w_i + 1))
//       + (w_N-1)^2 (1 + sin^2(2 pi w_N))
// Every term depends on one w_i, so invocation i owns the terms of w_i: the
// first one too when i = 0, the middle one when i < N-1, the last one when
// i = N-1 (N = 1 has the first and the last). dw/dx = 1/4.
// rsin/rcos come from fp64math.glsl. The operations and their order are
// cpu/testfuncs.go's.

void objective(uint i, out real f, out real g) {
	real w = real(1) + (X(i) - real(1)) * real(0.25);
	real d = w - real(1);
	real d2 = d * d;
	real gw = real(0);
	f = real(0);
	if (i == 0u) {
		real s = rsin(real(3.141592653589793lf) * w);
		real c = rcos(real(3.141592653589793lf) * w);
		f = s * s;
		gw = real(6.283185307179586lf) * s * c;
	}
	if (i + 1u < n) {
		real a = real(3.141592653589793lf) * w + real(1);
		real s = rsin(a);
		real c = rcos(a);
		real q = real(1) + real(10) * s * s;
		f += d2 * q;
		gw += real(2) * d * q + real(62.83185307179586lf) * d2 * s * c;
	} else {
		real a = real(6.283185307179586lf) * w;
		real s = rsin(a);
		real c = rcos(a);
		real q = real(1) + s * s;
		f += d2 * q;
		gw += real(2) * d * q + real(12.566370614359172lf) * d2 * s * c;
	}
	g = real(0.25) * gw;
}
