// Package runlog writes and reads gdgpu's CSV run log: a header, then one
// row per Sample, with the columns step, loss, grad_norm, lr and
// elapsed_s, and for a model on data accuracy, val_loss and val_accuracy
// where they apply (Columns). gdgpu run --log writes it through a
// Recorder, which gives a run's hooks a Writer on the file Create makes at
// the first sample; gdgpu plot reads it with ReadColumns.
package runlog

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
)

// Columns names the log's columns for job, in order.
func Columns(job *gdgpu.Job) []string {
	c := []string{"step", "loss", "grad_norm", "lr", "elapsed_s"}
	if d := job.Data; d != nil {
		acc, val := d.Classes > 0, d.ValRows > 0
		if acc {
			c = append(c, "accuracy")
		}
		if val {
			c = append(c, "val_loss")
			if acc {
				c = append(c, "val_accuracy")
			}
		}
	}
	return c
}

// Writer writes a run log through a buffer. Row never fails: the first
// error sticks, and Flush returns it.
type Writer struct {
	w        *bufio.Writer
	buf      []byte
	rows     int
	err      error
	acc, val bool // the model columns accuracy, val_loss, val_accuracy
}

// NewWriter starts a log of job's samples on w: it writes the header.
func NewWriter(w io.Writer, job *gdgpu.Job) *Writer {
	l := &Writer{w: bufio.NewWriter(w)}
	if d := job.Data; d != nil {
		l.acc, l.val = d.Classes > 0, d.ValRows > 0
	}
	_, l.err = l.w.WriteString(strings.Join(Columns(job), ",") + "\n")
	return l
}

// Row appends one sample taken at learning rate lr, elapsed after the
// run's start. Numbers are written in the shortest form that reads back
// exactly; elapsed_s to the microsecond. It allocates nothing once its
// buffer has grown to a row's length.
func (l *Writer) Row(s gdgpu.Sample, lr float64, elapsed time.Duration) {
	if l.err != nil {
		return
	}
	b := strconv.AppendInt(l.buf[:0], int64(s.Step), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, s.Loss, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, s.GradNorm, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, lr, 'g', -1, 64)
	b = append(b, ',')
	b = strconv.AppendFloat(b, elapsed.Seconds(), 'f', 6, 64)
	if l.acc {
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.Accuracy, 'g', -1, 64)
	}
	if l.val {
		b = append(b, ',')
		b = strconv.AppendFloat(b, s.ValLoss, 'g', -1, 64)
		if l.acc {
			b = append(b, ',')
			b = strconv.AppendFloat(b, s.ValAccuracy, 'g', -1, 64)
		}
	}
	b = append(b, '\n')
	l.buf = b
	if _, l.err = l.w.Write(b); l.err == nil {
		l.rows++
	}
}

// Rows is the number of rows written.
func (l *Writer) Rows() int { return l.rows }

// Flush writes what is buffered and returns the first error met.
func (l *Writer) Flush() error {
	if ferr := l.w.Flush(); l.err == nil {
		l.err = ferr
	}
	return l.err
}

// File is a log being written to a file: a Writer on it.
type File struct {
	*Writer
	f *os.File
}

// Create replaces path with a new log of job's samples holding the
// header: written to a temporary file in its folder and renamed into
// place, so that an existing log is either whole or replaced. Rows are
// then appended to the file in place, so that it can be followed while
// the run goes on; Close ends it. An error is the file system's, as it
// gave it.
func Create(path string, job *gdgpu.Job) (_ *File, err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	l := &File{f: f, Writer: NewWriter(f, job)}
	if err := l.Flush(); err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return nil, err
	}
	return l, nil
}

// Close flushes the rows and closes the file, returning the first error
// met (a row's, the flush's or the close's) as it was.
func (l *File) Close() error {
	err := l.Flush()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Table is columns of a log read back, row by row.
type Table struct {
	// Values holds, for each row, the requested columns' values in the
	// order asked for; NaN and ±Inf are kept (a diverged run's).
	Values [][]float64
	// Lines is each row's line number in the file (1 is the header).
	Lines []int
}

// FormatError is a log that cannot be read: the file, the line (0 when
// the whole file is at fault) and why.
type FormatError struct {
	Path   string
	Line   int
	Reason string
}

func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("runlog: %s:%d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("runlog: %s: %s", e.Path, e.Reason)
}

// ReadColumns reads the named columns of the log in r (path names it in
// errors). A header without one of them, a row whose field count differs
// from the header's, a requested cell that is not a number, or a file
// without a header is a *FormatError naming the line; blank lines are
// skipped, a UTF-8 byte-order mark is accepted, and a cell past float64's
// range reads as ±Inf (or 0), like any other value. Cells of the other
// columns are not parsed.
func ReadColumns(r io.Reader, path string, cols ...string) (*Table, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, &FormatError{Path: path, Reason: err.Error()}
		}
		return nil, &FormatError{Path: path, Reason: "empty file; want a CSV log from gdgpu run --log"}
	}
	header := strings.Split(strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff")), ",")
	idx := make([]int, len(cols))
	for k, c := range cols {
		idx[k] = -1
		for i, h := range header {
			if strings.TrimSpace(h) == c {
				idx[k] = i
			}
		}
		if idx[k] < 0 {
			return nil, &FormatError{Path: path, Line: 1, Reason: fmt.Sprintf("no column %q in header %q", c, sc.Text())}
		}
	}
	t := &Table{}
	line := 1
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		cells := strings.Split(text, ",")
		if len(cells) != len(header) {
			return nil, &FormatError{Path: path, Line: line, Reason: fmt.Sprintf("%d fields, the header has %d", len(cells), len(header))}
		}
		row := make([]float64, len(cols))
		for k, i := range idx {
			s := strings.TrimSpace(cells[i])
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				var ne *strconv.NumError
				if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
					return nil, &FormatError{Path: path, Line: line, Reason: fmt.Sprintf("column %s: %q is not a number", cols[k], s)}
				}
			}
			row[k] = v
		}
		t.Values = append(t.Values, row)
		t.Lines = append(t.Lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, &FormatError{Path: path, Reason: err.Error()}
	}
	return t, nil
}
