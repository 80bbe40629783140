// Package jobfile reads and writes gdgpu's job files: TOML files whose
// top-level keys describe a run, e.g.
//
//	problem = "rosenbrock"
//	dim = 1048576
//	lr = 1e-3
//	schedule = "multistep"
//	lr-milestones = [100, 200]
//	time-limit = "90s"
//
// The keys are the format's own: those Entries writes for a gdgpu.Job
// (the problem's and the data's, an optimizer's hyperparameters by their
// names, the schedule's parameters by ScheduleParam.Key, the stopping
// rules). gdgpu's command line takes the same names as long flags, and
// applies a file's keys as if they had been given as flags.
//
// Read and Parse give a file's keys in file order with their lines, and
// File.Text renders a value as the text a setting of its Kind parses;
// Decode reads the keys into a gdgpu.JobRequest, whose Build makes the
// job; Entries and Encode write a run's effective job, which reads back
// to the same values and, through Decode and Build, to the same job.
package jobfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/gdgpu/gdgpu/internal/fsutil"
)

// MaxSize bounds what a job file may hold, in bytes: one is a few hundred.
const MaxSize = 1 << 20

// Entry is one top-level key of a job file.
type Entry struct {
	Key string
	// Value is as go-toml decodes it: string, int64, float64, bool, []any,
	// map[string]any (a table, or a dotted key), or a time
	// (time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime).
	Value any
	Line  int // 1-based
}

// File is a parsed job file.
type File struct {
	Path    string  // as given to Read or Parse; every error names it
	Entries []Entry // in the order of their lines
}

// Error is the refusal of a job file or of one of its keys. Its message
// names the file, and the line and key where one is refused.
type Error struct {
	Path string
	Line int    // 1-based; 0 when the file as a whole is refused
	Key  string // the key refused; "" when none is
	Err  error  // the underlying error, where there is one (an I/O or TOML error, a setting's refusal)
	msg  string // the message, without the package prefix
}

// Error returns the message with the package prefix.
func (e *Error) Error() string { return "jobfile: " + e.msg }

// Unwrap returns the underlying error, if any.
func (e *Error) Unwrap() error { return e.Err }

// fileError is a refusal of the file at path as a whole.
func fileError(path string, err error, format string, args ...any) *Error {
	return &Error{Path: path, Err: err, msg: fmt.Sprintf(format, args...)}
}

// Read reads and parses the job file at path (Parse). A path that is not
// a regular file, or holds more than MaxSize bytes, is refused; every
// error is an *Error naming the path.
func Read(path string) (*File, error) {
	st, err := os.Stat(path)
	if err != nil {
		err = fsutil.Cause(err)
		return nil, fileError(path, err, "job file %s: %v", path, err)
	}
	if st.IsDir() {
		return nil, fileError(path, nil, "job file %s is a folder", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fileError(path, nil, "job file %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		err = fsutil.Cause(err)
		return nil, fileError(path, err, "job file %s: %v", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		err = fsutil.Cause(err)
		return nil, fileError(path, err, "job file %s: %v", path, err)
	}
	if len(b) > MaxSize {
		return nil, fileError(path, nil, "job file %s is larger than %d bytes", path, MaxSize)
	}
	return Parse(path, b)
}

// Parse parses the TOML document b, read from path, into its top-level
// keys in the order of their lines (keys on one line, as in an inline
// table's parent, by name). A UTF-8 byte-order mark is accepted. A syntax
// error is an *Error naming the path and line.
func Parse(path string, b []byte) (*File, error) {
	// A UTF-8 byte-order mark is accepted, as in CSV files (editors on
	// Windows write one); it precedes line 1, so lines stay as they are.
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	var m map[string]any
	if err := toml.Unmarshal(b, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, &Error{Path: path, Line: row, Err: err,
				msg: fmt.Sprintf("job file %s line %d: %s", path, row, strings.TrimPrefix(de.Error(), "toml: "))}
		}
		return nil, fileError(path, err, "job file %s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}
	lines := keyLines(b)
	jf := &File{Path: path}
	for k, v := range m {
		jf.Entries = append(jf.Entries, Entry{Key: k, Value: v, Line: lines[k]})
	}
	slices.SortFunc(jf.Entries, func(a, b Entry) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Key, b.Key)
	})
	return jf, nil
}

// keyLines returns the line of each top-level key of the document b,
// which toml.Unmarshal has accepted: a key = value before any table
// header, or the first part of a table header's name.
func keyLines(b []byte) map[string]int {
	lines := map[string]int{}
	var p unstable.Parser
	p.Reset(b)
	inTable := false
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.KeyValue:
			if inTable {
				continue
			}
		case unstable.Table, unstable.ArrayTable:
			inTable = true
		default:
			continue
		}
		it := e.Key()
		if !it.Next() {
			continue
		}
		k := it.Node()
		if _, ok := lines[string(k.Data)]; !ok {
			lines[string(k.Data)] = p.Shape(k.Raw).Start.Line
		}
	}
	return lines
}

// KeyError is the *Error refusing e's value for reason err: the setting
// the caller gave Text's result to refused it ("key "lr": ..." at e's
// file and line).
func (f *File) KeyError(e Entry, err error) *Error {
	return &Error{Path: f.Path, Line: e.Line, Key: e.Key, Err: err,
		msg: fmt.Sprintf("job file %s line %d: key %q: %v", f.Path, e.Line, e.Key, err)}
}

// Text renders e's value as the text a setting of kind k parses (the
// form the command line's flags take), or refuses it with an *Error
// saying what k expects.
func (f *File) Text(e Entry, k Kind) (string, error) {
	s, err := k.text(e.Value)
	if err != nil {
		return "", f.KeyError(e, err)
	}
	return s, nil
}

// TypeName names the TOML type of a decoded value, e.g. "an integer".
func TypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case time.Time, toml.LocalDate, toml.LocalTime, toml.LocalDateTime:
		return "a date or time"
	}
	return fmt.Sprintf("a %T", v)
}
