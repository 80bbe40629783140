// mse (cost_mse.go): l = r², dl/dr = 2r.

real cost(real r, out real dl) {
	dl = real(2) * r;
	return r * r;
}
