package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/sysmem"
)

var irisCSV = filepath.Join("..", "..", "data", "testdata", "iris.csv")

// irisExample is README's example (Models on data), less --out.
var irisExample = []string{"run", "--problem", "softmax", "--data", irisCSV, "--target", "species", "--standardize",
	"--val-fraction", "0.2", "--seed", "1", "--batch-size", "16", "--epochs", "40", "--lr", "0.05", "--log-every", "60"}

// lastFloat returns the float after key in the last line of out holding it.
func lastFloat(t *testing.T, out, key string) float64 {
	t.Helper()
	m := regexp.MustCompile(key+`:?\s+([-+0-9.eE]+)`).FindAllStringSubmatch(out, -1)
	if m == nil {
		t.Fatalf("no %q in\n%s", key, out)
	}
	v, err := strconv.ParseFloat(m[len(m)-1][1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestIrisExample runs README's example on both backends: 40 epochs of
// mini-batch softmax regression on Iris classify at least 95% of the
// training rows and 90% of the 30 held-out rows (measured: 97.5% and
// 96.7%; Iris's versicolor and virginica overlap, so 100% is not expected
// of a linear model). The --out model card describes the parameters.
func TestIrisExample(t *testing.T) {
	for _, dev := range [][]string{{"--device", "cpu"}, {"--device", "gpu"}} {
		t.Run(dev[1], func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "iris.npy")
			code, stdout, stderr := gdgpuRun(t, append(append(irisExample, dev...), "--out", out, "--log", out+".csv")...)
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
			}
			if !strings.Contains(stdout, "softmax N=15 on 120 x 4 (3 classes) + 30 held out, batch 16 (8 steps/epoch)") {
				t.Errorf("first line:\n%s", stdout)
			}
			if n := strings.Count(stdout, "\nstep "); n != 7 { // steps 0, 60, ..., 300, 320
				t.Errorf("%d sample lines, want 7\n%s", n, stdout)
			}
			if acc := lastFloat(t, stdout, "accuracy"); acc < 0.95 {
				t.Errorf("training accuracy %v < 0.95\n%s", acc, stdout)
			}
			if acc := lastFloat(t, stdout, "val accuracy"); acc < 0.9 {
				t.Errorf("held-out accuracy %v < 0.9\n%s", acc, stdout)
			}
			x, err := data.ReadVector(out)
			if err != nil || len(x) != 15 {
				t.Fatalf("--out: %d values, %v", len(x), err)
			}
			var card gdgpu.ModelCard
			b, err := os.ReadFile(out + ".json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &card); err != nil {
				t.Fatal(err)
			}
			if card.Model != "softmax" || card.Outputs != 3 || len(card.Features) != 4 || card.Features[2] != "petal_length" ||
				len(card.Mean) != 4 || len(card.Classes) != 3 || card.Accuracy == nil || card.ValAccuracy == nil {
				t.Errorf("model card %+v", card)
			}
			log := string(readFile(t, out+".csv"))
			if !strings.HasPrefix(log, "step,loss,grad_norm,lr,elapsed_s,accuracy,val_loss,val_accuracy\n") || strings.Count(log, "\n") != 8 {
				t.Errorf("log:\n%s", log)
			}
		})
	}
}

// TestModelRuns: each model runs from the command line on both backends
// and lowers its loss; the regression models print no accuracy.
func TestModelRuns(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"linear-mse", []string{"--problem", "linear", "--synthetic", "regression", "--lr", "0.05"}},
		{"linear-huber-sgd-b1", []string{"--problem", "linear", "--synthetic", "regression", "--loss", "huber", "--optimizer", "sgd", "--lr", "0.01", "--batch-size", "1"}},
		{"logistic-val", []string{"--problem", "logistic", "--synthetic", "classification", "--val-fraction", "0.25", "--lr", "0.05"}},
		{"perceptron", []string{"--problem", "perceptron", "--synthetic", "classification", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", "32"}},
		{"hinge-l2", []string{"--problem", "hinge", "--synthetic", "classification", "--l2", "0.01", "--lr", "0.05"}},
		{"softmax-l1", []string{"--problem", "softmax", "--synthetic", "classification", "--classes", "4", "--l1", "0.001", "--lr", "0.05", "--intercept=false"}},
	} {
		for _, dev := range []string{"cpu", "gpu"} {
			t.Run(c.name+"/"+dev, func(t *testing.T) {
				args := append([]string{"run", "--device", dev, "--samples", "300", "--features", "6", "--seed", "2", "--steps", "60", "--log-every", "20"}, c.args...)
				code, stdout, stderr := gdgpuRun(t, args...)
				if code != 0 {
					t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
				}
				head := strings.SplitN(stdout, "\nstep 20", 2)[0]
				first, final := lastFloat(t, head, "loss"), lastFloat(t, stdout, "final loss")
				if c.args[1] == "perceptron" {
					// From zero weights every row is on the boundary, where
					// the criterion is 0: the accuracy shows the progress.
					first, final = -lastFloat(t, head, "acc"), -lastFloat(t, stdout, "accuracy")
				}
				if !(final < first) {
					t.Errorf("loss (perceptron: -accuracy) %v at the start, %v at the end\n%s", first, final, stdout)
				}
				classifier := c.args[1] != "linear"
				if strings.Contains(stdout, " acc ") != classifier {
					t.Errorf("accuracy printed: %v, classifier: %v\n%s", !classifier, classifier, stdout)
				}
			})
		}
	}
}

