package cpu

import (
	"fmt"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
)

// BenchmarkModelStep times one Adam step of linear (MSE) and logistic
// regression on 1e5 synthetic rows of 100 features, the full batch and
// shuffled batches of 1024, as engine's BenchmarkModelStep does on the
// GPU. rows/s counts the rows whose gradient a step sums.
func BenchmarkModelStep(b *testing.B) {
	const rows, cols = 100000, 100
	for _, model := range []string{"linear", "logistic"} {
		kind, classes := "regression", 0
		if model == "logistic" {
			kind, classes = "classification", 2
		}
		ds, err := data.Synthetic(kind, rows, cols, classes, 0.5, 1)
		if err != nil {
			b.Fatal(err)
		}
		d, err := gdgpu.NewData(model, ds.X, ds.Y, rows, cols, nil, nil, 0, len(ds.Classes))
		if err != nil {
			b.Fatal(err)
		}
		for _, batch := range []int{0, 1024} {
			b.Run(fmt.Sprintf("%s/f64/%dx%d/batch=%d", model, rows, cols, batch), func(b *testing.B) {
				job := gdgpu.NewJob()
				job.Problem, job.Data, job.Dim, job.BatchSize, job.Seed = model, d, gdgpu.ModelDim(d, true), batch, 1
				m, err := NewModel(&job)
				if err != nil {
					b.Fatal(err)
				}
				defer m.Close()
				bs, _ := gdgpu.Batches(batch, rows)
				order := make([]int32, rows)
				gdgpu.EpochOrder(order, 1, 0, bs)
				epoch := 0
				m.SetOrder(0, order)
				lr := []float64{1e-3}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if e, _, _ := gdgpu.Batch(m.StepCount(), bs, rows); e != epoch {
						epoch = e // the benchmark keeps epoch 0's order
						m.SetOrder(e, order)
					}
					if err := m.Step(lr, false); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(bs)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			})
		}
	}
}

// BenchmarkMLPStep times one Adam step of an mlp (relu) on synthetic
// rows: 64-128-64-10 on 1e4 rows of 64 features, batches of 256 and the
// full batch; and the network of gdgpu bench --mlp (issue 16),
// 784-1024-1024-10 on 2048 rows, batches of 256 and 1024, the one to
// profile against torch's step (BENCHMARKS.md, "Against torch on the
// CPU"). rows/s counts the rows a step runs forward and backward.
func BenchmarkMLPStep(b *testing.B) {
	for _, c := range []struct {
		rows, cols int
		hidden     []int
		batches    []int
	}{
		{10000, 64, []int{128, 64}, []int{256, 0}},
		{2048, 784, []int{1024, 1024}, []int{256, 1024}},
	} {
		benchMLPStep(b, c.rows, c.cols, c.hidden, c.batches)
	}
}

func benchMLPStep(b *testing.B, rows, cols int, hidden, batches []int) {
	ds, err := data.Synthetic("classification", rows, cols, 10, 0.5, 1)
	if err != nil {
		b.Fatal(err)
	}
	d, err := gdgpu.NewData("mlp", ds.X, ds.Y, rows, cols, nil, nil, 0, len(ds.Classes))
	if err != nil {
		b.Fatal(err)
	}
	net := fmt.Sprint(cols)
	for _, h := range hidden {
		net += fmt.Sprintf("-%d", h)
	}
	net += "-10"
	for _, batch := range batches {
		b.Run(fmt.Sprintf("%s/batch=%d", net, batch), func(b *testing.B) {
			job := gdgpu.NewJob()
			job.Problem, job.Data, job.Hidden, job.BatchSize, job.Seed = "mlp", d, hidden, batch, 1
			if job.Dim, err = gdgpu.ModelParams(&job); err != nil {
				b.Fatal(err)
			}
			m, err := NewModel(&job)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			if err := m.Load(job.StartPoint()); err != nil {
				b.Fatal(err)
			}
			bs, _ := gdgpu.Batches(batch, rows)
			order := make([]int32, rows)
			gdgpu.EpochOrder(order, 1, 0, bs)
			m.SetOrder(0, order)
			lr := []float64{1e-3}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if e, _, _ := gdgpu.Batch(m.StepCount(), bs, rows); e != 0 {
					m.SetOrder(e, order) // the benchmark keeps epoch 0's order
				}
				if err := m.Step(lr, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(bs)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
