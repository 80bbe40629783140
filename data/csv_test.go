package data

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// writeTemp writes content to dir/name and returns the path.
func writeTemp(t testing.TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReadCSVValid(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, content string
		opt           CSVOptions
		features      []string
		x, y          []float32
		classes       []float64
	}{
		{
			name:     "plain",
			content:  "a,b,y\n1,2,3\n4,5,6\n",
			opt:      CSVOptions{Target: "y"},
			features: []string{"a", "b"},
			x:        []float32{1, 2, 4, 5}, y: []float32{3, 6},
		},
		{
			name:     "bom crlf no final newline",
			content:  "\xEF\xBB\xBFa,b,y\r\n1,2,3\r\n4,5,6",
			opt:      CSVOptions{Target: "y"},
			features: []string{"a", "b"},
			x:        []float32{1, 2, 4, 5}, y: []float32{3, 6},
		},
		{
			name:     "target first, quoted fields with commas, spaces trimmed",
			content:  "y,\"note, free text\",\"a\"\n\"1\",\"x, y\", 2.5 \n0,z,-1e3\n",
			opt:      CSVOptions{Target: "y", Features: []string{"a"}},
			features: []string{"a"},
			x:        []float32{2.5, -1000}, y: []float32{1, 0},
		},
		{
			name:     "features reorder, unused text column skipped",
			content:  "id,a,b,c,y\nr1,1,2,3,1\nr2,4,5,6,0\n",
			opt:      CSVOptions{Target: "y", Features: []string{"c", "a"}, Labels: Binary},
			features: []string{"c", "a"},
			x:        []float32{3, 1, 6, 4}, y: []float32{1, 0},
			classes: []float64{0, 1},
		},
		{
			name:     "binary -1 1",
			content:  "a,y\n1,-1\n2,1\n3,-1\n",
			opt:      CSVOptions{Target: "y", Labels: Binary},
			features: []string{"a"},
			x:        []float32{1, 2, 3}, y: []float32{-1, 1, -1},
			classes: []float64{-1, 1},
		},
		{
			name:     "multiclass",
			content:  "a,y\n1,2\n2,0\n3,5.0\n4,2\n",
			opt:      CSVOptions{Target: "y", Labels: Multiclass},
			features: []string{"a"},
			x:        []float32{1, 2, 3, 4}, y: []float32{2, 0, 5, 2},
			classes: []float64{0, 2, 5},
		},
		{
			name:     "float32 extremes and hex",
			content:  "a,y\n3.4028234663852886e38,0x1p-3\n-1e-50,1.5\n",
			opt:      CSVOptions{Target: "y"},
			features: []string{"a"},
			x:        []float32{math.MaxFloat32, 0}, y: []float32{0.125, 1.5},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeTemp(t, dir, "v"+strconv.Itoa(i)+".csv", tc.content)
			d, err := ReadCSV(p, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Features, tc.features) || d.Target != "y" {
				t.Errorf("features %q target %q, want %q y", d.Features, d.Target, tc.features)
			}
			if d.Rows != len(tc.y) || d.Cols != len(tc.features) {
				t.Errorf("%dx%d, want %dx%d", d.Rows, d.Cols, len(tc.y), len(tc.features))
			}
			if !reflect.DeepEqual(d.X, tc.x) || !reflect.DeepEqual(d.Y, tc.y) {
				t.Errorf("X %v Y %v, want %v %v", d.X, d.Y, tc.x, tc.y)
			}
			if !reflect.DeepEqual(d.Classes, tc.classes) {
				t.Errorf("classes %v, want %v", d.Classes, tc.classes)
			}
		})
	}
}

