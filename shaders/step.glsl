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

//   VECTOR_WIDTH  the vector path below, for the update kernels only (the
//               engine defines it for no EVAL_ONLY or GRAD_ONLY one): state
//               and x' loaded and stored VECTOR_WIDTH elements at a time

#if defined(VECTOR_WIDTH)
layout(std430, binding = BIND_XOUT) restrict writeonly buffer XOut { rvec xoutv[]; };
layout(std430, binding = BIND_XOUT) restrict writeonly buffer XOutE { real xoute[]; };
#elif !defined(EVAL_ONLY) && !defined(GRAD_ONLY)
layout(std430, binding = BIND_XOUT) restrict writeonly buffer XOut { real xout[]; };
#endif
#ifdef CLIP_VALUE
uniform real clipValue;
#endif

#ifdef VECTOR_WIDTH
// The vector path. Each pass of the workgroup covers LOCAL_SIZE
// consecutive elements, blk.. blk+LOCAL_SIZE-1: first every invocation
// evaluates the objective at blk+t, exactly the element the scalar path's
// invocation t takes in that pass, so the loss and gradient-norm sums are
// added in the scalar path's order, bit for bit. The gradients go through
// shared memory; then invocation t < LOCAL_SIZE/VECTOR_WIDTH updates the
// VECTOR_WIDTH elements from blk + VECTOR_WIDTH*t, loading and storing
// the state and x' as whole vectors (element by element for the partial
// vector at the chunk's end), with update() applied to each element as
// in the scalar path: the same arithmetic, so the same bits.
shared real sharedGrad[LOCAL_SIZE];

void loadStates(uint j0, uint c) {
#if NSTATE > 0
	loadState0(j0, c);
#endif
#if NSTATE > 1
	loadState1(j0, c);
#endif
#if NSTATE > 2
	loadState2(j0, c);
#endif
}

void storeStates(uint j0, uint c) {
#if NSTATE > 0
	storeState0(j0, c);
#endif
#if NSTATE > 1
	storeState1(j0, c);
#endif
#if NSTATE > 2
	storeState2(j0, c);
#endif
}

void main() {
	real f = real(0);
	real g2 = real(0);
	uint t = gl_LocalInvocationID.x;
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	// blk is the same for the whole workgroup, so every invocation meets
	// the barriers equally often.
	for (uint blk = gl_WorkGroupID.x * LOCAL_SIZE; blk < count; blk += stride) {
		uint j = blk + t;
		if (j < count) {
			uint i = base + j;
			real fi, gi;
			objective(i, fi, gi);
			f += fi;
			g2 += gi * gi;
			if (nonFinite(fi) || nonFinite(gi)) {
				noteBad(0u, i);
			}
#ifdef CLIP_VALUE
			gi = clamp(gi, -clipValue, clipValue);
#endif
#ifdef CLIP_NORM
			gi = gi * clipScale[0];
#endif
			sharedGrad[t] = gi;
		}
		memoryBarrierShared();
		barrier();
		uint j0 = blk + VECTOR_WIDTH * t;
		if (t < LOCAL_SIZE / VECTOR_WIDTH && j0 < count) {
			uint c = min(count - j0, uint(VECTOR_WIDTH));
			loadStates(j0, c);
			rvec xn;
			for (uint k = 0u; k < c; k++) {
				uint i = base + j0 + k;
				stateBad = false;
				xn[k] = update(k, X(i), sharedGrad[VECTOR_WIDTH * t + k]);
				if (nonFinite(xn[k]) || stateBad) {
					noteBad(1u, i);
				}
			}
			storeStates(j0, c);
			if (c == uint(VECTOR_WIDTH)) {
				xoutv[j0 / VECTOR_WIDTH] = xn;
			} else {
				for (uint k = 0u; k < c; k++) {
					xoute[j0 + k] = xn[k];
				}
			}
		}
		// The next pass overwrites sharedGrad.
		barrier();
	}
	workgroupSum2(f, g2);
	if (t == 0u) {
		uint k = 2u * (partialBase + gl_WorkGroupID.x);
		partials[k] = f;
		partials[k + 1u] = g2;
	}
}
#else
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
#endif
