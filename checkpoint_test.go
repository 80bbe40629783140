package gdgpu

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCheckpoint returns a valid checkpoint of an Adam job of dimension n
// whose values are derived from v.
func testCheckpoint(t testing.TB, n int, v float64) *Checkpoint {
	t.Helper()
	job := NewJob()
	job.Problem, job.Dim, job.Steps = "rosenbrock", n, 100
	job.Schedule.Kind = "plateau"
	s, err := DefaultSchedule("plateau")
	if err != nil {
		t.Fatal(err)
	}
	job.Schedule = s
	c := &Checkpoint{Version: CheckpointVersion, Job: job, Backend: "test"}
	c.FingerprintText, c.Fingerprint = job.Fingerprint()
	best := v
	c.Driver = DriverState{Step: 7, Seq: SeqState{T: 7, LR: 1e-3, Cos: 1}, Plateau: &PlateauState{LR: 1e-3, Best: &best, Bad: 1}, History: []float64{3, 2, 1}}
	c.State = State{Step: 7, Scalars: NewScalarState(), Params: make([]float64, n), Vectors: [][]float64{make([]float64, n), make([]float64, n)}}
	for i := range n {
		c.State.Params[i] = v + float64(i)/3
		c.State.Vectors[0][i] = -v * float64(i)
		c.State.Vectors[1][i] = math.Nextafter(v, 10)
	}
	return c
}

func encode(t testing.TB, c *Checkpoint) []byte {
	t.Helper()
	hdr, err := c.header()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := encodeCheckpoint(&b, hdr, &c.State); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	c := testCheckpoint(t, 1000, 0.1)
	if err := WriteCheckpoint(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("read back %+v\nwrote %+v", got.Driver, c.Driver)
	}
	if err := got.Compatible(&c.Job); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("folder holds %d entries, want only the checkpoint", len(ents))
	}
}

// TestCheckpointCorruption: every truncation and every single-bit flip is
// refused with a corruption (or version) error naming the file.
func TestCheckpointCorruption(t *testing.T) {
	good := encode(t, testCheckpoint(t, 50, 0.5))
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	check := func(what string, b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadCheckpoint(path)
		if err == nil {
			t.Fatalf("%s: accepted", what)
		}
		if !strings.HasPrefix(err.Error(), "gdgpu: checkpoint "+path+": ") {
			t.Fatalf("%s: error %q does not name the file", what, err)
		}
		if !errors.Is(err, ErrCheckpointCorrupt) && !errors.Is(err, ErrCheckpointVersion) {
			t.Fatalf("%s: error %q is not a corruption", what, err)
		}
	}
	for n := 0; n < len(good); n += 1 + n/16 {
		check("truncated to "+strconv.Itoa(n), good[:n])
	}
	check("one byte short", good[:len(good)-1])
	check("one byte more", append(bytes.Clone(good), 0))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range len(good) {
		b := bytes.Clone(good)
		b[i] ^= 1 << r.IntN(8)
		check("bit flipped in byte "+strconv.Itoa(i), b)
	}
	// A flip in the vectors is a checksum mismatch.
	b := bytes.Clone(good)
	b[len(b)-100] ^= 4
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCheckpoint(path); err == nil || !strings.Contains(err.Error(), "checksum mismatch") {
		t.Fatalf("flipped vector bit: %v, want a checksum mismatch", err)
	}
	// A header announcing a huge dimension is refused before allocating.
	if _, err := DecodeCheckpoint(bytes.NewReader(good), 1<<40); err == nil {
		t.Fatal("a size beyond the data was accepted")
	}
}

func TestCheckpointCompatible(t *testing.T) {
	c := testCheckpoint(t, 10, 1)
	job := c.Job
	job.Steps = 5000
	job.GradTol, job.TimeLimit, job.CheckpointEvery = 1e-3, time.Hour, 10
	if err := c.Compatible(&job); err != nil {
		t.Fatalf("stopping rules and steps may change: %v", err)
	}
	other := c.Job
	other.Problem, other.Dim = "quadratic", 20
	other.Optimizer.LR = 0.5
	other.Schedule.Patience = 3
	err := c.Compatible(&other)
	if !errors.Is(err, ErrCheckpointMismatch) {
		t.Fatalf("another job: %v", err)
	}
	for _, want := range []string{"problem rosenbrock in the checkpoint, quadratic in the job", "dim 10 in the checkpoint, 20", "Optimizer.lr 0.001 in the checkpoint, 0.5", "schedule Patience"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	short := c.Job
	short.Steps = 3
	if err := c.Compatible(&short); err == nil || !strings.Contains(err.Error(), "Job.Steps 3 is below the checkpoint's step 7") {
		t.Errorf("steps below the checkpoint: %v", err)
	}
}

// failAfter passes n bytes through, then fails as a full disk does.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k, _ := f.w.Write(p[:f.n])
		f.n = 0
		return k, syscall.ENOSPC
	}
	f.n -= len(p)
	return f.w.Write(p)
}