func TestReadCSVRefusals(t *testing.T) {
	dir := t.TempDir()
	y := CSVOptions{Target: "y"}
	tests := []struct {
		name, content string
		opt           CSVOptions
		line, col     int    // 0: the error has none
		colName       string // "" : the error names no column
		msg           string // a part of the problem
	}{
		{"non-numeric", "a,b,y\n1,2,3\n1,abc,3\n", y, 3, 2, "b", `"abc" is not a number`},
		{"empty cell", "a,b,y\n1,,3\n", y, 2, 2, "b", "empty cell"},
		{"too few fields", "a,b,y\n1,2,3\n1,2\n", y, 3, 3, "y", "row has 2 fields, the header has 3: too few"},
		{"too many fields", "a,b,y\n1,2,3,4\n", y, 2, 4, "", "row has 4 fields, the header has 3: too many"},
		{"nan", "a,y\n1,2\nnan,3\n", y, 3, 1, "a", "NaN is not allowed"},
		{"NaN upper", "a,y\n1,NaN\n", y, 2, 2, "y", "NaN is not allowed"},
		{"inf", "a,y\ninf,2\n", y, 2, 1, "a", "infinity is not allowed"},
		{"Infinity", "a,y\n1,Infinity\n", y, 2, 2, "y", "infinity is not allowed"},
		{"+Inf", "a,y\n+Inf,1\n", y, 2, 1, "a", "infinity is not allowed"},
		{"-infinity", "a,y\n-iNfInItY,1\n", y, 2, 1, "a", "infinity is not allowed"},
		{"overflow float32", "a,y\n1e39,1\n", y, 2, 1, "a", `"1e39" overflows float32`},
		{"overflow float32 negative", "a,y\n1,-3.5e38\n", y, 2, 2, "y", "overflows float32"},
		{"overflow float64", "a,y\n1e400,1\n", y, 2, 1, "a", `"1e400" overflows float32`},
		{"crlf line numbers", "a,y\r\n1,2\r\n1,x\r\n", y, 3, 2, "y", `"x" is not a number`},
		{"quoted newline line numbers", "t,a,y\n\"x\ny\",1,2\nz,3,x\n", CSVOptions{Target: "y", Features: []string{"a"}}, 4, 3, "y", `"x" is not a number`},
		{"bom then non-numeric", "\xEF\xBB\xBFa,y\n1,x\n", y, 2, 2, "y", `"x" is not a number`},
		{"empty file", "", y, 0, 0, "", "empty file"},
		{"bom only", "\xEF\xBB\xBF", y, 0, 0, "", "empty file"},
		{"header only", "a,b,y\n", y, 1, 0, "", "header only: no data rows"},
		{"header only crlf", "a,b,y\r\n", y, 1, 0, "", "header only"},
		{"missing target", "a,b,c\n1,2,3\n", y, 1, 0, "", `no target column "y"`},
		{"duplicate header", "a,b,a,y\n1,2,3,4\n", y, 1, 3, "a", "duplicate header name (also column 1)"},
		{"empty header name", "a,,y\n1,2,3\n", y, 1, 2, "", "empty header name"},
		{"blank header name", "a, ,y\n1,2,3\n", y, 1, 2, "", "empty header name"},
		{"features twice", "a,b,y\n1,2,3\n", CSVOptions{Target: "y", Features: []string{"a", "a"}}, 1, 0, "", `feature "a" named twice`},
		{"features missing", "a,b,y\n1,2,3\n", CSVOptions{Target: "y", Features: []string{"a", "c"}}, 1, 0, "", `no feature column "c"`},
		{"features target", "a,b,y\n1,2,3\n", CSVOptions{Target: "y", Features: []string{"a", "y"}}, 1, 3, "y", "the target column cannot also be a feature"},
		{"only target", "y\n1\n", y, 1, 0, "", "no feature columns"},
		{"binary 2", "a,y\n1,0\n2,2\n", CSVOptions{Target: "y", Labels: Binary}, 3, 2, "y", "binary label 2"},
		{"binary 0.5", "a,y\n1,0.5\n", CSVOptions{Target: "y", Labels: Binary}, 2, 2, "y", "binary label 0.5"},
		{"binary mixed 0 and -1", "a,y\n1,0\n2,1\n3,-1\n", CSVOptions{Target: "y", Labels: Binary}, 4, 2, "y", "binary label -1, but line 2 has 0"},
		{"binary mixed -1 and 0", "a,y\n1,-1\n3,0\n", CSVOptions{Target: "y", Labels: Binary}, 3, 2, "y", "binary label 0, but line 2 has -1"},
		{"multiclass -1", "a,y\n1,0\n2,-1\n", CSVOptions{Target: "y", Labels: Multiclass}, 3, 2, "y", `class label "-1"`},
		{"multiclass 1.5", "a,y\n1,1.5\n", CSVOptions{Target: "y", Labels: Multiclass}, 2, 2, "y", `class label "1.5"`},
		{"multiclass near integer", "a,y\n1,1.00000001\n", CSVOptions{Target: "y", Labels: Multiclass}, 2, 2, "y", `class label "1.00000001"`},
		{"multiclass huge", "a,y\n1,1e9\n", CSVOptions{Target: "y", Labels: Multiclass}, 2, 2, "y", "want an integer in [0, 65535]"},
		{"nul byte", "a,y\n1,2\n3,\x004\n", y, 3, 0, "", "NUL byte: not a UTF-8 text file"},
		{"nul in header", "a\x00,y\n1,2\n", y, 1, 0, "", "NUL byte"},
		{"non-utf8 header", "a\xff,y\n1,2\n", y, 1, 1, "", "is not UTF-8"},
		{"bare quote", "a,y\n1,2\"x\n", y, 2, 0, "", "bare \" in non-quoted-field"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "r" + strconv.Itoa(i) + ".csv"
			p := writeTemp(t, dir, name, tc.content)
			d, err := ReadCSV(p, tc.opt)
			if err == nil {
				t.Fatalf("accepted: %+v", d)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: "+name) {
				t.Errorf("%q does not start with data: %s", msg, name)
			}
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("%q is not a *CSVError", msg)
			}
			if ce.Line != tc.line || ce.Column != tc.col || ce.Name != tc.colName {
				t.Errorf("%q: line %d column %d %q, want %d %d %q", msg, ce.Line, ce.Column, ce.Name, tc.line, tc.col, tc.colName)
			}
			want := "data: " + name
			if tc.line > 0 {
				want += ":" + strconv.Itoa(tc.line)
			}
			want += ": "
			if tc.col > 0 {
				want += "column " + strconv.Itoa(tc.col)
				if tc.colName != "" {
					want += " " + strconv.Quote(tc.colName)
				}
			}
			if !strings.HasPrefix(msg, want) || !strings.Contains(msg, tc.msg) {
				t.Errorf("%q\nwant prefix %q and %q", msg, want, tc.msg)
			}
		})
	}
}

