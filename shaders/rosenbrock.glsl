// Chained Rosenbrock, as scipy.optimize.rosen and rosen_der:
//   f = sum_{i<n-1} 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2
//   g_i = -400 x_i (x_{i+1} - x_i^2) - 2 (1 - x_i)   [i < n-1]
//       + 200 (x_i - x_{i-1}^2)                        [i > 0]
// Term i of f belongs to invocation i, so the sum has every term once.

void objective(uint i, out real f, out real g) {
	real x = X(i);
	f = real(0);
	g = real(0);
	if (i + 1u < n) {
		real t = X(i + 1u) - x * x;
		real d = real(1) - x;
		f = real(100) * t * t + d * d;
		g = real(-400) * x * t - real(2) * d;
	}
	if (i > 0u) {
		real p = X(i - 1u);
		g += real(200) * (x - p * p);
	}
}
