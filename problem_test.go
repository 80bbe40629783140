package gdgpu

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/shaders"
)

// validProblem is a complete problem, which each refusal case breaks in
// one piece.
func validProblem(name string) Problem {
	return Problem{
		Name: name, Summary: "f = sum x_i^2", DefaultDim: 4, MinDim: 1,
		CPU: func(j *Job) (CPUObjective, error) { return separable{n: j.Dim, at: sq}, nil },
		GPU: GPUObjective{Source: "void objective(uint i, out real f, out real g) { real x = X(i); f = x * x; g = 2.0 * x; }"},
	}
}

func sq(_, _ int, x float64) (float64, float64) { return x * x, 2 * x }

func TestRegisterProblemRefusals(t *testing.T) {
	// Each missing or inconsistent piece is refused, naming it, and
	// nothing is registered.
	for _, tc := range []struct {
		name   string
		change func(p *Problem)
		want   string
	}{
		{"no name", func(p *Problem) { p.Name = "" }, "Name is empty"},
		{"spaces", func(p *Problem) { p.Name = "my problem" }, "Name must be lower case"},
		{"upper case", func(p *Problem) { p.Name = "Mine" }, "Name must be lower case"},
		{"no CPU", func(p *Problem) { p.CPU = nil }, "CPU is nil"},
		{"MinDim 0", func(p *Problem) { p.MinDim = 0 }, "MinDim 0"},
		{"MaxDim below MinDim", func(p *Problem) { p.MinDim, p.MaxDim = 3, 2 }, "MaxDim 2"},
		{"DefaultDim outside", func(p *Problem) { p.MaxDim = 3 }, "DefaultDim 4"},
		{"negative Reach", func(p *Problem) { p.Reach = -1 }, "Reach -1"},
		{"Reach too far", func(p *Problem) { p.Reach = MaxReach + 1 }, "Reach 129"},
		{"NaN Box", func(p *Problem) { p.Box = math.NaN() }, "Box NaN"},
		{"GPU pieces without source", func(p *Problem) { p.GPU.Source, p.GPU.Prepass = "", true }, "GPU.Source is empty"},
		{"unknown shader file", func(p *Problem) { p.GPU.Before = []string{"nosuch.glsl"} }, `"nosuch.glsl"`},
		{"a built-in's name", func(p *Problem) { p.Name = "rosenbrock" }, "registered already"},
		{"a model's name", func(p *Problem) { p.Name = "softmax" }, "a model's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := validProblem("test-refused")
			tc.change(&p)
			before := len(Problems())
			err := RegisterProblem(p)
			if !errors.Is(err, ErrInvalidProblem) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("RegisterProblem = %v, want ErrInvalidProblem naming %q", err, tc.want)
			}
			if len(Problems()) != before {
				t.Errorf("a refused problem was registered")
			}
		})
	}
}

func TestRegisterProblem(t *testing.T) {
	// A registered problem is listed after the built-ins and a Job may
	// name it: its default start is ones, and Validate holds it to its
	// dimensions.
	if err := RegisterProblem(validProblem("test-registered")); err != nil {
		t.Fatal(err)
	}
	names := ProblemNames()
	if names[len(names)-1] != "test-registered" || names[0] != "quadratic" {
		t.Errorf("ProblemNames = %v: want the built-ins first, then the registered one", names)
	}
	job := NewJob()
	job.Problem, job.Dim = "test-registered", 3
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	for i, v := range job.StartPoint() {
		if v != 1 {
			t.Errorf("start[%d] = %v, want 1 (no Init)", i, v)
		}
	}
	job.Dim = 0
	if err := job.Validate(); err == nil || !strings.Contains(err.Error(), "at least 1") {
		t.Errorf("--dim 0: Validate = %v", err)
	}
}

func TestBuiltinProblems(t *testing.T) {
	// Every built-in has its pieces, and at its known minimum, in
	// float64, f is the stated value and the gradient is 0 to within the
	// rounding of the minimiser's digits.
	if got := len(builtinProblems()); got != 15 {
		t.Errorf("%d built-in problems, want 15", got)
	}
	for _, p := range builtinProblems() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Summary == "" || p.Start == "" || !p.HasGPU() || p.Box <= 0 {
				t.Errorf("missing a summary, a start, GLSL or a box: %+v", p)
			}
			n := min(p.DefaultDim, 5)
			if p.MaxDim > 0 {
				n = p.MaxDim
			}
			x := make([]float64, n)
			if p.Init != nil {
				p.Init(x)
			}
			if p.Minimum == nil {
				if p.Name != "saddle" {
					t.Errorf("no known minimum")
				}
				return
			}
			fmin, ok := p.Minimum(x)
			if !ok {
				t.Fatal("Minimum: none known")
			}
			job := NewJob()
			job.Problem, job.Dim = p.Name, n
			f, g := cpuLossGrad(t, &job, x)
			if d := math.Abs(f - fmin); d > 1e-12*math.Max(1, math.Abs(fmin)) {
				t.Errorf("f(%v) = %v, Minimum says %v", x, f, fmin)
			}
			for i, v := range g {
				if math.Abs(v) > 1e-6 {
					t.Errorf("∂f/∂x_%d = %v at the minimum %v", i, v, x)
				}
			}
		})
	}
}

func TestOptimizerDescriptors(t *testing.T) {
	// Every gradient-descent rule has its CPU update and its GLSL (files
	// that exist), every CPU-only method its gonum method, and every
	// closure rule (L-BFGS) its state; no rule has two of these.
	for _, info := range Optimizers() {
		t.Run(info.Name, func(t *testing.T) {
			o, err := DefaultOptimizer(info.Name)
			if err != nil {
				t.Fatal(err)
			}
			if info.CPUOnly {
				if info.Gonum == nil || info.Gonum(&o) == nil || info.CPU != nil || len(info.GPU.Files) > 0 {
					t.Errorf("a CPU-only method needs a gonum method and no CPU update or GLSL")
				}
				return
			}
			if info.Closure {
				// A step(closure) rule: run by the backends' own loops.
				if info.CPU != nil || len(info.GPU.Files) > 0 || info.Gonum != nil || info.States == nil || info.WorkVectors < 1 {
					t.Errorf("a closure rule needs its states and work vectors, and no update kernel or gonum method")
				}
				return
			}
			if info.CPU == nil || info.CPU(&o) == nil || len(info.GPU.Files) == 0 || info.Gonum != nil {
				t.Errorf("a rule needs a CPU update and GLSL, and no gonum method")
			}
			for _, f := range info.GPU.Files {
				if _, err := shaders.Source(f); err != nil {
					t.Errorf("GPU.Files: %v", err)
				}
			}
		})
	}
}
