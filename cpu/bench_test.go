package cpu

import (
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// BenchmarkStep times one optimizer step (no sample recorded) and reports
// params/s and effective GB/s. Byte model, per parameter per step, counting
// each float64 array element read or written once from memory:
//
//	16 bytes for x (read, write), and 16 per state vector (read, write):
//	sgd 16, sgd+momentum and adagrad and rmsprop 32, adadelta and the adam
//	family 48, adam+amsgrad and centered rmsprop with momentum 64
//	(the design's fused fp32 figures, at 8-byte elements)
//	+8 bytes for the quadratic's coefficient c_i (run here with cond 100)
//
// The gradient adds nothing: it lives in a 2 KiB chunk buffer in L1, and
// Rosenbrock's neighbour reads hit the cache lines already loaded.
func BenchmarkStep(b *testing.B) {
	for _, bo := range testcases.BenchOptimizers {
		for _, problem := range gdgpu.ProblemNames() {
			if info, _ := gdgpu.LookupProblem(problem); info.MaxDim > 0 {
				continue // the two-dimensional functions: nothing to measure
			}
			for _, n := range benchSizes() {
				name := fmt.Sprintf("%s/%s/N=1e%d", bo.Label, problem, len(fmt.Sprint(n))-1)
				b.Run(name, func(b *testing.B) { benchmarkStep(b, bo.Name, bo.Set, problem, n) })
			}
		}
	}
}

func benchmarkStep(b *testing.B, opt string, set map[string]float64, problem string, n int) {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Cond = problem, n, 100
	job.Optimizer, _ = gdgpu.DefaultOptimizer(opt)
	for flag, v := range set {
		job.Optimizer.Set(flag, v)
	}
	be, err := newBackend(&job) // every optimizer, whatever job.Validate admits today
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	if err := be.Load(job.StartPoint()); err != nil {
		b.Fatal(err)
	}
	bytes := 16 * (1 + len(job.Optimizer.StateNames()))
	if problem == "quadratic" {
		bytes += 8
	}
	lr := []float64{job.Optimizer.LR}
	be.Step(lr, false) // touch every page before timing
	steps := 0
	for b.Loop() {
		be.Step(lr, false)
		steps++
	}
	sec := b.Elapsed().Seconds()
	params := float64(n) * float64(steps)
	b.ReportMetric(params/sec, "params/s")
	b.ReportMetric(params*float64(bytes)/sec/1e9, "GB/s")
}

// benchSizes are the N of BenchmarkStep: 1e4 to 1e7, or up to 1e6 with -short.
func benchSizes() []int {
	if testing.Short() {
		return []int{1e4, 1e5, 1e6}
	}
	return []int{1e4, 1e5, 1e6, 1e7}
}
