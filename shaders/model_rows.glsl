// Kernel 1 of a model step or sample: one invocation per batch position
// (grid-stride) whose row lies in the bound chunk computes the outputs
// z_k = sum_j W_kj x_j + b_k (in that order: features first, intercept
// last, as docs/models.md writes it), the loss and dl/dz (model_loss.glsl).
// With writeDz it stores dl/dz for kernel 2 (with Z_IN_DZ, softmax on many
// classes always writes its outputs and dl/dz there, see rowLossSoftmax); with record it sums the loss
// and the correct predictions over the workgroup into partials[partialBase
// + group] (a fixed tree, so the same device gives the same bits).

uniform bool writeDz;
uniform bool record;

void main() {
	real lossSum = real(0);
	real correctSum = real(0);
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint s = gl_GlobalInvocationID.x; s < posCount; s += stride) {
		uint r = chunkRow(s);
		if (r >= rowCount) {
			continue;
		}
		uint xo = r * uint(COLS);
		real correct;
#ifdef Z_IN_DZ
		// softmax on many classes: the outputs go straight to dz, where the loss makes dl/dz of
		// them (rowLossSoftmax); a validation pass (writeDz false) uses
		// dz as scratch, kernel 2 reads it only after a training pass
		uint zo = s * uint(K);
		for (uint k = 0u; k < uint(K); k++) {
			real zk = real(0);
			for (uint j = 0u; j < uint(COLS); j++) {
				zk += X(k * uint(PPO) + j) * real(dataX[xo + j]);
			}
#ifdef INTERCEPT
			zk += X(k * uint(PPO) + uint(COLS));
#endif
			dz[zo + k] = zk;
		}
		real loss = rowLossSoftmax(zo, real(dataY[r]), correct);
#else
		real z[K];
		for (uint k = 0u; k < uint(K); k++) {
			z[k] = real(0);
		}
		for (uint j = 0u; j < uint(COLS); j++) {
			real xv = real(dataX[xo + j]);
			for (uint k = 0u; k < uint(K); k++) {
				z[k] += X(k * uint(PPO) + j) * xv;
			}
		}
#ifdef INTERCEPT
		for (uint k = 0u; k < uint(K); k++) {
			z[k] += X(k * uint(PPO) + uint(COLS));
		}
#endif
		real loss = rowLoss(z, real(dataY[r]), correct);
		if (writeDz) {
			for (uint k = 0u; k < uint(K); k++) {
				dz[s * uint(K) + k] = z[k];
			}
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
