// hinge (model_hinge.go): rowLoss of model_loss.glsl, y in {-1, 1}.

real rowLoss(inout real z[K], real y, out real correct) {
	correct = real(0);
	real v = z[0];
	correct = (v > real(0) ? real(1) : real(-1)) == y ? real(1) : real(0);
	real yz = y * v;
	z[0] = yz < real(1) ? -y : real(0);
	return max(real(0), real(1) - yz);
}
