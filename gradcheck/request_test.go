package gradcheck_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/gradcheck"
)

// TestRequestBuild: a request becomes the job gdgpu gradcheck checks (the
// dimension's default, a model's data, a network's settings, an
// objective), and a choice that does not go together is refused naming
// its fields, in gradcheck's words, or by the job's own checks.
func TestRequestBuild(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(r *gradcheck.Request)
		given []string
		check func(t *testing.T, job *gdgpu.Job)
		// A refusal: the fields it names, and a part of its message.
		fields  []string
		message string
		invalid bool // wraps gdgpu.ErrInvalidJob (Validate's)
	}{
		{name: "defaults", check: func(t *testing.T, job *gdgpu.Job) {
			if job.Problem != "rosenbrock" || job.Dim != 100 || job.Precision != gdgpu.F32 || job.Data != nil {
				t.Errorf("%s N=%d %v, want rosenbrock at 100 in f32", job.Problem, job.Dim, job.Precision)
			}
		}},
		{name: "fixed dimension", edit: func(r *gradcheck.Request) { r.Problem, r.Precision = "beale", "f64" }, check: func(t *testing.T, job *gdgpu.Job) {
			if job.Dim != 2 || job.Precision != gdgpu.F64 {
				t.Errorf("beale N=%d %v, want 2 in f64", job.Dim, job.Precision)
			}
		}},
		{name: "dim given", edit: func(r *gradcheck.Request) { r.Problem, r.Dim = "quadratic", 7 }, given: []string{"Job.Dim"}, check: func(t *testing.T, job *gdgpu.Job) {
			if job.Dim != 7 {
				t.Errorf("N=%d, want 7", job.Dim)
			}
		}},
		{name: "model", edit: func(r *gradcheck.Request) { r.Problem, r.Loss = "linear", "huber" }, given: []string{"Job.Loss"}, check: func(t *testing.T, job *gdgpu.Job) {
			if job.Data == nil || job.Dim != 6 || job.Loss != "huber" || job.L1 == 0 || job.L2 == 0 {
				t.Errorf("linear N=%d loss %s l1 %g l2 %g, data %v: want 5 features and an intercept, huber, both penalties", job.Dim, job.Loss, job.L1, job.L2, job.Data != nil)
			}
		}},
		{name: "network", edit: func(r *gradcheck.Request) {
			r.Problem, r.Hidden, r.Activation, r.LeakySlope, r.Task = "mlp", []int{2}, "leaky-relu", 0.3, "regression"
		}, given: []string{"Job.Hidden", "Job.Activation", "Job.LeakySlope", "DataSpec.Task"}, check: func(t *testing.T, job *gdgpu.Job) {
			if !slices.Equal(job.Hidden, []int{2}) || job.Activation != "leaky-relu" || job.LeakySlope != 0.3 || job.DataSpec.Task != "regression" || job.Dim != 5*2+2+2+1 {
				t.Errorf("mlp %v %s slope %g task %q N=%d, want [2] leaky-relu 0.3 regression N=15", job.Hidden, job.Activation, job.LeakySlope, job.DataSpec.Task, job.Dim)
			}
		}},
		{name: "objective", edit: func(r *gradcheck.Request) { r.Objective, r.Device = "sum(x[i]^4)", "cpu" }, given: []string{"Job.Objective"}, check: func(t *testing.T, job *gdgpu.Job) {
			if !strings.HasPrefix(job.Problem, "expr-") || job.Dim != 100 {
				t.Errorf("%s N=%d, want the objective's problem at 100", job.Problem, job.Dim)
			}
		}},

		{name: "objective and problem", given: []string{"Job.Objective", "Job.Problem"}, fields: []string{"Job.Objective", "Job.Problem"}, message: "do not go together"},
		{name: "bad objective", edit: func(r *gradcheck.Request) { r.Objective = "x^^2" }, given: []string{"Job.Objective"}, fields: []string{"Job.Objective"}, message: "x is the whole vector"},
		{name: "unknown problem", edit: func(r *gradcheck.Request) { r.Problem = "nope" }, fields: []string{"Job.Problem"}, message: `"nope" is unknown`},
		{name: "dim of a model", edit: func(r *gradcheck.Request) { r.Problem = "logistic" }, given: []string{"Job.Dim"}, fields: []string{"Job.Dim", "Job.Problem"}, message: "follows from the data"},
		{name: "loss of a test function", given: []string{"Job.Loss"}, fields: []string{"Job.Loss", "Job.Problem"}, message: "applies to {Job.Problem} linear"},
		{name: "no points", edit: func(r *gradcheck.Request) { r.Points = 0 }, fields: []string{"Request.Points"}, message: "0 must be >= 1"},
		{name: "unknown device", edit: func(r *gradcheck.Request) { r.Device = "tpu" }, fields: []string{"Request.Device"}, message: `"tpu": want gpu or cpu`},
		{name: "unknown precision", edit: func(r *gradcheck.Request) { r.Precision = "f16" }, fields: []string{"Job.Precision"}, message: `"f16"`},
		{name: "network setting elsewhere", edit: func(r *gradcheck.Request) { r.Problem = "softmax" }, given: []string{"Job.LeakySlope"}, fields: []string{"Job.LeakySlope", "Job.Problem"}, message: "applies to {Job.Problem} mlp"},
		{name: "unknown task", edit: func(r *gradcheck.Request) { r.Problem, r.Task = "mlp", "nope" }, fields: []string{"DataSpec.Task"}, message: `"nope" is unknown`},
		{name: "network refused", edit: func(r *gradcheck.Request) { r.Problem, r.Hidden = "mlp", []int{0} }, fields: []string{"Job.Hidden"}, message: "width 0"},
		{name: "invalid job", edit: func(r *gradcheck.Request) { r.Problem, r.Dim = "beale", 3 }, given: []string{"Job.Dim"}, fields: []string{"Job.Dim"}, message: "at most 2", invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gradcheck.NewRequest()
			if tc.edit != nil {
				tc.edit(&r)
			}
			r.Given = func(f string) bool { return slices.Contains(tc.given, f) }
			job, err := r.Build()
			if tc.fields == nil {
				if err != nil {
					t.Fatal(err)
				}
				tc.check(t, job)
				return
			}
			var fe *gdgpu.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("%v, want a *gdgpu.FieldError naming %v", err, tc.fields)
			}
			if !slices.Equal(fe.Fields, tc.fields) || !strings.Contains(fe.Format(func(f string) string { return "{" + f + "}" }), tc.message) {
				t.Errorf("%v (fields %v), want fields %v and %q", err, fe.Fields, tc.fields, tc.message)
			}
			if errors.Is(err, gdgpu.ErrInvalidJob) != tc.invalid {
				t.Errorf("%v: wraps ErrInvalidJob %v, want %v", err, !tc.invalid, tc.invalid)
			}
		})
	}
}

// TestRequestObjectiveSet: an objective set on a request written by hand
// is checked even when Given does not report it, and the built job does
// not share the request's Hidden slice.
func TestRequestObjectiveSet(t *testing.T) {
	r := gradcheck.NewRequest()
	r.Objective, r.Device = "sum(x[i]^2)", "cpu"
	job, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	if job.Problem != gdgpu.ObjectiveName(r.Objective) {
		t.Errorf("built %q, want the objective's %q", job.Problem, gdgpu.ObjectiveName(r.Objective))
	}
	m := gradcheck.NewRequest()
	m.Problem, m.Device, m.Hidden = "mlp", "cpu", []int{3}
	m.Given = func(f string) bool { return f == "Job.Hidden" }
	job, err = m.Build()
	if err != nil {
		t.Fatal(err)
	}
	m.Hidden[0] = 7
	if job.Hidden[0] != 3 {
		t.Errorf("the job's Hidden follows the request's: %v", job.Hidden)
	}
}
