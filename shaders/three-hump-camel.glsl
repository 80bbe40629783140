// Three-hump camel: f = 2x^2 - 1.05x^4 + x^6/6 + xy + y^2; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	real x2 = x * x;
	real x4 = x2 * x2;
	f = real(2) * x2 - real(1.05lf) * x4 + x4 * x2 / real(6) + x * y + y * y;
	gx = real(4) * x - real(4.2lf) * x2 * x + x4 * x + y;
	gy = x + real(2) * y;
}
