// Tiled GEMM (engine/gemm.go): C = op(A)·op(B), C an M x N matrix, the
// inner dimension KD, in the kernel's precision (real). One kernel serves
// A·B, Aᵀ·B and A·Bᵀ: each operand is read through element strides,
// A(i, p) = ga[aOff + i*aRow + p*aCol] and B(p, j) = gb[bOff + p*bRow +
// j*bCol], so a transpose is a swap of strides, set by the host.
//
// A workgroup of 16 x 16 invocations computes a GEMM_T x GEMM_T tile of C,
// GEMM_T = 16 * GEMM_R, each invocation a GEMM_R x GEMM_R block held in
// registers (rows ly + 16r and columns lx + 16c of the tile, r, c <
// GEMM_R): GEMM_R 2 (32 x 32 tiles) by default, 4 or 8 for more products
// per shared-memory read (the mlp picks per product: engine/gemm.go's
// pick). The inner dimension is walked in slices of 16: the workgroup
// stages the slice's A and B tiles in shared memory (zero outside the
// matrices, so any M, N and KD work), then every invocation adds the
// slice's products to its GEMM_R² sums, each product and sum one fma() of
// a precise accumulator (one rounding, on every driver). Each element of
// C is therefore one running sum over p = 0, 1, ..., KD - 1 in order: the
// same bits on every run of the same device, with no atomics, whatever
// the tiling of the other dimensions (GEMM_R included). (The zeros past
// KD add +0, which changes no sum but a -0 one.)
//
// The epilogue (uniform epi), applied to the sum s of each element:
//   0: C = s, or C + s with accumulate (C's previous value added last);
//   1: C = s + bias_j, the bias read from gb[biasOff + j] (the layer's
//      biases follow its weights in the parameter vector), and with ACT
//      defined, also gc[hOff + i*ldc + j] = act(C) (the hidden layer's
//      activations beside its pre-activations);
//   2: C = s * act'(a, h), a = ge[pOff + i*ldc + j] the pre-activation and
//      h = ge[hOff + i*ldc + j] the activation (the backward pass through
//      the activation).
//   3: with HEAD defined, the mlp's output layer fused with its head
//      (mlp_head.glsl) when a row's K outputs fit one tile (N = K <= 32,
//      one workgroup column): z = s + bias_j as epilogue 1, staged in
//      shared memory; then one invocation per row of the tile replaces the
//      row's z in C by dl/dz through the model's rowLoss (model_loss.glsl,
//      the target at gc[yOff + i]), and with record the workgroup sums its
//      rows' losses and correct predictions in a fixed tree into
//      partials[partialBase + workgroup row]. Same z, same rowLoss: dl/dz
//      has mlp_head.glsl's bits; only the loss sum is grouped otherwise.
// ACT is the activation's index in gdgpu.Activations (relu 0, tanh 1,
// sigmoid 2, gelu 3, leaky-relu 4), with mlp_act.glsl before this file.
//
// The grid is (ceil(N/GEMM_T), ceil(M/GEMM_T)) workgroups: the host keeps both
// under GL_MAX_COMPUTE_WORK_GROUP_COUNT (65535), beyond which a dispatch
// silently does nothing.

#ifndef GEMM_R
#define GEMM_R 2 // an invocation's block edge
#endif
#define GEMM_T (16 * GEMM_R) // tile edge
#define GEMM_K 16            // inner slice
#if defined(HEAD) && GEMM_R != 2
#error "the fused head needs 32 x 32 tiles (GEMM_R 2)"
#endif
layout(local_size_x = 16, local_size_y = 16) in;

layout(std430, binding = BIND_GEMM_A) readonly buffer GA { real ga[]; };
layout(std430, binding = BIND_GEMM_B) readonly buffer GB { real gb[]; };
layout(std430, binding = BIND_GEMM_C) buffer GC { real gc[]; };
layout(std430, binding = BIND_GEMM_E) readonly buffer GE { real ge[]; };

uniform uint M;
uniform uint N;
uniform uint KD;
uniform uint aOff;
uniform uint aRow;
uniform uint aCol;
uniform uint bOff;
uniform uint bRow;
uniform uint bCol;
uniform uint cOff;
uniform uint ldc;
uniform bool accumulate;
uniform int epi;
uniform uint biasOff;
uniform uint pOff;
uniform uint hOff;

shared real tileA[GEMM_K][GEMM_T]; // tileA[p][i] = A(i0 + i, k0 + p)
shared real tileB[GEMM_K][GEMM_T]; // tileB[p][j] = B(k0 + p, j0 + j)

