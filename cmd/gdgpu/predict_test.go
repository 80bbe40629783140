package main

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
)

// TestPredictIris: softmax trained on Iris by species name predicts the
// training rows with the training accuracy the card records, writing the
// class names and their probabilities; the same rows as a .npy matrix give
// the same classes; and bad input is refused naming what is wrong.
func TestPredictIris(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	iris := "../../data/testdata/iris_names.csv"
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "softmax", "--data", iris, "--target", "species",
		"--standardize", "--epochs", "200", "--lr", "0.05", "--out", p("iris.npy")); code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	var card gdgpu.ModelCard
	b, err := os.ReadFile(p("iris.npy.json"))
	if err != nil || json.Unmarshal(b, &card) != nil || card.Accuracy == nil {
		t.Fatalf("card: %v\n%s", err, b)
	}
	if strings.Join(card.ClassNames, ",") != "setosa,versicolor,virginica" {
		t.Errorf("class names %v", card.ClassNames)
	}
	code, stdout, stderr := gdgpuRun(t, "predict", "--model", p("iris.npy"), "--data", iris, "--out", p("pred.csv"))
	if code != 0 {
		t.Fatalf("predict: exit %d\n%s%s", code, stdout, stderr)
	}
	want := int(*card.Accuracy*150 + 0.5)
	if !strings.Contains(stdout, "wrote ") || !strings.Contains(stdout, "("+strconv.Itoa(want)+" of 150 rows") {
		t.Errorf("predict: want %d of 150 right (the card's training accuracy %v)\n%s", want, *card.Accuracy, stdout)
	}
	out, err := os.ReadFile(p("pred.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 151 || lines[0] != "class,p_setosa,p_versicolor,p_virginica" || !strings.HasPrefix(lines[1], "setosa,") {
		t.Errorf("predictions: %d lines, header %q, first %q", len(lines), lines[0], lines[1])
	}

	// The same rows as a float32 .npy matrix, features in the card's order.
	ds, err := data.ReadCSV(iris, data.CSVOptions{Target: "species", Labels: data.Multiclass})
	if err != nil {
		t.Fatal(err)
	}
	writeNpyMatrix(t, p("iris.npy.x.npy"), ds.X, ds.Rows, ds.Cols)
	code, stdout, stderr = gdgpuRun(t, "predict", "--model", p("iris.npy"), "--data", p("iris.npy.x.npy"))
	if code != 0 {
		t.Fatalf("predict .npy: exit %d\n%s", code, stderr)
	}
	for i, l := range strings.Split(strings.TrimSpace(stdout), "\n")[1:] {
		if strings.Split(l, ",")[0] != strings.Split(lines[i+1], ",")[0] {
			t.Fatalf("row %d: .npy predicts %q, CSV %q", i, l, lines[i+1])
		}
	}

	// Refusals.
	noFeat := p("nofeat.csv")
	os.WriteFile(noFeat, []byte("sepal_length,sepal_width,petal_length\n1,2,3\n"), 0o644)
	os.WriteFile(p("bare.npy"), mustRead(t, p("iris.npy")), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", p("iris.npy"), "--data", noFeat}, `"petal_width"`},
		{[]string{"--model", p("bare.npy"), "--data", iris}, "no model card"},
		{[]string{"--model", p("iris.npy"), "--data", iris, "--out", iris}, "never replaces an input"},
		{[]string{"--model", p("iris.npy"), "--data", p("pred.csv")}, "no feature column"},
		{[]string{"--data", iris}, "--model is required"},
	} {
		code, _, stderr := gdgpuRun(t, append([]string{"predict"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d and %q\n%s", c.args, code, exitUsage, c.want, stderr)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeNpyMatrix writes x (rows x cols, float32) as a 2-D '<f4' .npy.
func writeNpyMatrix(t *testing.T, path string, x []float32, rows, cols int) {
	t.Helper()
	var payload []byte
	for _, v := range x {
		payload = binary.LittleEndian.AppendUint32(payload, math.Float32bits(v))
	}
	writeRaw(t, path, "{'descr': '<f4', 'fortran_order': False, 'shape': ("+strconv.Itoa(rows)+", "+strconv.Itoa(cols)+"), }", payload)
}

// TestPredictRegressionAndBinary: a linear model's predictions come with
// the mean squared error against the target column; a logistic model on
// yes/no labels writes the names and p_no, p_yes; the perceptron writes
// its score.
func TestPredictRegressionAndBinary(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	var b strings.Builder
	b.WriteString("a,b,y,buy\n")
	for i := 0; i < 60; i++ {
		a, c := float64(i%7)-3, float64(i%5)-2
		buy := "no"
		if a+c > 0 {
			buy = "yes"
		}
		b.WriteString(strconv.FormatFloat(a, 'g', -1, 64) + "," + strconv.FormatFloat(c, 'g', -1, 64) + "," +
			strconv.FormatFloat(2*a-c+1, 'g', -1, 64) + "," + buy + "\n")
	}
	csv := p("d.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	train := func(args ...string) {
		t.Helper()
		if code, stdout, stderr := gdgpuRun(t, append([]string{"run", "--device", "cpu", "--data", csv}, args...)...); code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, code, stdout, stderr)
		}
	}
	train("--problem", "linear", "--target", "y", "--features", "a,b", "--epochs", "600", "--lr", "0.05", "--out", p("lin.npy"))
	code, stdout, stderr := gdgpuRun(t, "predict", "--model", p("lin.npy"), "--data", csv)
	if code != 0 || !strings.HasPrefix(stdout, "prediction\n") || !strings.Contains(stderr, "mean squared error ") {
		t.Fatalf("linear: exit %d\n%s%s", code, stdout, stderr)
	}
	if first, err := strconv.ParseFloat(strings.Split(stdout, "\n")[1], 64); err != nil || math.Abs(first+3) > 0.05 {
		t.Errorf("linear: first prediction %v (%v), want about 2*(-3) - (-2) + 1 = -3", first, err)
	}
	train("--problem", "logistic", "--target", "buy", "--features", "a,b", "--epochs", "200", "--lr", "0.1", "--out", p("log.npy"))
	code, stdout, stderr = gdgpuRun(t, "predict", "--model", p("log.npy"), "--data", csv)
	if code != 0 || !strings.HasPrefix(stdout, "class,p_no,p_yes\n") || !strings.Contains(stderr, "accuracy ") {
		t.Errorf("logistic: exit %d\n%s%s", code, stdout, stderr)
	}
	// Rows to predict may hold one of the two names only, and an unknown
	// name is refused at its row.
	yesOnly, maybe := p("yes.csv"), p("maybe.csv")
	os.WriteFile(yesOnly, []byte("a,b,buy\n1,1,yes\n2,1,yes\n"), 0o644)
	os.WriteFile(maybe, []byte("a,b,buy\n1,1,yes\n2,1,maybe\n"), 0o644)
	if code, _, stderr := gdgpuRun(t, "predict", "--model", p("log.npy"), "--data", yesOnly); code != 0 || !strings.Contains(stderr, "accuracy ") {
		t.Errorf("yes-only rows: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := gdgpuRun(t, "predict", "--model", p("log.npy"), "--data", maybe); code != exitUsage || !strings.Contains(stderr, `row 2's buy "maybe" is not one of the model's classes (no, yes)`) {
		t.Errorf("an unknown name: exit %d\n%s", code, stderr)
	}
	train("--problem", "perceptron", "--target", "buy", "--features", "a,b", "--epochs", "20", "--out", p("per.npy"))
	code, stdout, _ = gdgpuRun(t, "predict", "--model", p("per.npy"), "--data", csv)
	if code != 0 || !strings.HasPrefix(stdout, "class,score\n") {
		t.Errorf("perceptron: exit %d\n%s", code, stdout)
	}
}

// TestPredictQuasiNewton: softmax on Iris trained by torch's L-BFGS and by
// gonum's methods (full batch) writes a model card whose training accuracy
// predict reproduces, with held-out figures in the summary, as the
// gradient-descent optimizers' runs do.
func TestPredictQuasiNewton(t *testing.T) {
	dir := t.TempDir()
	iris := "../../data/testdata/iris_names.csv"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"lbfgs", []string{"--optimizer", "lbfgs", "--history-size", "10"}},
		{"lbfgs-wolfe", []string{"--optimizer", "lbfgs", "--strong-wolfe"}},
		{"gonum-bfgs", []string{"--optimizer", "gonum-bfgs"}},
		{"gonum-cg", []string{"--optimizer", "gonum-cg"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, tc.name+".npy")
			args := append([]string{"run", "--device", "cpu", "--problem", "softmax", "--data", iris, "--target", "species",
				"--standardize", "--l2", "0.01", "--val-fraction", "0.2", "--steps", "30", "--out", out}, tc.args...)
			code, stdout, stderr := gdgpuRun(t, args...)
			if code != 0 || !strings.Contains(stdout, "val accuracy:") {
				t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
			}
			var card gdgpu.ModelCard
			b, err := os.ReadFile(out + ".json")
			if err != nil || json.Unmarshal(b, &card) != nil || card.Accuracy == nil {
				t.Fatalf("card: %v\n%s", err, b)
			}
			if *card.Accuracy < 0.9 {
				t.Errorf("training accuracy %v < 0.9", *card.Accuracy)
			}
			code, stdout, stderr = gdgpuRun(t, "predict", "--model", out, "--data", iris)
			if code != 0 {
				t.Fatalf("predict: exit %d\n%s%s", code, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if len(lines) != 151 || !strings.HasPrefix(lines[0], "class,p_setosa") {
				t.Errorf("predictions: %d lines, header %q", len(lines), lines[0])
			}
		})
	}
}
