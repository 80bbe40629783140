package gdgpu

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// mlpJob is an mlp job on 4 rows of 2 features and 3 classes.
func mlpJob(t *testing.T, hidden ...int) Job {
	t.Helper()
	d, err := NewData("mlp", []float32{1, 2, 3, 4, 5, 6, 7, 8}, []float32{0, 1, 2, 0}, 4, 2, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	j := NewJob()
	j.Problem, j.Data, j.Hidden = "mlp", d, hidden
	var err2 error
	if j.Dim, err2 = ModelParams(&j); err2 != nil {
		t.Fatal(err2)
	}
	return j
}

func TestValidateMLP(t *testing.T) {
	if j := mlpJob(t, 5, 4); j.Dim != 5*3+4*6+3*5 {
		t.Errorf("Dim %d, want 54 (2-5-4-3)", j.Dim)
	}
	for _, c := range []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"no hidden", func(j *Job) { j.Hidden = nil }, "at least one hidden layer"},
		{"width 0", func(j *Job) { j.Hidden = []int{3, 0} }, "layer 2 has width 0"},
		{"activation", func(j *Job) { j.Activation = "swish" }, `Activation "swish" is unknown`},
		{"slope on relu", func(j *Job) { j.LeakySlope = 0.1 }, "applies to Job.Activation leaky-relu"},
		{"slope NaN", func(j *Job) { j.Activation, j.LeakySlope = "leaky-relu", math.NaN() }, "LeakySlope NaN must be finite"},
		{"init", func(j *Job) { j.InitScheme = "orthogonal" }, `InitScheme "orthogonal" is unknown`},
		{"no bias", func(j *Job) { j.NoIntercept, j.Dim = true, 2*3*5+5*3 }, "every layer of mlp has its biases"},
		{"dim", func(j *Job) { j.Dim = 7 }, "Job.Dim 7 does not match"},
	} {
		j := mlpJob(t, 3, 5)
		c.edit(&j)
		err := j.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalidJob) {
			t.Errorf("%s: %v, want an ErrInvalidJob naming %q", c.name, err, c.want)
		}
	}
	// The network fields on a linear model are refused.
	j := modelJob(t)
	j.Activation = "tanh"
	if err := j.Validate(); err == nil || !strings.Contains(err.Error(), "apply to the networks (mlp)") {
		t.Errorf("activation on logistic: %v", err)
	}
	// Real targets (a linear model's data) select the regression head,
	// of one output; a binary model's data (one output for 2 classes)
	// fits neither head.
	lin, err := NewData("linear", []float32{1, 2, 3, 4}, []float32{0.5, 1.5}, 2, 2, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	j = mlpJob(t, 3)
	j.Data = lin
	if j.Dim, err = ModelParams(&j); err != nil || j.Dim != 3*3+4 {
		t.Fatalf("mlp on real targets: %d parameters, %v; want 13 (2-3-1)", j.Dim, err)
	}
	if err := j.Validate(); err != nil {
		t.Errorf("mlp on real targets: %v", err)
	}
	if m := JobModel(&j); m.Classifier || m.Labels != "real" || m.Predict != nil {
		t.Errorf("mlp on real targets: descriptor %+v", m)
	}
	bin, err := NewData("logistic", []float32{1, 2, 3, 4}, []float32{0, 1}, 2, 2, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	j = mlpJob(t, 3)
	j.Data = bin
	j.Dim, _ = ModelParams(&j)
	if err := j.Validate(); err == nil || !strings.Contains(err.Error(), "mlp needs data of real targets or of at least 2 classes") {
		t.Errorf("mlp on a binary model's data: %v", err)
	}
	j = mlpJob(t, 3)
	j.Activation, j.LeakySlope = "leaky-relu", -0.5
	if err := j.Validate(); err != nil {
		t.Error(err)
	}
}

// TestMLPInit: each scheme draws within its bound and reaches near it
// (torch's nn.Linear default U(±1/sqrt(fan_in)) for weights and biases;
// xavier U(±sqrt(6/(in+out))) and kaiming U(±sqrt(6/in)) weights, zero
// biases; every part with 300 or more values comes within 10%), the draw follows the seed, and a linear model still starts at
// zero.
func TestMLPInit(t *testing.T) {
	const in, h, k = 2, 300, 3
	for _, c := range []struct {
		scheme string
		w1, b1 float64 // the first layer's bounds (fan_in 2, fan_out 300)
		w2, b2 float64 // the output layer's (fan_in 300, fan_out 3)
	}{
		{"", 1 / math.Sqrt(in), 1 / math.Sqrt(in), 1 / math.Sqrt(h), 1 / math.Sqrt(h)},
		{"xavier", math.Sqrt(6.0 / (in + h)), 0, math.Sqrt(6.0 / (h + k)), 0},
		{"kaiming", math.Sqrt(6.0 / in), 0, math.Sqrt(6.0 / h), 0},
	} {
		j := mlpJob(t, h)
		j.InitScheme, j.Seed = c.scheme, 9
		x := j.StartPoint()
		parts := []struct {
			v     []float64
			bound float64
		}{{x[:h*in], c.w1}, {x[h*in : h*(in+1)], c.b1}, {x[h*(in+1) : h*(in+1)+k*h], c.w2}, {x[h*(in+1)+k*h:], c.b2}}
		for i, p := range parts {
			most := 0.0
			for _, v := range p.v {
				most = math.Max(most, math.Abs(v))
			}
			// 300 or more uniform draws all stay below 90% of the bound
			// with probability 0.9^300 ≈ 2e-14; 3 biases may well
			if most > p.bound || len(p.v) >= 300 && most < 0.9*p.bound {
				t.Errorf("%q part %d: largest |value| %v, bound %v", c.scheme, i, most, p.bound)
			}
		}
		j.Seed = 10
		if y := j.StartPoint(); y[0] == x[0] && y[1] == x[1] {
			t.Errorf("%q: seeds 9 and 10 draw the same start", c.scheme)
		}
	}
	lj := modelJob(t)
	lj.Seed = 9
	for _, v := range lj.StartPoint() {
		if v != 0 {
			t.Fatal("a linear model no longer starts at zero")
		}
	}
}

// TestRealTargetsDescriptors: a model's RealTargets is a regression of
// the same name and network (real labels, one output, a loss kernel, no
// prediction of classes) with no RealTargets of its own; ForData picks it
// for data of real targets only.
func TestRealTargetsDescriptors(t *testing.T) {
	n := 0
	for _, m := range Models() {
		if m.RealTargets == nil {
			continue
		}
		n++
		r := m.RealTargets()
		if r.Name != m.Name || r.Labels != "real" || r.Classifier || r.PerClass() || r.Predict != nil || r.Probabilities != nil ||
			r.CPU == nil || r.CPU(&Job{}) == nil || (r.Net == nil) != (m.Net == nil) || r.RealTargets != nil {
			t.Errorf("%s: RealTargets %+v", m.Name, r)
		}
		lin, _ := NewData("linear", []float32{1, 2}, []float32{0.5}, 1, 2, nil, nil, 0, 0)
		cls, _ := NewData(m.Name, []float32{1, 2, 3, 4}, []float32{0, 1}, 2, 2, nil, nil, 0, 0)
		if m.ForData(lin).Labels != "real" || m.ForData(cls).Labels != m.Labels || m.ForData(nil).Labels != m.Labels {
			t.Errorf("%s: ForData picks the wrong descriptor", m.Name)
		}
	}
	if n != 1 {
		t.Errorf("%d models fit real targets too, want 1 (mlp)", n)
	}
}
