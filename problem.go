package gdgpu

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/gdgpu/gdgpu/shaders"
)

// Problem describes one objective f: R^N -> R: everything any part of
// gdgpu (the CPU backend, the engine, gradcheck, list, view, the docs)
// knows about it. The built-in problems are values of this type, each
// defined by its own file (problem_*.go); RegisterProblem adds a user's.
// A problem is a sum of loss terms, each owned by one index, and its
// gradient is computed component by component, so both backends can split
// it over index ranges: the CPU over goroutines, the GPU over invocations.
type Problem struct {
	Name       string // what Job.Problem names: lower case, no spaces
	Summary    string // one line: the formula and the known minimum
	Start      string // the default start point, in words
	DefaultDim int    // N when the job gives none (the CLI's --dim default)
	MinDim     int    // the least N it is defined for (at least 1)
	MaxDim     int    // the largest N, or 0: up to the package's MaxDim

	// Init writes the default start point into x (len N, zeroed). nil:
	// every x_i = 1.
	Init func(x []float64)
	// Box is the half-width of the problem's usual domain: gradcheck
	// draws its points from [-Box, Box]^N. 0: 2.
	Box float64
	// Minimum, when known, writes a global minimiser into x (len N) and
	// returns f there; ok is false when the problem has no known minimum
	// at that N. nil: none known.
	Minimum func(x []float64) (f float64, ok bool)
	// AwayFromKinks, when set, moves a point gradcheck drew (from the
	// Box) away from where f is not differentiable, so that a central
	// difference holds there (Ackley's cone at 0). nil: f is smooth on
	// the Box.
	AwayFromKinks func(x []float64)
	// Reach is the largest k such that term i or gradient component i
	// reads x_{i-k} or x_{i+k} (Rosenbrock: 1; a separable function: 0).
	// The CPU backend updates x in place and keeps the old point within
	// Reach of every range it evaluates; at most MaxReach.
	Reach int
	// Settings, when set, returns the job's settings that this problem
	// reads, as the run header shows them (the quadratic: " cond=100").
	Settings func(job *Job) string

	// CPU makes the float64 evaluator of the problem for a job (the CPU
	// backend's, the reference the GPU is checked against). Required.
	CPU func(job *Job) (CPUObjective, error)
	// GPU is the problem's GLSL. Required for the GPU backend; a problem
	// without GPU.Source runs on the CPU only.
	GPU GPUObjective
}

// MaxReach bounds Problem.Reach: the CPU backend keeps the old point
// within Reach of the range it evaluates by lagging its update one range
// behind, so Reach may not exceed half a range.
const MaxReach = 128

// CPUObjective computes a problem in float64 on the host, over index
// ranges: the CPU backend calls it on consecutive ranges of at most 256
// indices, from several goroutines at once on disjoint ranges, so its
// methods must not write shared state. x holds the point at every index
// within Problem.Reach of lo..hi-1.
type CPUObjective interface {
	// Terms writes into t the loss terms owned by indices lo..hi-1 and
	// returns how many it wrote (t has room for hi-lo). f is the sum of
	// every range's terms, in the backend's fixed pairwise order (then
	// Finish, if the objective has one). An index may own no term: a
	// two-dimensional function's index 0 owns all of f.
	Terms(t, x []float64, lo, hi int) int
	// Grad writes ∂f/∂x_i for i in lo..hi-1 into g (len hi-lo).
	Grad(g, x []float64, lo, hi int)
}

// CPUPrepass is a CPUObjective whose terms or gradient need quantities
// of the whole point first (Ackley's mean of x_i², Griewank's product):
// Prepare computes them at x before every sweep of Terms and Grad.
type CPUPrepass interface {
	Prepare(x []float64)
}

// CPUFinisher is a CPUObjective whose f is a function of the sum of its
// terms rather than the sum itself (the quadratic halves it).
type CPUFinisher interface {
	Finish(sum float64) float64
}

// CPUTermsGrad is a CPUObjective that computes a range's terms and
// gradient faster together than apart (a typed objective's evaluator
// shares the nodes of the two): TermsGrad writes Terms(t, x, lo, hi)
// into t and Grad(g, x, lo, hi) into g, the same values, and returns
// Terms' count. The CPU backend's sweep calls it when it needs both.
type CPUTermsGrad interface {
	TermsGrad(t, g, x []float64, lo, hi int) int
}

// CPUPrecomputer is a CPUObjective that can trade memory for speed: a
// long-lived evaluator (the CPU backend's) calls Precompute once, before
// the first sweep (the quadratic fills its coefficient table).
type CPUPrecomputer interface {
	Precompute()
}

// GPUObjective is a problem's GLSL side. Source implements
//
//	void objective(uint i, out real f, out real g)
//
// returning the loss term owned by index i and ∂f/∂x_i, where real is
// float or double (the job's precision, REAL_IS_DOUBLE defined for
// double), X(i) reads x_i by global index, n is N, and the files of
// Before are assembled ahead of it (fp64math.glsl's rsin, rcos, rexp for
// double transcendentals). docs/architecture.md describes the contract.
type GPUObjective struct {
	// Source is the GLSL text: objective(), or what the files of After
	// turn into one (plane.glsl makes a plane(x, y, f, gx, gy) of a
	// two-dimensional function the objective).
	Source string
	// Before and After name embedded shader files (package shaders)
	// assembled before and after Source.
	Before, After []string
	// Prepass: Source also defines prepass.glsl's functions (prepass,
	// prepassCombineA/B, PREPASS_A0/B0, prepassFinish), which leave the
	// objective's global quantities in glob[] before every evaluation.
	Prepass bool
	// Coef, when set and non-nil for the job, gives per-index
	// coefficients the engine uploads once and Source reads as
	// coef[i - base] under HAS_COEF (the quadratic's c_i).
	Coef func(job *Job) func(i int) float64
}

