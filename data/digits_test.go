package data

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestDigits reads testdata/digits.csv and checks it is scikit-learn's
// load_digits (UCI's optdigits.tes): 1797 rows of 64 pixel counts, each an
// integer 0..16, and the published class counts of the digits 0..9.
func TestDigits(t *testing.T) {
	d, err := ReadCSV(filepath.Join("testdata", "digits.csv"), CSVOptions{Target: "digit", Labels: Multiclass})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 1797 || d.Cols != 64 || d.Features[0] != "p0" || d.Features[63] != "p63" {
		t.Fatalf("%d x %d, features %s..%s; want 1797 x 64, p0..p63", d.Rows, d.Cols, d.Features[0], d.Features[63])
	}
	for i, v := range d.X {
		if v < 0 || v > 16 || v != float32(int(v)) {
			t.Fatalf("value %d (row %d) is %v, not a count 0..16", i, i/64, v)
		}
	}
	counts := make([]int, 10)
	for _, y := range d.Y {
		counts[int(y)]++
	}
	if want := []int{178, 182, 177, 183, 181, 182, 181, 179, 174, 180}; !slices.Equal(counts, want) {
		t.Errorf("class counts %v, want %v", counts, want)
	}
}
