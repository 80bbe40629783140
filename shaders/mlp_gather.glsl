// The mlp's input pass (engine/mlp.go): copies the rows of the pass's
// positions that lie in the bound data chunk into the activations buffer
// (bound as dz, model_data.glsl), in the job's precision: position s's
// features to dz[s*COLS ..], its target to dz[yOff + s]. Every later
// kernel of the pass (the GEMMs, the head) then reads the batch as a
// dense matrix in the driver's order, whatever the order and the chunks.

uniform uint yOff;

void main() {
	uint stride = gl_NumWorkGroups.x * LOCAL_SIZE;
	for (uint s = gl_GlobalInvocationID.x; s < posCount; s += stride) {
		uint r = chunkRow(s);
		if (r >= rowCount) {
			continue;
		}
		for (uint j = 0u; j < uint(COLS); j++) {
			dz[s * uint(COLS) + j] = real(dataX[r * uint(COLS) + j]);
		}
		dz[yOff + s] = real(dataY[r]);
	}
}
