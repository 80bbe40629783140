// Sums the per-workgroup partials (loss, squared gradient norm) in a fixed
// order and writes them to one slot of the read-back ring (when slot >= 0).
// With CLIP_NORM it also writes torch.nn.utils.clip_grad_norm_'s factor
// min(max_norm / (||g|| + 1e-6), 1) for the update pass. One workgroup.
// Assembled after wgsum.glsl, without common.glsl.
layout(std430, binding = BIND_PARTIALS) readonly buffer Partials { real partials[]; };
layout(std430, binding = BIND_RING) writeonly buffer Ring { real ring[]; };
#ifdef CLIP_NORM
layout(std430, binding = BIND_CLIP_SCALE) writeonly buffer ClipScale { real clipScale[]; };
uniform real maxNorm;
uniform real clipEps; // 1e-6, as torch adds it
#endif

// The non-finite record (common.glsl), copied to the slot with the sums.
layout(std430, binding = BIND_FLAGS) readonly buffer Flags { uint flags[]; };
layout(std430, binding = BIND_FLAG_RING) writeonly buffer FlagRing { uint flagRing[]; };

uniform uint pairs; // partial pairs to sum
uniform int slot;   // ring slot to write, or -1

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
		if (slot >= 0) {
			ring[2u * uint(slot)] = f;
			ring[2u * uint(slot) + 1u] = g;
			flagRing[2u * uint(slot)] = flags[0];
			flagRing[2u * uint(slot) + 1u] = flags[1];
		}
#ifdef CLIP_NORM
		clipScale[0] = min(maxNorm / (sqrt(g) + clipEps), real(1));
#endif
	}
}
