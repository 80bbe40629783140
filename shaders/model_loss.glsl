// The per-sample losses of docs/models.md and their derivatives in z.
// Compile-time switches set by the engine from the model's descriptor
// (gdgpu.ModelInfo.GPU, gdgpu.RegressionCost.GPU): one of
// MODEL_LINEAR (with LOSS_MSE, LOSS_MAE, LOSS_HUBER or LOSS_LOGCOSH),
// MODEL_LOGISTIC, MODEL_PERCEPTRON, MODEL_HINGE, MODEL_SOFTMAX; K outputs.
// The formulas and their order of operations are the specification's, so
// that the float64 kernels agree with the CPU reference to rounding.

uniform real delta; // huber's delta

// rowLoss takes a row's outputs z and target y, returns its loss, sets
// correct to 1 when a classifier predicts y (else 0; always 0 for linear)
// and replaces z by dl/dz. With Z_IN_DZ (softmax on many classes) the
// outputs are in dz instead (rowLossSoftmax).
#ifndef Z_IN_DZ
real rowLoss(inout real z[K], real y, out real correct) {
	correct = real(0);
#if defined(MODEL_LINEAR)
	real r = z[0] - y;
#if defined(LOSS_MSE)
	z[0] = real(2) * r;
	return r * r;
#elif defined(LOSS_MAE)
	z[0] = sign(r);
	return abs(r);
#elif defined(LOSS_HUBER)
	real ar = abs(r);
	if (ar < delta) {
		z[0] = r;
		return real(0.5) * r * r;
	}
	z[0] = delta * sign(r);
	return delta * (ar - real(0.5) * delta);
#elif defined(LOSS_LOGCOSH)
	real ar = abs(r);
	z[0] = rtanh(r);
	return ar + rlog1p(rexp(real(-2) * ar)) - real(0.6931471805599453lf);
#endif
#elif defined(MODEL_LOGISTIC)
	// binary cross-entropy with logits, y in {0, 1}; sigma(z) in the form
	// that does not overflow: 1/(1+e^-z) for z >= 0, e^z/(1+e^z) below
	real v = z[0];
	correct = (v > real(0) ? real(1) : real(0)) == y ? real(1) : real(0);
	real sig;
	if (v >= real(0)) {
		sig = real(1) / (real(1) + rexp(-v));
	} else {
		real e = rexp(v);
		sig = e / (real(1) + e);
	}
	z[0] = sig - y;
	return max(v, real(0)) - y * v + rlog1p(rexp(-abs(v)));
#elif defined(MODEL_PERCEPTRON)
	real v = z[0];
	correct = (v > real(0) ? real(1) : real(-1)) == y ? real(1) : real(0);
	real yz = y * v;
	z[0] = yz <= real(0) ? -y : real(0);
	return max(real(0), -yz);
#elif defined(MODEL_HINGE)
	real v = z[0];
	correct = (v > real(0) ? real(1) : real(-1)) == y ? real(1) : real(0);
	real yz = y * v;
	z[0] = yz < real(1) ? -y : real(0);
	return max(real(0), real(1) - yz);
#elif defined(MODEL_SOFTMAX)
	// logsumexp with the maximum subtracted first; the prediction is the
	// first largest z_k
	uint cls = uint(y);
	real mx = z[0];
	uint arg = 0u;
	for (uint k = 1u; k < uint(K); k++) {
		if (z[k] > mx) {
			mx = z[k];
			arg = k;
		}
	}
	correct = arg == cls ? real(1) : real(0);
	real zy = z[cls];
	real sum = real(0);
	for (uint k = 0u; k < uint(K); k++) {
		z[k] = rexp(z[k] - mx);
		sum += z[k];
	}
	for (uint k = 0u; k < uint(K); k++) {
		z[k] = z[k] / sum - (k == cls ? real(1) : real(0));
	}
	return (mx + rlog(sum)) - zy;
#endif
}
#else
// rowLossSoftmax is rowLoss's softmax, the same operations in the same
// order, on the K outputs held in dz[zo .. zo+K), which it replaces by
// dl/dz. The engine sets Z_IN_DZ above a few dozen classes: K may be in
// the thousands, an array of K reals per invocation then spills on every
// driver, and llvmpipe's compile time grew as about K^3 (400 classes:
// 50 s). Below, the private array is faster (registers, not memory).
// logsumexp with the maximum subtracted first; the prediction is the
// first largest z_k.
real rowLossSoftmax(uint zo, real y, out real correct) {
	uint cls = uint(y);
	real mx = dz[zo];
	uint arg = 0u;
	for (uint k = 1u; k < uint(K); k++) {
		real v = dz[zo + k];
		if (v > mx) {
			mx = v;
			arg = k;
		}
	}
	correct = arg == cls ? real(1) : real(0);
	real zy = dz[zo + cls];
	real sum = real(0);
	for (uint k = 0u; k < uint(K); k++) {
		real e = rexp(dz[zo + k] - mx);
		dz[zo + k] = e;
		sum += e;
	}
	for (uint k = 0u; k < uint(K); k++) {
		dz[zo + k] = dz[zo + k] / sum - (k == cls ? real(1) : real(0));
	}
	return (mx + rlog(sum)) - zy;
}
#endif