// TestModelBadData: bad data files are refused (exit 2) naming the file
// and what is wrong, before any work.
func TestModelBadData(t *testing.T) {
	dir := t.TempDir()
	w := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"three labels for logistic", []string{"--problem", "logistic", "--data", irisCSV, "--target", "species"}, `"species": binary label 2`},
		{"non-numeric", []string{"--problem", "linear", "--data", w("a.csv", "a,y\n1,2\nx,3\n"), "--target", "y"}, `a.csv:3: column 1 "a"`},
		{"nan cell", []string{"--problem", "linear", "--data", w("b.csv", "a,y\n1,2\nnan,3\n"), "--target", "y"}, `b.csv:3`},
		{"ragged", []string{"--problem", "linear", "--data", w("c.csv", "a,y\n1,2\n3\n"), "--target", "y"}, `c.csv:3`},
		{"softmax gap", []string{"--problem", "softmax", "--data", w("d.csv", "a,y\n1,0\n2,2\n"), "--target", "y"}, "softmax needs the labels 0..K-1, each present; the target holds [0 2]"},
		{"npy target length", []string{"--problem", "linear", "--data", writeMatrix(t, dir, 3, 2), "--target", writeVec(t, dir, 2)}, "holds 2 values"},
		{"npy no target", []string{"--problem", "linear", "--data", writeMatrix(t, dir, 3, 2), "--target", "y"}, "--target FILE.npy"},
		{"cond", []string{"--problem", "linear", "--synthetic", "regression", "--cond", "5"}, "--cond applies to --problem quadratic, not to the model linear"},
		{"standardized held-out value overflows", []string{"--problem", "logistic", "--data", w("f.csv", "a,b,y\n1e-40,0,0\n0,1,1\n0,2,0\n0,3,1\n0,4,0\n0,5,1\n0,6,0\n0,7,1\n0,8,0\n1e30,3,1\n"), "--target", "y",
			"--standardize", "--val-fraction", "0.1", "--seed", "16"}, `--standardize: feature "a" of a held-out row is 1e+30`},
		{"zero epochs", []string{"--problem", "linear", "--synthetic", "regression", "--epochs", "0"}, "--epochs 0 must be >= 1"},
		{"one row held out of one", []string{"--problem", "linear", "--data", w("e.csv", "a,y\n1,2\n"), "--target", "y", "--val-fraction", "0.5"}, "both need at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"run", "--device", "cpu", "--steps", "1"}
			if slices.Contains(c.args, "--epochs") {
				args = args[:3]
			}
			code, stdout, stderr := gdgpuRun(t, append(args, c.args...)...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, want %d and a message naming %q\n%s%s", code, exitUsage, c.want, stdout, stderr)
			}
		})
	}
}

// TestModelNpyData: a .npy matrix with a .npy target trains like the same
// data as CSV.
func TestModelNpyData(t *testing.T) {
	dir := t.TempDir()
	x, y := writeMatrix(t, dir, 40, 3), writeVec(t, dir, 40)
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "linear", "--data", x, "--target", y, "--steps", "5")
	if code != 0 || !strings.Contains(stdout, "linear N=4 loss=mse on 40 x 3") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
}