func TestReadCSVBadArguments(t *testing.T) {
	p := writeTemp(t, t.TempDir(), "a.csv", "a,y\n1,2\n")
	for _, opt := range []CSVOptions{
		{},
		{Target: "y", Labels: LabelKind(7)},
		{Target: "y", Features: []string{}},
	} {
		if _, err := ReadCSV(p, opt); err == nil || !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("%+v: %v", opt, err)
		}
	}
	if _, err := ReadCSV(filepath.Join(t.TempDir(), "missing.csv"), CSVOptions{Target: "y"}); err == nil || !strings.Contains(err.Error(), "missing.csv") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadCSV(t.TempDir(), CSVOptions{Target: "y"}); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
}

// heapObjects returns the bytes of live and unswept heap objects, read
// without stopping the world.
func heapObjects(s []metrics.Sample) uint64 {
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// TestReadCSVStreams reads a 200k x 20 CSV (about 25 MB of text) and checks
// that the heap never grew beyond 3x the float32 payload while reading,
// sampling the heap every 100 µs with the collector tuned to run often: a
// reader that held the file's records as strings would hold several times
// the payload.
func TestReadCSVStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 25 MB file")
	}
	const rows, cols = 200_000, 20
	p := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for j := 0; j < cols-1; j++ {
		w.WriteString("f" + strconv.Itoa(j) + ",")
	}
	w.WriteString("y\n")
	var buf []byte
	for i := 0; i < rows; i++ {
		buf = buf[:0]
		for j := 0; j < cols; j++ {
			buf = strconv.AppendFloat(buf, float64(i%1000)*0.001+float64(j), 'g', -1, 32)
			if j < cols-1 {
				buf = append(buf, ',')
			} else {
				buf = append(buf, '\n')
			}
		}
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	base := heapObjects(s)
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(100 * time.Microsecond)
		defer tick.Stop()
		for {
			if h := heapObjects(s); h > peak.Load() {
				peak.Store(h)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	d, err := ReadCSV(p, CSVOptions{Target: "y"})
	elapsed := time.Since(start)
	close(done)
	<-stopped
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != rows || d.Cols != cols-1 || len(d.X) != rows*(cols-1) {
		t.Fatalf("%dx%d, len %d", d.Rows, d.Cols, len(d.X))
	}
	if got, want := d.X[(rows-1)*(cols-1)+3], float32(float64((rows-1)%1000)*0.001+3); got != want {
		t.Errorf("X[last,3] = %v, want %v", got, want)
	}
	payload := uint64(4 * rows * cols)
	growth := peak.Load() - min(base, peak.Load())
	t.Logf("read in %v; heap grew by at most %.1f MB for a %.1f MB payload (%.2fx)", elapsed, float64(growth)/1e6, float64(payload)/1e6, float64(growth)/float64(payload))
	if growth > 3*payload {
		t.Errorf("heap grew by %d bytes, more than 3x the %d-byte payload", growth, payload)
	}
	runtime.KeepAlive(d)
}

// FuzzReadCSV feeds arbitrary bytes to ReadCSV: it must not panic, and what
// it accepts must be consistent and finite. The seed corpus is in
// testdata/fuzz/FuzzReadCSV.
func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("a,b,y\n1,2,1\n3,4,0\n"))
	dir := f.TempDir()
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, strconv.FormatInt(n.Add(1), 10)+".csv")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(p)
		for _, opt := range []CSVOptions{{Target: "y"}, {Target: "y", Features: []string{"b", "a"}, Labels: Binary}, {Target: "y", Labels: Multiclass}} {
			d, err := ReadCSV(p, opt)
			if err != nil {
				if !strings.HasPrefix(err.Error(), "data: ") {
					t.Fatalf("error without the data: prefix: %v", err)
				}
				continue
			}
			if d.Rows < 1 || d.Cols < 1 || len(d.X) != d.Rows*d.Cols || len(d.Y) != d.Rows || len(d.Features) != d.Cols {
				t.Fatalf("inconsistent: %d x %d, len(X) %d, len(Y) %d, %d features", d.Rows, d.Cols, len(d.X), len(d.Y), len(d.Features))
			}
			for i, v := range append(append([]float32{}, d.X...), d.Y...) {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("value %d is %v", i, v)
				}
			}
			for _, v := range d.Y {
				switch opt.Labels {
				case Binary:
					if v != 1 && float64(v) != d.Classes[0] {
						t.Fatalf("binary label %v with classes %v", v, d.Classes)
					}
				case Multiclass:
					if v < 0 || v != float32(math.Trunc(float64(v))) {
						t.Fatalf("class label %v", v)
					}
				}
			}
		}
	})
}

