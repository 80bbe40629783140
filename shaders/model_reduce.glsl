// The sample of a model (one workgroup): sums, in a fixed order, the
// partial pairs kernels 1 and 3 left for it, laid out as trainPairs pairs
// (loss, correct) over the training rows, valPairs pairs over the
// validation rows, finPairs pairs (squared gradient, penalty); writes ring
// slot slot: the objective (mean loss + penalty), the squared gradient
// norm, the training accuracy, the validation mean loss and accuracy (0
// without a validation set), and copies the non-finite record beside it.
// Assembled after wgsum.glsl, without common.glsl.
layout(std430, binding = BIND_PARTIALS) readonly buffer Partials { real partials[]; };
layout(std430, binding = BIND_RING) writeonly buffer Ring { real ring[]; };
layout(std430, binding = BIND_FLAGS) readonly buffer Flags { uint flags[]; };
layout(std430, binding = BIND_FLAG_RING) writeonly buffer FlagRing { uint flagRing[]; };

uniform uint trainPairs;
uniform uint valPairs;
uniform uint finPairs;
uniform real trainRows;
uniform real valRows;
uniform int slot;

void sumPairs(uint first, uint count, out real a, out real b) {
	a = real(0);
	b = real(0);
	for (uint k = gl_LocalInvocationID.x; k < count; k += LOCAL_SIZE) {
		a += partials[2u * (first + k)];
		b += partials[2u * (first + k) + 1u];
	}
	workgroupSum2(a, b);
	barrier(); // the next call reuses the shared arrays
}

void main() {
	real loss, correct, vloss, vcorrect, g2, pen;
	sumPairs(0u, trainPairs, loss, correct);
	sumPairs(trainPairs, valPairs, vloss, vcorrect);
	sumPairs(trainPairs + valPairs, finPairs, g2, pen);
	if (gl_LocalInvocationID.x == 0u) {
		uint o = 5u * uint(slot);
		ring[o] = loss / trainRows + pen;
		ring[o + 1u] = g2;
		ring[o + 2u] = correct / trainRows;
		ring[o + 3u] = valRows > real(0) ? vloss / valRows : real(0);
		ring[o + 4u] = valRows > real(0) ? vcorrect / valRows : real(0);
		flagRing[2u * uint(slot)] = flags[0];
		flagRing[2u * uint(slot) + 1u] = flags[1];
	}
}