// ErrInvalidProblem wraps every RegisterProblem refusal.
var ErrInvalidProblem = errors.New("gdgpu: invalid problem")

var registry struct {
	sync.RWMutex
	problems []Problem
}

func init() {
	for _, p := range builtinProblems() {
		if err := RegisterProblem(p); err != nil {
			panic(err) // a built-in is wrong: a programming error
		}
	}
}

// builtinProblems lists the built-in problems in the order list and the
// help show them; each is defined by its own file.
func builtinProblems() []Problem {
	return []Problem{
		quadraticProblem(), rosenbrockProblem(), rastriginProblem(), styblinskiTangProblem(),
		levyProblem(), ackleyProblem(), griewankProblem(),
		bealeProblem(), himmelblauProblem(), boothProblem(), matyasProblem(),
		threeHumpCamelProblem(), sixHumpCamelProblem(), goldsteinPriceProblem(), saddleProblem(),
	}
}

// RegisterProblem adds p to the problems every backend and command
// knows, so that a Job may name it. It refuses a problem with a missing
// or inconsistent piece, naming it, and a name already taken (by a
// problem or a model). Register at start-up, before building jobs.
func RegisterProblem(p Problem) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidProblem, p.Name, fmt.Sprintf(format, a...))
	}
	switch {
	case p.Name == "":
		return fmt.Errorf("%w: Name is empty", ErrInvalidProblem)
	case strings.ContainsAny(p.Name, " \t\n,=\"'") || strings.ToLower(p.Name) != p.Name:
		return bad("Name must be lower case, without spaces, commas, '=' or quotes")
	case p.CPU == nil:
		return bad("CPU is nil: every problem needs its float64 evaluator")
	case p.MinDim < 1:
		return bad("MinDim %d must be at least 1", p.MinDim)
	case p.MaxDim < 0 || (p.MaxDim > 0 && p.MaxDim < p.MinDim):
		return bad("MaxDim %d must be 0 (no limit) or at least MinDim %d", p.MaxDim, p.MinDim)
	case p.DefaultDim < p.MinDim || (p.MaxDim > 0 && p.DefaultDim > p.MaxDim) || p.DefaultDim > MaxDim:
		return bad("DefaultDim %d is outside the dimensions it accepts", p.DefaultDim)
	case p.Reach < 0 || p.Reach > MaxReach:
		return bad("Reach %d must be between 0 and %d", p.Reach, MaxReach)
	case math.IsNaN(p.Box) || math.IsInf(p.Box, 0) || p.Box < 0:
		return bad("Box %g must be a finite number >= 0", p.Box)
	case p.GPU.Source == "" && (len(p.GPU.Before) > 0 || len(p.GPU.After) > 0 || p.GPU.Prepass || p.GPU.Coef != nil):
		return bad("GPU.Source is empty but other GPU fields are set")
	case IsModel(p.Name):
		return bad("the name is a model's")
	}
	for _, f := range slices.Concat(p.GPU.Before, p.GPU.After) {
		if _, err := shaders.Source(f); err != nil {
			return bad("GPU.Before or GPU.After names %q, which is not one of package shaders' files", f)
		}
	}
	registry.Lock()
	defer registry.Unlock()
	for _, q := range registry.problems {
		if q.Name == p.Name {
			return bad("a problem of that name is registered already")
		}
	}
	registry.problems = append(registry.problems, p)
	return nil
}

// Problems lists every registered problem: the built-ins, then the
// registered ones in order.
func Problems() []Problem {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Clone(registry.problems)
}

// ProblemNames lists the problem names.
func ProblemNames() []string {
	ps := Problems()
	n := make([]string, len(ps))
	for i, p := range ps {
		n[i] = p.Name
	}
	return n
}

// LookupProblem finds a problem by name.
func LookupProblem(name string) (Problem, bool) {
	registry.RLock()
	defer registry.RUnlock()
	for _, p := range registry.problems {
		if p.Name == name {
			return p, true
		}
	}
	return Problem{}, false
}

// HasGPU reports whether the problem has a GLSL side.
func (p *Problem) HasGPU() bool { return p.GPU.Source != "" }

// constStart is an Init that sets every x_i to v.
func constStart(v float64) func(x []float64) {
	return func(x []float64) {
		for i := range x {
			x[i] = v
		}
	}
}

// constMinimum is a Minimum at x_i = at for every i, where f = perIndex·N.
func constMinimum(at, perIndex float64) func(x []float64) (float64, bool) {
	return func(x []float64) (float64, bool) {
		for i := range x {
			x[i] = at
		}
		return perIndex * float64(len(x)), true
	}
}

// shaderText returns an embedded shader file's text; the built-in
// problems' GLSL is embedded, so a missing file is a programming error.
func shaderText(name string) string {
	s, err := shaders.Source(name)
	if err != nil {
		panic(err)
	}
	return s
}