// TestCSVClassNames: a classifier's target may hold names, numbered in
// sorted order (Iris by species name gives the numeric file's classes);
// Binary takes exactly two; names and numbers do not mix; a file without
// its target column reads with TargetOptional.
func TestCSVClassNames(t *testing.T) {
	num, err := ReadCSV("testdata/iris.csv", CSVOptions{Target: "species", Labels: Multiclass})
	if err != nil {
		t.Fatal(err)
	}
	named, err := ReadCSV("testdata/iris_names.csv", CSVOptions{Target: "species", Labels: Multiclass})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(named.ClassNames, []string{"setosa", "versicolor", "virginica"}) || !slices.Equal(named.Y, num.Y) ||
		!slices.Equal(named.Classes, num.Classes) || num.ClassNames != nil {
		t.Errorf("names %v, classes %v (numeric %v)", named.ClassNames, named.Classes, num.Classes)
	}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yes := write("yes.csv", "a,buy\n1,yes\n2,no\n3,yes\n")
	d, err := ReadCSV(yes, CSVOptions{Target: "buy", Labels: Binary})
	if err != nil || !slices.Equal(d.ClassNames, []string{"no", "yes"}) || !slices.Equal(d.Y, []float32{1, 0, 1}) {
		t.Errorf("yes/no: %v, %v, %v", err, d.ClassNames, d.Y)
	}
	for _, c := range []struct {
		body, target string
		kind         LabelKind
		want         string
	}{
		{"a,buy\n1,yes\n2,no\n3,maybe\n", "buy", Binary, "two names, found 3"},
		{"a,c\n1,0\n2,cat\n", "c", Multiclass, "all numbers or all names"},
		{"a,c\n1,cat\n2,\n", "c", Multiclass, "empty class name"},
		// A first label that is a number ParseFloat takes but the data
		// refuses (NaN, inf, past float32) stays refused: not a name.
		{"a,c\n1,NaN\n2,0\n", "c", Multiclass, "NaN is not allowed"},
		{"a,c\n1,inf\n2,0\n", "c", Multiclass, "infinity is not allowed"},
	} {
		_, err := ReadCSV(write("bad.csv", c.body), CSVOptions{Target: c.target, Labels: c.kind})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.body, err, c.want)
		}
	}
	feats := write("feats.csv", "b,a\n5,1\n6,2\n")
	d, err = ReadCSV(feats, CSVOptions{Target: "y", Features: []string{"a", "b"}, TargetOptional: true})
	if err != nil || d.Y != nil || d.Rows != 2 || !slices.Equal(d.X, []float32{1, 5, 2, 6}) {
		t.Errorf("no target: %v, %+v", err, d)
	}
}
