// The objective of a two-dimensional function f(x, y) of (x, y) = (x_0, x_1),
// after its file has defined plane(x, y, f, gx, gy). Invocation 0 owns the
// whole f and returns df/dx; invocation 1 returns no loss term and df/dy.
// Both read X(0) and X(1) (the job has exactly two parameters).

void objective(uint i, out real f, out real g) {
	real v, gx, gy;
	plane(X(0u), X(1u), v, gx, gy);
	f = i == 0u ? v : real(0);
	g = i == 0u ? gx : gy;
}
