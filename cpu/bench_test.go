package cpu

import (
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// BenchmarkStep times one optimizer step (no sample recorded) and reports
// params/s and effective GB/s. Byte model, per parameter per step, counting
// each float64 array element read or written once from memory:
//
//	sgd   16 bytes: read x, write x (the design's fused fp32 8, at 8-byte elements)
//	adam  48 bytes: read and write x, m, v (the design's fused fp32 24)
//	+8 bytes for the quadratic's coefficient c_i (run here with cond 100)
//
// The gradient adds nothing: it lives in a 2 KiB chunk buffer in L1, and
// Rosenbrock's neighbour reads hit the cache lines already loaded.
func BenchmarkStep(b *testing.B) {
	for _, opt := range []string{"sgd", "adam"} { // the optimizers implemented
		for _, problem := range gdgpu.ProblemNames() {
			for _, n := range []int{1e4, 1e5, 1e6} {
				name := fmt.Sprintf("%s/%s/N=1e%d", opt, problem, len(fmt.Sprint(n))-1)
				b.Run(name, func(b *testing.B) { benchmarkStep(b, opt, problem, n) })
			}
		}
	}
}

func benchmarkStep(b *testing.B, opt, problem string, n int) {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Cond = problem, n, 100
	job.Optimizer, _ = gdgpu.DefaultOptimizer(opt)
	be, err := New(&job)
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	if err := be.Load(job.StartPoint()); err != nil {
		b.Fatal(err)
	}
	bytes := 16
	if opt == "adam" {
		bytes = 48
	}
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
