// Declarations every optimizer uses. The host writes the per-step scalars
// (gdgpu.StepScalars, computed in float64) to the StepScalars block before
// each step, and sets the hyperparameters once as uniforms. Compile-time switches, set by the engine from the
// job: MAXIMIZE, WEIGHT_DECAY (weight_decay != 0), DECOUPLED (weight decay
// applied to x, AdamW-style), MOMENTUM, NESTEROV, AMSGRAD, CENTERED.
// State vectors bind at 2, 3 and 7, in the order of
// gdgpu.Optimizer.StateNames.

// State vectors. An optimizer declares each with STATE0(name), STATE1(name)
// or STATE2(name) (bindings BIND_S0..S2, in the order of
// gdgpu.Optimizer.StateNames) and reads and writes name[j], j being the
// index update() is given. In the scalar kernels name is the bound buffer
// and j the element. In the fused step's vector path (VECTOR_WIDTH, see
// step.glsl) name is a local array holding one vector's elements, j their
// lane: loadStateN reads them with one vector load (or element by element
// for the partial vector at a chunk's end, through a second, scalar view
// of the same binding, touching other elements), storeStateN writes them
// back, so the optimizer's arithmetic is the same text on both paths.
#ifdef VECTOR_WIDTH
// rvec is the vector of VECTOR_WIDTH reals (2 or 4).
#if defined(REAL_IS_DOUBLE) && VECTOR_WIDTH == 4
#define rvec dvec4
#elif defined(REAL_IS_DOUBLE)
#define rvec dvec2
#elif VECTOR_WIDTH == 4
#define rvec vec4
#else
#define rvec vec2
#endif
#define STATE0(name) \
	layout(std430, binding = BIND_S0) restrict buffer S0 { rvec s0v[]; }; \
	layout(std430, binding = BIND_S0) restrict buffer S0e { real s0e[]; }; \
	real name[VECTOR_WIDTH]; \
	void loadState0(uint j0, uint c) { \
		if (c == VECTOR_WIDTH) { \
			rvec t = s0v[j0 / VECTOR_WIDTH]; \
			for (uint k = 0u; k < VECTOR_WIDTH; k++) { name[k] = t[k]; } \
		} else { \
			for (uint k = 0u; k < c; k++) { name[k] = s0e[j0 + k]; } \
		} \
	} \
	void storeState0(uint j0, uint c) { \
		if (c == VECTOR_WIDTH) { \
			rvec t; \
			for (uint k = 0u; k < VECTOR_WIDTH; k++) { t[k] = name[k]; } \
			s0v[j0 / VECTOR_WIDTH] = t; \
		} else { \
			for (uint k = 0u; k < c; k++) { s0e[j0 + k] = name[k]; } \
		} \
	}
#define STATE1(name) \
	layout(std430, binding = BIND_S1) restrict buffer S1 { rvec s1v[]; }; \
	layout(std430, binding = BIND_S1) restrict buffer S1e { real s1e[]; }; \
	real name[VECTOR_WIDTH]; \
	void loadState1(uint j0, uint c) { \
		if (c == VECTOR_WIDTH) { \
			rvec t = s1v[j0 / VECTOR_WIDTH]; \
			for (uint k = 0u; k < VECTOR_WIDTH; k++) { name[k] = t[k]; } \
		} else { \
			for (uint k = 0u; k < c; k++) { name[k] = s1e[j0 + k]; } \
		} \
	} \
	void storeState1(uint j0, uint c) { \
		if (c == VECTOR_WIDTH) { \
			rvec t; \
			for (uint k = 0u; k < VECTOR_WIDTH; k++) { t[k] = name[k]; } \
			s1v[j0 / VECTOR_WIDTH] = t; \
		} else { \
			for (uint k = 0u; k < c; k++) { s1e[j0 + k] = name[k]; } \
		} \
	}
#define STATE2(name) \
	layout(std430, binding = BIND_S2) restrict buffer S2 { rvec s2v[]; }; \
	layout(std430, binding = BIND_S2) restrict buffer S2e { real s2e[]; }; \
	real name[VECTOR_WIDTH]; \
	void loadState2(uint j0, uint c) { \
		if (c == VECTOR_WIDTH) { \
			rvec t = s2v[j0 / VECTOR_WIDTH]; \
			for (uint k = 0u; k < VECTOR_WIDTH; k++) { name[k] = t[k]; } \
		} else { \
			for (uint k = 0u; k < c; k++) { name[k] = s2e[j0 + k]; } \
		} \
	} \
	void storeState2(uint j0, uint c) { \
		if (c == VECTOR_WIDTH) { \
			rvec t; \
			for (uint k = 0u; k < VECTOR_WIDTH; k++) { t[k] = name[k]; } \
			s2v[j0 / VECTOR_WIDTH] = t; \
		} else { \
			for (uint k = 0u; k < c; k++) { s2e[j0 + k] = name[k]; } \
		} \
	}
#else
#define STATE0(name) layout(std430, binding = BIND_S0) restrict buffer S0 { real name[]; };
#define STATE1(name) layout(std430, binding = BIND_S1) restrict buffer S1 { real name[]; };
#define STATE2(name) layout(std430, binding = BIND_S2) restrict buffer S2 { real name[]; };
#endif

// stateBad records whether a state value this invocation wrote for the
// current element is NaN or Inf: the update functions store each value
// through kept(), and step.glsl checks the flag, in registers, instead of
// reading the state vectors back.
bool stateBad = false;

real kept(real v) {
	stateBad = stateBad || nonFinite(v);
	return v;
}

uniform real weightDecay; // weight_decay
uniform real eps;         // eps

// StepScalars is the step's scalars, every rule's in one std140 block that
// the host fills with one buffer update a step (engine/stepscalars.go lays
// it out: the reals in this order, each at its index times the real's
// size, then the bools, four bytes each). A rule reads the members it
// needs as scalars.NAME; a new per-step scalar is a member here and in
// stepscalars.go.
layout(std140, binding = BIND_STEP_SCALARS) uniform StepScalars {
	real stepSize;      // StepScalars.StepSize
	real decay;         // StepScalars.Decay: 1 - lr*weight_decay when decoupled
	real bc1;           // 1 - beta1^t (radam)
	real bc2;           // 1 - beta2^t (nadam)
	real bc2sqrt;       // sqrt(1 - beta2^t) (adam, radam)
	real coefGrad;      // nadam's coefficients
	real coefAvg;
	real rect;          // radam's rectification term
	real momentum;      // sgd's and rmsprop's momentum (a onecycle schedule's of the step)
	real oneMinusBeta1; // 1 - beta1 of the Adam family and adamax (likewise)
	bool rectified;     // radam: rho_t > 5
	bool firstStep;     // sgd: the momentum buffer starts as the gradient
} scalars; // an instance name, so that only "scalars" joins the kernel's global names (an objective's GLSL shares them)

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
	x = x * scalars.decay;
#else
	g = g + weightDecay * x;
#endif
#endif
}
