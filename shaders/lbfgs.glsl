// torch's L-BFGS's vector work (engine/lbfgs.go, internal/lbfgs): the
// host runs the rule and the line search, these kernels do what touches
// whole vectors. Variants, by define:
//   LB_PART  one chunk's per-workgroup partials of a.b (mode 0), sum |a|
//            (1) or max |a| (2) into partials[partialBase + workgroup];
//            assembled after wgsum.glsl and common.glsl
//   LB_FIN   one workgroup: the partials in a fixed order (a sum, or a
//            max for mode 2) into out[0]; after wgsum.glsl alone
//   LB_LOSS  one workgroup: the evaluation's (loss, squared gradient)
//            partial pairs, summed as reduce.glsl sums them, into out[0],
//            out[1]; after wgsum.glsl alone
//   LB_VEC   one chunk of an elementwise operation (mode below); after
//            wgsum.glsl and common.glsl
//   LB_AXPYDOT one chunk of the two-loop's A += c B (LB_VEC's mode 0 with
//            its coefficient from sc) then LB_PART's mode-0 partials of
//            C.A, in one pass over A: the bits of the two in turn (the
//            same sums by the same invocations, each an fma() into a
//            precise sum, so no driver contracts one and not the other);
//            after wgsum.glsl and common.glsl
// A, B and C are bound per chunk (elements base..base+count-1 at 0..).

#if defined(LB_PART) || defined(LB_VEC) || defined(LB_AXPYDOT)
layout(std430, binding = BIND_LB_A) buffer LbA { real A[]; };
layout(std430, binding = BIND_LB_B) readonly buffer LbB { real B[]; };
#endif

#if defined(LB_PART) || defined(LB_FIN)
// isNaN tests the bits (a compiler may fold v != v to false), and maxNaN
// is max(x, y) where a NaN wins, as torch's abs().max() gives it.
#ifdef REAL_IS_DOUBLE
bool isNaN(double v) {
	uvec2 w = unpackDouble2x32(v);
	return (w.y & 0x7ff00000u) == 0x7ff00000u && ((w.y & 0xfffffu) | w.x) != 0u;
}
double theNaN() { return packDouble2x32(uvec2(0u, 0x7ff80000u)); }
#else
bool isNaN(float v) {
	uint w = floatBitsToUint(v);
	return (w & 0x7f800000u) == 0x7f800000u && (w & 0x7fffffu) != 0u;
}
float theNaN() { return uintBitsToFloat(0x7fc00000u); }
#endif
real maxNaN(real x, real y) {
	if (isNaN(x) || isNaN(y)) {
		return theNaN();
	}
	return max(x, y);
}

// workgroupMax is workgroupSum2's tree with maxNaN for the sum.
real workgroupMax(real v) {
	uint t = gl_LocalInvocationID.x;
	sharedF[t] = v;
	barrier();
	for (uint h = LOCAL_SIZE / 2u; h > 0u; h >>= 1) {
		if (t < h) {
			sharedF[t] = maxNaN(sharedF[t], sharedF[t + h]);
		}
		barrier();
	}
	return sharedF[0];
}
#endif

#ifdef LB_PART
uniform int mode;

void main() {
	// precise with fma(): mode 0's products and sums as one rounding each,
	// on every driver and in LB_AXPYDOT alike
	precise real s = real(0);
	real unused = real(0);
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint j = gl_GlobalInvocationID.x; j < count; j += stride) {
		real a = A[j];
		if (mode == 0) {
			s = fma(a, B[j], s);
		} else if (mode == 1) {
			s += abs(a);
		} else {
			s = maxNaN(s, abs(a));
		}
	}
	if (mode == 2) {
		s = workgroupMax(s);
	} else {
		workgroupSum2(s, unused);
	}
	if (gl_LocalInvocationID.x == 0u) {
		partials[partialBase + gl_WorkGroupID.x] = s;
	}
}
#endif

