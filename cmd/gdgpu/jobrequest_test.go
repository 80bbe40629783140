package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/jobfile"
)

// TestJobFileDecodeAgrees: gdgpu run job.toml and the library's
// jobfile.Decode and gdgpu.JobRequest.Build make the same job: the
// effective job.toml the run writes is Encode's of the library's job,
// byte for byte.
func TestJobFileDecodeAgrees(t *testing.T) {
	dir := t.TempDir()
	for i, body := range []string{
		`problem = "rosenbrock"
dim = 50
seed = 7
lr = 2e-3
amsgrad = true
steps = 12
log-every = 4
device = "cpu"
schedule = "multistep"
lr-milestones = [4, 8]
warmup-steps = 2
clip-grad-norm = 50.0
`,
		`problem = "softmax"
synthetic = "classification"
classes = 3
features = 4
samples = 60
batch-size = 16
epochs = 2
l2 = 0.01
optimizer = "sgd"
momentum = 0.9
device = "cpu"
schedule = "cosine"
`,
		`objective = "sum((x[i] - 1)^2)"
dim = 8
optimizer = "lbfgs"
strong-wolfe = true
steps = 3
device = "cpu"
loss-target = 0
`,
	} {
		path := writeFile(t, filepath.Join(dir, "job.toml"), body)
		f, err := jobfile.Read(path)
		if err != nil {
			t.Fatal(err)
		}
		r, set, err := jobfile.Decode(f)
		if err != nil {
			t.Fatal(err)
		}
		b, err := r.Build()
		if err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		want := string(jobfile.Encode(&b.Job, set))
		rd := filepath.Join(dir, "runs", string(rune('a'+i)))
		if code, stdout, stderr := gdgpuRun(t, "run", path, "--run-dir", rd, "--quiet"); code != 0 {
			t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
		}
		eff, err := os.ReadFile(filepath.Join(rd, runDirJob))
		if err != nil {
			t.Fatal(err)
		}
		// job.toml's two comment lines, then Encode's text.
		lines := strings.SplitAfterN(string(eff), "\n", 3)
		if got := lines[len(lines)-1]; got != want {
			t.Errorf("gdgpu run wrote\n%s\nthe library builds\n%s", got, want)
		}
	}
}

// TestJobKeysAreFlags: every key jobfile.Decode reads is a flag of gdgpu
// run of the same kind, so that a job file means one thing to both.
func TestJobKeysAreFlags(t *testing.T) {
	fs := newRunCmd(nil, nil).Flags()
	for key, kind := range jobfile.KeyKinds() {
		fl := fs.Lookup(key)
		if fl == nil {
			t.Errorf("key %q is no flag of gdgpu run", key)
			continue
		}
		if fk := flagKind(fl); fk != kind {
			t.Errorf("key %q is of kind %v, its flag %v", key, kind, fk)
		}
	}
}
