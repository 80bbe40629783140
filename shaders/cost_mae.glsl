// mae (cost_mae.go): l = |r|, dl/dr = sign(r), 0 at r = 0.

real cost(real r, out real dl) {
	dl = sign(r);
	return abs(r);
}
