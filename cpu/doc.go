// Package cpu is gdgpu's float64 reference backend: the objectives and
// optimizers of the registry (see gdgpu.Problems and gdgpu.Optimizers),
// computed in Go float64 on one goroutine. The GPU backend is verified
// against it, so every rounding decision here is deliberate and written down.
//
// # What is computed
//
// Objectives, exactly as gdgpu.ProblemInfo defines them:
//
//	quadratic   f = 1/2 Σ c_i x_i²,  c_i = gdgpu.QuadCoeff(i, N, Cond),  ∂f/∂x_i = c_i x_i
//	rosenbrock  f = Σ_{i=0}^{N-2} 100(x_{i+1} - x_i²)² + (1 - x_i)²       (scipy.optimize.rosen)
//	            with scipy.optimize.rosen_der's gradient, term by term in scipy's order
//
// Optimizers follow torch.optim's documented single-tensor algorithms
// (foreach=False, fused=False, maximize=False, amsgrad=False, sgd without
// momentum); the step kernels in optim.go give the exact operation order,
// which is ATen's scalar CPU kernels' order. Per-step scalars (Adam's
// lr/(1-beta1^t) and sqrt(1-beta2^t)) come from gdgpu's Optimizer.Scalars,
// the same host-side float64 values the GPU receives.
//
// # Rounding
//
//   - Every product that feeds an addition is wrapped in float64(...). The Go
//     spec lets a compiler fuse x*y+z into one FMA (gc does on arm64,
//     loong64, ppc64x, riscv64, s390x, and on amd64 with GOAMD64=v3); an
//     explicit conversion forbids it, so this package's arithmetic gives
//     the same bits on every platform.
//   - Loss and squared-gradient-norm sums are pairwise: terms are summed in
//     a balanced tree over 256-element leaves, and leaves are combined like a
//     binary counter. At most ⌈log2 N⌉+2 additions separate any term from the
//     result, so |error| ≤ (⌈log2 N⌉+2)·u·Σ|t_i| to first order
//     (u = 2⁻⁵³), against (N-1)·u·Σ|t_i| for a running sum.
//   - The loss and gradient norm are those of the objective alone, without
//     the weight-decay penalty; the gradient norm is sqrt(Σ g_i²) without
//     scaling, as the GPU computes it, so a gradient beyond ~1e154 reports
//     +Inf, which the driver takes for divergence.
//
// Agreement with torch itself is to a few ulps per step, not bitwise:
// torch's vectorized CPU and its CUDA kernels contract some a*b+c into
// FMAs, and its CUDA addcdiv divides before it multiplies.
//
// # Memory
//
// A step is one pass over x (and m, v for Adam): the gradient of a
// 256-element chunk is written to a scratch buffer that stays in L1, then
// the chunk is updated. Rosenbrock's gradient at i needs the old x_{i-1},
// which the previous chunk has already overwritten, so the sweep carries it
// in a local. Steps allocate nothing.
package cpu
