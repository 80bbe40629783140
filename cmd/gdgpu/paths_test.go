package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/rundir"
)

// TestClashingPathsRefused: an output that names an input or another
// output, by path or through a symbolic or hard link, is refused with exit
// 2 before anything is written, naming both flags; every file is left as
// it was. A checkpoint resumed from and written to the same file is the
// one clash allowed.
func TestClashingPathsRefused(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	if code, out, errs := gdgpuRun(t, "run", "--device", "cpu", "--dim", "8", "--steps", "3", "--out", p("x.npy"), "--checkpoint", p("c.ckpt")); code != 0 {
		t.Fatalf("setup: exit %d\n%s%s", code, out, errs)
	}
	csv := p("d.csv")
	if err := os.WriteFile(csv, []byte("a,b,y\n1,2,3\n2,1,4\n3,3,5\n4,0,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p("x.npy"), p("link.npy")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(p("x.npy"), p("hard.npy")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p("rd"), 0o755); err != nil { // an empty --run-dir
		t.Fatal(err)
	}
	files := []string{"x.npy", "c.ckpt", "d.csv"}
	before := map[string][]byte{}
	for _, f := range files {
		before[f], _ = os.ReadFile(p(f))
	}
	run := []string{"run", "--device", "cpu", "--dim", "8", "--steps", "3"}
	model := []string{"run", "--device", "cpu", "--problem", "linear", "--data", csv, "--target", "y", "--steps", "3"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"out=log", append(run, "--out", p("o.npy"), "--log", p("o.npy")), []string{"--out", "--log", "same file"}},
		{"out=checkpoint", append(run, "--out", p("o.npy"), "--checkpoint", p("o.npy")), []string{"--out", "--checkpoint"}},
		{"log=checkpoint", append(run, "--log", p("o.csv"), "--checkpoint", p("o.csv")), []string{"--log", "--checkpoint"}},
		{"log=init", append(run, "--init", p("x.npy"), "--log", p("x.npy")), []string{"--log", "--init", "never replaces an input"}},
		{"out=init via symlink", append(run, "--init", p("x.npy"), "--out", p("link.npy")), []string{"--out", "--init"}},
		{"out=init via hard link", append(run, "--init", p("x.npy"), "--out", p("hard.npy")), []string{"--out", "--init"}},
		{"out=data", append(model, "--out", csv), []string{"--out", "--data"}},
		{"card=log", append(model, "--out", p("m.npy"), "--log", p("m.npy.json")), []string{"model card", "--log"}},
		{"out=resume", []string{"run", "--resume", p("c.ckpt"), "--steps", "6", "--out", p("c.ckpt")}, []string{"--out", "--resume"}},
		{"run-dir log=out", append(run, "--run-dir", p("rd"), "--out", filepath.Join(p("rd"), "log.csv")), []string{"--out", "--log"}},
	} {
		code, stdout, stderr := gdgpuRun(t, tc.args...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%s: exit %d, want %d before any output\nstdout: %s\nstderr: %s", tc.name, code, exitUsage, stdout, stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: %q does not say %q", tc.name, stderr, w)
			}
		}
	}
	for _, f := range files {
		if b, _ := os.ReadFile(p(f)); !bytes.Equal(b, before[f]) {
			t.Errorf("%s was changed by a refused run", f)
		}
	}
	for _, f := range []string{"o.npy", "o.csv", "m.npy", "m.npy.json"} {
		if _, err := os.Stat(p(f)); err == nil {
			t.Errorf("a refused run created %s", f)
		}
	}
	if ents, _ := os.ReadDir(p("rd")); len(ents) > 0 {
		t.Errorf("a refused run wrote %s into --run-dir", ents[0].Name())
	}
	// --resume without --checkpoint goes on checkpointing to the same file.
	if code, out, errs := gdgpuRun(t, "run", "--resume", p("c.ckpt"), "--steps", "6"); code != 0 {
		t.Errorf("resume into its own checkpoint: exit %d\n%s%s", code, out, errs)
	}
}

