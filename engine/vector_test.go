package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// vectorCase is one job of TestVectorPathBitIdentical.
type vectorCase struct {
	name string
	job  func(t *testing.T, prec gdgpu.Precision, dim int) gdgpu.Job
}

// vectorCases covers every optimizer with each number of state vectors
// (0 to 3), a problem reading neighbours (rosenbrock), per-index
// coefficients (the conditioned quadratic), a pre-pass (ackley), and both
// kinds of clipping (by norm: the given kernel's vector path).
func vectorCases() []vectorCase {
	opt := func(problem string, oc optimizerCase, set func(j *gdgpu.Job)) func(t *testing.T, prec gdgpu.Precision, dim int) gdgpu.Job {
		return func(t *testing.T, prec gdgpu.Precision, dim int) gdgpu.Job {
			job := newJob(problem, "sgd", dim, prec)
			job.Optimizer = oc.optimizer(t)
			job.RandomStart, job.Seed = true, 11
			if set != nil {
				set(&job)
			}
			return job
		}
	}
	var cs []vectorCase
	for _, oc := range []optimizerCase{
		{"sgd", nil},
		{"sgd", map[string]float64{"momentum": 0.9, "nesterov": 1}},
		{"adagrad", nil},
		{"adadelta", nil},
		{"rmsprop", map[string]float64{"centered": 1, "momentum": 0.5}},
		{"rmsprop", map[string]float64{"centered": 1}},
		{"adam", map[string]float64{"amsgrad": 1}},
		{"adamw", nil},
		{"adamax", nil},
		{"nadam", nil},
		{"radam", nil},
	} {
		cs = append(cs, vectorCase{"rosenbrock," + oc.String(), opt("rosenbrock", oc, nil)})
	}
	cs = append(cs,
		vectorCase{"quadratic,adam,cond,clip-value", opt("quadratic", optimizerCase{"adam", nil}, func(j *gdgpu.Job) { j.Cond, j.ClipValue = 10, 0.5 })},
		vectorCase{"quadratic,sgd-momentum,clip-norm", opt("quadratic", optimizerCase{"sgd", map[string]float64{"momentum": 0.9}}, func(j *gdgpu.Job) { j.ClipNorm = 3 })},
		vectorCase{"ackley,rmsprop", opt("ackley", optimizerCase{"rmsprop", nil}, nil)},
	)
	return cs
}

// TestVectorPathBitIdentical: the fused step's vector loads and stores
// (Options.VectorWidth, step.glsl) give the scalar path's parameters,
// state vectors and samples bit for bit, for every optimizer, both
// precisions, each vector width, N a multiple of the width or not, in one
// chunk or several (each with a partial vector at its end). The samples
// are the same bits because the vector path evaluates the objective in
// the scalar path's order by construction. The test checks that the
// vector path ran (the backend's width), so it cannot pass by running the
// scalar kernel twice.
func TestVectorPathBitIdentical(t *testing.T) {
	type shape struct {
		dim, chunk int
	}
	shapes := []shape{{5, 0}, {1003, 0}, {1003, 256}, {1030, 120}}
	if testing.Short() {
		shapes = shapes[1:3]
	}
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		natural := 4 // 16 bytes: vec4
		if prec == gdgpu.F64 {
			natural = 2 // dvec2
		}
		for _, sh := range shapes {
			scalar := openTest(t, Options{VectorWidth: 1, ChunkElems: sh.chunk})
			widths := map[int]*Context{natural: openTest(t, Options{VectorWidth: natural, ChunkElems: sh.chunk})}
			if sh.dim == 1003 && sh.chunk == 0 {
				other := 6 - natural // vec2 in f32, dvec4 in f64
				widths[other] = openTest(t, Options{VectorWidth: other})
			}
			for _, vc := range vectorCases() {
				t.Run(fmt.Sprintf("%s/n=%d,chunk=%d/%s", prec, sh.dim, sh.chunk, vc.name), func(t *testing.T) {
					job := vc.job(t, prec, sh.dim)
					lr := job.Optimizer.LR
					want, wantState, b := stepRun(t, scalar, &job, lr)
					if b.vec != 1 {
						t.Fatalf("scalar context ran width %d", b.vec)
					}
					for width, c := range widths {
						got, gotState, b := stepRun(t, c, &job, lr)
						if b.vec != width {
							t.Fatalf("vector context ran width %d, want %d", b.vec, width)
						}
						what := fmt.Sprintf("width %d", width)
						sameRun(t, what, got, want)
						for k := range wantState {
							for i := range wantState[k] {
								if math.Float64bits(gotState[k][i]) != math.Float64bits(wantState[k][i]) {
									t.Errorf("%s: state %d[%d]: vector %v, scalar %v", what, k, i, gotState[k][i], wantState[k][i])
									break
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestVectorWidthChunks: the backend runs the width asked for (a software
// renderer's default is scalar), and its chunks are whole vectors and
// whole alignment units, the most of them within Options.ChunkElems
// (float64 asked for four a vector: 258 becomes 256 on llvmpipe).
func TestVectorWidthChunks(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts Options
		prec gdgpu.Precision
		want int
	}{
		{"default on software", Options{ChunkElems: 258}, gdgpu.F32, 1},
		{"forced 4, f32", Options{VectorWidth: 4, ChunkElems: 258}, gdgpu.F32, 4},
		{"forced 4, f64", Options{VectorWidth: 4, ChunkElems: 258}, gdgpu.F64, 4},
		{"forced 2, f64", Options{VectorWidth: 2, ChunkElems: 258}, gdgpu.F64, 2},
		{"forced 1, f64", Options{VectorWidth: 1, ChunkElems: 258}, gdgpu.F64, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := openTest(t, tc.opts)
			if !c.Info().Software && tc.opts.VectorWidth == 0 {
				t.Skip("the default width is the device class's; this case is about a software renderer")
			}
			job := newJob("rosenbrock", "adam", 1000, tc.prec)
			b := newBackend(t, c, &job)
			if b.vec != tc.want {
				t.Errorf("width %d, want %d", b.vec, tc.want)
			}
			unit := lcm(b.alignElems, tc.want)
			if b.chunk%unit != 0 || b.chunk > tc.opts.ChunkElems || b.chunk <= tc.opts.ChunkElems-unit {
				t.Errorf("chunk %d: not the most whole units of %d within %d", b.chunk, unit, tc.opts.ChunkElems)
			}
		})
	}
}
