package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

var fixture = []float64{1.5, -2.25, 0.0, 3e-8, -1e10}

func f32s(x []float64) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(float32(v))
	}
	return y
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestReadNumpyFiles reads files written by numpy itself (testdata/gen_npy.py).
func TestReadNumpyFiles(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []float64
		err  string // substring of the error, "" for success
	}{
		{"f8_le.npy", fixture, ""},
		{"f8_be.npy", fixture, ""},
		{"f4_le.npy", f32s(fixture), ""},
		{"f4_be.npy", f32s(fixture), ""},
		{"v2_f8.npy", fixture, ""},
		{"empty_f8.npy", []float64{}, ""},
		{"i8.npy", nil, "dtype '<i8' is not float32 or float64"},
		{"f2.npy", nil, "dtype '<f2' is not float32 or float64"},
		{"c16.npy", nil, "dtype '<c16' is not float32 or float64"},
		{"record.npy", nil, "is not float32 or float64"},
		{"scalar_f8.npy", nil, "0-D scalar"},
		{"matrix_f8.npy", nil, "shape (2, 3) has 2 dimensions"},
		{"fortran_f8.npy", nil, "shape (2, 3) has 2 dimensions"},
		{"v3_f8.npy", nil, "version 3.0 is not supported"},
		{"truncated_f8.npy", nil, "truncated"},
		{"trailing_f8.npy", nil, "8 bytes follow the 5 values"},
		{"header_only.npy", nil, "truncated"},
		{"gen_npy.py", nil, "magic"},
		{"missing.npy", nil, "no such file"},
		{".", nil, "not a regular file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			x, err := ReadVector(path)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !sameBits(x, tc.want) {
					t.Fatalf("got %v, want %v", x, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, read %v", x)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "data: ") || !strings.Contains(msg, path) || !strings.Contains(msg, tc.err) {
				t.Fatalf("error %q: want prefix \"data: \", the file %q and %q", msg, path, tc.err)
			}
		})
	}
}

func TestFormatErrorType(t *testing.T) {
	_, err := ReadVector("testdata/i8.npy")
	var fe *FormatError
	if !errors.As(err, &fe) || fe.File != "testdata/i8.npy" {
		t.Fatalf("%v is not a *FormatError for the file", err)
	}
	_, err = ReadVector("testdata/missing.npy")
	if errors.As(err, &fe) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%v: want an os.ErrNotExist, not a FormatError", err)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(),
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40, 0.1}
	cases := map[string][]float64{
		"empty":   {},
		"one":     {42},
		"special": special,
	}
	for _, n := range []int{255, 257, 100003} {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(20)-10))
		}
		cases[fmt.Sprint("random", n)] = x
	}
	for name, x := range cases {
		for _, dt := range []string{"f4", "f8"} {
			t.Run(name+"/"+dt, func(t *testing.T) {
				path := filepath.Join(dir, name+"_"+dt+".npy")
				if err := WriteVector(path, x, dt); err != nil {
					t.Fatal(err)
				}
				got, err := ReadVector(path)
				if err != nil {
					t.Fatal(err)
				}
				want := x
				if dt == "f4" {
					want = f32s(x)
				}
				if !sameBits(got, want) {
					t.Fatalf("round trip changed the values")
				}
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				esize := map[string]int64{"f4": 4, "f8": 8}[dt]
				hdr, _ := Header(dt, len(x))
				if st.Size() != int64(len(hdr))+esize*int64(len(x)) {
					t.Fatalf("file is %d bytes, want header %d + %d values", st.Size(), len(hdr), len(x))
				}
			})
		}
	}
}

