package jobfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/jobfile"
)

// TestParse: keys come in the order of their lines, with their lines
// (a table header's and a dotted key's first part included), after a
// byte-order mark as without one.
func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      []jobfile.Entry
	}{
		{"empty", "", nil},
		{"comments", "# a job\n\n", nil},
		{"order", "steps = 5\n\n# lr\nlr = 0.5\nproblem = 'x'\n", []jobfile.Entry{
			{Key: "steps", Value: int64(5), Line: 1},
			{Key: "lr", Value: 0.5, Line: 4},
			{Key: "problem", Value: "x", Line: 5},
		}},
		{"bom", "\ufeffdim = 10\nlr = 1\n", []jobfile.Entry{
			{Key: "dim", Value: int64(10), Line: 1},
			{Key: "lr", Value: int64(1), Line: 2},
		}},
		{"array", "lr-milestones = [\n  10,\n  20,\n]\nseed = 3\n", []jobfile.Entry{
			{Key: "lr-milestones", Value: []any{int64(10), int64(20)}, Line: 1},
			{Key: "seed", Value: int64(3), Line: 5},
		}},
		{"table", "dim = 2\n[adam]\nlr = 1\n", []jobfile.Entry{
			{Key: "dim", Value: int64(2), Line: 1},
			{Key: "adam", Value: map[string]any{"lr": int64(1)}, Line: 2},
		}},
		{"dotted", "lr.x = 1\n", []jobfile.Entry{
			{Key: "lr", Value: map[string]any{"x": int64(1)}, Line: 1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := jobfile.Parse("job.toml", []byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != "job.toml" || !reflect.DeepEqual(f.Entries, tc.want) {
				t.Errorf("got %s %#v\nwant %#v", f.Path, f.Entries, tc.want)
			}
		})
	}
}

// TestParseErrors: a syntax error names the file and its line.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		doc  string
		line int
	}{
		{"device = 'cpu'\nlr = = 1\n", 2},
		{"lr = 1\nlr = 2\n", 2},
		{"\ufeffa = 1\nb = [1,\n", 2},
		{"x = 'unterminated\n", 1},
	} {
		_, err := jobfile.Parse("bad.toml", []byte(tc.doc))
		var je *jobfile.Error
		if !errors.As(err, &je) {
			t.Fatalf("%q: %v, want a *jobfile.Error", tc.doc, err)
		}
		prefix := "jobfile: job file bad.toml line " + strconv.Itoa(tc.line) + ": "
		if je.Path != "bad.toml" || je.Line != tc.line || !strings.HasPrefix(err.Error(), prefix) {
			t.Errorf("%q: %v (line %d), want %q...", tc.doc, err, je.Line, prefix)
		}
	}
}

// TestRead: a file is read and parsed; what is no regular file, or too
// large, is refused naming the path.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok.toml", "dim = 10\n")
	f, err := jobfile.Read(ok)
	if err != nil || f.Path != ok || len(f.Entries) != 1 || f.Entries[0].Key != "dim" {
		t.Fatalf("Read(%s) = %+v, %v", ok, f, err)
	}
	// Exactly MaxSize bytes are read; one more is refused.
	atMax := write("max.toml", "#"+strings.Repeat("x", jobfile.MaxSize-2)+"\n")
	if _, err := jobfile.Read(atMax); err != nil {
		t.Errorf("a file of MaxSize bytes: %v", err)
	}
	missing := filepath.Join(dir, "missing.toml")
	for _, tc := range []struct {
		path, want string
		is         error
	}{
		{missing, "jobfile: job file " + missing + ": no such file or directory", fs.ErrNotExist},
		{dir, "jobfile: job file " + dir + " is a folder", nil},
		{os.DevNull, "jobfile: job file " + os.DevNull + " is not a regular file", nil},
		{write("big.toml", "# "+strings.Repeat("x", jobfile.MaxSize)+"\n"),
			"jobfile: job file " + filepath.Join(dir, "big.toml") + " is larger than 1048576 bytes", nil},
	} {
		_, err := jobfile.Read(tc.path)
		var je *jobfile.Error
		if !errors.As(err, &je) || je.Path != tc.path || err.Error() != tc.want {
			t.Errorf("Read(%s) = %v, want %q", tc.path, err, tc.want)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("Read(%s) = %v, want it to wrap %v", tc.path, err, tc.is)
		}
	}
}

