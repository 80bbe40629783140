package gdgpu

import (
	"errors"
	"strings"
	"testing"
)

func TestJobValidate(t *testing.T) {
	cases := []struct {
		name  string
		edit  func(j *Job)
		field string // the field the refusal names; "" when valid
	}{
		{"default", func(j *Job) {}, ""},
		{"problem", func(j *Job) { j.Problem = "nope" }, "Job.Problem"},
		{"dim zero", func(j *Job) { j.Dim = 0 }, "Job.Dim"},
		{"rosenbrock dim 1", func(j *Job) { j.Dim = 1 }, "Job.Dim"},
		{"quadratic dim 1", func(j *Job) { j.Problem, j.Dim = "quadratic", 1 }, ""},
		{"cond below 1", func(j *Job) { j.Cond = 0.5 }, "Job.Cond"},
		{"steps negative", func(j *Job) { j.Steps = -1 }, "Job.Steps"},
		{"log-every zero", func(j *Job) { j.LogEvery = 0 }, "Job.LogEvery"},
		{"lr zero", func(j *Job) { j.Optimizer.LR = 0 }, "Optimizer.lr"},
		{"lr negative", func(j *Job) { j.Optimizer.LR = -1 }, "Optimizer.lr"},
		{"beta1 one", func(j *Job) { j.Optimizer.Beta1 = 1 }, "Optimizer.beta1"},
		{"beta2 negative", func(j *Job) { j.Optimizer.Beta2 = -0.1 }, "Optimizer.beta2"},
		{"eps zero", func(j *Job) { j.Optimizer.Eps = 0 }, "Optimizer.eps"},
		{"weight decay negative", func(j *Job) { j.Optimizer.WeightDecay = -1 }, "Optimizer.weight-decay"},
		{"nesterov without momentum", func(j *Job) {
			j.Optimizer, _ = DefaultOptimizer("sgd")
			j.Optimizer.Nesterov = true
		}, "Optimizer.nesterov"},
		{"precision", func(j *Job) { j.Precision = 7 }, "Job.Precision"},
		{"func-window past the checkpointed history", func(j *Job) { j.FuncTol, j.FuncWindow = 1e-6, 1025 }, "Job.FuncWindow"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			j := NewJob()
			tc.edit(&j)
			err := j.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid job refused: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.Is(err, ErrInvalidJob) || !errors.As(err, &fe) || fe.Fields[0] != tc.field || !strings.Contains(err.Error(), "invalid job: "+tc.field) {
				t.Fatalf("got %v, want an ErrInvalidJob whose FieldError names %s first", err, tc.field)
			}
		})
	}
}

// TestRegistryDefaults pins torch.optim's documented defaults.
func TestRegistryDefaults(t *testing.T) {
	want := map[string]map[string]float64{
		"sgd":      {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight-decay": 0, "nesterov": 0, "maximize": 0},
		"adagrad":  {"lr": 1e-2, "lr-decay": 0, "weight-decay": 0, "initial-accumulator-value": 0, "eps": 1e-10},
		"adadelta": {"lr": 1, "rho": 0.9, "eps": 1e-6, "weight-decay": 0},
		"rmsprop":  {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight-decay": 0, "momentum": 0, "centered": 0},
		"adam":     {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight-decay": 0, "amsgrad": 0},
		"adamw":    {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight-decay": 1e-2, "amsgrad": 0},
		"adamax":   {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight-decay": 0},
		"nadam":    {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight-decay": 0, "momentum-decay": 4e-3, "decoupled-weight-decay": 0},
		"radam":    {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight-decay": 0, "decoupled-weight-decay": 0},
		// max_eval None: max_iter*5/4 (LBFGSMaxEval); line_search_fn None.
		"lbfgs": {"lr": 1, "max-iter": 20, "max-eval": 0, "tolerance-grad": 1e-7, "tolerance-change": 1e-9, "history-size": 100, "strong-wolfe": 0},
	}
	torch := 0
	for _, o := range Optimizers() {
		if !o.CPUOnly {
			torch++
		}
	}
	if len(want) != torch {
		t.Errorf("registry has %d torch.optim optimizers, test pins %d", torch, len(want))
	}
	for name, hs := range want {
		o, err := DefaultOptimizer(name)
		if err != nil {
			t.Fatal(err)
		}
		for flag, v := range hs {
			if !o.Takes(flag) {
				t.Errorf("%s does not take --%s", name, flag)
			} else if got := o.Get(flag); got != v {
				t.Errorf("%s --%s default %v, torch's is %v", name, flag, got, v)
			}
		}
		if err := o.Validate(); err != nil {
			t.Errorf("%s defaults invalid: %v", name, err)
		}
	}
}

func TestStartPoint(t *testing.T) {
	j := NewJob()
	j.Dim = 5
	x := j.StartPoint()
	if x[0] != -1.2 || x[1] != 1 || x[4] != -1.2 {
		t.Errorf("rosenbrock start %v", x)
	}
	j.RandomStart, j.Seed = true, 3
	a, b := j.StartPoint(), j.StartPoint()
	for i := range a {
		if a[i] != b[i] || a[i] < -2 || a[i] > 2 {
			t.Fatalf("seeded start not reproducible or out of [-2,2]: %v %v", a, b)
		}
	}
	j.Seed = 4
	if c := j.StartPoint(); c[0] == a[0] {
		t.Errorf("seeds 3 and 4 gave the same start")
	}
}

func TestQuadCoeff(t *testing.T) {
	if QuadCoeff(0, 5, 100) != 1 || QuadCoeff(4, 5, 100) != 100 || QuadCoeff(2, 5, 100) != 10 || QuadCoeff(0, 1, 100) != 1 {
		t.Errorf("coefficients not log-spaced from 1 to cond: %v %v %v", QuadCoeff(0, 5, 100), QuadCoeff(2, 5, 100), QuadCoeff(4, 5, 100))
	}
}
