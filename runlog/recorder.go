package runlog

import (
	"fmt"
	"time"

	"github.com/gdgpu/gdgpu"
)

// A Recorder logs a run's samples to a file through gdgpu.Hooks, as
// gdgpu run --log does. The file is created (Create) at the run's first
// sample, not before: a run refused at its start (a non-finite start
// point, a job the backend refuses) leaves an existing log as it was and
// creates none. Close ends it; a run that ended whole without a sample
// still gets the header there.
type Recorder struct {
	path string
	job  *gdgpu.Job
	f    *File
	err  error // Create's, kept for Close
	done bool
}

// NewRecorder returns a Recorder of job's samples to path; nothing is
// created until the first sample. Hooks.Sample takes its Sample method.
func NewRecorder(path string, job *gdgpu.Job) *Recorder {
	return &Recorder{path: path, job: job}
}

// open creates the file once; a failure is kept, and later samples are
// dropped.
func (r *Recorder) open() {
	if r.f == nil && r.err == nil && !r.done {
		r.f, r.err = Create(r.path, r.job)
	}
}

// Sample is a gdgpu.Hooks.Sample: it creates the file at the first call
// and appends the sample as a row (Writer.Row). After Close it does
// nothing.
func (r *Recorder) Sample(s gdgpu.Sample, lr float64, elapsed time.Duration) {
	r.open()
	if r.f != nil && !r.done {
		r.f.Row(s, lr, elapsed)
	}
}

// A WriteError is a log created but not written whole: a row's, the
// flush's or the close's error, as it was.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("runlog: writing %s: %v", e.Path, e.Err) }

// Unwrap returns the error as the file system gave it.
func (e *WriteError) Unwrap() error { return e.Err }

// Close ends the log and returns the rows written. whole says that the
// run ended without an error: a log that had no sample is then created
// with its header, whereas a failed run that never sampled leaves none.
// The error is Create's as the file system gave it, or a *WriteError;
// Close after the first returns 0 and nil.
func (r *Recorder) Close(whole bool) (rows int, err error) {
	if whole {
		r.open()
	}
	if r.done {
		return 0, nil
	}
	r.done = true
	if r.err != nil {
		return 0, r.err
	}
	if r.f == nil {
		return 0, nil
	}
	rows = r.f.Rows()
	if err := r.f.Close(); err != nil {
		return rows, &WriteError{Path: r.path, Err: err}
	}
	return rows, nil
}