// TestHeaderSpec checks written headers against the format specification
// (numpy.lib.format, NEP 1): magic, version 1.0, little-endian uint16
// header length, a Python dict literal with descr, fortran_order and shape,
// padded with spaces and ended by '\n' so that the data starts at a
// multiple of 64 bytes.
func TestHeaderSpec(t *testing.T) {
	for _, dt := range []string{"f4", "f8"} {
		for _, n := range []int{0, 1, 9, 10, 99, 12345, 1 << 20, math.MaxInt32} {
			h, err := Header(dt, n)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(h[:6], []byte("\x93NUMPY")) {
				t.Fatalf("magic %q", h[:6])
			}
			if h[6] != 1 || h[7] != 0 {
				t.Fatalf("version %d.%d, want 1.0", h[6], h[7])
			}
			hlen := int(binary.LittleEndian.Uint16(h[8:10]))
			if 10+hlen != len(h) {
				t.Fatalf("header length field %d, header has %d bytes after the prefix", hlen, len(h)-10)
			}
			if len(h)%64 != 0 {
				t.Fatalf("n=%d: header of %d bytes is not a multiple of 64", n, len(h))
			}
			dict := string(h[10:])
			want := fmt.Sprintf("{'descr': '<%s', 'fortran_order': False, 'shape': (%d,), }", dt, n)
			if !strings.HasPrefix(dict, want) || !strings.HasSuffix(dict, "\n") ||
				strings.TrimLeft(dict[len(want):], " ") != "\n" {
				t.Fatalf("dict %q, want %q padded with spaces and a newline", dict, want)
			}
		}
	}
	for _, bad := range []string{"f2", "<f8", "i8", ""} {
		if _, err := Header(bad, 1); err == nil || !strings.HasPrefix(err.Error(), "data: ") {
			t.Errorf("Header(%q): error %v", bad, err)
		}
	}
	if _, err := Header("f8", -1); err == nil {
		t.Error("Header with a negative length: no error")
	}
}

func TestWriteAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	if err := WriteVector(path, []float64{1, 2, 3}, "f8"); err != nil {
		t.Fatal(err)
	}
	if err := WriteVector(path, []float64{4, 5}, "f4"); err != nil {
		t.Fatal(err)
	}
	got, err := ReadVector(path)
	if err != nil || !sameBits(got, []float64{4, 5}) {
		t.Fatalf("after overwrite: %v, %v", got, err)
	}
	// A refused dtype and an unwritable folder leave the file as it was.
	if err := WriteVector(path, []float64{7}, "f16"); err == nil {
		t.Fatal("dtype f16 accepted")
	}
	if err := WriteVector(filepath.Join(dir, "nope", "y.npy"), []float64{7}, "f8"); err == nil || !strings.HasPrefix(err.Error(), "data: ") {
		t.Fatalf("write into a missing folder: %v", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "x.npy" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("folder holds %v, want only x.npy (no temporary files left)", names)
	}
	if got, _ := ReadVector(path); !sameBits(got, []float64{4, 5}) {
		t.Fatalf("failed writes changed the file: %v", got)
	}
}