func writeMatrix(t *testing.T, dir string, rows, cols int) string {
	t.Helper()
	p := filepath.Join(dir, "x"+strconv.Itoa(rows)+".npy")
	var payload []byte
	for i := range rows * cols {
		payload = binary.LittleEndian.AppendUint64(payload, math.Float64bits(float64(i%7)-3))
	}
	writeRaw(t, p, "{'descr': '<f8', 'fortran_order': False, 'shape': ("+strconv.Itoa(rows)+", "+strconv.Itoa(cols)+"), }", payload)
	return p
}

func writeVec(t *testing.T, dir string, n int) string {
	t.Helper()
	p := filepath.Join(dir, "y"+strconv.Itoa(n)+".npy")
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(i % 5)
	}
	if err := data.WriteVector(p, y, "f8"); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCompareModelStochastic: compare holds for mini-batch and stochastic
// runs of models (the driver gives both backends the same order), in both
// precisions.
func TestCompareModelStochastic(t *testing.T) {
	for _, c := range [][]string{
		{"--problem", "logistic", "--synthetic", "classification", "--samples", "200", "--batch-size", "7", "--steps", "100", "--lr", "0.05"},
		{"--problem", "linear", "--synthetic", "regression", "--samples", "100", "--loss", "logcosh", "--batch-size", "1", "--epochs", "2", "--optimizer", "sgd", "--lr", "0.01"},
		{"--problem", "softmax", "--data", irisCSV, "--target", "species", "--standardize", "--val-fraction", "0.2", "--batch-size", "16", "--epochs", "10", "--lr", "0.05"},
	} {
		for _, p := range []string{"f32", "f64"} {
			code, stdout, stderr := gdgpuRun(t, append([]string{"compare", "--precision", p}, c...)...)
			if code != 0 || !strings.Contains(stdout, "result: within tolerance") || !strings.Contains(stdout, "ModelTolerance") {
				t.Errorf("%v %s: exit %d\n%s%s", c, p, code, stdout, stderr)
			}
		}
	}
}

// TestRunDirModel: a model's --run-dir job.toml holds its data flags (not
// --dim), and running it again gives the same parameters.
func TestRunDirModel(t *testing.T) {
	for _, c := range [][]string{
		{"--problem", "softmax", "--data", irisCSV, "--target", "species", "--features", "petal_length,petal_width", "--standardize", "--batch-size", "16", "--epochs", "3", "--seed", "2", "--val-fraction", "0.1"},
		{"--problem", "linear", "--synthetic", "regression", "--features", "4", "--samples", "64", "--loss", "huber", "--delta", "0.5", "--l2", "0.1"},
	} {
		dir := filepath.Join(t.TempDir(), "run")
		if code, stdout, stderr := gdgpuRun(t, append([]string{"run", "--device", "cpu", "--run-dir", dir}, c...)...); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		job := string(readFile(t, filepath.Join(dir, "job.toml")))
		if strings.Contains(job, "\ndim =") || !strings.Contains(job, "batch-size =") {
			t.Errorf("job.toml:\n%s", job)
		}
		again := filepath.Join(t.TempDir(), "again.npy")
		if code, stdout, stderr := gdgpuRun(t, "run", filepath.Join(dir, "job.toml"), "--out", again); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		if string(readFile(t, again)) != string(readFile(t, filepath.Join(dir, "params.npy"))) {
			t.Errorf("%v: the job file's run ends elsewhere", c)
		}
	}
}

