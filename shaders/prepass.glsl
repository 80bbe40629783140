// The pre-pass of an objective whose gradient needs global quantities
// (ackley's means, griewank's product) before any component: the objective
// file defines prepass(i, a, b), the combining operations prepassCombineA
// and prepassCombineB with their identities PREPASS_A0 and PREPASS_B0, and
// prepassFinish(a, b), which writes glob[] for objective(). Two kernels,
// each run once per evaluation before the step (or eval, or gradient)
// kernel, on the device:
//   (default)       per chunk: each invocation combines its elements in
//                   grid-stride order, the workgroup combines in a fixed
//                   tree, invocation 0 writes the pair to partials[]
//   PREPASS_REDUCE  one workgroup combines every pair (read at binding 13,
//                   the same buffer) in a fixed order and calls
//                   prepassFinish
// So, like every sum here, the same device gives the same bits twice.

// workgroupCombine2 is wgsum.glsl's tree with the objective's operations.
void workgroupCombine2(inout real a, inout real b) {
	uint t = gl_LocalInvocationID.x;
	sharedF[t] = a;
	sharedG[t] = b;
	barrier();
	for (uint s = LOCAL_SIZE / 2u; s > 0u; s >>= 1) {
		if (t < s) {
			sharedF[t] = prepassCombineA(sharedF[t], sharedF[t + s]);
			sharedG[t] = prepassCombineB(sharedG[t], sharedG[t + s]);
		}
		barrier();
	}
	a = sharedF[0];
	b = sharedG[0];
}

#ifdef PREPASS_REDUCE
layout(std430, binding = BIND_PRE_PARTIALS) readonly buffer PrePartials { real prePartials[]; };
uniform uint pairs; // partial pairs to combine

void main() {
	uint t = gl_LocalInvocationID.x;
	real a = PREPASS_A0;
	real b = PREPASS_B0;
	for (uint k = t; k < pairs; k += LOCAL_SIZE) {
		a = prepassCombineA(a, prePartials[2u * k]);
		b = prepassCombineB(b, prePartials[2u * k + 1u]);
	}
	workgroupCombine2(a, b);
	if (t == 0u) {
		prepassFinish(a, b);
	}
}
#else
void main() {
	real a = PREPASS_A0;
	real b = PREPASS_B0;
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint j = gl_GlobalInvocationID.x; j < count; j += stride) {
		real pa, pb;
		prepass(base + j, pa, pb);
		a = prepassCombineA(a, pa);
		b = prepassCombineB(b, pb);
	}
	workgroupCombine2(a, b);
	if (gl_LocalInvocationID.x == 0u) {
		uint k = 2u * (partialBase + gl_WorkGroupID.x);
		partials[k] = a;
		partials[k + 1u] = b;
	}
}
#endif