#if defined(LB_FIN) || defined(LB_LOSS)
layout(std430, binding = BIND_PARTIALS) readonly buffer Partials { real partials[]; };
layout(std430, binding = BIND_LB_OUT) writeonly buffer LbOut { real out_[]; };
uniform uint parts; // partials (LB_FIN) or partial pairs (LB_LOSS) to reduce
#endif

#ifdef LB_FIN
uniform int mode;
uniform uint outIdx; // the result goes to out_[outIdx], times scale
uniform real scale;

void main() {
	uint t = gl_LocalInvocationID.x;
	real s = real(0);
	real unused = real(0);
	for (uint k = t; k < parts; k += LOCAL_SIZE) {
		real v = partials[k];
		if (mode == 2) {
			s = maxNaN(s, v);
		} else {
			s += v;
		}
	}
	if (mode == 2) {
		s = workgroupMax(s);
	} else {
		workgroupSum2(s, unused);
	}
	if (t == 0u) {
		out_[outIdx] = s * scale;
	}
}
#endif

#ifdef LB_LOSS
void main() {
	uint t = gl_LocalInvocationID.x;
	real f = real(0);
	real g = real(0);
	for (uint k = t; k < parts; k += LOCAL_SIZE) {
		f += partials[2u * k];
		g += partials[2u * k + 1u];
	}
	workgroupSum2(f, g);
	if (t == 0u) {
		out_[0] = f;
		out_[1] = g;
	}
}
#endif

#if defined(LB_VEC) || defined(LB_AXPYDOT)
layout(std430, binding = BIND_LB_C) readonly buffer LbC { real C[]; };
// The two-loop's scalars, kept on the device (engine/lbfgs.go's TwoLoop).
layout(std430, binding = BIND_LB_SC) readonly buffer LbSc { real sc[]; };
uniform int ia;
uniform int ib;
uniform real sa;

// scCoef is the two-loop's coefficient read on the device: sa sc[ia] -
// sc[ib] (ib >= 0) or sa sc[ia].
real scCoef() {
	real c = sa * sc[ia];
	if (ib >= 0) {
		c = c - sc[ib];
	}
	return c;
}
#endif

#ifdef LB_VEC
// mode: 0 A += a B; 1 A = -B; 2 A = B - C; 3 A = B a; 4 A = B + a C;
// 5 A = B; 6 check A: a non-finite A[j] is noted as step flagStep + 1's.
// With ia >= 0, mode 0's a is scCoef().
uniform int mode;
uniform real a;

void main() {
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	real ca = a; // mode 0's coefficient
	if (ia >= 0) {
		ca = scCoef();
	}
	for (uint j = gl_GlobalInvocationID.x; j < count; j += stride) {
		// precise: a product rounded before the sum, as the CPU computes it.
		precise real p;
		if (mode == 0) {
			p = ca * B[j];
			A[j] = A[j] + p;
		} else if (mode == 1) {
			A[j] = -B[j];
		} else if (mode == 2) {
			A[j] = B[j] - C[j];
		} else if (mode == 3) {
			A[j] = B[j] * a;
		} else if (mode == 4) {
			p = a * C[j];
			A[j] = B[j] + p;
		} else if (mode == 5) {
			A[j] = B[j];
		} else if (nonFinite(A[j])) {
			noteBad(1u, base + j);
		}
	}
}
#endif

#ifdef LB_AXPYDOT
// The coefficient is scCoef(), as LB_VEC's; the partials (common.glsl's
// buffer and partialBase) go to partials[partialBase + workgroup].

void main() {
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	real ca = scCoef();
	precise real s = real(0);
	real unused = real(0);
	for (uint j = gl_GlobalInvocationID.x; j < count; j += stride) {
		// LB_VEC's mode 0, then LB_PART's mode 0 with a = C[j], B[j] = A[j]
		precise real p = ca * B[j];
		real w = C[j];
		real v = A[j] + p;
		A[j] = v;
		s = fma(w, v, s);
	}
	workgroupSum2(s, unused);
	if (gl_LocalInvocationID.x == 0u) {
		partials[partialBase + gl_WorkGroupID.x] = s;
	}
}
#endif
