// torch.optim.SGD:
//   b <- g on the first step, else b*momentum + (1-dampening)*g
//   g <- g + momentum*b (nesterov) or b
//   x <- x - lr*g
#ifdef MOMENTUM
STATE0(momentumBuffer)
uniform real oneMinusDampening;
#endif

real update(uint j, real x, real g) {
	prepareGrad(x, g);
#ifdef MOMENTUM
	real b = scalars.firstStep ? g : momentumBuffer[j] * scalars.momentum + oneMinusDampening * g;
	momentumBuffer[j] = kept(b);
#ifdef NESTEROV
	g = g + scalars.momentum * b;
#else
	g = b;
#endif
#endif
	return x - scalars.stepSize * g;
}
