// Styblinski-Tang: f = 1/2 sum_i x_i^4 - 16 x_i^2 + 5 x_i, so term i is
// (x_i^4 - 16 x_i^2 + 5 x_i)/2 and g_i = 2 x_i^3 - 16 x_i + 5/2.
// The operations and their order are cpu/testfuncs.go's.

void objective(uint i, out real f, out real g) {
	real x = X(i);
	real x2 = x * x;
	f = real(0.5) * (x2 * x2 - real(16) * x2 + real(5) * x);
	g = real(2) * x2 * x - real(16) * x + real(2.5);
}
