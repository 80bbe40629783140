// torch.optim.RMSprop:
//   square_avg <- square_avg*alpha + (1-alpha)*g*g
//   centered: grad_avg <- lerp(grad_avg, g, 1-alpha); avg = sqrt(square_avg - grad_avg^2)
//   else avg = sqrt(square_avg);  then avg <- avg + eps
//   momentum: buf <- buf*momentum + g/avg; x <- x - lr*buf
//   else x <- x - (lr*g)/avg
STATE0(squareAvg)
#if defined(MOMENTUM) && defined(CENTERED)
STATE1(momentumBuffer)
STATE2(gradAvg)
#elif defined(MOMENTUM)
STATE1(momentumBuffer)
#elif defined(CENTERED)
STATE1(gradAvg)
#endif
uniform real alpha;
uniform real oneMinusAlpha;

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real sa = squareAvg[j] * alpha + oneMinusAlpha * g * g;
	squareAvg[j] = kept(sa);
#ifdef CENTERED
	real ga = torchLerp(gradAvg[j], g, oneMinusAlpha);
	gradAvg[j] = kept(ga);
	real avg = sqrt(sa - ga * ga) + eps;
#else
	real avg = sqrt(sa) + eps;
#endif
#ifdef MOMENTUM
	real b = momentumBuffer[j] * scalars.momentum + g / avg;
	momentumBuffer[j] = kept(b);
	return x - scalars.stepSize * b;
#else
	return x - (scalars.stepSize * g) / avg;
#endif
}
