// Declarations shared by every kernel. The preamble defines:
//   real        float or double (the job's precision)
//   LOCAL_SIZE  invocations per workgroup (a power of two)
// Buffers are bound per chunk with glBindBufferRange, so a kernel sees the
// elements [base, base+count) of each vector at indices 0..count-1, except
// xin, which is bound with a halo and indexed through X().

layout(std430, binding = 0) readonly buffer XIn { real xin[]; };
layout(std430, binding = 5) writeonly buffer Partials { real partials[]; };

uniform uint n;           // parameters in the whole vector
uniform uint base;        // global index of this chunk's first element
uniform uint count;       // elements in this chunk
uniform uint xbase;       // global index of xin[0]
uniform uint partialBase; // first workgroup slot of this chunk in partials

// X returns parameter i (global index) from the halo-bound input.
real X(uint i) { return xin[i - xbase]; }

#ifdef USES_GRAD
// A whole gradient in memory: given by the host (given.glsl), or written by
// a GRAD_ONLY pass so that its norm is known before the update (clipping).
layout(std430, binding = 8) buffer Grad { real grad[]; };
#endif
#ifdef CLIP_NORM
// clipScale[0] = min(max_norm / (||g|| + 1e-6), 1), written by reduce.glsl.
layout(std430, binding = 9) readonly buffer ClipScale { real clipScale[]; };
#endif
