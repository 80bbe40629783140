// Kernel 3 of a model step or sample: per parameter p (grid-stride), the
// sum of kernel 2's workgroup sums in workgroup order, divided by the batch
// size, plus L1 sign(W) + L2 W on the weights (sign(0) = 0; intercepts are
// not penalised), written to grad[] for the optimizer's given-gradient
// kernel. With record (a sample) it also sums the squared gradient and
// the penalty L1 |W| + L2/2 W^2 over the workgroup into partials, and
// flags a non-finite gradient component at step flagStep.

uniform uint groups2;   // kernel 2's workgroups
uniform real batchRows; // |S|
uniform real l1;
uniform real l2;
uniform bool record;

void main() {
	real g2 = real(0);
	real pen = real(0);
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint p = gl_GlobalInvocationID.x; p < n; p += stride) {
		real s = real(0);
		for (uint g = 0u; g < groups2; g++) {
			s += gpart[g * n + p];
		}
		s = s / batchRows;
#ifdef NET_WEIGHTS
		// a network's weights (engine/mlp.go): the runs the penalties apply to
		if (NET_WEIGHTS(p)) {
#else
		if (p % uint(PPO) < uint(COLS)) {
#endif
			real w = X(p);
			// a penalty that is off adds nothing, not 0 * Inf = NaN
			// when a weight has overflowed (as on the CPU); both set
			// add as one term, l1 sign(w) + l2 w, as the CPU does
			if (l1 > real(0) && l2 > real(0)) {
				s += l1 * sign(w) + l2 * w;
			} else if (l1 > real(0)) {
				s += l1 * sign(w);
			} else if (l2 > real(0)) {
				s += l2 * w;
			}
			if (l1 > real(0)) {
				pen += l1 * abs(w);
			}
			if (l2 > real(0)) {
				pen += real(0.5) * l2 * w * w;
			}
		}
		grad[p] = s;
		g2 += s * s;
		if (record && nonFinite(s)) {
			noteBad(0u, p);
		}
	}
	if (record) {
		workgroupSum2(g2, pen);
		if (gl_LocalInvocationID.x == 0u) {
			uint o = 2u * (partialBase + gl_WorkGroupID.x);
			partials[o] = g2;
			partials[o + 1u] = pen;
		}
	}
}
