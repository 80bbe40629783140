// Matyas: f = 0.26 (x^2 + y^2) - 0.48 xy; plane.glsl turns it into the objective.
// The operations and their order are cpu/testfuncs.go's; inexact constants
// carry the lf suffix (an unsuffixed literal is a float).

void plane(real x, real y, out real f, out real gx, out real gy) {
	f = real(0.26lf) * (x * x + y * y) - real(0.48lf) * x * y;
	gx = real(0.52lf) * x - real(0.48lf) * y;
	gy = real(0.52lf) * y - real(0.48lf) * x;
}
