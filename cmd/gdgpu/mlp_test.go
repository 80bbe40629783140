package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

const digits = "../../data/testdata/digits.csv"

// TestMLPDigits trains an mlp on sklearn's 8x8 digits (data/testdata) on
// the CPU and holds out a fifth: at least 0.95 of the held-out images are
// read right (0.99 measured), the card describes the network, and
// predict, on every row, is right on as many as the card's training and
// held-out accuracies count.
func TestMLPDigits(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "mlp", "--data", digits, "--target", "digit",
		"--standardize", "--val-fraction", "0.2", "--hidden", "64", "--batch-size", "32", "--epochs", "20", "--lr", "0.003",
		"--seed", "1", "--log-every", "450", "--out", p("digits.npy"))
	if code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "mlp N=4810 layers=64-64-10 activation=relu init=torch task=classification (inferred: the target holds 10 integer labels) on 1438 x 64 (10 classes) + 359 held out") {
		t.Errorf("run header:\n%s", stdout)
	}
	var card gdgpu.ModelCard
	b, err := os.ReadFile(p("digits.npy.json"))
	if err != nil || json.Unmarshal(b, &card) != nil || card.Accuracy == nil || card.ValAccuracy == nil {
		t.Fatalf("card: %v\n%s", err, b)
	}
	if *card.ValAccuracy < 0.95 {
		t.Errorf("held-out accuracy %v, want at least 0.95", *card.ValAccuracy)
	}
	if card.Model != "mlp" || card.Outputs != 10 || len(card.Hidden) != 1 || card.Hidden[0] != 64 || card.Activation != "relu" ||
		!strings.Contains(card.Layout, "W1 64 x 64, b1 64; W2 10 x 64, b2 10") || len(card.Mean) != 64 {
		t.Errorf("card %+v", card)
	}
	code, stdout, stderr = gdgpuRun(t, "predict", "--model", p("digits.npy"), "--data", digits, "--out", p("pred.csv"))
	if code != 0 {
		t.Fatalf("predict: exit %d\n%s%s", code, stdout, stderr)
	}
	want := int(*card.Accuracy*1438+0.5) + int(*card.ValAccuracy*359+0.5)
	if !strings.Contains(stdout, "("+strconv.Itoa(want)+" of 1797 rows") {
		t.Errorf("predict: want %d of 1797 right (the card's accuracies %v and %v)\n%s", want, *card.Accuracy, *card.ValAccuracy, stdout)
	}
	out, err := os.ReadFile(p("pred.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(string(out), "\n"); len(lines) != 1799 || lines[0] != "class,p_0,p_1,p_2,p_3,p_4,p_5,p_6,p_7,p_8,p_9" {
		t.Errorf("predictions: %d lines, header %q", len(lines), lines[0])
	}
	// A card whose network does not match the parameters is refused.
	card.Hidden = []int{32}
	b, _ = json.Marshal(card)
	if err := os.WriteFile(p("digits.npy.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = gdgpuRun(t, "predict", "--model", p("digits.npy"), "--data", digits)
	if code != exitUsage || !strings.Contains(stderr, "holds 4810 values, but its card describes a network of 2410 (layers=64-32-10") {
		t.Errorf("predict with another network's card: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestResumeExactMLP: an mlp run (minibatches, L2, momentum, a
// checkpoint mid-epoch) resumed in a fresh process ends on the same bits
// as the run straight through; a checkpoint refuses another network.
func TestResumeExactMLP(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	base := []string{"run", "--device", "cpu", "--problem", "mlp", "--data", digits, "--target", "digit", "--standardize",
		"--val-fraction", "0.2", "--hidden", "16,8", "--activation", "tanh", "--l2", "0.001", "--batch-size", "100",
		"--seed", "4", "--log-every", "10", "--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9"}
	mustRun(t, append(base, "--steps", "40", "--out", p("full.npy"))...)
	mustRun(t, append(base, "--steps", "20", "--checkpoint", p("half.ckpt"))...)
	c := readCk(t, p("half.ckpt"))
	if c.Driver.Step != 20 || c.Driver.Epoch != 1 || c.Driver.Batch != 5 {
		t.Fatalf("half checkpoint at step %d, epoch %d, batch %d; want 20, 1, 5 (15 batches of 100 or fewer per epoch of 1438 rows)", c.Driver.Step, c.Driver.Epoch, c.Driver.Batch)
	}
	mustRun(t, "run", "--device", "cpu", "--resume", p("half.ckpt"), "--steps", "40", "--out", p("resumed.npy"))
	if !bytes.Equal(readFile(t, p("full.npy")), readFile(t, p("resumed.npy"))) {
		t.Fatal("--out of the resumed run differs from the uninterrupted run's")
	}
	code, out := fresh(t, "run", "--device", "cpu", "--resume", p("half.ckpt"), "--steps", "40", "--activation", "relu")
	if code != exitUsage || !strings.Contains(out, "activation tanh in the checkpoint, relu in the job") {
		t.Fatalf("resuming with another activation: exit %d\n%s", code, out)
	}
}

// TestMLPRefused: the mlp's flags are checked before any work, and the
// network flags do not apply to the linear models.
func TestMLPRefused(t *testing.T) {
	data := []string{"--problem", "mlp", "--data", digits, "--target", "digit", "--steps", "1"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{append([]string{"run", "--device", "cpu"}, data...), "--problem mlp needs --hidden"},
		{append([]string{"run", "--device", "cpu", "--hidden", "8,0"}, data...), `--hidden 8,0: each width must be >= 1`},
		{append([]string{"run", "--device", "cpu", "--hidden", "8", "--activation", "swish"}, data...), `--activation "swish" is unknown`},
		{append([]string{"run", "--device", "cpu", "--hidden", "8", "--leaky-slope", "0.2"}, data...), "--leaky-slope applies to --activation leaky-relu"},
		{append([]string{"run", "--device", "cpu", "--hidden", "8", "--init-scheme", "orthogonal"}, data...), `--init-scheme "orthogonal" is unknown`},
		{append([]string{"run", "--device", "cpu", "--hidden", "8", "--intercept=false"}, data...), "every layer of mlp has its biases"},
		{[]string{"run", "--device", "cpu", "--problem", "softmax", "--data", digits, "--target", "digit", "--hidden", "8"}, "--hidden applies to --problem mlp"},
		{[]string{"run", "--problem", "rosenbrock", "--activation", "tanh"}, "--activation applies to the models on data"},
	} {
		code, stdout, stderr := gdgpuRun(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d naming %q\n%s%s", c.args, code, exitUsage, c.want, stdout, stderr)
		}
	}
}

// TestMLPDigitsGPU: the digits test of TestMLPDigits on the GPU (the
// default device, float32), in half the epochs to keep llvmpipe's run to
// about 1.5 s: at least 0.95 held out (0.99 measured).
func TestMLPDigitsGPU(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "digits.npy")
	code, stdout, stderr := gdgpuRun(t, "run", "--problem", "mlp", "--data", digits, "--target", "digit",
		"--standardize", "--val-fraction", "0.2", "--hidden", "64", "--batch-size", "32", "--epochs", "10", "--lr", "0.003",
		"--seed", "1", "--log-every", "450", "--out", out)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "450 steps on gpu/f32") {
		t.Errorf("run header:\n%s", stdout)
	}
	var card gdgpu.ModelCard
	b, err := os.ReadFile(out + ".json")
	if err != nil || json.Unmarshal(b, &card) != nil || card.ValAccuracy == nil {
		t.Fatalf("card: %v\n%s", err, b)
	}
	if *card.ValAccuracy < 0.95 {
		t.Errorf("held-out accuracy %v on the GPU, want at least 0.95", *card.ValAccuracy)
	}
}

// TestMLPCompareGPU: compare runs the mlp on the GPU against the CPU
// reference, within gdgpu.ModelTolerance (the GPU's SumDepth), in both
// precisions: mini-batches of a two-layer tanh network on the digits.
func TestMLPCompareGPU(t *testing.T) {
	for _, prec := range []string{"f32", "f64"} {
		code, stdout, stderr := gdgpuRun(t, "compare", "--precision", prec, "--problem", "mlp", "--data", digits, "--target", "digit",
			"--standardize", "--hidden", "16,8", "--activation", "tanh", "--steps", "20", "--batch-size", "64", "--seed", "2")
		if code != 0 || !strings.Contains(stdout, "gpu/"+prec) || !strings.Contains(stdout, "within tolerance") {
			t.Errorf("%s: exit %d\n%s%s", prec, code, stdout, stderr)
		}
	}
}

// TestMLPCompareCPU: compare --device cpu runs the mlp against itself,
// bit for bit.
func TestMLPCompareCPU(t *testing.T) {
	code, stdout, stderr := gdgpuRun(t, "compare", "--device", "cpu", "--problem", "mlp", "--data", digits, "--target", "digit",
		"--hidden", "16", "--steps", "20", "--batch-size", "64", "--seed", "2")
	if code != 0 || !strings.Contains(stdout, "max abs 0, max rel 0") || !strings.Contains(stdout, "within tolerance") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestMLPRegression: --mlp-task regression trains an mlp on real targets
// (Iris's petal width from the other measurements) with the mean squared
// error: the header states the task, the card has one output and no
// classes, predict's mean squared error over the training rows is the
// card's final loss, and a checkpoint resumes it on the same data.
func TestMLPRegression(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	iris := "../../data/testdata/iris.csv"
	base := []string{"run", "--device", "cpu", "--problem", "mlp", "--mlp-task", "regression", "--data", iris, "--target", "petal_width",
		"--features", "sepal_length,sepal_width,petal_length", "--standardize", "--hidden", "8", "--activation", "gelu",
		"--batch-size", "30", "--lr", "0.01", "--seed", "2", "--log-every", "50"}
	code, stdout, stderr := gdgpuRun(t, append(base, "--epochs", "60", "--out", p("pw.npy"))...)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "mlp N=41 layers=3-8-1 activation=gelu init=torch task=regression on 150 x 3,") || strings.Contains(stdout, " acc ") {
		t.Errorf("run header and lines:\n%s", stdout)
	}
	var card gdgpu.ModelCard
	b, err := os.ReadFile(p("pw.npy.json"))
	if err != nil || json.Unmarshal(b, &card) != nil || card.FinalLoss == nil {
		t.Fatalf("card: %v\n%s", err, b)
	}
	if card.Outputs != 1 || len(card.Classes) != 0 || card.Accuracy != nil || *card.FinalLoss > 0.05 {
		t.Errorf("card %+v, final loss %v (want below 0.05: petal width's variance is 0.58)", card, *card.FinalLoss)
	}
	code, stdout, stderr = gdgpuRun(t, "predict", "--model", p("pw.npy"), "--data", iris, "--out", p("pred.csv"))
	want := "mean squared error " + strconv.FormatFloat(*card.FinalLoss, 'g', 6, 64) + " over 150 rows"
	if code != 0 || !strings.Contains(stdout, want) {
		t.Errorf("predict: exit %d, want %q\n%s%s", code, want, stdout, stderr)
	}
	if out := readFile(t, p("pred.csv")); !strings.HasPrefix(string(out), "prediction\n") {
		t.Errorf("predictions begin %q", out[:min(len(out), 40)])
	}
	mustRun(t, append(base, "--steps", "100", "--out", p("full.npy"))...)
	mustRun(t, append(base, "--steps", "37", "--checkpoint", p("half.ckpt"))...)
	mustRun(t, "run", "--device", "cpu", "--resume", p("half.ckpt"), "--steps", "100", "--out", p("resumed.npy"))
	if !bytes.Equal(readFile(t, p("full.npy")), readFile(t, p("resumed.npy"))) {
		t.Fatal("--out of the resumed regression differs from the uninterrupted run's")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--problem", "softmax", "--data", iris, "--target", "species", "--mlp-task", "regression"}, "--mlp-task applies to a model that fits classes or real targets (mlp), not to softmax"},
		{[]string{"--problem", "softmax", "--data", iris, "--target", "species", "--mlp-task", "classification"}, "--mlp-task applies to --problem mlp"},
		{[]string{"--problem", "mlp", "--hidden", "4", "--data", iris, "--target", "species", "--mlp-task", "ordinal"}, `--mlp-task "ordinal" is unknown`},
		{[]string{"--problem", "mlp", "--hidden", "4", "--synthetic", "regression", "--mlp-task", "classification"}, "needs --synthetic classification (or --mlp-task regression)"},
		{[]string{"--problem", "mlp", "--hidden", "4", "--data", iris, "--target", "petal_width", "--mlp-task", "classification"}, "petal_width"},
	} {
		code, stdout, stderr := gdgpuRun(t, append([]string{"run", "--device", "cpu", "--steps", "1"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, want %d naming %q\n%s%s", c.args, code, exitUsage, c.want, stdout, stderr)
		}
	}
}

// TestMLPTaskInferred: without --mlp-task the mlp's task follows the
// target (issue 16): real values train the regression, stated in the
// header, with the same --out bytes as --mlp-task regression, and the
// inferred task is what the checkpoint and job.toml record, so a resume
// is exact; names or labels 0..K-1 train the classifier, with the bytes
// of --mlp-task classification; integer labels with a gap are refused
// with the hint to say regression.
func TestMLPTaskInferred(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	iris := "../../data/testdata/iris.csv"
	gaps := p("gaps.csv")
	if err := os.WriteFile(gaps, []byte("a,b,y\n1,2,1\n3,4,2\n5,6,5\n7,1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"run", "--device", "cpu", "--problem", "mlp", "--data", iris, "--features", "sepal_length,sepal_width,petal_length",
		"--standardize", "--hidden", "8", "--batch-size", "30", "--lr", "0.01", "--seed", "2", "--steps", "40"}
	for _, c := range []struct {
		target, task, header string
	}{
		{"petal_width", "regression", " task=regression (inferred: the target's value 0 is 0.2, not a class label) on 150 x 3,"},
		{"species", "classification", " task=classification (inferred: the target holds 3 integer labels) on 150 x 3 (3 classes),"},
	} {
		code, stdout, stderr := gdgpuRun(t, append(cloneArgs(base), "--target", c.target, "--out", p(c.target+"-inferred.npy"), "--run-dir", p(c.target+"-dir"))...)
		if code != 0 || !strings.Contains(stdout, c.header) {
			t.Errorf("%s: exit %d, want the header to hold %q\n%s%s", c.target, code, c.header, stdout, stderr)
		}
		mustRun(t, append(cloneArgs(base), "--target", c.target, "--mlp-task", c.task, "--out", p(c.target+"-given.npy"))...)
		if !bytes.Equal(readFile(t, p(c.target+"-inferred.npy")), readFile(t, p(c.target+"-given.npy"))) {
			t.Errorf("%s: --out of the inferred task differs from --mlp-task %s's", c.target, c.task)
		}
		if job := string(readFile(t, filepath.Join(p(c.target+"-dir"), "job.toml"))); !strings.Contains(job, "mlp-task = '"+c.task+"'") {
			t.Errorf("%s: job.toml does not record mlp-task %s:\n%s", c.target, c.task, job)
		}
	}
	mustRun(t, append(cloneArgs(base), "--target", "petal_width", "--steps", "17", "--checkpoint", p("half.ckpt"))...)
	mustRun(t, "run", "--device", "cpu", "--resume", p("half.ckpt"), "--steps", "40", "--out", p("resumed.npy"))
	if !bytes.Equal(readFile(t, p("petal_width-inferred.npy")), readFile(t, p("resumed.npy"))) {
		t.Error("--out of the resumed inferred regression differs from the uninterrupted run's")
	}
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "mlp", "--hidden", "4", "--data", gaps, "--target", "y", "--steps", "1")
	if want := "needs the labels 0..K-1, each present; the target holds [1 2 5] (or --mlp-task regression, for real targets)"; code != exitUsage || !strings.Contains(stderr, want) {
		t.Errorf("labels with a gap: exit %d, want %d naming %q\n%s%s", code, exitUsage, want, stdout, stderr)
	}
}
