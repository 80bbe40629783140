// Declarations shared by every kernel. The preamble defines:
//   real        float or double (the job's precision)
//   LOCAL_SIZE  invocations per workgroup (a power of two)
// x in, x out and the optimizer's state vectors are restrict: each is its
// own buffer object (the two x buffers alternate), and since step.glsl
// checks the new state in registers, nothing reads a block through an
// alias any more. Buffers are bound per chunk with glBindBufferRange, so a kernel sees the
// elements [base, base+count) of each vector at indices 0..count-1, except
// xin, which is bound with a halo and indexed through X().

layout(std430, binding = BIND_XIN) restrict readonly buffer XIn { real xin[]; };
layout(std430, binding = BIND_PARTIALS) writeonly buffer Partials { real partials[]; };

uniform uint n;           // parameters in the whole vector
uniform uint base;        // global index of this chunk's first element
uniform uint count;       // elements in this chunk
uniform uint xbase;       // global index of xin[0]
uniform uint partialBase; // first workgroup slot of this chunk in partials

// The first non-finite value (see noteBad), read back with the samples by
// reduce.glsl: flags[0] is a base step B, flags[1] the smallest rank
// d*n + i of the values found, meaning step B+d (d is 0 or 1), parameter
// index i; both 0xFFFFFFFF when none. Only integer atomics.
layout(std430, binding = BIND_FLAGS) coherent buffer Flags { uint flags[]; };
uniform uint flagStep; // the point x_flagStep this dispatch reads

const uint NONE = 0xFFFFFFFFu;

// noteBad records a non-finite value at step flagStep + after (after is 0
// for a loss term or gradient component at x_flagStep, 1 for a value the
// step writes), parameter index i. The first dispatch to find one fixes
// the base step; later ones, whose steps are no smaller, can only lower
// the rank when their step is B or B+1. Dispatches run in order, so the
// result is the first value by step, then index.
void noteBad(uint after, uint i) {
	uint prev = atomicCompSwap(flags[0], NONE, flagStep);
	uint b = prev == NONE ? flagStep : prev;
	uint d = flagStep + after - b;
	if (d <= 1u) {
		atomicMin(flags[1], d * n + i);
	}
}

// nonFinite tests the exponent bits (all ones: NaN or +-Inf) rather than
// calling isnan and isinf, which a compiler that assumes finite arithmetic
// may fold to false; an integer test of the bits it cannot drop.
#ifdef REAL_IS_DOUBLE
bool nonFinite(double v) { return (unpackDouble2x32(v).y & 0x7ff00000u) == 0x7ff00000u; }
#else
bool nonFinite(float v) { return (floatBitsToUint(v) & 0x7f800000u) == 0x7f800000u; }
#endif

// X returns parameter i (global index) from the halo-bound input.
real X(uint i) { return xin[i - xbase]; }

#ifdef USES_GRAD
// A whole gradient in memory: given by the host (given.glsl), or written by
// a GRAD_ONLY pass so that its norm is known before the update (clipping).
layout(std430, binding = BIND_GRAD) buffer Grad { real grad[]; };
#endif
#ifdef CLIP_NORM
// clipScale[0] = min(max_norm / (||g|| + 1e-6), 1), written by reduce.glsl.
layout(std430, binding = BIND_CLIP_SCALE) readonly buffer ClipScale { real clipScale[]; };
#endif
#ifdef PREPASS_GLOBALS
// An objective's global quantities (ackley, griewank), written by its
// pre-pass (prepass.glsl) before the kernels that read them.
layout(std430, binding = BIND_GLOB) buffer Glob { real glob[]; };
#endif