// TestModelNpyLabels: a .npy target's labels are checked and listed as a
// CSV's are: softmax takes the classes in any row order (they were listed
// in order of first appearance, so [2 0 1] was refused as not 0..K-1), a
// binary target's model card names its encoding, and a label that is not
// a class is refused naming the file and the value.
func TestModelNpyLabels(t *testing.T) {
	dir := t.TempDir()
	x := writeMatrix(t, dir, 6, 2)
	vec := func(name string, v ...float64) string {
		p := filepath.Join(dir, name+".npy")
		if err := data.WriteVector(p, v, "f8"); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := filepath.Join(dir, "w.npy")
	for _, c := range []struct {
		problem string
		y       []float64
		classes string // the model card's classes, or the refusal's text
	}{
		{"softmax", []float64{2, 0, 1, 2, 0, 1}, "[0 1 2]"},
		{"logistic", []float64{1, -1, 1, -1, 1, 1}, "[-1 1]"},
		{"hinge", []float64{1, 0, 1, 0, 1, 1}, "[0 1]"},
		{"softmax", []float64{0, 1, 0.5, 1, 0, 1}, "value 2 is 0.5: want a class label"},
		{"softmax", []float64{0, 1, 1e5, 1, 0, 1}, "value 2 is 100000: want a class label"},
		{"logistic", []float64{1, 0, -1, 1, 0, 1}, "value 2 is -1, but value 1 is 0"},
		{"perceptron", []float64{1, 2, 1, 1, 0, 1}, "value 1 is 2: want binary labels"},
	} {
		y := vec(c.problem+strconv.Itoa(len(c.classes)), c.y...)
		code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", c.problem, "--data", x, "--target", y, "--steps", "1", "--out", out)
		if !strings.HasPrefix(c.classes, "[") {
			if code != exitUsage || !strings.Contains(stderr, c.classes) || !strings.Contains(stderr, y) {
				t.Errorf("%s %v: exit %d, want %d and %q naming %s\n%s%s", c.problem, c.y, code, exitUsage, c.classes, y, stdout, stderr)
			}
			continue
		}
		if code != 0 {
			t.Errorf("%s %v: exit %d\n%s%s", c.problem, c.y, code, stdout, stderr)
			continue
		}
		var card gdgpu.ModelCard
		if err := json.Unmarshal(readFile(t, out+".json"), &card); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(card.Classes) != c.classes {
			t.Errorf("%s %v: model card classes %v, want %s", c.problem, c.y, card.Classes, c.classes)
		}
	}
}

// TestModelRowsRate: rows/s counts the rows the steps read, an epoch's
// short last batch included: 10 rows in batches of 3 are 4 steps and 10
// rows an epoch, not 12 (steps/s and rows/s share the elapsed time, so
// their ratio is the rows per step, whatever the machine's speed).
func TestModelRowsRate(t *testing.T) {
	for _, c := range []struct {
		args []string
		rows float64 // per step
	}{
		{[]string{"--batch-size", "3", "--epochs", "2"}, 20.0 / 8},
		{[]string{"--batch-size", "3", "--steps", "5"}, 13.0 / 5}, // one epoch and the first batch of the next
		{[]string{"--steps", "3"}, 10},
	} {
		code, stdout, stderr := gdgpuRun(t, append([]string{"run", "--device", "cpu", "--problem", "linear", "--synthetic", "regression", "--samples", "10"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", c.args, code, stdout, stderr)
		}
		if got := lastFloat(t, stdout, "rows/s") / lastFloat(t, stdout, "steps/s"); math.Abs(got-c.rows) > 2e-3*c.rows { // both rates are printed to 4 digits
			t.Errorf("%v: rows/s is %.4g rows per step, want %.4g\n%s", c.args, got, c.rows, stdout)
		}
	}
}

// TestSyntheticTooBig: a --synthetic set larger than the host's available
// memory is refused (exit 2) naming the flags, before it is generated,
// rather than the process being killed while making it.
func TestSyntheticTooBig(t *testing.T) {
	// sysmem reads /proc/meminfo under sysmem.Root: a fake one there sets
	// the limit through the code that reads the real one.
	withMemAvailable := func(kB int) {
		root := t.TempDir()
		p := filepath.Join(root, sysmem.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(fmt.Sprintf("MemTotal: 4194304 kB\nMemAvailable: %d kB\n", kB)), 0o644); err != nil {
			t.Fatal(err)
		}
		sysmem.Root = root
	}
	old := sysmem.Root
	defer func() { sysmem.Root = old }()
	withMemAvailable(1 << 10)
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "linear", "--synthetic", "regression", "--samples", "100000", "--features", "3", "--steps", "1")
	if code != exitUsage || !strings.Contains(stderr, "--samples 100000 x --features 3: the synthetic set needs 2 MiB of host memory, 1 MiB is available (MemAvailable in "+sysmem.Path+")") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	withMemAvailable(1 << 20)
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "linear", "--synthetic", "regression", "--samples", "100000", "--features", "3", "--steps", "1"); code != 0 {
		t.Errorf("with 1 GiB: exit %d\n%s%s", code, stdout, stderr)
	}
	// The class centres count too: 65536 classes of 1e6 features are
	// about 488 GiB of float64 centres for 10 samples (the runtime's
	// fatal "out of memory" before).
	code, stdout, stderr = gdgpuRun(t, "run", "--device", "cpu", "--problem", "softmax", "--synthetic", "classification", "--samples", "10", "--features", "1000000", "--classes", "65536", "--steps", "1")
	if code != exitUsage || !strings.Contains(stderr, "the synthetic set needs 500039 MiB") || !strings.Contains(stderr, "1024 MiB is available") {
		t.Errorf("65536 classes x 1e6 features: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestModelCardDiverged: a run that diverges still writes its model card
// (JSON has no Inf: writing the diverging sample's loss failed the run),
// and the card describes the parameters written, the last finite state.
func TestModelCardDiverged(t *testing.T) {
	for _, dev := range []string{"cpu", "gpu"} {
		out := filepath.Join(t.TempDir(), "w.npy")
		code, stdout, stderr := gdgpuRun(t, "run", "--device", dev, "--problem", "linear", "--synthetic", "regression", "--samples", "50",
			"--optimizer", "sgd", "--lr", "1e30", "--steps", "20", "--log-every", "1", "--out", out)
		if code != exitDiverged {
			t.Fatalf("%s: exit %d, want %d\n%s%s", dev, code, exitDiverged, stdout, stderr)
		}
		var card gdgpu.ModelCard
		if err := json.Unmarshal(readFile(t, out+".json"), &card); err != nil {
			t.Fatal(err)
		}
		kept := int(lastFloat(t, stdout, "last finite state, step"))
		if card.Step != kept || card.FinalLoss == nil {
			t.Fatalf("%s: card at step %d (loss %v), want the kept step %d's\n%s", dev, card.Step, card.FinalLoss, kept, stdout)
		}
		want := lastFloat(t, stdout, fmt.Sprintf(`\nstep %d +loss`, kept))
		if math.Abs(*card.FinalLoss-want) > 1e-5*math.Abs(want) { // the line prints 6 digits
			t.Errorf("%s: card's loss %v, the sample line's %v", dev, *card.FinalLoss, want)
		}
	}
}

// TestModelF32Overflow: a model whose data overflows float32 at the start
// (targets of 3e19: the squared residual is past 3.4e38) is refused on the
// GPU in f32 with a hint at what to change, and runs in f64.
func TestModelF32Overflow(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.csv")
	if err := os.WriteFile(p, []byte("a,y\n1,3e19\n2,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--device", "gpu", "--problem", "linear", "--data", p, "--target", "y", "--steps", "2"}
	code, stdout, stderr := gdgpuRun(t, args...)
	if code != exitUsage || !strings.Contains(stderr, "--precision f64 widens the range") {
		t.Errorf("f32: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := gdgpuRun(t, append(args, "--precision", "f64")...); code != 0 {
		t.Errorf("f64: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestModelResumeSyntheticFlags: --resume of a --synthetic run with
// another --samples, --noise, --classes or --features is refused, naming
// the data, rather than the flag being replaced by the checkpoint's.
func TestModelResumeSyntheticFlags(t *testing.T) {
	ck := filepath.Join(t.TempDir(), "ck.json")
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "softmax", "--synthetic", "classification", "--samples", "60", "--features", "3", "--steps", "2", "--checkpoint", ck); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, flag := range [][]string{{"--samples", "61"}, {"--noise", "0.7"}, {"--classes", "4"}, {"--features", "4"}} {
		code, stdout, stderr := gdgpuRun(t, append([]string{"run", "--device", "cpu", "--resume", ck, "--steps", "4", "--checkpoint", ck + ".new"}, flag...)...)
		if code != exitUsage || !strings.Contains(stderr, "data") {
			t.Errorf("%v: exit %d, want %d naming the data\n%s%s", flag, code, exitUsage, stdout, stderr)
		}
	}
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--steps", "4", "--samples", "60", "--checkpoint", ck+".new"); code != 0 {
		t.Errorf("the same --samples: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestModelResumeChangedFile: --resume after the data file changed is
// refused, saying that the file changed (no flag contradicts anything).
func TestModelResumeChangedFile(t *testing.T) {
	dir := t.TempDir()
	p, ck := filepath.Join(dir, "d.csv"), filepath.Join(dir, "ck.json")
	if err := os.WriteFile(p, []byte("a,y\n1,1\n2,0\n3,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "logistic", "--data", p, "--target", "y", "--steps", "2", "--checkpoint", ck); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if err := os.WriteFile(p, []byte("a,y\n1,1\n2,0\n4,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--steps", "4")
	if code != exitUsage || !strings.Contains(stderr, "no data flag was given: "+p+" has changed since the checkpoint was written") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	// a file gone is named as the checkpoint's, not as a flag given
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--steps", "4")
	if code != exitUsage || !strings.Contains(stderr, "--data (from the --resume checkpoint): data: open "+p) {
		t.Errorf("file gone: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestResumeDataMessages: on --resume, a data file that cannot be read is
// named as the checkpoint's ("--data (from the --resume checkpoint)"),
// and other refusals of its contents name it as --data; --classes 0 given
// with --synthetic regression is refused as any --classes is.
func TestResumeDataMessages(t *testing.T) {
	dir := t.TempDir()
	csv, ck := filepath.Join(dir, "d.csv"), filepath.Join(dir, "ck")
	if err := os.WriteFile(csv, []byte("a,b,y\n1,2,0\n3,4,1\n5,6,2\n7,8,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "softmax", "--data", csv, "--target", "y", "--steps", "4", "--checkpoint", ck); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := os.WriteFile(csv, []byte("a,b,y\n1,2,0\n3,4,2\n5,6,0\n7,8,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--steps", "8")
	if want := "gdgpu: --data " + csv + ": softmax needs the labels 0..K-1"; code != exitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("labels 0 and 2: exit %d, %q, want %q", code, stderr, want)
	}
	os.Remove(csv)
	code, _, stderr = gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--steps", "8")
	if want := "gdgpu: --data (from the --resume checkpoint): data: open " + csv; code != exitUsage || !strings.HasPrefix(stderr, want) {
		t.Errorf("file gone: exit %d, %q, want %q", code, stderr, want)
	}
	code, _, stderr = gdgpuRun(t, "run", "--device", "cpu", "--problem", "linear", "--synthetic", "regression", "--classes", "0", "--steps", "1")
	if code != exitUsage || !strings.Contains(stderr, "--classes applies to --synthetic classification") {
		t.Errorf("--classes 0 with regression: exit %d, %s", code, stderr)
	}
}

// TestMLPRefusals: a --leaky-slope of 0 (which Job.LeakySlope reads as the
// default) and more hidden layers than an mlp takes are refused, naming
// the flag, rather than trained otherwise or crashing a shader compiler.
func TestMLPRefusals(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(csv, []byte("a,y\n1,0\n2,1\n3,0\n4,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := strings.TrimSuffix(strings.Repeat("2,", gdgpu.MaxHiddenLayers+1), ",")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--hidden", "4", "--activation", "leaky-relu", "--leaky-slope", "0"}, "--leaky-slope 0 is relu: use --activation relu"},
		{[]string{"--hidden", deep}, "--hidden has 257 layers, more than the 256 an mlp takes"},
	} {
		args := append([]string{"run", "--device", "cpu", "--problem", "mlp", "--data", csv, "--target", "y", "--steps", "1"}, c.args...)
		if code, _, stderr := gdgpuRun(t, args...); code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s; want %q", c.args, code, stderr, c.want)
		}
	}
}

// TestMLPResumeAndCardMessages: resuming a leaky-relu checkpoint with
// another --activation names the activation (not a --leaky-slope the user
// never gave), another --mlp-task does not blame the data file, and a
// card's bad network names the card's key, not a Go field.
func TestMLPResumeAndCardMessages(t *testing.T) {
	dir := t.TempDir()
	digits := filepath.Join("..", "..", "data", "testdata", "digits.csv")
	ck, out := filepath.Join(dir, "ck"), filepath.Join(dir, "m.npy")
	if code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "mlp", "--data", digits, "--target", "digit", "--hidden", "8",
		"--activation", "leaky-relu", "--leaky-slope", "0.1", "--steps", "4", "--checkpoint", ck, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--activation", "relu", "--steps", "8")
	if code != exitUsage || !strings.Contains(stderr, "activation leaky-relu in the checkpoint, relu in the job") || strings.Contains(stderr, "--leaky-slope applies") {
		t.Errorf("another activation: exit %d, %s", code, stderr)
	}
	code, _, stderr = gdgpuRun(t, "run", "--device", "cpu", "--resume", ck, "--mlp-task", "regression", "--steps", "8")
	if code != exitUsage || strings.Contains(stderr, "has changed since the checkpoint") {
		t.Errorf("another task: exit %d, %s", code, stderr)
	}
	card := mustRead(t, out+".json")
	if err := os.WriteFile(out+".json", bytes.Replace(card, []byte(`"activation": "leaky-relu"`), []byte(`"activation": "swish"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = gdgpuRun(t, "predict", "--model", out, "--data", digits)
	if code != exitUsage || !strings.Contains(stderr, `: activation "swish" is unknown`) {
		t.Errorf("a card's bad activation: exit %d, %s", code, stderr)
	}
}
