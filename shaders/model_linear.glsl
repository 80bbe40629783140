// linear (model_linear.go): rowLoss of model_loss.glsl, the job's
// regression cost (cost_*.glsl: cost(r, out dl), l(r) and dl/dr) of the
// residual r = z - y.

real rowLoss(inout real z[K], real y, out real correct) {
	correct = real(0);
	real dl;
	real l = cost(z[0] - y, dl);
	z[0] = dl;
	return l;
}
