package gdgpu

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
)

// CheckpointVersion is the checkpoint format version this package writes
// and the only one it reads (docs/checkpoints.md describes the format).
const CheckpointVersion = 1

// checkpointMagic opens every checkpoint file.
const checkpointMagic = "GDGPUCKP"

// maxCheckpointHeader bounds the JSON header, so a corrupt length cannot
// make the reader allocate much before the header's checksum is checked.
// It holds the job's objective text once (the fingerprint names the
// objective by its hash), so an objective of MaxObjectiveBytes fits even
// if JSON wrote every byte as a six-byte escape: a 1 MiB bound failed the
// checkpoint of a run whose objective came from a 1 MiB file, after the run.
const maxCheckpointHeader = 16 << 20

// MaxObjectiveBytes bounds Job.Objective, the expression's text: what an
// objective file may hold, and what a checkpoint's header is sized for. A
// job file holds at most jobfile.MaxSize, which an objective this long may
// not fit once escaped: jobfile.Check refuses that before a run folder is
// made.
const MaxObjectiveBytes = 1 << 20

// maxCheckpointVectors bounds the state vectors a header may announce:
// L-BFGS's, at its largest history (the others keep at most three).
const maxCheckpointVectors = 2*maxHistorySize + 2

// maxHistory bounds the FuncTol loss history a checkpoint carries: the
// last maxHistory sampled losses.
const maxHistory = 1024

var (
	// ErrCheckpointCorrupt wraps every refusal of a damaged file: bad
	// magic, truncation, a checksum mismatch, an impossible header.
	ErrCheckpointCorrupt = errors.New("gdgpu: corrupt checkpoint")
	// ErrCheckpointVersion: the file is a checkpoint of another format version.
	ErrCheckpointVersion = errors.New("gdgpu: unsupported checkpoint version")
	// ErrCheckpointMismatch: the checkpoint belongs to another job
	// (Checkpoint.Compatible says what differs).
	ErrCheckpointMismatch = errors.New("gdgpu: checkpoint of another job")
	// ErrCheckpointNonFinite: the state holds a NaN or an infinity; such a
	// state is never written (the previous checkpoint is kept).
	ErrCheckpointNonFinite = errors.New("gdgpu: non-finite state")
)

// Checkpoint is everything needed to continue a run exactly where it
// stopped: the whole job, the driver's own state (step, schedule, plateau,
// FuncTol history) and the backend's complete state.
type Checkpoint struct {
	Version int
	Job     Job
	// Fingerprint is the hex SHA-256 of FingerprintText, which lists what
	// must match to resume: problem, dimension, condition number,
	// precision, optimizer and hyperparameters, schedule, clipping.
	Fingerprint     string
	FingerprintText string
	Backend         string // the backend that wrote it, e.g. "gpu/f32" (informational)
	Driver          DriverState
	State           State
}

// DriverState is the driver loop's state at a step boundary.
type DriverState struct {
	Step int // optimizer steps taken
	// Seq is the learning-rate sequence's recursion state (Schedule.Seq).
	Seq SeqState
	// Plateau is ReduceLROnPlateau's state; nil unless the schedule is "plateau".
	Plateau *PlateauState `json:",omitempty"`
	// History holds the last sampled losses (at most 1024), for FuncTol.
	History []float64 `json:",omitempty"`
	// Models on data: the data cursor, the epoch and the batch within it
	// that the next step trains on (Batch). Both follow from Step, the
	// batch size and the row count; the sample order of the epoch is
	// EpochOrder(Job.Seed, Epoch), so the seed and these are the random
	// state. Resuming checks them.
	Epoch int `json:",omitempty"`
	Batch int `json:",omitempty"`
}

// SeqState is an LRSeq's recursion state.
type SeqState struct {
	T         int
	LR, Cos   float64
	Milestone int
}

// PlateauState is a Plateau's state; Best is nil while no loss has been seen
// (torch's best = inf).
type PlateauState struct {
	LR      float64
	Best    *float64 `json:",omitempty"`
	Bad     int
	Cooling int
}

