// One optimizer step fused with the objective: reads x, writes x' to xout
// (a second buffer: rosenbrock's gradient reads the neighbours' old values),
// and leaves this workgroup's loss and squared-gradient-norm sums (of the
// raw gradient, before any clipping) in partials. Grid-stride, so any count
// runs with a bounded number of workgroups. Variants, by define:
//   EVAL_ONLY   evaluate only: no update, no xout
//   GRAD_ONLY   write the gradient to grad[] instead of updating (the first
//               pass of clipping by norm); with GIVEN, write nothing
//   CLIP_VALUE  clamp each gradient component to [-clipValue, clipValue]
//   CLIP_NORM   scale the gradient by clipScale[0] before the update

#if !defined(EVAL_ONLY) && !defined(GRAD_ONLY)
layout(std430, binding = BIND_XOUT) restrict writeonly buffer XOut { real xout[]; };
#endif
#ifdef CLIP_VALUE
uniform real clipValue;
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
		if (nonFinite(fi) || nonFinite(gi)) {
			noteBad(0u, i);
		}
#if defined(GRAD_ONLY)
#ifndef GIVEN
		grad[j] = gi;
#endif
#elif !defined(EVAL_ONLY)
#ifdef CLIP_VALUE
		gi = clamp(gi, -clipValue, clipValue);
#endif
#ifdef CLIP_NORM
		gi = gi * clipScale[0];
#endif
		stateBad = false;
		real xn = update(j, X(i), gi);
		xout[j] = xn;
		// The new state was checked in registers as update() stored it
		// (kept), not read back through aliases of its blocks.
		if (nonFinite(xn) || stateBad) {
			noteBad(1u, i);
		}
#endif
	}
	workgroupSum2(f, g2);
	if (gl_LocalInvocationID.x == 0u) {
		uint k = 2u * (partialBase + gl_WorkGroupID.x);
		partials[k] = f;
		partials[k + 1u] = g2;
	}
}
