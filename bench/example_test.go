package bench_test

import (
	"context"
	"fmt"

	"github.com/gdgpu/gdgpu/bench"
)

// A small sweep on the CPU backend (a nil engine context): the rows, in
// order. Their times are in the report's other fields (WriteText prints
// them as `gdgpu bench` does); an engine.Context times the GPU instead.
func ExampleRun() {
	cfg := bench.DefaultConfig()
	cfg.Sizes, cfg.Reps, cfg.LoopSteps = []int{1000}, 2, 5
	rep, err := bench.Run(context.Background(), nil, &cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Device, rep.Precision)
	for _, r := range rep.Rows {
		fmt.Println(r.Op, r.N, r.BytesPerParam, r.Baseline, r.Skipped == "")
	}
	// Output:
	// cpu f64
	// triad 1000 24 triad true
	// copy 1000 16 triad true
	// sgd 1000 16 triad true
	// momentum 1000 32 triad true
	// adam 1000 48 triad true
	// adam-given 1000 56 triad true
	// loss 1000 8 triad true
	// rosenbrock+adam 1000 48 triad true
	// quadratic+adam 1000 56 triad true
	// loop 1000 48 triad true
}