// A sequential warm-up's state is its step and the kind's recursion state.
func (q *LRSeq) state() SeqState {
	if q.in != nil {
		return SeqState{T: q.t, LR: q.in.lr, Cos: q.in.cos, Milestone: q.in.mi}
	}
	return SeqState{T: q.t, LR: q.lr, Cos: q.cos, Milestone: q.mi}
}

func (q *LRSeq) restore(s SeqState) {
	if q.in != nil {
		q.t = s.T
		q.in.t, q.in.lr, q.in.cos, q.in.mi = max(s.T-q.s.Warmup, 0), s.LR, s.Cos, s.Milestone
		return
	}
	q.t, q.lr, q.cos, q.mi = s.T, s.LR, s.Cos, s.Milestone
}

func (p *Plateau) state() *PlateauState {
	s := &PlateauState{LR: p.lr, Bad: p.bad, Cooling: p.cooling}
	if !math.IsInf(p.best, 1) {
		b := p.best
		s.Best = &b
	}
	return s
}

func (p *Plateau) restore(s *PlateauState) {
	p.lr, p.bad, p.cooling, p.best = s.LR, s.Bad, s.Cooling, math.Inf(1)
	if s.Best != nil {
		p.best = *s.Best
	}
}

// Fingerprint returns the text form of what a checkpoint of job must share
// with a job resuming it, and its hex SHA-256.
func (j *Job) Fingerprint() (text, sum string) {
	var b strings.Builder
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	fmt.Fprintf(&b, "problem=%s dim=%d cond=%s precision=%s optimizer=%s", j.Problem, j.Dim, g(j.Cond), j.Precision, j.Optimizer.Name)
	if info, ok := LookupOptimizer(j.Optimizer.Name); ok {
		for _, h := range info.Hyper {
			fmt.Fprintf(&b, " %s=%s", h.Name, g(j.Optimizer.Get(h.Name)))
		}
	}
	sj, _ := json.Marshal(j.Schedule)
	fmt.Fprintf(&b, " schedule=%s clip-grad-norm=%s clip-grad-value=%s", sj, g(j.ClipNorm), g(j.ClipValue))
	if j.Schedule.Kind == "plateau" {
		// The plateau sees the losses at sample times.
		fmt.Fprintf(&b, " log-every=%d", j.LogEvery)
	}
	if IsModel(j.Problem) {
		hash := j.DataHash
		if j.Data != nil {
			hash = j.Data.Hash
		}
		fmt.Fprintf(&b, " data=%s loss=%s delta=%s l1=%s l2=%s intercept=%t batch-size=%d seed=%d",
			hash, j.Loss, g(j.Delta), g(j.L1), g(j.L2), !j.NoIntercept, j.BatchSize, j.Seed)
	}
	s := sha256.Sum256([]byte(b.String()))
	return b.String(), hex.EncodeToString(s[:])
}

