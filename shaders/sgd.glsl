// Plain SGD, torch.optim.SGD with momentum 0:
//   g <- g + weight_decay * x;  x <- x - lr * g
uniform real lr;
uniform real weightDecay;

real update(uint j, real x, real g) {
	g = g + weightDecay * x;
	return x - lr * g;
}
