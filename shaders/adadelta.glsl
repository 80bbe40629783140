// torch.optim.Adadelta:
//   square_avg <- square_avg*rho + (1-rho)*g*g
//   delta      <- sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
//   acc_delta  <- acc_delta*rho + (1-rho)*delta*delta
//   x          <- x - lr*delta
STATE0(squareAvg)
STATE1(accDelta)
uniform real rho;
uniform real oneMinusRho;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real sa = squareAvg[j] * rho + oneMinusRho * g * g;
	real std_ = sqrt(sa + eps);
	real delta = sqrt(accDelta[j] + eps) / std_ * g;
	squareAvg[j] = kept(sa);
	accDelta[j] = kept(accDelta[j] * rho + oneMinusRho * delta * delta);
	return x - scalars.stepSize * delta;
}
