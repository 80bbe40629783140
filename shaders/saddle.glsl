// Saddle: f = x^2 - y^2, unbounded below; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	f = x * x - y * y;
	gx = real(2) * x;
	gy = real(-2) * y;
}
