// Declarations of the kernels of models on data (engine/model.go), after
// wgsum.glsl and common.glsl, which bind the parameters at 0 (read with X,
// xbase 0: the whole vector is bound), the workgroup partial pairs at 5 and
// the non-finite record at 10. Defines: K outputs, COLS features,
// PPO = COLS (+1 with INTERCEPT) parameters per output; parameter k*PPO + j
// is output k's weight of feature j, k*PPO + COLS its intercept.
//
// The data set is float32 whatever real is, row-major, and bound one chunk
// of rows at a time (rows [rowBase, rowBase + rowCount)): a batch's rows are
// scattered over the whole set, so each kernel takes, of the batch
// positions it is given, only those whose row lies in the bound chunk, and
// the host runs the chunks in turn. A pass covers batch positions
// [posBase, posBase + posCount): position s's row is posBase + s in
// identity order (the full batch, the recorded samples), else the epoch's
// order[orderOff + s] (order bound from an aligned offset).

layout(std430, binding = BIND_DATA_X) readonly buffer DataX { float dataX[]; };
layout(std430, binding = BIND_DATA_Y) readonly buffer DataY { float dataY[]; };
layout(std430, binding = BIND_ORDER) readonly buffer Order { uint order[]; };
// dl/dz of the pass's positions, K per position
layout(std430, binding = BIND_DZ) buffer DZ { real dz[]; };
// kernel 2's per-workgroup sums, n per workgroup
layout(std430, binding = BIND_GPART) buffer GPart { real gpart[]; };

uniform uint posBase;
uniform uint posCount;
uniform uint orderOff;
uniform bool identity;
uniform uint rowBase;
uniform uint rowCount;

// chunkRow returns position s's row, relative to the bound chunk; it is
// rowCount or more when the row lies in another chunk.
uint chunkRow(uint s) {
	uint row = identity ? posBase + s : order[orderOff + s];
	return row - rowBase; // wraps to a large value below the chunk
}
