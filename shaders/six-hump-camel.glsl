// Six-hump camel: f = (4 - 2.1x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	real x2 = x * x;
	real y2 = y * y;
	real x4 = x2 * x2;
	f = (real(4) - real(2.1lf) * x2 + x4 / real(3)) * x2 + x * y + (real(4) * y2 - real(4)) * y2;
	gx = real(8) * x - real(8.4lf) * x2 * x + real(2) * x4 * x + y;
	gy = x - real(8) * y + real(16) * y2 * y;
}
