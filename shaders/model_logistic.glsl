// logistic (model_logistic.go): rowLoss of model_loss.glsl, y in {0, 1}.

real rowLoss(inout real z[K], real y, out real correct) {
	correct = real(0);
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
}