// Compatible says whether job can resume from c, naming every difference
// (checkpoint value, then job value) in what must match: problem,
// dimension, condition number, precision, optimizer and each
// hyperparameter, clipping, the schedule field by field, the sample cadence
// under a plateau schedule, and a step limit not below the checkpoint's step;
// for a model also the data (Data.Hash), loss, delta, penalties, intercept,
// batch size and seed, and the data cursor against the step.
// Steps, the stopping rules, the time limit and the checkpoint cadence may
// differ. The error wraps ErrCheckpointMismatch and a *FieldError.
func (c *Checkpoint) Compatible(job *Job) error {
	// Each difference is a FieldError format and its arguments: the
	// hyperparameters and the step limit are named as fields.
	var diff []string
	var args []any
	add := func(what string, had, want any) {
		diff = append(diff, what+" %v in the checkpoint, %v in the job")
		args = append(args, had, want)
	}
	a := &c.Job
	if a.Problem != job.Problem {
		add("problem", a.Problem, job.Problem)
	}
	if a.Dim != job.Dim {
		add("dim", a.Dim, job.Dim)
	}
	if a.Cond != job.Cond {
		add("cond", a.Cond, job.Cond)
	}
	if a.Precision != job.Precision {
		add("precision", a.Precision, job.Precision)
	}
	if a.Optimizer.Name != job.Optimizer.Name {
		add("optimizer", a.Optimizer.Name, job.Optimizer.Name)
	} else if info, ok := LookupOptimizer(a.Optimizer.Name); ok {
		for _, h := range info.Hyper {
			if x, y := a.Optimizer.Get(h.Name), job.Optimizer.Get(h.Name); x != y {
				add("{Optimizer."+h.Name+"}", x, y)
			}
		}
	}
	if a.ClipNorm != job.ClipNorm {
		add("clip-grad-norm", a.ClipNorm, job.ClipNorm)
	}
	if a.ClipValue != job.ClipValue {
		add("clip-grad-value", a.ClipValue, job.ClipValue)
	}
	if a.Schedule.Kind != job.Schedule.Kind {
		add("schedule", a.Schedule.Kind, job.Schedule.Kind)
	} else {
		x, y := reflect.ValueOf(a.Schedule), reflect.ValueOf(job.Schedule)
		for i := range x.NumField() {
			fx, fy := x.Field(i).Interface(), y.Field(i).Interface()
			if !reflect.DeepEqual(fx, fy) && !(x.Field(i).Kind() == reflect.Slice && x.Field(i).Len() == 0 && y.Field(i).Len() == 0) {
				add("schedule "+x.Type().Field(i).Name, fx, fy)
			}
		}
		if a.Schedule.Kind == "plateau" && a.LogEvery != job.LogEvery {
			add("log-every (the plateau schedule sees the sampled losses)", a.LogEvery, job.LogEvery)
		}
	}
	if IsModel(job.Problem) {
		hash := ""
		if job.Data != nil {
			hash = job.Data.Hash
		}
		if a.DataHash != hash {
			add("data (SHA-256 of the training and validation sets)", short(a.DataHash), short(hash))
		}
		for _, f := range []struct {
			what      string
			had, want any
		}{
			{"loss", a.Loss, job.Loss}, {"delta", a.Delta, job.Delta}, {"l1", a.L1, job.L1}, {"l2", a.L2, job.L2},
			{"intercept", !a.NoIntercept, !job.NoIntercept}, {"batch-size", a.BatchSize, job.BatchSize},
			{"seed (the batch order)", a.Seed, job.Seed},
			{"hidden", fmt.Sprint(a.Hidden), fmt.Sprint(job.Hidden)}, {"activation", a.Activation, job.Activation},
			{"leaky-slope", a.LeakySlope, job.LeakySlope}, {"init-scheme", a.InitScheme, job.InitScheme},
		} {
			if f.had != f.want {
				add(f.what, f.had, f.want)
			}
		}
		if job.Data != nil {
			bs, _ := Batches(job.BatchSize, job.Data.Rows)
			e, lo, _ := Batch(c.Driver.Step, bs, job.Data.Rows)
			if e != c.Driver.Epoch || lo/bs != c.Driver.Batch {
				diff = append(diff, "the data cursor (epoch %d, batch %d) does not follow from step %d (epoch %d, batch %d)")
				args = append(args, c.Driver.Epoch, c.Driver.Batch, c.Driver.Step, e, lo/bs)
			}
		}
	}
	if job.Steps < c.Driver.Step {
		diff = append(diff, "{Job.Steps} %d is below the checkpoint's step %d")
		args = append(args, job.Steps, c.Driver.Step)
	}
	if len(diff) == 0 {
		return nil
	}
	return &wrapped{ErrCheckpointMismatch, FieldErrorf(strings.Join(diff, "; "), args...)}
}

// short abbreviates a hex hash for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "none"
	}
	return h
}

// checkFinite refuses a state holding a NaN or an infinity, naming the
// first one.
func (s *State) checkFinite(names []string) error {
	if i := firstNonFinite(s.Params); i >= 0 {
		return fmt.Errorf("%w: parameter %d is %g", ErrCheckpointNonFinite, i, s.Params[i])
	}
	for k, v := range s.Vectors {
		if i := firstNonFinite(v); i >= 0 {
			name := strconv.Itoa(k)
			if k < len(names) {
				name = names[k]
			}
			return fmt.Errorf("%w: %s[%d] is %g", ErrCheckpointNonFinite, name, i, v[i])
		}
	}
	for _, v := range []float64{s.Scalars.MuProduct, s.Scalars.T, s.Scalars.HDiag} {
		if !finite(v) {
			return fmt.Errorf("%w: scalar state %g", ErrCheckpointNonFinite, v)
		}
	}
	return nil
}

