// f = 1/2 sum c_i x_i^2. With HAS_COEF the c_i come from a buffer filled by
// the host in float64 (GLSL double has no pow); otherwise every c_i is 1.
#ifdef HAS_COEF
layout(std430, binding = BIND_COEF) readonly buffer Coef { real coef[]; };
#endif

// objective returns f's term i and the gradient's component i.
void objective(uint i, out real f, out real g) {
	real x = X(i);
#ifdef HAS_COEF
	real c = coef[i - base];
#else
	real c = real(1);
#endif
	g = c * x;
	f = real(0.5) * c * x * x;
}
