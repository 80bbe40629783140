// Command custom minimises an objective of its own, not one of gdgpu's
// built-ins, through gdgpu's one driver loop: the φ⁴ chain of chain.go,
// its loss and gradient written once in Go (the float64 reference) and
// once in GLSL (the GPU kernel), registered with gdgpu.RegisterProblem and
// run by gdgpu.Run on the backend chosen:
//
//	go run -tags egl ./examples/custom                # on the GPU (Mesa's llvmpipe where there is none)
//	go run -tags egl ./examples/custom --device cpu   # on the CPU, in float64
//
// It prints the run's summary and exits 0, or prints the error and exits 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
)

func main() {
	device := flag.String("device", "gpu", "where to run: gpu or cpu")
	dim := flag.Int("dim", 1<<16, "number of parameters N")
	steps := flag.Int("steps", 300, "optimizer steps")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, _, err := run(ctx, os.Stdout, *device, chainJob(*dim, *steps, gdgpu.F32)); err != nil {
		fmt.Fprintln(os.Stderr, "custom:", err)
		os.Exit(1)
	}
}

func init() {
	// Registered once, before any job names it.
	if err := gdgpu.RegisterProblem(chainProblem()); err != nil {
		panic(err)
	}
}

// chainJob is the descent the program runs: Adam at lr 0.05 on the chain
// of n particles for the given steps, a sample every 50, the GPU in
// precision p (the CPU always computes in float64).
func chainJob(n, steps int, p gdgpu.Precision) *gdgpu.Job {
	job := gdgpu.NewJob() // Adam with torch's defaults
	job.Problem, job.Dim, job.Steps, job.LogEvery, job.Precision = "phi4-chain", n, steps, 50, p
	job.Optimizer.LR = 0.05
	return &job
}

// run opens the backend for device, runs job through gdgpu.Run from the
// problem's start point, writes a summary to w and returns the result and
// the final parameters.
func run(ctx context.Context, w io.Writer, device string, job *gdgpu.Job) (res gdgpu.Result, x []float64, err error) {
	var b gdgpu.Backend
	switch device {
	case "cpu":
		if b, err = cpu.New(job); err != nil {
			return res, nil, err
		}
	case "gpu":
		c, err := engine.Open(engine.Options{})
		if err != nil {
			return res, nil, err
		}
		defer c.Close()
		if b, err = c.NewBackend(job); err != nil {
			return res, nil, err
		}
	default:
		return res, nil, fmt.Errorf("--device %q: want gpu or cpu", device)
	}
	defer b.Close()
	if res, err = gdgpu.Run(ctx, job, b, job.StartPoint(), gdgpu.Hooks{}); err != nil {
		return res, nil, err
	}
	x = make([]float64, job.Dim)
	if err := b.Params(x); err != nil {
		return res, nil, err
	}
	p, _ := gdgpu.LookupProblem(job.Problem)
	fmin, _ := p.Minimum(make([]float64, job.Dim))
	first := res.Samples[0]
	fmt.Fprintf(w, "%s on %s, N = %d, %s lr=%g\n", p.Name, b.Name(), job.Dim, job.Optimizer.Name, job.Optimizer.LR)
	fmt.Fprintf(w, "  status:  %s after %d steps (%v)\n", res.Status, res.Steps, res.Elapsed.Round(1e6))
	fmt.Fprintf(w, "  loss:    %.6g -> %.6g (minimum %.6g)\n", first.Loss, res.Final.Loss, fmin)
	fmt.Fprintf(w, "  |grad|:  %.3g -> %.3g\n", first.GradNorm, res.Final.GradNorm)
	return res, x, nil
}