// TestNumpyReadsWrittenFiles loads files WriteVector wrote with numpy, where
// a python3 with numpy is installed (Debian: python3-numpy). It is an
// interoperability check on top of TestHeaderSpec, skipped without numpy.
func TestNumpyReadsWrittenFiles(t *testing.T) {
	py := ""
	for _, c := range []string{"python3", "/usr/bin/python3"} {
		if p, err := exec.LookPath(c); err == nil && exec.Command(p, "-c", "import numpy").Run() == nil {
			py = p
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with numpy")
	}
	dir := t.TempDir()
	x := []float64{1.5, -2.25, 0, 3e-8, -1e10, math.Inf(1)}
	for _, dt := range []string{"f4", "f8"} {
		path := filepath.Join(dir, dt+".npy")
		if err := WriteVector(path, x, dt); err != nil {
			t.Fatal(err)
		}
		script := `import sys, numpy as np
a = np.load(sys.argv[1])
print(a.dtype.str, a.shape, a.flags['C_CONTIGUOUS'], ' '.join(repr(float(v)) for v in a))`
		out, err := exec.Command(py, "-c", script, path).CombinedOutput()
		if err != nil {
			t.Fatalf("numpy.load: %v\n%s", err, out)
		}
		want := fmt.Sprintf("<%s (6,) True 1.5 -2.25 0.0 %s -10000000000.0 inf\n", dt,
			map[string]string{"f4": "2.999999892949745e-08", "f8": "3e-08"}[dt])
		if string(out) != want {
			t.Fatalf("numpy read %q, want %q", out, want)
		}
	}
}

// FuzzReadVector feeds arbitrary bytes to the reader: it must return values
// or an error, never panic, and what it reads must survive a write and a
// read back unchanged. The seed corpus is in testdata/fuzz/FuzzReadVector.
func FuzzReadVector(f *testing.F) {
	for _, name := range []string{"f8_le.npy", "f4_be.npy", "matrix_f8.npy", "v2_f8.npy"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := decode("fuzz.npy", bytes.NewReader(b), int64(len(b)))
		if err != nil {
			if x != nil {
				t.Fatalf("values and an error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "data: fuzz.npy: ") {
				t.Fatalf("error %q does not start with \"data: fuzz.npy: \"", err)
			}
			return
		}
		path := filepath.Join(dir, "rt.npy")
		if err := WriteVector(path, x, "f8"); err != nil {
			t.Fatal(err)
		}
		y, err := ReadVector(path)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(x, y) {
			t.Fatal("write and read back changed the values")
		}
	})
}

// The readers refuse a fifo at once (its open would block until a writer
// came) and a folder, naming what it is; a missing file is the open's
// error.
func TestReadersRefuseNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	readers := map[string]func(string) error{
		"ReadVector":    func(p string) error { _, err := ReadVector(p); return err },
		"ReadNpyMatrix": func(p string) error { _, _, _, err := ReadNpyMatrix(p); return err },
		"ReadCSV":       func(p string) error { _, err := ReadCSV(p, CSVOptions{Target: "y"}); return err },
	}
	for name, read := range readers {
		for path, want := range map[string]string{fifo: "fifo", dir: "directory", filepath.Join(dir, "none"): "no such file"} {
			if err := read(path); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "data: ") {
				t.Errorf("%s(%s) = %v, want an error saying %q", name, path, err, want)
			}
		}
	}
}

// Headers numpy does not write are refused as malformed, quoting the
// header and saying what is wanted, never with npyio's internals
// (strconv.Atoi, a recovered slice-bounds panic) or a misread shape.
func TestMalformedHeadersNamed(t *testing.T) {
	dir := t.TempDir()
	for i, dict := range []string{
		"{'descr': '<f8', 'fortran_order': False, 'shape': ()), }",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (,), }",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3, }",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (3,)",
		"{'descr': '<f8', 'fortran_order': Fals, 'shape': (3,), }",
		"{'descr': '<f8' 'fortran_order': False, 'shape': (3,), }",
		"{'descr': , 'fortran_order': False, 'shape': (3,), }",
		"{'shape': (3,), 'descr': '<f8', 'fortran_order': False, 'shape': (2,)}",
		"{'descr': '<f8', 'fortran_order': False, 'shape': (9999999999999999999999,), }",
	} {
		h := dict + strings.Repeat(" ", 117-len(dict)) + "\n"
		b := append(append([]byte("\x93NUMPY\x01\x00"), byte(len(h)), 0), h...)
		b = append(b, make([]byte, 24)...)
		p := filepath.Join(dir, fmt.Sprintf("h%d.npy", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err1 := ReadVector(p)
		_, _, _, err2 := ReadNpyMatrix(p)
		for _, err := range []error{err1, err2} {
			if err == nil || !strings.Contains(err.Error(), "malformed header") || strings.Contains(err.Error(), "strconv") || strings.Contains(err.Error(), "runtime error") || strings.Contains(err.Error(), "0-D") {
				t.Errorf("%s: %v", dict, err)
			}
		}
	}
}
