package engine

import (
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// BenchmarkModelStep times one optimizer step (Adam) of linear (MSE) and
// logistic regression on 1e5 rows of 100 features in float32: the full
// batch and shuffled batches of 1024. Each iteration is one step; the
// device is drained before and after (a parameter download). rows/s counts the rows whose
// gradient a step sums.
func BenchmarkModelStep(b *testing.B) {
	c := openTest(b, Options{})
	const rows, cols = 100000, 100
	for _, model := range []string{"linear", "logistic"} {
		d := modelData(b, model, rows, cols, 0, 1)
		for _, batch := range []int{0, 1024} {
			b.Run(fmt.Sprintf("%s/f32/%dx%d/batch=%d", model, rows, cols, batch), func(b *testing.B) {
				job := modelJob(model, "mse", d, gdgpu.F32)
				job.Optimizer, _ = gdgpu.DefaultOptimizer("adam")
				job.BatchSize, job.Seed = batch, 1
				m := newModel(b, c, &job)
				if err := m.Load(make([]float64, job.Dim)); err != nil {
					b.Fatal(err)
				}
				bs, _ := gdgpu.Batches(batch, rows)
				order := make([]int32, rows)
				gdgpu.EpochOrder(order, 1, 0, bs)
				if err := m.SetOrder(0, order); err != nil {
					b.Fatal(err)
				}
				lr := []float64{1e-3}
				epoch := 0
				step := func() {
					if e, _, _ := gdgpu.Batch(m.StepCount(), bs, rows); e != epoch {
						// a new epoch: the benchmark keeps epoch 0's order
						epoch = e
						if err := m.SetOrder(e, order); err != nil {
							b.Fatal(err)
						}
					}
					if err := m.Step(lr, false); err != nil {
						b.Fatal(err)
					}
				}
				step() // warm-up
				drainModel(b, m)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					step()
				}
				drainModel(b, m)
				b.StopTimer()
				perStep := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(bs)/perStep, "rows/s")
			})
		}
	}
}

// drainModel waits until the device has finished all issued work: a
// parameter download waits for the last step's writes, and costs far less
// than a sample, which is a pass over the whole set.
func drainModel(b *testing.B, m *modelBackend) {
	if err := m.Params(make([]float64, m.dim)); err != nil {
		b.Fatal(err)
	}
}
