// Package cpu is gdgpu's float64 reference backend: the objectives and
// optimizers of the registry (see gdgpu.Problems and gdgpu.Optimizers),
// computed in Go float64. The GPU backend is verified against it, so every
// rounding decision here is deliberate and written down. Large steps are
// split over goroutines, with the same bits on any number of them (see
// "Cores" below).
//
// # What is computed
//
// Objectives through their descriptors (gdgpu.Problem): the backend calls
// the problem's CPUObjective over ranges of indices (Terms, Grad, and
// Prepare for the global quantities of Ackley and Griewank) and sums the
// terms in a fixed pairwise tree. The built-ins' arithmetic lives in the
// gdgpu package, one file each (problem_*.go), defined in
// docs/problems.md:
//
//	quadratic   f = 1/2 Σ c_i x_i²,  c_i = gdgpu.QuadCoeff(i, N, Cond),  ∂f/∂x_i = c_i x_i
//	rosenbrock  f = Σ_{i=0}^{N-2} 100(x_{i+1} - x_i²)² + (1 - x_i)²       (scipy.optimize.rosen)
//	            with scipy.optimize.rosen_der's gradient, term by term in scipy's order
//
// and the test functions (rastrigin, styblinski-tang, levy, ackley,
// griewank; the two-dimensional beale, himmelblau, booth, matyas,
// three-hump-camel, six-hump-camel, goldstein-price, saddle). A step
// updates x in place; a term or component may read x within the
// problem's Reach of its index, so each chunk's update waits until the
// next chunk is evaluated (see parallel.go).
//
// Optimizers are every rule of docs/optimizers.md: sgd (momentum,
// dampening, nesterov), adagrad, adadelta, rmsprop (momentum, centered),
// adam and adamw (amsgrad), adamax, nadam and radam (decoupled weight
// decay), each with maximize and weight decay. They follow torch.optim's
// single-tensor algorithms (foreach=False, fused=False) operation by
// operation, in the order and grouping of ATen's scalar CPU kernels; the
// kernels in optim.go spell out, rule by rule, which torch call each line
// is. In short:
//
//	t.add_(u, alpha=a)          t + a*u
//	t.addcmul_(u, w, value=c)   t + (c*u)*w
//	t.addcdiv_(u, w, value=c)   t + (c*u)/w      (x - (c*u)/w for value -c)
//	t.lerp_(u, w)               t + w*(u-t) if |w| < 0.5, else u - (u-t)*(1-w)
//	c / t  (scalar / tensor)    t.reciprocal() * c   (torch's Tensor.__rdiv__; RAdam)
//
// Per-step scalars (step sizes, bias corrections, NAdam's coefficients,
// RAdam's rectification) come from gdgpu's Optimizer.Scalars, the same
// host-side float64 values the GPU receives; the backend keeps the scalar
// state it advances (NAdam's mu_product, see ScalarState). State vectors
// are named and ordered as gdgpu's Optimizer.StateNames (StateVector
// returns them); Load puts Adagrad's sum at initial_accumulator_value and
// every other vector at zero.
//
// Gradient clipping (gdgpu.Job's ClipValue and ClipNorm, on when > 0)
// acts on the objective's gradient before the optimizer rule sees it, so
// before maximize and weight decay, as torch's clip_grad_value_ and
// clip_grad_norm_ act on p.grad before optimizer.step():
//
//	ClipValue  g_i <- min(max(g_i, -ClipValue), ClipValue)      (GLSL clamp)
//	ClipNorm   g_i <- g_i * min(ClipNorm/(||g|| + 1e-6), 1)
//
// ||g|| is summed with the same pairwise tree as a sample's gradient norm.
// A recorded sample's gradient norm is the raw (unclipped) one, as
// clip_grad_norm_ returns it and the GPU records it. NaN propagates (a NaN
// norm makes every component NaN), as in torch with error_if_nonfinite
// False.
//
// ApplyGradient runs a step on a given gradient instead of the
// objective's, clipped as above (the GPU's given-gradient kernel clips
// too), so the GPU backend and this one can be fed identical gradients
// and compared rule by rule.
//
// # Rounding
//
//   - Every product that feeds an addition or a subtraction is wrapped in
//     float64(...). The Go spec lets a compiler fuse x*y+z into one FMA
//     (gc does on arm64, loong64, ppc64x, riscv64, s390x, and on amd64
//     with GOAMD64=v3); an explicit conversion forbids it, so the float64
//     reference (this package, gdgpu's problem, optimizer, schedule, cost
//     and model arithmetic, internal/expr's evaluator, internal/kern's
//     loops, package data's synthetic sets) gives the same bits on every
//     platform, and so do the tests' transcriptions that it is compared
//     with bit for bit. gc fuses across statements and through inlining,
//     so a product kept in a variable (x2 := x*x) or returned by a small
//     function is wrapped too, and 2*v counts as the sum v+v.
//     scripts/fma-check.sh (make test) finds any fused multiply-add left
//     in gc's arm64 code and runs the bit-identity tests built with
//     GOAMD64=v3. Outside the rule, being others' code: package math's
//     functions other than Sqrt (Sin, Cos, Exp, Log, Log1p, Pow, Tanh,
//     Erf, ...), whose Go code gc fuses in such builds, and whose Exp
//     takes an FMA path in assembly on arm64 and on any amd64 CPU with
//     FMA; gonum's code: Minimize's gonum methods (its line searches
//     fuse under GOAMD64=v3 and on arm64) and, on arm64, the MLP's matrix
//     products (gonum's BLAS runs Go loops there; amd64 runs kern.Gemm's
//     AVX kernels, or gonum's assembly without AVX, the same bits); and
//     the sign of a NaN the hardware makes (negative on amd64, positive
//     on arm64). Runs that use them (Rastrigin, Levy, Ackley, Griewank,
//     typed objectives with such functions, the logistic, softmax and MLP
//     models, the gonum methods) keep their bits from run to run on one
//     build and CPU, and agree across builds to a few ulps per step, not
//     bit for bit; TestMinimizeLineSearchEnd's gonum-gd case on the
//     quadratic takes the step limit on arm64.
//   - Loss and squared-gradient-norm sums are pairwise: terms are summed in
//     a balanced tree over 256-element leaves, and leaves are combined like a
//     binary counter. At most ⌈log2 N⌉+2 additions separate any term from the
//     result, so |error| ≤ (⌈log2 N⌉+2)·u·Σ|t_i| to first order
//     (u = 2⁻⁵³), against (N-1)·u·Σ|t_i| for a running sum.
//   - The loss and gradient norm are those of the objective alone, without
//     the weight-decay penalty (Loss and GradNorm compute them with the
//     same code and sums as a recorded Sample, to the bit); the gradient norm is sqrt(Σ g_i²) without
//     scaling, as the GPU computes it, so a gradient beyond ~1e154 reports
//     +Inf, which the driver takes for divergence.
//
// Agreement with torch itself is to a few ulps per step, not bitwise:
// torch's vectorized CPU kernels contract some a*b+c into FMAs (add with
// alpha is an fmadd there), its CUDA kernels do too, its CUDA addcdiv
// divides before it multiplies and its CUDA division by a scalar
// multiplies by the reciprocal; and torch keeps NAdam's mu_product in the
// default dtype (float32 unless set otherwise), where this backend keeps
// it in float64.
//
// # Memory
//
// A step is one pass over x and the state vectors: the gradient of a
// 256-element chunk is written to a scratch buffer that stays in L1, then
// the chunk is updated. Rosenbrock's gradient at i needs the old x_{i-1},
// which the previous chunk has already overwritten, so the sweep carries it
// in a local. Clipping by norm needs the whole gradient's norm before any
// element is updated, so those steps take two passes: the gradient into a
// full-length buffer (allocated in New, only for such jobs) with its
// norm, then the update. Steps allocate nothing.
//
// # Cores
//
// From N = 65536 on, a step is split over runtime.GOMAXPROCS(0) goroutines:
// a pool started by New and stopped by Close, each goroutine sweeping a
// contiguous part of whole 256-element leaves while the caller sweeps the
// first. The result does not depend on the number of parts, to the bit:
// elementwise rules are computed element by element anyway; every leaf's
// loss and squared-gradient sum is stored, and the caller combines them in
// leaf order with the same pairwise tree, whose shape depends on N alone;
// Rosenbrock's old neighbours across a part boundary are read before the
// parts start (the left one) or kept intact until every part is done (the
// right one: each part holds back its first element's new value); and the
// non-finite flag keeps the least (step, index) over the parts. Steps
// still allocate nothing.
package cpu
