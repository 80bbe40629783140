// Applies the optimizer to a gradient given in a buffer instead of one the
// objective computes: for tests that feed both backends identical gradients,
// and for updates that need the whole gradient first (clipping by norm).
layout(std430, binding = 1) writeonly buffer XOut { real xout[]; };
layout(std430, binding = 8) readonly buffer Grad { real grad[]; };

void main() {
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint j = gl_GlobalInvocationID.x; j < count; j += stride) {
		uint i = base + j;
		xout[j] = update(j, X(i), grad[j]);
	}
}
