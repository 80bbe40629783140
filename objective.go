package gdgpu

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gdgpu/gdgpu/internal/expr"
)

// ParseObjective compiles an objective typed as an expression into a
// Problem named ObjectiveName(src), without registering it (Job.Objective
// and RegisterObjective register it). The language (docs/objectives.md):
// per-index terms in x[i], x[i+k] and x[i-k] (k a whole number), the index
// i and the dimension n, numbers, pi and e; + - * / ^ (right-associative),
// unary minus; sin cos tan asin acos atan sinh cosh tanh exp expm1 log
// log1p sqrt abs sigmoid softplus, pow, min, max; aggregates sum(E),
// mean(E) and prod(E) over the indices that keep every read of E inside
// 0..n-1; definitions "name = expr;" before the expression. Outside the
// aggregates: a sum of any number of aggregates times constants
// (functions of n), or any expression of at most two aggregates, which a
// pre-pass computes first (Ackley, Griewank).
//
// The loss and its symbolic gradient (simplified, with shared
// subexpressions) run in one fused pass on the GPU and from the same tree
// in float64 on the CPU. A refusal is an *ObjectiveError naming the column.
func ParseObjective(src string) (Problem, error) {
	o, err := expr.Parse(src)
	if err != nil {
		return Problem{}, objectiveError(err)
	}
	oneLine := strings.Join(strings.Fields(src), " ")
	p := Problem{
		Name:       ObjectiveName(src),
		Summary:    "typed objective: " + oneLine,
		Start:      "x_i drawn uniformly from [-2, 2] with seed 0, as {Job.Seed} 0 draws them ({Job.Seed} or {Run.x0} for another)",
		Init:       func(x []float64) { uniformStart(x, 0) },
		DefaultDim: max(o.MinDim, 1<<20),
		MinDim:     o.MinDim,
		Reach:      o.Reach,
		Settings:   func(*Job) string { return fmt.Sprintf(" objective=%q", oneLine) },
		CPU: func(j *Job) (CPUObjective, error) {
			if o.Pre {
				return &exprPreCPU{exprCPU{o: o, n: j.Dim, glob: make([]float64, 3)}}, nil
			}
			return exprCPU{o: o, n: j.Dim}, nil
		},
		GPU: GPUObjective{Source: o.GLSL(), Before: []string{"fp64math.glsl", "model_math.glsl"}, Prepass: o.Pre},
	}
	return p, nil
}

// ObjectiveError is a refusal of a typed objective: what is wrong, at
// which column, with the source line and a caret under it.
type ObjectiveError struct {
	Column int
	Msg    string // the whole message, the line and caret included
}

func (e *ObjectiveError) Error() string { return e.Msg }

func objectiveError(err error) error {
	var pe *expr.Error
	if errors.As(err, &pe) {
		return &ObjectiveError{Column: pe.Pos + 1, Msg: pe.Error()}
	}
	return err
}

// ObjectiveName is the problem name of a typed objective: "expr-" and the
// first 12 hex digits of its source's SHA-256.
func ObjectiveName(src string) string {
	h := sha256.Sum256([]byte(src))
	return "expr-" + hex.EncodeToString(h[:6])
}

// ShowObjective returns the compiled objective: the simplified loss and
// its gradient's parts, then a line saying how the CPU evaluates them
// (compiled to machine code on linux/amd64 with AVX, or interpreted, and
// why), and the generated GLSL.
func ShowObjective(src string) (loss, glsl string, err error) {
	o, err := expr.Parse(src)
	if err != nil {
		return "", "", objectiveError(err)
	}
	return o.String() + o.CPUCode() + "\n", o.GLSL(), nil
}

var objectives sync.Mutex

// RegisterObjective compiles src and registers it as a problem, once:
// a second call with the same text returns the registered problem. A job
// whose Objective is src runs it (Validate registers it too).
func RegisterObjective(src string) (Problem, error) {
	objectives.Lock()
	defer objectives.Unlock()
	if p, ok := LookupProblem(ObjectiveName(src)); ok {
		return p, nil
	}
	p, err := ParseObjective(src)
	if err != nil {
		return Problem{}, err
	}
	if err := RegisterProblem(p); err != nil {
		return Problem{}, err
	}
	return p, nil
}

func registerObjective(src string) (string, error) {
	p, err := RegisterObjective(src)
	return p.Name, err
}

// exprCPU is a typed objective's float64 evaluator. glob is the job's own
// (a compiled objective is shared by every job that types it).
type exprCPU struct {
	o    *expr.Objective
	n    int
	glob []float64
}

func (c exprCPU) Terms(t, x []float64, lo, hi int) int { return c.o.Terms(t, x, lo, hi, c.n, c.glob) }
func (c exprCPU) Grad(g, x []float64, lo, hi int)      { c.o.Grad(g, x, lo, hi, c.n, c.glob) }
func (c exprCPU) TermsGrad(t, g, x []float64, lo, hi int) int {
	return c.o.TermsGrad(t, g, x, lo, hi, c.n, c.glob)
}

// exprPreCPU is a pre-pass objective's: Prepare fills glob first.
type exprPreCPU struct{ exprCPU }

func (c *exprPreCPU) Prepare(x []float64) { c.o.Prepare(c.glob, x, c.n) }
