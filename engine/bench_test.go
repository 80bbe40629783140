package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// bytesPerParam is the design notes' traffic model for one fused step:
// read x, write x' (8 bytes in f32), plus Adam's m and v read and written
// (16 more). The objective's gradient never touches memory.
func bytesPerParam(optimizer string, elem int) float64 {
	words := 2.0
	if optimizer == "adam" {
		words = 6
	}
	return words * float64(elem)
}

// BenchmarkStep times fused objective+optimizer steps. Each iteration is one
// step; the device is drained at the end so the time is the device's.
func BenchmarkStep(b *testing.B) {
	c := openTest(b, Options{})
	for _, opt := range []string{"sgd", "adam"} {
		for _, problem := range []string{"quadratic", "rosenbrock"} {
			for _, n := range []int{1e4, 1e5, 1e6, 1e7} {
				for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
					name := fmt.Sprintf("%s/%s/%s/N=1e%d", opt, problem, prec, int(math.Round(math.Log10(float64(n)))))
					b.Run(name, func(b *testing.B) {
						benchStep(b, c, problem, opt, n, prec)
					})
				}
			}
		}
	}
}

func benchStep(b *testing.B, c *Context, problem, opt string, n int, prec gdgpu.Precision) {
	job := newJob(problem, opt, n, prec)
	be := newBackend(b, c, &job)
	if err := be.Load(job.StartPoint()); err != nil {
		b.Fatal(err)
	}
	lr := []float64{1e-4}
	if err := be.Step(lr, false); err != nil { // warm-up: first dispatch compiles lazily on some drivers
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
	b.ReportMetric(float64(n)/perStep, "params/s")
	b.ReportMetric(float64(n)*bytesPerParam(opt, be.elem)/perStep/1e9, "GB/s")
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