func firstNonFinite(v []float64) int {
	for i, x := range v {
		if x-x != 0 { // NaN or ±Inf
			return i
		}
	}
	return -1
}

// ckptHeader is the JSON header of the file.
type ckptHeader struct {
	Job             Job
	Fingerprint     string
	FingerprintText string
	Backend         string
	Driver          DriverState
	Step            int
	Scalars         ScalarState
	Dim             int
	Vectors         []string // the state vectors' names, Optimizer.StateNames
}

// writeHook, when set (by tests), wraps the writer the checkpoint goes
// through, e.g. to inject an I/O error part-way.
var writeHook func(io.Writer) io.Writer

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteCheckpoint writes c to path atomically: to a temporary file in the
// same folder, fsynced, closed, renamed over path, and the folder fsynced.
// Whatever happens (an error, a full disk, the process killed), path holds
// either its previous content or all of c, never a mix. A state with a NaN
// or an infinity is refused (ErrCheckpointNonFinite) and nothing is
// written. A process killed mid-write may leave the temporary file
// (".NAME.tmp-*" beside path); it is safe to delete.
func WriteCheckpoint(path string, c *Checkpoint) (err error) {
	prefix := "gdgpu: checkpoint " + path + ": "
	fail := func(err error) error {
		return errors.New(prefix + strings.TrimPrefix(err.Error(), "gdgpu: "))
	}
	hdr, err := c.header()
	if err != nil {
		return fmt.Errorf("gdgpu: checkpoint %s: %w", path, err)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fail(err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if writeHook != nil {
		w = writeHook(w)
	}
	if err = encodeCheckpoint(w, hdr, &c.State); err != nil {
		return fail(err)
	}
	if err = f.Sync(); err != nil {
		return fail(err)
	}
	// 0644, as every file gdgpu writes (the temporary file is made 0600).
	if err = f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err = f.Close(); err != nil {
		return fail(err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	// The rename is durable once the folder is.
	if d, derr := os.Open(dir); derr == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil {
			return fail(serr)
		}
	} else {
		return fail(derr)
	}
	return nil
}

// header checks c and returns its header, JSON-encoded.
func (c *Checkpoint) header() ([]byte, error) {
	if err := c.Job.validate(true); err != nil {
		return nil, err
	}
	names := c.Job.Optimizer.StateNames()
	s := &c.State
	if len(s.Params) != c.Job.Dim || len(s.Vectors) != len(names) {
		return nil, fmt.Errorf("gdgpu: state has %d parameters and %d vectors, the job needs %d and %d", len(s.Params), len(s.Vectors), c.Job.Dim, len(names))
	}
	for k, v := range s.Vectors {
		if len(v) != c.Job.Dim {
			return nil, fmt.Errorf("gdgpu: state vector %s has %d values, the job needs %d", names[k], len(v), c.Job.Dim)
		}
	}
	if s.Step != c.Driver.Step {
		return nil, fmt.Errorf("gdgpu: backend step %d and driver step %d differ", s.Step, c.Driver.Step)
	}
	if err := s.checkFinite(names); err != nil {
		return nil, err
	}
	text, sum := c.Job.Fingerprint()
	return json.Marshal(ckptHeader{
		Job: c.Job, Fingerprint: sum, FingerprintText: text, Backend: c.Backend,
		Driver: c.Driver, Step: s.Step, Scalars: s.Scalars, Dim: c.Job.Dim, Vectors: names,
	})
}

// encodeCheckpoint writes the format: magic, version, header length,
// header, header CRC-32C, the vectors as little-endian float64 (parameters
// first), and the CRC-32C of everything before it.
func encodeCheckpoint(w io.Writer, hdr []byte, s *State) error {
	if len(hdr) > maxCheckpointHeader {
		return fmt.Errorf("gdgpu: header of %d bytes exceeds %d", len(hdr), maxCheckpointHeader)
	}
	crc := crc32.New(castagnoli)
	bw := bufio.NewWriterSize(io.MultiWriter(w, crc), 1<<16)
	var pre [16]byte
	copy(pre[:], checkpointMagic)
	binary.LittleEndian.PutUint32(pre[8:], CheckpointVersion)
	binary.LittleEndian.PutUint32(pre[12:], uint32(len(hdr)))
	bw.Write(pre[:])
	bw.Write(hdr)
	if err := bw.Flush(); err != nil {
		return err
	}
	bw.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	var buf [8]byte
	for _, v := range append([][]float64{s.Params}, s.Vectors...) {
		for _, x := range v {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(x))
			bw.Write(buf[:])
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	_, err := w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// ReadCheckpoint reads and checks the checkpoint at path. It refuses a file
// with the wrong magic or version, a truncated or overlong one, one whose
// checksums do not match, one whose header is inconsistent (a length that
// disagrees with the file's size is refused before anything is allocated
// for it), and one holding a NaN or an infinity. Errors start with
// "gdgpu: checkpoint PATH: " and wrap ErrCheckpointCorrupt or
// ErrCheckpointVersion.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	// A fifo would block the open: refuse anything but a regular file first.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gdgpu: checkpoint %s: not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gdgpu: checkpoint %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("gdgpu: checkpoint %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("gdgpu: checkpoint %s: not a regular file", path)
	}
	c, err := DecodeCheckpoint(bufio.NewReaderSize(f, 1<<16), st.Size())
	if err != nil {
		return nil, fmt.Errorf("gdgpu: checkpoint %s: %w", path, err)
	}
	return c, nil
}

// DecodeCheckpoint reads a checkpoint of size bytes from r (see
// ReadCheckpoint); its errors name no file.
func DecodeCheckpoint(r io.Reader, size int64) (*Checkpoint, error) {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrCheckpointCorrupt}, args...)...)
	}
	crc := crc32.New(castagnoli)
	tr := io.TeeReader(r, crc)
	var pre [16]byte
	if _, err := io.ReadFull(tr, pre[:]); err != nil {
		return nil, corrupt("truncated: %d bytes, too short for a checkpoint", size)
	}
	if string(pre[:8]) != checkpointMagic {
		return nil, corrupt("not a gdgpu checkpoint (bad magic %q)", pre[:8])
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != CheckpointVersion {
		return nil, fmt.Errorf("%w %d (this gdgpu reads version %d)", ErrCheckpointVersion, v, CheckpointVersion)
	}
	hlen := int64(binary.LittleEndian.Uint32(pre[12:]))
	if hlen > maxCheckpointHeader || 16+hlen+4+4 > size {
		return nil, corrupt("header length %d does not fit the file's %d bytes (truncated?)", hlen, size)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(tr, hdr); err != nil {
		return nil, corrupt("truncated in the header")
	}
	want := crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(tr, sum[:]); err != nil {
		return nil, corrupt("truncated in the header")
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return nil, corrupt("header checksum mismatch (stored %08x, computed %08x)", got, want)
	}
	var h ckptHeader
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, corrupt("header: %v", err)
	}
	if err := h.Job.validate(true); err != nil {
		// %w: the CLI finds the FieldError in it and names its flags.
		return nil, corrupt("header: %w", err)
	}
	names := h.Job.Optimizer.StateNames()
	if h.Dim != h.Job.Dim || len(h.Vectors) != len(names) || len(names) > maxCheckpointVectors {
		return nil, corrupt("header: %d values and %d vectors %v, the job needs %d and %v", h.Dim, len(h.Vectors), h.Vectors, h.Job.Dim, names)
	}
	for k := range names {
		if h.Vectors[k] != names[k] {
			return nil, corrupt("header: vector %d is %q, the job's is %q", k, h.Vectors[k], names[k])
		}
	}
	if text, fp := h.Job.Fingerprint(); fp != h.Fingerprint || text != h.FingerprintText {
		return nil, corrupt("header: fingerprint does not match the job")
	}
	if h.Step != h.Driver.Step || h.Step < 0 || len(h.Driver.History) > maxHistory ||
		(h.Driver.Plateau != nil) != (h.Job.Schedule.Kind == "plateau") {
		return nil, corrupt("header: inconsistent driver state")
	}
	if err := h.Job.Optimizer.CheckScalars(h.Scalars); err != nil {
		return nil, corrupt("header: %v", err)
	}
	nvec := int64(1 + len(names))
	if expect := 16 + hlen + 4 + nvec*8*int64(h.Dim) + 4; expect != size {
		if size < expect {
			return nil, corrupt("truncated: %d bytes, the header announces %d", size, expect)
		}
		return nil, corrupt("%d bytes, the header announces %d", size, expect)
	}
	c := &Checkpoint{
		Version: CheckpointVersion, Job: h.Job, Fingerprint: h.Fingerprint, FingerprintText: h.FingerprintText,
		Backend: h.Backend, Driver: h.Driver,
		State: State{Step: h.Step, Scalars: h.Scalars, Params: make([]float64, h.Dim), Vectors: make([][]float64, len(names))},
	}
	if err := readVector(tr, c.State.Params); err != nil {
		return nil, corrupt("truncated in the parameters")
	}
	for k := range c.State.Vectors {
		c.State.Vectors[k] = make([]float64, h.Dim)
		if err := readVector(tr, c.State.Vectors[k]); err != nil {
			return nil, corrupt("truncated in state vector %s", names[k])
		}
	}
	want = crc.Sum32()
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return nil, corrupt("truncated before the checksum")
	}
	if got := binary.LittleEndian.Uint32(sum[:]); got != want {
		return nil, corrupt("checksum mismatch (stored %08x, computed %08x)", got, want)
	}
	if err := c.State.checkFinite(names); err != nil {
		return nil, corrupt("%v", err)
	}
	return c, nil
}

