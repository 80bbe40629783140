// Kernel 2 of a model step or sample: workgroup g takes the batch
// positions [g*perGroup, (g+1)*perGroup) of the pass; each invocation
// takes parameters p = (k, j) (strided by the workgroup size) and sums
// dl/dz_k * x_j over those positions whose row lies in the bound chunk, in
// position order (x_j = 1 for the intercept). The sum goes to
// gpart[g*n + p], added to what earlier passes and chunks left there unless
// this is the first (accumulate false): so the order of every addition is
// fixed by the host's order of passes and chunks, and no float atomics are
// needed.

uniform uint perGroup;
uniform bool accumulate;

void main() {
	uint g = gl_WorkGroupID.x;
	uint s0 = min(g * perGroup, posCount);
	uint s1 = min(s0 + perGroup, posCount);
	for (uint p = gl_LocalInvocationID.x; p < n; p += LOCAL_SIZE) {
		uint k = p / uint(PPO);
		uint j = p - k * uint(PPO);
		real acc = real(0);
		for (uint s = s0; s < s1; s++) {
			uint r = chunkRow(s);
			if (r >= rowCount) {
				continue;
			}
			real xv = j < uint(COLS) ? real(dataX[r * uint(COLS) + j]) : real(1);
			acc += dz[s * uint(K) + k] * xv;
		}
		uint o = g * n + p;
		gpart[o] = accumulate ? gpart[o] + acc : acc;
	}
}
