package data

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// npyMatrix returns a version 1.0 .npy file of the given descr, shape and
// fortran flag holding vals encoded as descr says.
func npyMatrix(descr string, shape string, fortran bool, vals []float64) []byte {
	f := "False"
	if fortran {
		f = "True"
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
	pad := (64 - (10+len(dict)+1)%64) % 64
	hdr := dict + strings.Repeat(" ", pad) + "\n"
	var b bytes.Buffer
	b.Write(Magic[:])
	b.Write([]byte{1, 0})
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	var order binary.ByteOrder = binary.LittleEndian
	if descr[0] == '>' {
		order = binary.BigEndian
	}
	for _, v := range vals {
		if strings.HasSuffix(descr, "f4") {
			binary.Write(&b, order, float32(v))
		} else {
			binary.Write(&b, order, v)
		}
	}
	return b.Bytes()
}

func TestReadNpyMatrix(t *testing.T) {
	// numpy.save(np.arange(6, dtype="<f8").reshape(2, 3)), see gen_npy.py.
	x, r, c, err := ReadNpyMatrix(filepath.Join("testdata", "matrix_f8.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if r != 2 || c != 3 || !reflect.DeepEqual(x, []float32{0, 1, 2, 3, 4, 5}) {
		t.Errorf("%dx%d %v", r, c, x)
	}

	dir := t.TempDir()
	big := make([]float64, 7000*3) // more than one 64 KiB block
	for i := range big {
		big[i] = float64(i) - 0.5
	}
	want := make([]float32, len(big))
	for i, v := range big {
		want[i] = float32(v)
	}
	for _, tc := range []struct {
		descr, shape string
		fortran      bool
		vals         []float64
		rows, cols   int
	}{
		{"<f4", "(2, 2)", false, []float64{1, 2, 3, 4}, 2, 2},
		{">f4", "(1, 3)", false, []float64{1, 2, 3}, 1, 3},
		{">f8", "(3, 1)", true, []float64{1, 2, 3}, 3, 1}, // one column: both orders agree
		{"<f8", "(0, 4)", false, nil, 0, 4},
		{"<f8", "(7000, 3)", false, big, 7000, 3},
		{"<f4", "(7000, 3)", false, big, 7000, 3},
	} {
		p := filepath.Join(dir, "m.npy")
		os.WriteFile(p, npyMatrix(tc.descr, tc.shape, tc.fortran, tc.vals), 0o644)
		x, r, c, err := ReadNpyMatrix(p)
		if err != nil {
			t.Errorf("%s %s: %v", tc.descr, tc.shape, err)
			continue
		}
		if r != tc.rows || c != tc.cols || len(x) != len(tc.vals) {
			t.Errorf("%s %s: %dx%d len %d", tc.descr, tc.shape, r, c, len(x))
			continue
		}
		for i, v := range tc.vals {
			if x[i] != float32(v) {
				t.Errorf("%s %s: x[%d] = %v, want %v", tc.descr, tc.shape, i, x[i], v)
				break
			}
		}
	}
}

func TestReadNpyMatrixRefusals(t *testing.T) {
	dir := t.TempDir()
	ok := npyMatrix("<f8", "(2, 2)", false, []float64{1, 2, 3, 4})
	for _, tc := range []struct {
		name string
		b    []byte
		msg  string
	}{
		{"vector", npyMatrix("<f8", "(4,)", false, []float64{1, 2, 3, 4}), "shape (4,) has 1 dimensions, want 2"},
		{"3-d", npyMatrix("<f8", "(1, 2, 2)", false, []float64{1, 2, 3, 4}), "has 3 dimensions"},
		{"int", npyMatrix("<i8", "(2, 2)", false, []float64{1, 2, 3, 4}), "is not float32 or float64"},
		{"fortran", npyMatrix("<f8", "(2, 2)", true, []float64{1, 2, 3, 4}), "fortran_order is True"},
		{"truncated", ok[:len(ok)-1], "truncated"},
		{"trailing", append(append([]byte{}, ok...), 0), "1 bytes follow the 4 values"},
		{"nan", npyMatrix("<f4", "(2, 2)", false, []float64{1, 2, math.NaN(), 4}), "element [1, 0] is NaN"},
		{"inf", npyMatrix("<f8", "(2, 2)", false, []float64{1, math.Inf(-1), 3, 4}), "element [0, 1] is -Inf"},
		{"overflow", npyMatrix("<f8", "(2, 2)", false, []float64{1, 2, 3, 1e39}), "element [1, 1] = 1e+39 overflows float32"},
		{"not npy", []byte("a,b,c\n1,2,3\n"), "magic"},
		{"empty", nil, "shorter than a .npy prefix"},
	} {
		p := filepath.Join(dir, "bad.npy")
		os.WriteFile(p, tc.b, 0o644)
		_, _, _, err := ReadNpyMatrix(p)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "data: bad.npy: ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want a FormatError with %q", tc.name, err, tc.msg)
		}
	}
}