// TestRefusedRunLeavesLogAlone: a run refused at its start (its loss
// overflows) leaves an existing --log as it was, creates none in a
// --run-dir, so that the same folder takes the run again.
func TestRefusedRunLeavesLogAlone(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "huge.npy")
	if err := data.WriteVector(huge, []float64{1e200, 1, 1, 1}, "f8"); err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(dir, "log.csv")
	old := []byte("step,loss,grad_norm,lr,elapsed_s\n0,1,1,0.1,0\n")
	if err := os.WriteFile(logf, old, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--device", "cpu", "--problem", "quadratic", "--init", huge, "--steps", "3"}
	if code, _, stderr := gdgpuRun(t, append(args, "--log", logf)...); code != exitUsage || !strings.Contains(stderr, "not finite") {
		t.Fatalf("exit %d, want %d for a non-finite start\n%s", code, exitUsage, stderr)
	}
	if b, _ := os.ReadFile(logf); !bytes.Equal(b, old) {
		t.Errorf("the refused run rewrote --log:\n%s", b)
	}
	rd := filepath.Join(dir, "rd")
	if code, _, stderr := gdgpuRun(t, append(args, "--run-dir", rd)...); code != exitUsage {
		t.Fatalf("--run-dir: exit %d\n%s", code, stderr)
	}
	if ents, _ := os.ReadDir(rd); len(ents) != 1 || ents[0].Name() != runDirJob {
		t.Errorf("the refused run left %v in --run-dir, want only %s", ents, runDirJob)
	}
	// The folder takes the run again (with a finite start).
	if code, stdout, stderr := gdgpuRun(t, "run", filepath.Join(rd, runDirJob), "--init", "", "--run-dir", rd); code != 0 {
		t.Errorf("retry in the same --run-dir: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestResumeAtStepLimit: resuming a checkpoint already at --steps runs no
// step and says so with counts that add up: never a negative count or
// rate, on the terminal or in summary.json.
func TestResumeAtStepLimit(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "r.ckpt")
	if code, out, errs := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "40", "--checkpoint", ck); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	rd := filepath.Join(dir, "rd")
	code, stdout, stderr := gdgpuRun(t, "run", "--resume", ck, "--steps", "40", "--run-dir", rd)
	if code != 0 || !strings.Contains(stdout, "40 (0 in this run, resumed at step 40)") || strings.Contains(stdout, ": -") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	sum, err := os.ReadFile(filepath.Join(rd, "summary.json"))
	if err != nil || bytes.Contains(sum, []byte(": -")) {
		t.Errorf("summary.json %s (%v) holds a negative value", sum, err)
	}
}

// TestFifoInputsRefused: a fifo (what a process substitution gives) as
// --init, --data, --resume or a log to plot is refused at once with exit
// 2, instead of blocking in its open until a writer comes.
func TestFifoInputsRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"run", "--device", "cpu", "--init", fifo},
		{"run", "--device", "cpu", "--problem", "linear", "--data", fifo, "--target", "y"},
		{"run", "--resume", fifo},
		{"plot", fifo, "-o", filepath.Join(dir, "x.png")},
	} {
		done := make(chan struct{})
		var code int
		var stderr string
		go func() {
			code, _, stderr = gdgpuRun(t, args...)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("%v blocked on the fifo", args)
		}
		if code != exitUsage || !strings.Contains(stderr, "not a regular file") {
			t.Errorf("%v: exit %d, want %d saying it is not a regular file\n%s", args, code, exitUsage, stderr)
		}
	}
}

