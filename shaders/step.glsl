// One optimizer step fused with the objective: reads x, writes x' to xout
// (a second buffer: rosenbrock's gradient reads the neighbours' old values),
// and leaves this workgroup's loss and squared-gradient-norm sums in
// partials. With EVAL_ONLY it only evaluates (no update, no xout).
// Grid-stride, so any count runs with a bounded number of workgroups.

#ifndef EVAL_ONLY
layout(std430, binding = 1) writeonly buffer XOut { real xout[]; };
#endif

void main() {
	real f = real(0);
	real g2 = real(0);
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint j = gl_GlobalInvocationID.x; j < count; j += stride) {
		uint i = base + j;
		real fi, gi;
		objective(i, fi, gi);
		f += fi;
		g2 += gi * gi;
#ifndef EVAL_ONLY
		xout[j] = update(j, X(i), gi);
#endif
	}
	workgroupSum2(f, g2);
	if (gl_LocalInvocationID.x == 0u) {
		uint k = 2u * (partialBase + gl_WorkGroupID.x);
		partials[k] = f;
		partials[k + 1u] = g2;
	}
}
