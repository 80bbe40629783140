// torch.optim.Adagrad (stepSize = clr = lr / (1 + (t-1)*lr_decay)):
//   sum <- sum + g*g;  x <- x - (clr * g) / (sqrt(sum) + eps)
STATE0(sum_)

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real s = sum_[j] + g * g;
	sum_[j] = kept(s);
	return x - (scalars.stepSize * g) / (sqrt(s) + eps);
}