// TestCheckpointFullDisk: a write that fails part-way (a full disk) and a
// non-finite state leave the previous checkpoint in place and no
// temporary file.
func TestCheckpointFullDisk(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	old := testCheckpoint(t, 2000, 1)
	if err := WriteCheckpoint(path, old); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 10, 100, 5000, 40000} {
		writeHook = func(w io.Writer) io.Writer { return &failAfter{w, n} }
		err := WriteCheckpoint(path, testCheckpoint(t, 2000, 2))
		writeHook = nil
		if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.HasPrefix(err.Error(), "gdgpu: checkpoint "+path) {
			t.Fatalf("failing after %d bytes: %v", n, err)
		}
	}
	bad := testCheckpoint(t, 2000, 3)
	bad.State.Vectors[1][1234] = math.Inf(1)
	if err := WriteCheckpoint(path, bad); !errors.Is(err, ErrCheckpointNonFinite) || !strings.Contains(err.Error(), "exp_avg_sq[1234]") {
		t.Fatalf("non-finite state: %v", err)
	}
	got, err := ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, old) {
		t.Fatal("the previous checkpoint did not survive")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("folder holds %d entries, want only the checkpoint", len(ents))
	}
}

// TestCheckpointKillChild is the child of TestCheckpointKill: it writes
// checkpoints to $GDGPU_KILL_PATH in a loop until killed.
func TestCheckpointKillChild(t *testing.T) {
	path := os.Getenv("GDGPU_KILL_PATH")
	if path == "" {
		return // only run as the child
	}
	for i := 1; ; i++ {
		if err := WriteCheckpoint(path, testCheckpoint(t, 40000, float64(i))); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckpointKill kills a process writing checkpoints with SIGKILL at
// random moments: the path always holds a whole checkpoint, old or new.
func TestCheckpointKill(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.ckpt")
	r := rand.New(rand.NewPCG(3, 4))
	kills, loads := 30, 0
	if testing.Short() {
		kills = 8
	}
	seen := map[float64]bool{}
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCheckpointKillChild$")
		cmd.Env = append(os.Environ(), "GDGPU_KILL_PATH="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			// Wait for the first checkpoint to exist.
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if _, err := os.Stat(path); err == nil {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("the child wrote no checkpoint")
				}
			}
		}
		time.Sleep(time.Duration(r.IntN(60_000)) * time.Microsecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		c, err := ReadCheckpoint(path)
		if err != nil {
			t.Fatalf("after kill %d: %v", i, err)
		}
		seen[c.State.Params[0]] = true
		loads++
	}
	if len(seen) < 2 {
		t.Errorf("the checkpoint never changed across %d kills (the child wrote nothing new?)", kills)
	}
	t.Logf("%d kills, %d loads, %d distinct checkpoints", kills, loads, len(seen))
}

// FuzzReadCheckpoint: no input makes the reader panic, hang or allocate
// beyond the input's size; what it accepts re-encodes to the same bytes.
func FuzzReadCheckpoint(f *testing.F) {
	good := encode(f, testCheckpoint(f, 3, 0.25))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(checkpointMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := DecodeCheckpoint(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrCheckpointCorrupt) && !errors.Is(err, ErrCheckpointVersion) {
				t.Fatalf("error %q is not a corruption", err)
			}
			return
		}
		if c.State.checkFinite(nil) != nil {
			t.Fatal("accepted a non-finite state")
		}
		if _, err := c.header(); err != nil {
			t.Fatalf("accepted a checkpoint that does not re-encode: %v", err)
		}
	})
}

// TestCheckpointInvalidJobNamesField: a checkpoint whose stored job is
// invalid (its checksums right) is corrupt, and the refusal keeps the
// FieldError naming the field, so that the command line shows its flag.
func TestCheckpointInvalidJobNamesField(t *testing.T) {
	c := testCheckpoint(t, 50, 0.5)
	hdr, err := c.header()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(hdr, &m); err != nil {
		t.Fatal(err)
	}
	m["Job"].(map[string]any)["LogEvery"] = 0
	if hdr, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := encodeCheckpoint(&b, hdr, &c.State); err != nil {
		t.Fatal(err)
	}
	_, err = DecodeCheckpoint(bytes.NewReader(b.Bytes()), int64(b.Len()))
	var fe *FieldError
	if !errors.Is(err, ErrCheckpointCorrupt) || !errors.As(err, &fe) || fe.Fields[0] != "Job.LogEvery" {
		t.Fatalf("got %v, want a corrupt checkpoint whose FieldError names Job.LogEvery", err)
	}
}
