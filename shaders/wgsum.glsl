// Workgroup reduction shared by every kernel that sums. The preamble
// defines real (float or double) and LOCAL_SIZE (a power of two).

layout(local_size_x = LOCAL_SIZE) in;

shared real sharedF[LOCAL_SIZE];
shared real sharedG[LOCAL_SIZE];

// workgroupSum2 sums f and g over the workgroup in a fixed tree order, so
// the same device gives the same bits every time. Every invocation must call
// it; invocation 0 gets the sums.
void workgroupSum2(inout real f, inout real g) {
	uint t = gl_LocalInvocationID.x;
	sharedF[t] = f;
	sharedG[t] = g;
	barrier();
	for (uint s = LOCAL_SIZE / 2u; s > 0u; s >>= 1) {
		if (t < s) {
			sharedF[t] += sharedF[t + s];
			sharedG[t] += sharedG[t + s];
		}
		barrier();
	}
	f = sharedF[0];
	g = sharedG[0];
}
