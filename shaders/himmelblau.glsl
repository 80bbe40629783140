// Himmelblau: f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	real p = x * x + y - real(11);
	real q = x + y * y - real(7);
	f = p * p + q * q;
	gx = real(4) * x * p + real(2) * q;
	gy = real(2) * p + real(4) * y * q;
}
