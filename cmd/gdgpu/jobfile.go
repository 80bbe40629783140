package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A job file is a TOML file whose keys are the long flag names of the
// command that reads it, e.g.
//
//	problem = "rosenbrock"
//	dim = 1048576
//	lr = 1e-3
//	schedule = "multistep"
//	lr-milestones = [100, 200]
//	time-limit = "90s"
//
// Each key is applied through the command's FlagSet, as if it had been
// given on the command line, unless the flag itself was given there: flags
// override the file. The flag table stays the one list of what a job is;
// build checks the values either way.

// maxJobFile bounds what a job file may hold: one is a few hundred bytes.
const maxJobFile = 1 << 20

// jobEntry is one top-level key of a job file.
type jobEntry struct {
	key   string
	value any // as go-toml decodes it: string, int64, float64, bool, []any, map[string]any, a time
	line  int // 1-based
	// applied: the key set its flag (the command line did not give it).
	applied bool
}

// jobFile is a parsed job file, its keys in the order they appear.
type jobFile struct {
	path    string
	entries []jobEntry
}

// readJobFile reads and parses the job file at path. Every error names
// the path.
func readJobFile(path string) (*jobFile, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, unwrapPath(err))
	}
	if st.IsDir() {
		return nil, fmt.Errorf("job file %s is a folder", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("job file %s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxJobFile+1))
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, unwrapPath(err))
	}
	if len(b) > maxJobFile {
		return nil, fmt.Errorf("job file %s is larger than %d bytes", path, maxJobFile)
	}
	return parseJobFile(path, b)
}

// unwrapPath drops the operation and path of an *os.PathError, which the
// caller's message names already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseJobFile parses the TOML document b, read from path.
func parseJobFile(path string, b []byte) (*jobFile, error) {
	// A UTF-8 byte-order mark is accepted, as in CSV files (editors on
	// Windows write one); it precedes line 1, so lines stay as they are.
	b = bytes.TrimPrefix(b, []byte("\ufeff"))
	var m map[string]any
	if err := toml.Unmarshal(b, &m); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, _ := de.Position()
			return nil, fmt.Errorf("job file %s line %d: %s", path, row, strings.TrimPrefix(de.Error(), "toml: "))
		}
		return nil, fmt.Errorf("job file %s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}
	lines := keyLines(b)
	jf := &jobFile{path: path}
	for k, v := range m {
		jf.entries = append(jf.entries, jobEntry{key: k, value: v, line: lines[k]})
	}
	slices.SortFunc(jf.entries, func(a, b jobEntry) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.key, b.key)
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

// tomlType names the TOML type of a decoded value.
func tomlType(v any) string {
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

// flagValue renders a job-file value as the text the flag's Set takes, or
// says what the flag expects.
func flagValue(fl *pflag.Flag, v any) (string, error) {
	typ := fl.Value.Type()
	bad := func(want string) (string, error) {
		return "", fmt.Errorf("expected %s, got %s", want, tomlType(v))
	}
	switch typ {
	case "int", "int64", "uint64", "uint":
		want := "an integer"
		if strings.HasPrefix(typ, "uint") {
			want = "an integer >= 0"
		}
		n, ok := v.(int64)
		if !ok {
			return bad(want)
		}
		if strings.HasPrefix(typ, "uint") && n < 0 {
			return "", fmt.Errorf("expected %s, got %d", want, n)
		}
		return strconv.FormatInt(n, 10), nil
	case "float64", "float32":
		switch n := v.(type) {
		case float64:
			return strconv.FormatFloat(n, 'g', -1, 64), nil
		case int64:
			return strconv.FormatInt(n, 10), nil
		}
		return bad("a number")
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return bad("true or false")
		}
		return strconv.FormatBool(b), nil
	case "duration":
		s, ok := v.(string)
		if !ok {
			return bad(`a duration string such as "90s" or "5m"`)
		}
		return s, nil
	case "intSlice":
		switch a := v.(type) {
		case string:
			return a, nil
		case []any:
			parts := make([]string, len(a))
			for i, e := range a {
				n, ok := e.(int64)
				if !ok {
					return "", fmt.Errorf("expected an array of integers, got %s at index %d", tomlType(e), i)
				}
				parts[i] = strconv.FormatInt(n, 10)
			}
			return strings.Join(parts, ","), nil
		}
		return bad(`an array of integers or a comma-separated string such as "100,200"`)
	default: // string, and any flag type added later: its text
		if fl.Name == "features" {
			// A count with --synthetic, or the CSV columns as a string or
			// an array of strings.
			switch a := v.(type) {
			case int64:
				return strconv.FormatInt(a, 10), nil
			case []any:
				parts := make([]string, len(a))
				for i, e := range a {
					s, ok := e.(string)
					if !ok {
						return "", fmt.Errorf("expected an array of column names, got %s at index %d", tomlType(e), i)
					}
					parts[i] = s
				}
				return strings.Join(parts, ","), nil
			}
		}
		s, ok := v.(string)
		if !ok {
			return bad("a string")
		}
		return s, nil
	}
}

// apply sets cmd's flags from jf, skipping those given on the command
// line. A key that is no flag of cmd, a value of the wrong type and a
// value the flag refuses are usage errors naming the key, file and line.
func (jf *jobFile) apply(cmd *cobra.Command) error {
	fs := cmd.Flags()
	for i := range jf.entries {
		e := &jf.entries[i]
		where := fmt.Sprintf("job file %s line %d", jf.path, e.line)
		fl := fs.Lookup(e.key)
		if fl == nil || e.key == "help" {
			if cmd.Name() == "compare" && newRunCmd(io.Discard, io.Discard).Flags().Lookup(e.key) != nil {
				return usagef("%s: key %q is a flag of gdgpu run that compare does not take", where, e.key)
			}
			return usagef("%s: unknown key %q (keys are the long flag names of gdgpu %s; gdgpu %s --help lists them)",
				where, e.key, cmd.Name(), cmd.Name())
		}
		if fs.Changed(e.key) {
			continue // the command line wins
		}
		s, err := flagValue(fl, e.value)
		if err != nil {
			return usagef("%s: key %q: %v", where, e.key, err)
		}
		if err := fs.Set(e.key, s); err != nil {
			return usagef("%s: key %q: %v", where, e.key, err)
		}
		e.applied = true
	}
	return nil
}

// loadJobFile applies the job file at path, if any, to cmd's flags. It
// returns the file (nil without one), whose annotate places later errors.
func loadJobFile(cmd *cobra.Command, args []string) (*jobFile, error) {
	if len(args) == 0 {
		return nil, nil
	}
	jf, err := readJobFile(args[0])
	if err != nil {
		return nil, usagef("%v", err)
	}
	return jf, jf.apply(cmd)
}

// annotate adds to a usage error that names a flag the job file set (and
// the command line did not) the file and line of its key, so that a value
// the job's checks refuse later ("--lr NaN is out of range") is found in
// the file. Other errors, and a nil jf, pass through.
func (jf *jobFile) annotate(err error) error {
	var ee *exitError
	if jf == nil || !errors.As(err, &ee) || ee.code != exitUsage || ee.err == nil {
		return err
	}
	msg := ee.err.Error()
	for _, e := range jf.entries {
		if e.applied && strings.Contains(msg, "--"+e.key+" ") {
			return usagef("%s (job file %s line %d, key %q)", msg, jf.path, e.line, e.key)
		}
	}
	return err
}

// absPath returns path made absolute, or path itself if that fails.
func absPath(path string) string {
	if a, err := filepath.Abs(path); err == nil {
		return a
	}
	return path
}
