// Declarations every optimizer uses. The host sets the per-step scalars
// (gdgpu.StepScalars, computed in float64) before each step and the
// hyperparameters once. Compile-time switches, set by the engine from the
// job: MAXIMIZE, WEIGHT_DECAY (weight_decay != 0), DECOUPLED (weight decay
// applied to x, AdamW-style), MOMENTUM, NESTEROV, AMSGRAD, CENTERED.
// State vectors bind at 2, 3 and 7, in the order of
// gdgpu.Optimizer.StateNames.

// stateBad records whether a state value this invocation wrote for the
// current element is NaN or Inf: the update functions store each value
// through kept(), and step.glsl checks the flag, in registers, instead of
// reading the state vectors back.
bool stateBad = false;

real kept(real v) {
	stateBad = stateBad || nonFinite(v);
	return v;
}

uniform real stepSize;    // StepScalars.StepSize
uniform real weightDecay; // weight_decay
uniform real decay;       // StepScalars.Decay: 1 - lr*weight_decay when decoupled
uniform real eps;         // eps

// lerp as torch's CPU and CUDA kernels compute it: the form depends on the
// weight, for accuracy.
real torchLerp(real a, real b, real w) {
	return abs(w) < real(0.5) ? a + w * (b - a) : b - (b - a) * (real(1) - w);
}

// prepareGrad applies maximize and weight decay as every torch.optim
// optimizer does first: g <- -g when maximizing, then either x <- x*decay
// (decoupled) or g <- g + weight_decay*x (L2).
void prepareGrad(inout real x, inout real g) {
#ifdef MAXIMIZE
	g = -g;
#endif
#ifdef WEIGHT_DECAY
#ifdef DECOUPLED
	x = x * decay;
#else
	g = g + weightDecay * x;
#endif
#endif
}