#ifdef HEAD
layout(std430, binding = BIND_PARTIALS) writeonly buffer Partials { real partials[]; };
uniform uint yOff;
uniform bool record;
uniform uint partialBase;
shared real headZ[GEMM_T][K];  // the tile's rows of z
shared real headLoss[GEMM_T];  // a row's loss, then the tree's sums
shared real headRight[GEMM_T]; // a row's correct prediction, likewise
#endif

void main() {
	uint lx = gl_LocalInvocationID.x;
	uint ly = gl_LocalInvocationID.y;
	uint t = ly * 16u + lx;
	uint i0 = gl_WorkGroupID.y * uint(GEMM_T);
	uint j0 = gl_WorkGroupID.x * uint(GEMM_T);
	precise real acc[GEMM_R][GEMM_R]; // precise with fma: one rounding a step on every driver and block
	for (int r = 0; r < GEMM_R; r++) {
		for (int c = 0; c < GEMM_R; c++) {
			acc[r][c] = real(0);
		}
	}
	for (uint k0 = 0u; k0 < KD; k0 += uint(GEMM_K)) {
		// GEMM_K x GEMM_T elements of each tile, GEMM_R per invocation
		for (uint e = t; e < uint(GEMM_K * GEMM_T); e += 256u) {
			uint p = e / uint(GEMM_T);
			uint q = e % uint(GEMM_T);
			uint kp = k0 + p;
			uint ia = i0 + q;
			uint jb = j0 + q;
			tileA[p][q] = ia < M && kp < KD ? ga[aOff + ia * aRow + kp * aCol] : real(0);
			tileB[p][q] = jb < N && kp < KD ? gb[bOff + kp * bRow + jb * bCol] : real(0);
		}
		barrier();
		for (uint p = 0u; p < uint(GEMM_K); p++) {
			real a[GEMM_R], b[GEMM_R];
			for (int r = 0; r < GEMM_R; r++) {
				a[r] = tileA[p][ly + 16u * uint(r)];
				b[r] = tileB[p][lx + 16u * uint(r)];
			}
			for (int r = 0; r < GEMM_R; r++) {
				for (int c = 0; c < GEMM_R; c++) {
					acc[r][c] = fma(a[r], b[c], acc[r][c]);
				}
			}
		}
		barrier(); // the next slice overwrites the tiles
	}
#ifdef HEAD
	if (epi == 3) { // uniform: the barriers below are in uniform control flow
		for (int r = 0; r < 2; r++) {
			for (int c = 0; c < 2; c++) {
				uint j = lx + uint(c) * 16u;
				if (j < uint(K)) {
					headZ[ly + uint(r) * 16u][j] = acc[r][c] + gb[biasOff + j];
				}
			}
		}
		barrier();
		if (t < uint(GEMM_T)) {
			uint i = i0 + t;
			real loss = real(0);
			real correct = real(0);
			if (i < M) {
				real z[K];
				for (uint k = 0u; k < uint(K); k++) {
					z[k] = headZ[t][k];
				}
				loss = rowLoss(z, gc[yOff + i], correct);
				for (uint k = 0u; k < uint(K); k++) {
					gc[cOff + i * ldc + k] = z[k];
				}
			}
			headLoss[t] = loss;
			headRight[t] = correct;
		}
		if (record) { // uniform
			barrier();
			for (uint w = uint(GEMM_T) / 2u; w > 0u; w >>= 1) {
				if (t < w) {
					headLoss[t] += headLoss[t + w];
					headRight[t] += headRight[t + w];
				}
				barrier();
			}
			if (t == 0u) {
				uint o = 2u * (partialBase + gl_WorkGroupID.y);
				partials[o] = headLoss[0];
				partials[o + 1u] = headRight[0];
			}
		}
		return;
	}
#endif
	// constant loops (unrolled), so that acc stays in registers
	for (int r = 0; r < GEMM_R; r++) {
		for (int c = 0; c < GEMM_R; c++) {
			uint i = i0 + ly + uint(r) * 16u;
			uint j = j0 + lx + uint(c) * 16u;
			if (i >= M || j >= N) {
				continue;
			}
			uint o = i * ldc + j;
			real v = acc[r][c];
			if (epi == 1) {
				v += gb[biasOff + j];
#ifdef ACT
				gc[hOff + o] = actF(v);
#endif
			} else if (epi == 2) {
#ifdef ACT
				v = actD(v, ge[pOff + o], ge[hOff + o]);
#endif
			} else if (accumulate) {
				v = gc[cOff + o] + v;
			}
			gc[cOff + o] = v;
		}
	}
}
