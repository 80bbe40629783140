// logcosh (cost_logcosh.go): log cosh r as |r| + log1p(exp(-2|r|)) - log 2,
// dl/dr = tanh r.

real cost(real r, out real dl) {
	real ar = abs(r);
	dl = rtanh(r);
	return ar + rlog1p(rexp(real(-2) * ar)) - real(0.6931471805599453lf);
}
