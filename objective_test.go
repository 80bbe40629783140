package gdgpu

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// builtinExpressions are the built-in problems typed as expressions
// (docs/objectives.md lists them), with the dimension and settings each
// is compared at. Levy (its first and last terms differ from the others)
// needs what typed objectives do not have yet.
var builtinExpressions = []struct {
	problem string
	dim     int
	cond    float64
	src     string
}{
	{"rosenbrock", 50, 1, "sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)"},
	{"rastrigin", 40, 1, "10*n + sum(x[i]^2 - 10*cos(2*pi*x[i]))"},
	{"styblinski-tang", 30, 1, "0.5*sum(x[i]^4 - 16*x[i]^2 + 5*x[i])"},
	{"quadratic", 40, 1, "0.5*sum(x[i]^2)"},
	{"quadratic", 40, 100, "0.5*sum(100^(i/(n-1))*x[i]^2)"},
	{"himmelblau", 2, 1, "sum((x[i]^2 + x[i+1] - 11)^2 + (x[i] + x[i+1]^2 - 7)^2)"},
	{"booth", 2, 1, "sum((x[i] + 2*x[i+1] - 7)^2 + (2*x[i] + x[i+1] - 5)^2)"},
	{"matyas", 2, 1, "sum(0.26*(x[i]^2 + x[i+1]^2) - 0.48*x[i]*x[i+1])"},
	{"three-hump-camel", 2, 1, "sum(2*x[i]^2 - 1.05*x[i]^4 + x[i]^6/6 + x[i]*x[i+1] + x[i+1]^2)"},
	{"six-hump-camel", 2, 1, "sum((4 - 2.1*x[i]^2 + x[i]^4/3)*x[i]^2 + x[i]*x[i+1] + (-4 + 4*x[i+1]^2)*x[i+1]^2)"},
	{"beale", 2, 1, "sum((1.5 - x[i] + x[i]*x[i+1])^2 + (2.25 - x[i] + x[i]*x[i+1]^2)^2 + (2.625 - x[i] + x[i]*x[i+1]^3)^2)"},
	{"saddle", 2, 1, "sum(x[i]^2 - x[i+1]^2)"},
	{"ackley", 30, 1, "-20*exp(-0.2*sqrt(mean(x[i]^2))) - exp(mean(cos(2*pi*x[i]))) + 20 + e"},
	{"griewank", 30, 1, "1 + sum(x[i]^2)/4000 - prod(cos(x[i]/sqrt(i+1)))"},
	// Levy's first and last terms differ from the others: index
	// arithmetic selects them (max(0, 1-i) is 1 at i = 0 only,
	// min(1, n-1-i) is 1 below the last index, max(0, i-n+2) at it).
	{"levy", 30, 1, "w = 1 + (x[i]-1)/4; sum(max(0, 1-i)*sin(pi*w)^2 + min(1, n-1-i)*(w-1)^2*(1 + 10*sin(pi*w+1)^2) + max(0, i-n+2)*(w-1)^2*(1 + sin(2*pi*w)^2))"},
}

// cpuOf builds a problem's CPU evaluator for a job, prepared.
func cpuOf(t *testing.T, job *Job) CPUObjective {
	t.Helper()
	p, ok := LookupProblem(job.Problem)
	if !ok {
		t.Fatalf("no problem %q", job.Problem)
	}
	o, err := p.CPU(job)
	if err != nil {
		t.Fatal(err)
	}
	if pc, ok := o.(CPUPrecomputer); ok {
		pc.Precompute()
	}
	return o
}

// TestBuiltinsAsExpressions: each built-in typed as an expression gives its
// hand-written loss and gradient at random points in its box, in float64,
// to within rounding: 1e-13 of the largest magnitude involved (the trees
// order some additions differently).
func TestBuiltinsAsExpressions(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 9))
	for _, tc := range builtinExpressions {
		t.Run(tc.problem, func(t *testing.T) {
			hand := NewJob()
			hand.Problem, hand.Dim, hand.Cond = tc.problem, tc.dim, tc.cond
			typed := NewJob()
			typed.Objective, typed.Dim = tc.src, tc.dim
			if err := typed.Validate(); err != nil {
				t.Fatal(err)
			}
			p, _ := LookupProblem(tc.problem)
			q, _ := LookupProblem(typed.Problem)
			if q.Reach != p.Reach || q.MinDim != p.MinDim && p.MaxDim == 0 {
				t.Errorf("reach %d, min dim %d; the built-in's %d, %d", q.Reach, q.MinDim, p.Reach, p.MinDim)
			}
			ho, to := cpuOf(t, &hand), cpuOf(t, &typed)
			box := p.Box
			if box == 0 {
				box = 2
			}
			n := tc.dim
			for trial := 0; trial < 20; trial++ {
				x := make([]float64, n)
				for i := range x {
					x[i] = box * (2*r.Float64() - 1)
				}
				for _, o := range []CPUObjective{ho, to} {
					if pp, ok := o.(CPUPrepass); ok {
						pp.Prepare(x)
					}
				}
				fsum := func(o CPUObjective) (f, mag float64) {
					t := make([]float64, n)
					k := o.Terms(t, x, 0, n)
					for _, v := range t[:k] {
						f += v
						mag = max(mag, math.Abs(v))
					}
					if fin, ok := o.(CPUFinisher); ok {
						f = fin.Finish(f)
					}
					return f, mag
				}
				hf, hm := fsum(ho)
				tf, _ := fsum(to)
				if math.Abs(hf-tf) > 1e-13*max(1, hm*float64(n)) {
					t.Errorf("x = %v: f %.17g typed, %.17g hand-written", x, tf, hf)
				}
				hg, tg := make([]float64, n), make([]float64, n)
				ho.Grad(hg, x, 0, n)
				to.Grad(tg, x, 0, n)
				gm := 0.0
				for _, v := range hg {
					gm = max(gm, math.Abs(v))
				}
				for j := range hg {
					if math.Abs(hg[j]-tg[j]) > 1e-13*max(1, gm, hm) {
						t.Errorf("x = %v: ∂f/∂x[%d] %.17g typed, %.17g hand-written", x, j, tg[j], hg[j])
						break
					}
				}
			}
		})
	}
}

// TestObjectiveJob: a job's Objective registers once under its name,
// refusals name the column, and a job's dimension below the objective's
// reach is refused.
func TestObjectiveJob(t *testing.T) {
	job := NewJob()
	job.Objective, job.Dim = "sum((x[i+2] - x[i-1])^2)", 10
	if err := job.Validate(); err != nil {
		t.Fatal(err)
	}
	if job.Problem != ObjectiveName(job.Objective) || !strings.HasPrefix(job.Problem, "expr-") {
		t.Errorf("Problem = %q", job.Problem)
	}
	p, _ := LookupProblem(job.Problem)
	if p.Reach != 3 || p.MinDim != 4 {
		t.Errorf("reach %d, min dim %d; want 3 and 4", p.Reach, p.MinDim)
	}
	again := NewJob()
	again.Objective, again.Dim = job.Objective, 3
	if err := again.Validate(); err == nil || !strings.Contains(err.Error(), "at least 4") {
		t.Errorf("dim 3: %v", err)
	}
	bad := NewJob()
	bad.Objective = "sum(x[i]) + y"
	err := bad.Validate()
	var oe *ObjectiveError
	if !errors.As(err, &oe) || oe.Column != 13 || !errors.Is(err, ErrInvalidJob) {
		t.Errorf("bad objective: %v", err)
	}
}
