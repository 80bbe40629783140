package gdgpu

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/data"
)

// TestFieldError: the fields come from the format's braces only (an
// argument's braces are text), Error writes Go names, Format a front
// end's, and a % in a name is written as is.
func TestFieldError(t *testing.T) {
	e := FieldErrorf("{DataSpec.Samples} %d x {DataSpec.NumFeatures} %d: %s, {DataSpec.Samples} again", 5, 3, "{0,1} or {-1,1}")
	if want := []string{"DataSpec.Samples", "DataSpec.NumFeatures"}; !slices.Equal(e.Fields, want) {
		t.Errorf("Fields = %q, want %q", e.Fields, want)
	}
	if got, want := e.Error(), "gdgpu: DataSpec.Samples 5 x DataSpec.NumFeatures 3: {0,1} or {-1,1}, DataSpec.Samples again"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	flag := func(f string) string { return "--" + strings.ToLower(f[strings.IndexByte(f, '.')+1:]) + "%d" }
	if got, want := e.Format(flag), "--samples%d 5 x --numfeatures%d 3: {0,1} or {-1,1}, --samples%d again"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

// TestLoadDataRefusals: each refusal is a *FieldError naming the fields
// at fault, and its message says why.
func TestLoadDataRefusals(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csv, []byte("a,b,y\n1,2,0\n3,4,2\n5,6,0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		model  string
		sp     DataSpec
		fields []string
		text   string
	}{
		{"no data", "linear", DataSpec{}, []string{"Job.Problem", "DataSpec.File", "DataSpec.Target", "DataSpec.Synthetic"}, "trains on data"},
		{"both", "linear", DataSpec{File: csv, Synthetic: "regression"}, []string{"DataSpec.File", "DataSpec.Synthetic"}, "both choose the data"},
		{"not a model", "rosenbrock", DataSpec{Synthetic: "regression"}, []string{"Job.Problem"}, "is not a model"},
		{"regression for a classifier", "logistic", DataSpec{Synthetic: "regression", Samples: 10}, []string{"DataSpec.Synthetic", "Job.Problem"}, "makes real targets"},
		{"classes for regression", "linear", DataSpec{Synthetic: "regression", Samples: 10, Classes: 3}, []string{"DataSpec.Classes", "DataSpec.Synthetic"}, "applies to"},
		{"three classes, binary", "hinge", DataSpec{Synthetic: "classification", Samples: 10, Classes: 3}, []string{"DataSpec.Classes", "Job.Problem"}, "use Job.Problem softmax"},
		{"unknown generator", "linear", DataSpec{Synthetic: "spiral", Samples: 10}, []string{"DataSpec.Synthetic"}, "unknown"},
		{"no samples", "linear", DataSpec{Synthetic: "regression"}, []string{"DataSpec.Samples"}, "must be >= 1"},
		{"NaN noise", "linear", DataSpec{Synthetic: "regression", Samples: 10, Noise: math.NaN()}, []string{"DataSpec.Noise"}, "finite"},
		{"too many values", "linear", DataSpec{Synthetic: "regression", Samples: 1 << 30, NumFeatures: 1 << 10}, []string{"DataSpec.Samples", "DataSpec.NumFeatures", "DataSpec.Synthetic"}, "exceeds"},
		{"no target", "softmax", DataSpec{File: csv}, []string{"DataSpec.File", "DataSpec.Target"}, "needs DataSpec.Target COLUMN"},
		{"missing file", "softmax", DataSpec{File: filepath.Join(dir, "none.csv"), Target: "y"}, []string{"DataSpec.File"}, "no such file"},
		{"val fraction", "softmax", DataSpec{File: csv, Target: "y", ValFraction: 1}, []string{"DataSpec.ValFraction"}, "must be in [0, 1)"},
		{"labels 0 and 2", "softmax", DataSpec{File: csv, Target: "y"}, []string{"DataSpec.File"}, "softmax needs the labels 0..K-1, each present; the target holds [0 2]"},
		{"npy with features", "linear", DataSpec{File: "x.npy", Target: "y.npy", Features: []string{"a"}}, []string{"DataSpec.Features", "DataSpec.File"}, "names CSV columns"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadData(c.model, c.sp, 1)
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if !slices.Equal(fe.Fields, c.fields) || !strings.Contains(err.Error(), c.text) {
				t.Errorf("fields %q, %q; want fields %q and %q", fe.Fields, err, c.fields, c.text)
			}
		})
	}
}

