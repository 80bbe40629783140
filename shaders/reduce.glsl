// Sums the per-workgroup partials (loss, squared gradient norm) in a fixed
// order and writes them to one slot of the read-back ring. One workgroup.
// Assembled after wgsum.glsl, without common.glsl.
layout(std430, binding = 5) readonly buffer Partials { real partials[]; };
layout(std430, binding = 6) writeonly buffer Ring { real ring[]; };

uniform uint pairs; // partial pairs to sum
uniform uint slot;  // ring slot to write

void main() {
	uint t = gl_LocalInvocationID.x;
	real f = real(0);
	real g = real(0);
	for (uint k = t; k < pairs; k += LOCAL_SIZE) {
		f += partials[2u * k];
		g += partials[2u * k + 1u];
	}
	workgroupSum2(f, g);
	if (t == 0u) {
		ring[2u * slot] = f;
		ring[2u * slot + 1u] = g;
	}
}
