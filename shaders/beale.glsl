// Beale: f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	real y2 = y * y;
	real y3 = y2 * y;
	real xy = x * y;
	real xy2 = x * y2;
	real xy3 = x * y3;
	real a = real(1.5) - x + xy;
	real b = real(2.25) - x + xy2;
	real c = real(2.625) - x + xy3;
	f = a * a + b * b + c * c;
	gx = real(2) * a * (y - real(1)) + real(2) * b * (y2 - real(1)) + real(2) * c * (y3 - real(1));
	gy = real(2) * a * x + real(4) * b * xy + real(6) * c * xy2;
}
