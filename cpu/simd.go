package cpu

import "math"

// Vector kernels. Adam's two divisions and square root per element bound
// its scalar loop (BENCHMARKS.md, "CPU: multi-core"); IEEE division and
// square root are correctly rounded in every lane of a vector instruction
// as in a scalar one, so a vector loop that performs the same operations
// in the same order, with no FMA, gives the same bits. On amd64 with AVX
// (simd_amd64.go) kernel.adam and part.check run 4 lanes at a time, and
// so do the loss terms and gradient of Rosenbrock and the quadratic
// (internal/kern's kernels, called by their CPUObjectives in
// problem_rosenbrock.go and problem_quadratic.go), which bounded the
// fused Rosenbrock+Adam step once Adam was vectorised; on other
// architectures, without AVX, or built with the purego tag
// (simd_other.go) they run the scalar loops. TestAdamVectorBits,
// TestAllFiniteVector and gdgpu's TestObjectiveVectorBits require the
// same bits from both, and the objective's from the code before its
// kernels.

// adamConsts are the scalars of one Adam step as the vector kernel reads
// them. simd_amd64.s addresses the fields by offset: keep the order.
type adamConsts struct {
	c        float64 // prep.c: weight_decay (l2) or 1 - lr*weight_decay (decoupled)
	w, omw   float64 // the lerp weight 1 - beta1 and 1 - w, as lerpW holds them
	beta2    float64
	omb2     float64 // 1 - beta2
	stepSize float64 // lr/(1 - beta1^t)
	bc2Sqrt  float64 // sqrt(1 - beta2^t)
	eps      float64
	neg      float64 // -0: the sign bit, which maximize flips (broadcast from memory: AVX has no register broadcast)
	flags    uint64  // adamMaximize | adamL2 | adamDecoupled | adamSmallLerp | adamAmsgrad
}

// adamConsts.flags: which branches of prep.apply and lerpW.at the step takes.
const (
	adamMaximize = 1 << iota
	adamL2
	adamDecoupled
	adamSmallLerp
	adamAmsgrad
)

// newAdamConsts gathers k's Adam scalars for the vector kernel.
func newAdamConsts(k *kernel) adamConsts {
	c := adamConsts{
		c: k.prep.c, w: k.avg.w, omw: k.avg.omw,
		beta2: k.b, omb2: k.omb,
		stepSize: k.stepSize, bc2Sqrt: k.bc2Sqrt, eps: k.eps,
		neg: math.Copysign(0, -1),
	}
	if k.prep.maximize {
		c.flags |= adamMaximize
	}
	if k.prep.l2 { // prep.apply: l2 wins over decoupled (newKernel never sets both)
		c.flags |= adamL2
	} else if k.prep.decoupled {
		c.flags |= adamDecoupled
	}
	if k.avg.small {
		c.flags |= adamSmallLerp
	}
	if k.amsgrad {
		c.flags |= adamAmsgrad
	}
	return c
}

// allFiniteGo reports whether every value of v is finite. v[j]*0 is 0 for
// a finite value and NaN otherwise, so the common, finite case costs one
// multiply-add per value and no branch, spread over four accumulators so
// that the adds do not wait on each other (one chain cost about a third
// of an Adam step).
func allFiniteGo(v []float64) bool {
	var a0, a1, a2, a3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := v[i : i+4 : i+4]
		a0 += w[0] * 0
		a1 += w[1] * 0
		a2 += w[2] * 0
		a3 += w[3] * 0
	}
	for _, e := range v[i:] {
		a0 += e * 0
	}
	return (a0+a1)+(a2+a3) == 0
}