// TestText: each kind renders the TOML values it accepts as the text its
// setting parses, and refuses the others saying what it expects, at the
// entry's file, line and key.
func TestText(t *testing.T) {
	for _, tc := range []struct {
		kind jobfile.Kind
		doc  string // "v = ..."
		want string // the text, or the error after `key "v": `
		err  bool
	}{
		{jobfile.Int, "v = -3", "-3", false},
		{jobfile.Int, "v = 1.5", "expected an integer, got a float", true},
		{jobfile.Int, "v = 'big'", "expected an integer, got a string", true},
		{jobfile.Uint, "v = 7", "7", false},
		{jobfile.Uint, "v = -3", "expected an integer >= 0, got -3", true},
		{jobfile.Uint, "v = true", "expected an integer >= 0, got a boolean", true},
		{jobfile.Uint, `v = "18446744073709551615"`, "18446744073709551615", false},
		{jobfile.Uint, `v = "18446744073709551616"`, "expected an integer >= 0, got a string", true},
		{jobfile.Uint, `v = "-1"`, "expected an integer >= 0, got a string", true},
		{jobfile.Uint, `v = "010"`, "10", false}, // decimal, not octal
		{jobfile.Int, `v = "7"`, "expected an integer, got a string", true},
		{jobfile.Float, "v = 1e-3", "0.001", false},
		{jobfile.Float, "v = 0.1", "0.1", false},
		{jobfile.Float, "v = 3", "3", false},
		{jobfile.Float, "v = inf", "+Inf", false},
		{jobfile.Float, "v = -inf", "-Inf", false},
		{jobfile.Float, "v = nan", "NaN", false},
		{jobfile.Float, "v = '0.1'", "expected a number, got a string", true},
		{jobfile.Float, "v.x = 1", "expected a number, got a table", true},
		{jobfile.Bool, "v = false", "false", false},
		{jobfile.Bool, "v = 1", "expected true or false, got an integer", true},
		{jobfile.Duration, "v = '90s'", "90s", false},
		{jobfile.Duration, "v = 90", `expected a duration string such as "90s" or "5m", got an integer`, true},
		{jobfile.IntList, "v = [100, 200]", "100,200", false},
		{jobfile.IntList, "v = []", "", false},
		{jobfile.IntList, "v = '100,200'", "100,200", false},
		{jobfile.IntList, "v = [1, 2.5]", "expected an array of integers, got a float at index 1", true},
		{jobfile.IntList, "v = 100", `expected an array of integers or a comma-separated string such as "100,200", got an integer`, true},
		{jobfile.Features, "v = 4", "4", false},
		{jobfile.Features, "v = ['a', 'b c']", "a,b c", false},
		{jobfile.Features, "v = 'a,b'", "a,b", false},
		{jobfile.Features, "v = ['a', 3]", "expected an array of column names, got an integer at index 1", true},
		{jobfile.Features, "v = 1.5", "expected a string, got a float", true},
		{jobfile.String, "v = 'x'", "x", false},
		{jobfile.String, "v = 1979-05-27", "expected a string, got a date or time", true},
		{jobfile.String, "v = 1979-05-27T07:32:00Z", "expected a string, got a date or time", true},
		{jobfile.String, "v = [1]", "expected a string, got an array", true},
	} {
		f, err := jobfile.Parse("t.toml", []byte("# kind\n"+tc.doc+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.doc, err)
		}
		got, err := f.Text(f.Entries[0], tc.kind)
		if !tc.err {
			if err != nil || got != tc.want {
				t.Errorf("kind %d %s: %q, %v; want %q", tc.kind, tc.doc, got, err, tc.want)
			}
			continue
		}
		var je *jobfile.Error
		want := `jobfile: job file t.toml line 2: key "v": ` + tc.want
		if !errors.As(err, &je) || err.Error() != want || je.Line != 2 || je.Key != "v" {
			t.Errorf("kind %d %s: %v\nwant %s", tc.kind, tc.doc, err, want)
		}
	}
}

// TestKeyError: a setting's refusal of a value is placed at its key, and
// stays in the chain.
func TestKeyError(t *testing.T) {
	f, err := jobfile.Parse("k.toml", []byte("\n\nlr = -1\n"))
	if err != nil {
		t.Fatal(err)
	}
	reason := errors.New("must be >= 0")
	err = f.KeyError(f.Entries[0], reason)
	if want := `jobfile: job file k.toml line 3: key "lr": must be >= 0`; err.Error() != want || !errors.Is(err, reason) {
		t.Errorf("%v, want %s wrapping the reason", err, want)
	}
}

// FuzzParse: parsing any bytes never panics; an error is a *jobfile.Error
// naming the file; the keys come in the order of their lines, each line
// within the file.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"problem = \"quadratic\"\ndim = 100\ncond = 1e3\n",
		"\ufeffoptimizer = 'sgd'\nlr = 1e-3\nnesterov = true\n",
		"schedule = 'multistep'\nlr-milestones = [10, 20]\n",
		"[table]\nx = 1\n[[arr]]\ny = 2\n",
		"a.b.c = 1\nd = { e = 2 }\n",
		"lr = inf\nseed = -1\nt = 1979-05-27\n",
		"lr = = 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		const name = "fuzz.toml"
		jf, err := jobfile.Parse(name, b)
		if err != nil {
			var je *jobfile.Error
			if !errors.As(err, &je) || je.Path != name || !strings.Contains(err.Error(), name) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		lines := strings.Count(string(b), "\n") + 1
		for i, e := range jf.Entries {
			if e.Line < 1 || e.Line > lines {
				t.Errorf("key %q at line %d of %d", e.Key, e.Line, lines)
			}
			if i > 0 && e.Line < jf.Entries[i-1].Line {
				t.Errorf("key %q (line %d) after %q (line %d)", e.Key, e.Line, jf.Entries[i-1].Key, jf.Entries[i-1].Line)
			}
			for _, k := range []jobfile.Kind{jobfile.String, jobfile.Int, jobfile.Uint, jobfile.Float,
				jobfile.Bool, jobfile.Duration, jobfile.IntList, jobfile.Features} {
				if _, err := jf.Text(e, k); err != nil && !strings.Contains(err.Error(), name) {
					t.Errorf("key %q, kind %d: error does not name the file: %v", e.Key, k, err)
				}
			}
		}
	})
}