func readVector(r io.Reader, dst []float64) error {
	var buf [8 * 4096]byte
	for i := 0; i < len(dst); {
		k := min(len(dst)-i, 4096)
		if _, err := io.ReadFull(r, buf[:8*k]); err != nil {
			return err
		}
		for j := range k {
			dst[i+j] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*j:]))
		}
		i += k
	}
	return nil
}

// restoreDriver sets the driver's schedule state from cp.
func restoreDriver(cp *Checkpoint, seq *LRSeq, plateau *Plateau) {
	seq.restore(cp.Driver.Seq)
	if plateau != nil && cp.Driver.Plateau != nil {
		plateau.restore(cp.Driver.Plateau)
	}
}

// takeCheckpoint fills c with the run's state at step t (the backend's
// through Snapshot, which waits for the device) and hands it to hook. A
// non-finite state is not handed on: the previous checkpoint stays.
func takeCheckpoint(c *Checkpoint, job *Job, b Backend, t int, seq *LRSeq, plateau *Plateau, history []float64, hook func(*Checkpoint) error) error {
	if err := b.Snapshot(&c.State); err != nil {
		return err
	}
	if c.State.checkFinite(nil) != nil {
		return nil
	}
	c.Version, c.Job, c.Backend = CheckpointVersion, *job, b.Name()
	c.FingerprintText, c.Fingerprint = job.Fingerprint()
	c.Driver = DriverState{Step: t, Seq: seq.state()}
	if job.Data != nil {
		c.Job.DataHash = job.Data.Hash
		bs, _ := Batches(job.BatchSize, job.Data.Rows)
		c.Driver.Epoch, c.Driver.Batch, _ = Batch(t, bs, job.Data.Rows)
		c.Driver.Batch /= bs
	}
	if plateau != nil {
		c.Driver.Plateau = plateau.state()
	}
	c.Driver.History = append(c.Driver.History[:0], history[max(0, len(history)-maxHistory):]...)
	if c.State.Step != t {
		return fmt.Errorf("gdgpu: backend %s is at step %d, the driver at %d", b.Name(), c.State.Step, t)
	}
	if err := hook(c); err != nil {
		return &hookError{err}
	}
	return nil
}

// hookError is Hooks.Checkpoint's own failure, told apart from the
// backend's: only the former lets a run that has ended finish first.
type hookError struct{ err error }

func (e *hookError) Error() string { return e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }
