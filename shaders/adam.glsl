// torch.optim.Adam and AdamW (DECOUPLED), in torch's operation order
// (stepSize = lr/(1-beta1^t), bc2sqrt = sqrt(1-beta2^t)):
//   m, v as moments.glsl computes them
//   AMSGRAD: vmax <- max(vmax, v), used in place of v below
//   x <- x - (stepSize * m) / (sqrt(v)/bc2sqrt + eps)   (addcdiv_, ATen CPU order)
#ifdef AMSGRAD
STATE2(vmax)
#endif

real update(uint j, real x, real g) {
	prepareGrad(x, g);
	real mj, vj;
	moments(j, g, mj, vj);
#ifdef AMSGRAD
	vj = max(vmax[j], vj);
	vmax[j] = kept(vj);
#endif
	real denom = sqrt(vj) / scalars.bc2sqrt + eps;
	return x - (scalars.stepSize * mj) / denom;
}