// TestRunDirLocked: a --run-dir another run holds (its lock taken, as a
// second process would hold it) is refused with exit 2 naming the holder's
// pid, and the folder is left as it was; once released, the folder takes
// the run.
func TestRunDirLocked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rd")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := rundir.Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"run", "--device", "cpu", "--dim", "10", "--steps", "5", "--run-dir", dir}
	code, stdout, stderr := gdgpuRun(t, args...)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "in use by another run") || !strings.Contains(stderr, fmt.Sprint(os.Getpid())) {
		t.Errorf("exit %d, want %d naming the holder\n%s%s", code, exitUsage, stdout, stderr)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 || ents[0].Name() != rundir.LockFile {
		t.Errorf("the refused run wrote into the folder: %v", ents)
	}
	unlock()
	if code, stdout, stderr := gdgpuRun(t, args...); code != 0 {
		t.Errorf("after the release: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.LockFile)); err == nil {
		t.Error("the run left its lock file")
	}
	// A folder that a run filled is refused, lock or no lock.
	if code, _, _ := gdgpuRun(t, args...); code != exitUsage {
		t.Errorf("a second run into a filled folder: exit %d", code)
	}
}

// TestOutputsSettledBeforeRun: outputs that are not regular files, are
// read-only, lead nowhere or sit in a folder that takes no file are
// refused before the run (exit 2, nothing written); outputs that are
// symbolic links are written through, the link kept.
func TestOutputsSettledBeforeRun(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	ro := p("ro.npy")
	if err := os.WriteFile(ro, []byte("keep"), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(p("nowhere.npy"), p("dangling.npy")); err != nil {
		t.Fatal(err)
	}
	run := []string{"run", "--device", "cpu", "--dim", "10", "--steps", "5"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(run, "--out", os.DevNull), "not a regular file but a character device"},
		{append(run, "--log", os.DevNull), "not a regular file"},
		{append(run, "--out", ro), "read-only (mode 0444)"},
		{append(run, "--checkpoint", ro), "read-only"},
		{append(run, "--out", p("dangling.npy")), "leads nowhere"},
		{append(run, "--out", "/proc/gdgpu-test.npy"), "cannot write in folder /proc"}, // refused even as root
	} {
		code, stdout, stderr := gdgpuRun(t, tc.args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, want %d saying %q\n%s%s", tc.args[len(tc.args)-2:], code, exitUsage, tc.want, stdout, stderr)
		}
	}
	if b, _ := os.ReadFile(ro); string(b) != "keep" {
		t.Error("the read-only file was replaced")
	}
	// Through links: the targets are written, the links stay links.
	for _, f := range []string{"out.npy", "log.csv", "run.ckpt"} {
		if err := os.WriteFile(p(f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p(f), p("link-"+f)); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := gdgpuRun(t, append(run, "--out", p("link-out.npy"), "--log", p("link-log.csv"), "--checkpoint", p("link-run.ckpt"))...)
	if code != 0 {
		t.Fatalf("through links: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, f := range []string{"out.npy", "log.csv", "run.ckpt"} {
		if st, err := os.Lstat(p("link-" + f)); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("link-%s is no longer a link (%v)", f, err)
		}
		if st, err := os.Stat(p(f)); err != nil || st.Size() == 0 || st.Mode().Perm() != 0o644 {
			t.Errorf("%s was not written through its link with mode 0644 (%v, %v)", f, st.Mode(), err)
		}
	}
}

// TestDivergedRunCheckpointsFinite: a run that diverges between two sample
// points leaves a checkpoint of a finite state (the one before it went
// bad), which resumes; the resumed run, diverging again before its first
// sample point, ends on its finite start, not on a non-finite state.
func TestDivergedRunCheckpointsFinite(t *testing.T) {
	dir := t.TempDir()
	ck, out := filepath.Join(dir, "d.ckpt"), filepath.Join(dir, "x.npy")
	args := []string{"run", "--device", "cpu", "--problem", "saddle", "--optimizer", "sgd", "--lr", "0.5", "--steps", "3000", "--log-every", "100"}
	code, stdout, stderr := gdgpuRun(t, append(args, "--checkpoint", ck, "--checkpoint-every", "10")...)
	if code != exitDiverged || !strings.Contains(stdout, "Diverged at step 516") {
		t.Fatalf("exit %d, want a divergence at step 516\n%s%s", code, stdout, stderr)
	}
	cp, err := gdgpu.ReadCheckpoint(ck)
	if err != nil || cp.Driver.Step != 510 {
		t.Fatalf("checkpoint at step %v (%v), want 510, the last before the bad step", cp.Driver.Step, err)
	}
	code, stdout, stderr = gdgpuRun(t, "run", "--resume", ck, "--device", "cpu", "--steps", "4000", "--out", out)
	if code != exitDiverged || !strings.Contains(stdout, "resumed at step 510") || !strings.Contains(stdout, "last finite state, step 510") {
		t.Errorf("resume: exit %d\n%s%s", code, stdout, stderr)
	}
	x, err := data.ReadVector(out)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("--out[%d] = %v after the resumed run diverged", i, v)
		}
	}
}

// TestMessagesPlaceTheFault: a job-file value the job's checks refuse is
// placed at its file and line; a UTF-8 byte-order mark starts a job file
// as it starts a CSV; an --init value past float32 on an f32 GPU run says
// so before any GL work; plot -o into a missing folder is a usage error,
// as run's --out is.
func TestMessagesPlaceTheFault(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	write := func(name, text string) string {
		if err := os.WriteFile(p(name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p(name)
	}
	nan := write("nan.toml", "device = \"cpu\"\nlr = nan\n")
	if code, _, stderr := gdgpuRun(t, "run", nan); code != exitUsage || !strings.Contains(stderr, "--lr NaN") || !strings.Contains(stderr, "nan.toml line 2") {
		t.Errorf("lr = nan: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := gdgpuRun(t, "run", nan, "--lr", "nan"); code != exitUsage || strings.Contains(stderr, "line") {
		t.Errorf("--lr nan given on the command line is not the file's: exit %d\n%s", code, stderr)
	}
	bom := write("bom.toml", "\ufeffdevice = \"cpu\"\ndim = 10\nsteps = 3\n")
	if code, stdout, stderr := gdgpuRun(t, "run", bom); code != 0 || !strings.Contains(stdout, "N=10") {
		t.Errorf("a job file with a byte-order mark: exit %d\n%s%s", code, stdout, stderr)
	}
	big := p("big.npy")
	if err := data.WriteVector(big, []float64{1e300, 1}, "f8"); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := gdgpuRun(t, "run", "--init", big, "--precision", "f32"); code != exitUsage || !strings.Contains(stderr, "beyond float32's range") || !strings.Contains(stderr, "--precision f64") {
		t.Errorf("--init 1e300 in f32: exit %d\n%s", code, stderr)
	}
	logf := write("log.csv", "step,loss,grad_norm,lr,elapsed_s\n0,1,1,0.1,0\n")
	if code, _, stderr := gdgpuRun(t, "plot", logf, "-o", p("missing/x.png")); code != exitUsage || !strings.Contains(stderr, "does not exist") {
		t.Errorf("plot -o into a missing folder: exit %d\n%s", code, stderr)
	}
}

// TestFirstSignalStopsEveryPhase: the first SIGINT ends a command at once
// with exit 5 in phases that do not watch for it (gradcheck's points ran on
// for minutes), and a descent still stops at a step boundary and writes its
// outputs (TestSignal).
func TestFirstSignalStopsEveryPhase(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	cmd := exec.Command(os.Args[0], "gradcheck", "--device", "cpu", "--dim", "300000", "--points", "1000")
	cmd.Env = append(os.Environ(), "GDGPU_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second) // well into the first point's 600000 evaluations
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
			t.Errorf("gradcheck after SIGINT: %v, want exit %d\n%s", err, exitInterrupted, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("gradcheck went on after SIGINT")
	}
}

// TestViewInterruptedExits5: view --png whose races were interrupted draws
// them as far as they went and exits 5, as run does (it exited 0).
func TestViewInterruptedExits5(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	png := filepath.Join(t.TempDir(), "v.png")
	code, stdout, stderr := gdgpuCtx(ctx, t, "view", "--device", "cpu", "--problem", "himmelblau", "--steps", "100", "--png", png)
	if code != exitInterrupted || !strings.Contains(stdout, "Interrupted") {
		t.Errorf("exit %d, want %d\n%s%s", code, exitInterrupted, stdout, stderr)
	}
	if _, err := os.Stat(png); err != nil {
		t.Errorf("the picture of the interrupted races was not written: %v", err)
	}
}

// TestFailedOutputKeepsOthers: when an output fails at the end (the
// checkpoint's write: a full disk), the run's other outputs are still
// written, the summary printed, and the failure named, exit 3.
func TestFailedOutputKeepsOthers(t *testing.T) {
	saved := writeCheckpoint
	writeCheckpoint = func(string, *gdgpu.Checkpoint) error { return syscall.ENOSPC }
	defer func() { writeCheckpoint = saved }()
	dir := t.TempDir()
	rd := filepath.Join(dir, "rd")
	out := filepath.Join(dir, "x.npy")
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "20", "--run-dir", rd, "--out", out)
	if code != exitFailure || !strings.Contains(stderr, "writing --checkpoint") || !strings.Contains(stderr, "no space left") {
		t.Errorf("exit %d, want %d naming the checkpoint\n%s%s", code, exitFailure, stdout, stderr)
	}
	if !strings.Contains(stdout, "StepLimit") {
		t.Errorf("no summary:\n%s", stdout)
	}
	for _, f := range []string{out, filepath.Join(rd, runDirLog), filepath.Join(rd, runDirSummary)} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was not written: %v", f, err)
		}
	}
}

// TestRunDirLockedByAnotherProcess: while a run in another process holds
// a --run-dir, a second run into it is refused naming that process's pid.
func TestRunDirLockedByAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	rd := filepath.Join(t.TempDir(), "rd")
	cmd := exec.Command(os.Args[0], "run", "--device", "cpu", "--dim", "100000", "--steps", "100000000", "--run-dir", rd)
	cmd.Env = append(os.Environ(), "GDGPU_TEST_MAIN=1")
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
	}()
	first := make([]byte, 10)
	if _, err := io.ReadFull(pr, first); err != nil || string(first) != "gdgpu run:" {
		t.Fatalf("the first run did not start: %q %v", first, err)
	}
	go io.Copy(io.Discard, pr)
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "5", "--run-dir", rd)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, fmt.Sprintf("in use by another run (pid %d)", cmd.Process.Pid)) {
		t.Errorf("exit %d, want %d naming pid %d\n%s%s", code, exitUsage, cmd.Process.Pid, stdout, stderr)
	}
}

