// The mlp's hidden activations (docs/models.md) for gemm.glsl's
// epilogue: actF(a) is act(a) and // actD(d, a, h) is d·act'(a) given h = act(a),
// each as model_mlp.go's activate and derive compute them, in the same
// order of operations, so that the float64 kernels agree with the CPU
// reference to rounding. ACT is the activation's index in
// gdgpu.Activations. Assembled after fp64math.glsl and model_math.glsl
// (rexp, rtanh) and, for gelu, rerf.glsl.

uniform real slope; // leaky-relu's negative slope

const real SQRT2 = real(1.4142135623730951LF);
const real INV_SQRT_2PI = real(0.3989422804014327LF); // model_mlp.go's invSqrt2Pi

real actF(real a) {
#if ACT == 0
	return max(a, real(0));
#elif ACT == 1
	return rtanh(a);
#elif ACT == 2
	// model_logistic.go's sigmoid: exp of a non-positive argument only
	if (a >= real(0)) {
		return real(1) / (real(1) + rexp(-a));
	}
	real e = rexp(a);
	return e / (real(1) + e);
#elif ACT == 3
	return real(0.5) * a * (real(1) + rerf(a / SQRT2));
#else
	return a > real(0) ? a : slope * a;
#endif
}

// actD returns d act'(a), h = act(a): relu's is d or 0 (0 at the kink,
// as torch; a select, not d*0, which would be NaN for an infinite d, as
// the CPU's is not).
real actD(real d, real a, real h) {
#if ACT == 0
	return a > real(0) ? d : real(0);
#elif ACT == 1
	return d * (real(1) - h * h);
#elif ACT == 2
	return d * (h * (real(1) - h));
#elif ACT == 3
	// Φ(a) + a φ(a), φ(a) = exp(-a²/2)/sqrt(2π)
	return d * (real(0.5) * (real(1) + rerf(a / SQRT2)) + a * INV_SQRT_2PI * rexp(real(-0.5) * a * a));
#else
	return a > real(0) ? d : d * slope;
#endif
}
