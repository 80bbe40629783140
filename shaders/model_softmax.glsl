// softmax (model_softmax.go): rowLoss of model_loss.glsl, y the class
// 0..K-1; with Z_IN_DZ, rowLossSoftmax instead.

#ifndef Z_IN_DZ
real rowLoss(inout real z[K], real y, out real correct) {
	correct = real(0);
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