// TestNameFields: only Type.Name marks are fields; other braces (a
// formula's x_{i+1}, the label set {0,1}) stay text.
func TestNameFields(t *testing.T) {
	got := NameFields("x_{i+1}, {Job.Dim} and {Optimizer.weight-decay} of {0,1} {N}", func(f string) string { return "<" + f + ">" })
	if want := "x_{i+1}, <Job.Dim> and <Optimizer.weight-decay> of {0,1} {N}"; got != want {
		t.Errorf("NameFields = %q, want %q", got, want)
	}
	if e := FieldErrorf("sum_{i<N} of {Job.Cond} %d", 3); !slices.Equal(e.Fields, []string{"Job.Cond"}) || e.Error() != "gdgpu: sum_{i<N} of Job.Cond 3" {
		t.Errorf("FieldErrorf: fields %q, %q", e.Fields, e)
	}
}

// TestLoadDataTask: a model that fits classes or real targets (the mlp)
// takes its task from the data when the spec gives none (issue 16): real
// values are a regression, names and labels 0..K-1 classes, synthetic
// data its kind; a task given is kept, and a model that fits one kind
// reports none.
func TestLoadDataTask(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	real := write("real.csv", "a,b,y\n1,2,0.5\n3,4,2\n5,6,1\n")
	big := write("big.csv", "a,b,y\n1,2,70000\n3,4,2\n5,6,1\n")
	neg := write("neg.csv", "a,b,y\n1,2,-1\n3,4,0\n5,6,1\n")
	labels := write("labels.csv", "a,b,y\n1,2,0\n3,4,2\n5,6,1\n")
	rounds := write("rounds.csv", "a,b,y\n1,2,1\n3,4,2\n5,6,3000.0001\n")
	names := write("names.csv", "a,b,y\n1,2,yes\n3,4,no\n5,6,yes\n")
	x, y := "data/testdata/matrix_f8.npy", filepath.Join(dir, "y.npy") // x: 2 rows
	if err := data.WriteVector(y, []float64{0.25, 1}, "f8"); err != nil {
		t.Fatal(err)
	}
	yr := filepath.Join(dir, "yr.npy")
	if err := data.WriteVector(yr, []float64{0, 1.00000001}, "f8"); err != nil {
		t.Fatal(err)
	}
	file := func(f string) DataSpec { return DataSpec{File: f, Target: "y"} }
	for _, c := range []struct {
		name     string
		model    string
		spec     DataSpec
		task     string
		inferred bool
		classes  int
	}{
		{"real values", "mlp", file(real), "regression", true, 0},
		{"a real value float32 rounds to a whole number", "mlp", file(rounds), "regression", true, 0},
		{"a label past the largest", "mlp", file(big), "regression", true, 0},
		{"a negative value", "mlp", file(neg), "regression", true, 0},
		{"labels 0..K-1", "mlp", file(labels), "classification", true, 3},
		{"names", "mlp", file(names), "classification", true, 2},
		{"a .npy of real targets", "mlp", DataSpec{File: x, Target: y}, "regression", true, 0},
		{"a .npy value float32 rounds to a label", "mlp", DataSpec{File: x, Target: yr}, "regression", true, 0},
		{"synthetic regression", "mlp", DataSpec{Synthetic: "regression", Samples: 10}, "regression", true, 0},
		{"synthetic classes", "mlp", DataSpec{Synthetic: "classification", Samples: 10}, "classification", true, 3},
		{"regression given", "mlp", DataSpec{File: labels, Target: "y", Task: "regression"}, "regression", false, 0},
		{"classification given", "mlp", DataSpec{File: labels, Target: "y", Task: "classification"}, "classification", false, 3},
		{"linear", "linear", file(real), "", false, 0},
		{"softmax", "softmax", file(labels), "", false, 3},
	} {
		ld, err := LoadData(c.model, c.spec, 1)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if ld.Task != c.task || ld.TaskInferred != c.inferred || ld.Data.Classes != c.classes {
			t.Errorf("%s: task %q inferred %v with %d classes, want %q %v %d", c.name, ld.Task, ld.TaskInferred, ld.Data.Classes, c.task, c.inferred, c.classes)
		}
	}
	// The reason names the value that decided.
	if ld, err := LoadData("mlp", file(real), 1); err != nil || ld.TaskReason != "the target's value 0 is 0.5, not a class label" {
		t.Errorf("reason %q (%v)", ld.TaskReason, err)
	}
	// Given, classification is what it says, whatever the values.
	if _, err := LoadData("mlp", DataSpec{File: real, Target: "y", Task: "classification"}, 1); err == nil || !strings.Contains(err.Error(), "class label") {
		t.Errorf("classification given on real values: %v, want the label refused", err)
	}
}
