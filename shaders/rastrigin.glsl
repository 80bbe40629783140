// Rastrigin: f = 10N + sum_i x_i^2 - 10 cos(2 pi x_i); term i is
// x_i^2 - 10 cos(2 pi x_i) + 10 and g_i = 2 x_i + 20 pi sin(2 pi x_i).
// rsin/rcos come from fp64math.glsl (double precision when real is double).
// The operations and their order are cpu/testfuncs.go's.
// Inexact constants carry the lf suffix: an unsuffixed literal is a float,
// which would round them to single precision in a double kernel.

void objective(uint i, out real f, out real g) {
	real x = X(i);
	real a = real(6.283185307179586lf) * x;
	f = x * x - real(10) * rcos(a) + real(10);
	g = real(2) * x + real(62.83185307179586lf) * rsin(a);
}
