// Booth: f = (x + 2y - 7)^2 + (2x + y - 5)^2; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	real p = x + real(2) * y - real(7);
	real q = real(2) * x + y - real(5);
	f = p * p + q * q;
	gx = real(2) * p + real(4) * q;
	gy = real(4) * p + real(2) * q;
}
