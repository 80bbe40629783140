package engine

import (
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/testcases"
)

// bytesPerParam is the design notes' traffic model for one fused step:
// x read and written, each state vector read and written, and the
// quadratic's coefficient read (the benchmarks use cond 100, so it is in
// memory). The objective's gradient never touches memory. In float32 that
// is 8 bytes for SGD and 24 for Adam, as the design notes count.
func bytesPerParam(job *gdgpu.Job, elem int) float64 {
	words := 2 + 2*len(job.Optimizer.StateNames())
	if job.Problem == "quadratic" && job.Cond != 1 {
		words++
	}
	return float64(words * elem)
}

// BenchmarkStep times fused objective+optimizer steps. Each iteration is one
// step; the device is drained before and after, so the time is the device's
// (plus the driver's per-step cost, which is the point of a step benchmark).
// With -short, only sgd and adam at N <= 1e6 in float32.
func BenchmarkStep(b *testing.B) {
	c := openTest(b, Options{})
	for _, bo := range testcases.BenchOptimizers {
		if testing.Short() && bo.Label != "sgd" && bo.Label != "adam" {
			continue
		}
		for _, problem := range gdgpu.ProblemNames() {
			if info, _ := gdgpu.LookupProblem(problem); !testcases.BenchProblem(bo.Label, problem, info.MaxDim) {
				continue
			}
			for _, n := range []int{1e4, 1e5, 1e6, 1e7} {
				for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
					if testing.Short() && (n > 1e6 || prec == gdgpu.F64) {
						continue
					}
					name := fmt.Sprintf("%s/%s/%s/N=1e%d", bo.Label, problem, prec, len(fmt.Sprint(n))-1)
					b.Run(name, func(b *testing.B) {
						job := newJob(problem, bo.Name, n, prec)
						job.Cond = 100
						for flag, v := range bo.Set {
							job.Optimizer.Set(flag, v)
						}
						benchStep(b, c, &job)
					})
				}
			}
		}
	}
}

func benchStep(b *testing.B, c *Context, job *gdgpu.Job) {
	be := newBackend(b, c, job)
	if err := be.Load(job.StartPoint()); err != nil {
		b.Fatal(err)
	}
	lr := []float64{job.Optimizer.LR}
	if err := be.Step(lr, false); err != nil { // warm-up: first dispatch may compile lazily
		b.Fatal(err)
	}
	drain(b, be)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := be.Step(lr, false); err != nil {
			b.Fatal(err)
		}
	}
	drain(b, be)
	b.StopTimer()
	perStep := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(job.Dim)/perStep, "params/s")
	b.ReportMetric(float64(job.Dim)*bytesPerParam(job, be.elem)/perStep/1e9, "GB/s")
}

// drain waits until the device has finished all issued work.
func drain(b *testing.B, be *Backend) {
	if err := be.Record(); err != nil {
		b.Fatal(err)
	}
	if _, err := be.Samples(nil, true); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkStepVector times the fused step with the scalar path and the
// vector path forced (Options.VectorWidth 1 and 16 bytes' worth: vec4 in
// f32, dvec2 in f64), Adam and SGD on the conditioned quadratic and Adam
// on Rosenbrock: the A/B of BENCHMARKS.md and of scripts/gpu-check.sh,
// which measures whether a device class's vector width pays. N = 1e6
// and 1e7, and 1e8 without -short; with -short only 1e5.
func BenchmarkStepVector(b *testing.B) {
	sizes := []int{1e6, 1e7, 1e8}
	if testing.Short() {
		sizes = []int{1e5}
	}
	for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		natural := 4
		if prec == gdgpu.F64 {
			natural = 2
		}
		for _, path := range []struct {
			name  string
			width int
		}{{"scalar", 1}, {"vector", natural}} {
			c := openTest(b, Options{VectorWidth: path.width})
			for _, jc := range []struct{ problem, optimizer string }{{"quadratic", "adam"}, {"quadratic", "sgd"}, {"rosenbrock", "adam"}} {
				for _, n := range sizes {
					name := fmt.Sprintf("%s/%s/%s/%s/N=1e%d", path.name, jc.optimizer, jc.problem, prec, len(fmt.Sprint(n))-1)
					b.Run(name, func(b *testing.B) {
						job := newJob(jc.problem, jc.optimizer, n, prec)
						job.Cond = 100
						benchStep(b, c, &job)
					})
				}
			}
		}
	}
}