// TestSignalWhileLoading: the first SIGINT while a run is still reading its
// inputs (held there by the test) ends it at once, exit 5, with nothing
// written.
func TestSignalWhileLoading(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.npy")
	cmd := exec.Command(os.Args[0], "run", "--device", "cpu", "--dim", "10", "--out", out, "--log", filepath.Join(dir, "log.csv"))
	cmd.Env = append(os.Environ(), "GDGPU_TEST_MAIN=1", "GDGPU_TEST_SLOW_LOAD=1")
	pr, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make([]byte, 6)
	if _, err := io.ReadFull(pr, first); err != nil || string(first) != "loaded" {
		cmd.Process.Kill()
		t.Fatalf("the command did not reach its loaded phase: %q %v", first, err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { io.Copy(io.Discard, pr); done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != exitInterrupted {
			t.Errorf("after SIGINT: %v, want exit %d", err, exitInterrupted)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the command went on loading after SIGINT")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("an interrupted load wrote %s", ents[0].Name())
	}
}

// TestClashThroughLinkedFolder: two outputs that are one file through a
// linked folder, neither existing yet, are refused (d2 links to d1).
func TestClashThroughLinkedFolder(t *testing.T) {
	dir := t.TempDir()
	d1, d2 := filepath.Join(dir, "d1"), filepath.Join(dir, "d2")
	if err := os.Mkdir(d1, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(d1, d2); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "3", "--out", filepath.Join(d1, "x"), "--log", filepath.Join(d2, "x"))
	if code != exitUsage || !strings.Contains(stderr, "name the same file") {
		t.Errorf("exit %d\n%s", code, stderr)
	}
}

// TestMidRunCheckpointFailure: a checkpoint that fails mid-run ends the run
// as a runtime error (exit 3) and writes no --out: only the final
// checkpoint's failure comes once the run is whole (TestFailedOutputKeepsOthers).
func TestMidRunCheckpointFailure(t *testing.T) {
	saved := writeCheckpoint
	calls := 0
	writeCheckpoint = func(path string, cp *gdgpu.Checkpoint) error {
		if calls++; calls == 2 {
			return syscall.ENOSPC
		}
		return saved(path, cp)
	}
	defer func() { writeCheckpoint = saved }()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.npy")
	code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--dim", "10", "--steps", "100", "--checkpoint-every", "10", "--checkpoint", filepath.Join(dir, "c"), "--out", out)
	if code != exitFailure || !strings.Contains(stderr, "no space left") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("--out was written from a run that a mid-run checkpoint failure ended")
	}
}
