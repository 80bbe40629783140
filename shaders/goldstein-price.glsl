// Goldstein-Price: f = A B with A = 1 + s^2 P, B = 30 + t^2 Q,
// s = x + y + 1, t = 2x - 3y, P = 19 - 14x + 3x^2 - 14y + 6xy + 3y^2,
// Q = 18 - 32x + 12x^2 + 48y - 36xy + 27y^2; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	real x2 = x * x;
	real y2 = y * y;
	real xy = x * y;
	real s = x + y + real(1);
	real t = real(2) * x - real(3) * y;
	real s2 = s * s;
	real t2 = t * t;
	real p = real(19) - real(14) * x + real(3) * x2 - real(14) * y + real(6) * xy + real(3) * y2;
	real q = real(18) - real(32) * x + real(12) * x2 + real(48) * y - real(36) * xy + real(27) * y2;
	real a = real(1) + s2 * p;
	real b = real(30) + t2 * q;
	real dp = real(-14) + real(6) * x + real(6) * y; // dP/dx = dP/dy
	real da = real(2) * s * p + s2 * dp;
	real dbx = real(4) * t * q + t2 * (real(-32) + real(24) * x - real(36) * y);
	real dby = real(-6) * t * q + t2 * (real(48) - real(36) * x + real(54) * y);
	f = a * b;
	gx = da * b + a * dbx;
	gy = da * b + a * dby;
}
