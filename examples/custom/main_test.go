package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/gradcheck"
)

// TestRunsOnBothBackends runs the example as its main does, on the CPU
// and on the GPU in f32 and f64, and holds the GPU to the CPU reference
// with gdgpu.Compare's derived tolerance (docs/tolerances.md): the same
// statuses and samples, the loss within bounds at every sample, and the
// final parameters; and the descent reaches the chain's minimum.
func TestRunsOnBothBackends(t *testing.T) {
	const n, steps = 4099, 300
	var out bytes.Buffer
	ref, xref, err := run(context.Background(), &out, "cpu", chainJob(n, steps, gdgpu.F64))
	if err != nil {
		t.Fatal(err)
	}
	if ref.Status != gdgpu.StepLimit || ref.Final.Loss > -0.25*n*(1-1e-9) {
		t.Errorf("cpu: %v at loss %v; want StepLimit at the minimum %v", ref.Status, ref.Final.Loss, -0.25*n)
	}
	for _, p := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		job := chainJob(n, steps, p)
		got, xgot, err := run(context.Background(), &out, "gpu", job)
		if err != nil {
			t.Fatal(err)
		}
		c := gdgpu.Compare(ref, got, xref, xgot, gdgpu.DefaultTolerance(p, steps))
		if !c.OK || c.Matched != len(ref.Samples) {
			t.Errorf("%s: the GPU disagrees with the CPU: %+v", p, c)
		}
	}
	for _, want := range []string{"phi4-chain on cpu/f64", "phi4-chain on gpu/f32", "phi4-chain on gpu/f64", "StepLimit after 300 steps"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summaries lack %q:\n%s", want, out.String())
		}
	}
}

// TestBrokenGLSLRefused: a problem whose GLSL does not compile is
// refused by NewBackend, before any step, with a ShaderError naming the
// problem and carrying the driver's log and the numbered source.
func TestBrokenGLSLRefused(t *testing.T) {
	p := chainProblem()
	p.Name = "phi4-broken"
	p.GPU.Source = strings.Replace(chainGLSL, "real x2 = x * x;", "real x2 = x * y;", 1)
	if err := gdgpu.RegisterProblem(p); err != nil {
		t.Fatal(err)
	}
	c, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	job := chainJob(100, 10, gdgpu.F32)
	job.Problem = p.Name
	b, err := c.NewBackend(job)
	var se *engine.ShaderError
	if !errors.As(err, &se) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("NewBackend = %v, want a *engine.ShaderError", err)
	}
	if !strings.Contains(se.Name, "phi4-broken") || se.Log == "" || !strings.Contains(err.Error(), "real x2 = x * y;") {
		t.Errorf("the error does not name the problem, or lacks the log or the source line:\n%v", err)
	}
}

// TestGLSLGlobalNames: an objective's GLSL shares the step kernel's global
// scope, and may name its own globals as the engine's per-step scalars
// are named (they sit in a uniform block behind the instance name
// "scalars"): the kernels of every rule still compile, and the step runs.
func TestGLSLGlobalNames(t *testing.T) {
	p := chainProblem()
	p.Name = "phi4-globals"
	var decl strings.Builder
	for _, name := range []string{"stepSize", "decay", "bc1", "bc2", "bc2sqrt", "coefGrad", "coefAvg", "rect", "momentum", "oneMinusBeta1", "rectified", "firstStep"} {
		fmt.Fprintf(&decl, "const real %s = real(1);\n", name)
	}
	p.GPU.Source = decl.String() + strings.Replace(chainGLSL, "f = real(0.25)", "f = rect * momentum * real(0.25)", 1)
	if err := gdgpu.RegisterProblem(p); err != nil {
		t.Fatal(err)
	}
	c, err := engine.Open(engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, name := range gdgpu.OptimizerNames() {
		o, _ := gdgpu.DefaultOptimizer(name)
		if info, _ := gdgpu.LookupOptimizer(name); info.CPUOnly || info.Closure {
			continue
		}
		job := chainJob(100, 2, gdgpu.F32)
		job.Problem, job.Optimizer = p.Name, o
		b, err := c.NewBackend(job)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := gdgpu.Run(context.Background(), job, b, job.StartPoint(), gdgpu.Hooks{}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		b.Close()
	}
}

// TestCPUOnlyProblem: a problem without GLSL runs on the CPU, and the GPU
// refuses it saying why.
func TestCPUOnlyProblem(t *testing.T) {
	p := chainProblem()
	p.Name = "phi4-cpu-only"
	p.GPU = gdgpu.GPUObjective{}
	if err := gdgpu.RegisterProblem(p); err != nil {
		t.Fatal(err)
	}
	job := chainJob(100, 10, gdgpu.F32)
	job.Problem = p.Name
	var out bytes.Buffer
	if _, _, err := run(context.Background(), &out, "cpu", job); err != nil {
		t.Fatalf("cpu: %v", err)
	}
	if _, _, err := run(context.Background(), &out, "gpu", job); err == nil || !strings.Contains(err.Error(), "no GPU objective") {
		t.Errorf("gpu: %v, want a refusal saying the problem has no GPU objective", err)
	}
}

// TestGradcheck checks the chain's two gradients, as a user checks a
// problem of their own: the Go one against central differences of the Go
// loss, and the GLSL one against the Go one, in f32 and f64.
func TestGradcheck(t *testing.T) {
	c, err := engine.Open(engine.Options{Debug: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, p := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
		job := chainJob(1000, 1, p)
		b, err := c.NewBackend(job)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := b.(gradcheck.Gradienter)
		if !ok {
			t.Fatalf("%T has no Gradient method", b)
		}
		r, err := gradcheck.Check(job, gradcheck.Options{Points: 3, Seed: 1, GPU: g})
		b.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !r.OK() || !r.GPU {
			t.Errorf("%s: %+v", p, r)
		}
	}
}
