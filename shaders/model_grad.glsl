// Kernel 2 of a model step or sample: workgroup g takes the batch
// positions [g*perGroup, (g+1)*perGroup) of the pass and sums, for every
// parameter p = (k, j), dl/dz_k * x_j over those positions whose row lies
// in the bound chunk (x_j = 1 for the intercept). The sum goes to
// gpart[g*n + p], added to what earlier passes and chunks left there unless
// this is the first (accumulate false): so the order of every addition is
// fixed by the host's order of passes and chunks, and no float atomics are
// needed.
//
// A model with fewer parameters than invocations would leave most of them
// idle with one invocation per parameter, so the host sets lanes =
// LOCAL_SIZE / n (at least 1): invocation t takes parameter t mod n and
// every lanes-th position from lane t / n, and lane 0 adds the lanes'
// sums in lane order. With lanes 1, invocation t takes parameters t,
// t + LOCAL_SIZE, ... over every position.

uniform uint perGroup;
uniform bool accumulate;
uniform uint lanes;

// rowSum sums dl/dz_k x_j over positions s0, s0 + step, ... < s1 whose
// row lies in the bound chunk. In identity order those positions are one
// range, so the loop runs over it without a test per position (the
// additions are the same, in the same order).
real rowSum(uint k, uint j, uint s0, uint s1, uint step) {
	real acc = real(0);
	if (identity) {
		// chunk rows [rowBase, rowBase + rowCount) are positions
		// [rowBase - posBase, rowBase + rowCount - posBase), clipped at 0
		uint lo = rowBase > posBase ? rowBase - posBase : 0u;
		uint hi = rowBase + rowCount > posBase ? rowBase + rowCount - posBase : 0u;
		uint a = s0;
		if (lo > a) {
			a += (lo - a + step - 1u) / step * step;
		}
		uint b = min(s1, hi);
		if (j < uint(COLS)) {
			uint xi = (posBase + a - rowBase) * uint(COLS) + j;
			for (uint s = a; s < b; s += step) {
				acc += dz[s * uint(K) + k] * real(dataX[xi]);
				xi += step * uint(COLS);
			}
		} else {
			for (uint s = a; s < b; s += step) {
				acc += dz[s * uint(K) + k];
			}
		}
		return acc;
	}
	for (uint s = s0; s < s1; s += step) {
		uint r = chunkRow(s);
		if (r >= rowCount) {
			continue;
		}
		real xv = j < uint(COLS) ? real(dataX[r * uint(COLS) + j]) : real(1);
		acc += dz[s * uint(K) + k] * xv;
	}
	return acc;
}

void store(uint g, uint p, real acc) {
	uint o = g * n + p;
	gpart[o] = accumulate ? gpart[o] + acc : acc;
}

void main() {
	uint g = gl_WorkGroupID.x;
	uint s0 = min(g * perGroup, posCount);
	uint s1 = min(s0 + perGroup, posCount);
	uint t = gl_LocalInvocationID.x;
	if (lanes > 1u) { // uniform: the whole workgroup takes this branch
		uint p = t % n;
		uint lane = t / n;
		real acc = real(0);
		if (lane < lanes) {
			uint k = p / uint(PPO);
			acc = rowSum(k, p - k * uint(PPO), s0 + lane, s1, lanes);
		}
		sharedF[t] = acc;
		barrier();
		if (lane == 0u) {
			for (uint q = 1u; q < lanes; q++) {
				acc += sharedF[q * n + p];
			}
			store(g, p, acc);
		}
		return;
	}
	for (uint p = t; p < n; p += LOCAL_SIZE) {
		uint k = p / uint(PPO);
		store(g, p, rowSum(k, p - k * uint(PPO), s0, s1, 1u));
	}
}
