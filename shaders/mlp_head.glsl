// The mlp's output head (engine/mlp.go): one invocation per position of
// the pass (grid-stride) takes the outputs z (dz[zOff + s*K ..], written
// by the last layer's GEMM) and the target (dz[yOff + s]), and replaces z
// by dl/dz through the model's rowLoss (model_loss.glsl: softmax's
// cross-entropy, or the mean squared error of a regression), which the
// backward GEMMs read. With record it sums the loss and the correct
// predictions over the workgroup into partials[partialBase + group], as
// model_rows.glsl does, in a fixed tree. Used above 32 outputs only: with
// K <= 32 the output layer's GEMM does this in its epilogue (gemm.glsl's
// epilogue 3, HEAD) and this kernel is neither built nor dispatched.

uniform uint zOff;
uniform uint yOff;
uniform bool record;

void main() {
	real lossSum = real(0);
	real correctSum = real(0);
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint s = gl_GlobalInvocationID.x; s < posCount; s += stride) {
		uint zo = zOff + s * uint(K);
		real y = dz[yOff + s];
		real correct;
#ifdef Z_IN_DZ
		real loss = rowLossSoftmax(zo, y, correct);
#else
		real z[K];
		for (uint k = 0u; k < uint(K); k++) {
			z[k] = dz[zo + k];
		}
		real loss = rowLoss(z, y, correct);
		for (uint k = 0u; k < uint(K); k++) {
			dz[zo + k] = z[k];
		}
#endif
		lossSum += loss;
		correctSum += correct;
	}
	if (record) { // uniform: every invocation of the dispatch takes it or none
		workgroupSum2(lossSum, correctSum);
		if (gl_LocalInvocationID.x == 0u) {
			uint o = 2u * (partialBase + gl_WorkGroupID.x);
			partials[o] = lossSum;
			partials[o + 1u] = correctSum;
		}
	}
}
