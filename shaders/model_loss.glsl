// The contract of a model's per-sample loss (docs/models.md) and its
// derivative in z, which the model kernels (model_rows.glsl) call. The
// engine assembles this file, then the files the model's descriptor names
// (gdgpu.ModelInfo.GPU: model_<name>.glsl, and for the linear model the
// job's cost, cost_<name>.glsl, first), which implement
//
//   real rowLoss(inout real z[K], real y, out real correct)
//
// taking a row's outputs z and target y: it returns the loss, sets correct
// to 1 when a classifier predicts y (else 0; always 0 for linear) and
// replaces z by dl/dz. With Z_IN_DZ (set by the engine above a few dozen
// outputs: softmax on many classes) the outputs are in dz instead, and the
// model implements rowLossSoftmax(zo, y, correct) on dz[zo .. zo+K) in
// place of rowLoss. K is the number of outputs. The formulas and their
// order of operations are the specification's, so that the float64
// kernels agree with the CPU reference to rounding.

uniform real delta; // huber's delta
