package data

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
)

// TestIris reads testdata/iris.csv and checks it against the published
// summary statistics of Fisher's Iris data (R's datasets::iris: the means,
// standard deviations and per-species means that summary() and aggregate()
// print), so that a typo in the typed-in table shows.
func TestIris(t *testing.T) {
	d, err := ReadCSV(filepath.Join("testdata", "iris.csv"), CSVOptions{Target: "species", Labels: Multiclass})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != 150 || d.Cols != 4 || !reflect.DeepEqual(d.Classes, []float64{0, 1, 2}) {
		t.Fatalf("%d rows, %d cols, classes %v", d.Rows, d.Cols, d.Classes)
	}
	if !reflect.DeepEqual(d.Features, []string{"sepal_length", "sepal_width", "petal_length", "petal_width"}) {
		t.Errorf("features %q", d.Features)
	}
	count := make([]int, 3)
	sum := make([]float64, 12) // per species, per feature
	for i, y := range d.Y {
		c := int(y)
		count[c]++
		for j := 0; j < 4; j++ {
			sum[c*4+j] += float64(d.X[i*4+j])
		}
		if want := i / 50; c != want {
			t.Fatalf("row %d has species %d, want %d", i, c, want)
		}
	}
	if !reflect.DeepEqual(count, []int{50, 50, 50}) {
		t.Errorf("per species %v, want 50 each", count)
	}
	speciesMeans := []float64{
		5.006, 3.428, 1.462, 0.246, // setosa
		5.936, 2.770, 4.260, 1.326, // versicolor
		6.588, 2.974, 5.552, 2.026, // virginica
	}
	for k, want := range speciesMeans {
		if got := sum[k] / 50; math.Abs(got-want) > 5e-7 {
			t.Errorf("species %d feature %d mean %.7f, want %.3f", k/4, k%4, got, want)
		}
	}
	mean := []float64{5.843333, 3.057333, 3.758000, 1.199333}
	sd := []float64{0.8280661, 0.4358663, 1.7652982, 0.7622377} // sample sd (n-1)
	for j := 0; j < 4; j++ {
		m, ss := 0.0, 0.0
		for i := 0; i < 150; i++ {
			m += float64(d.X[i*4+j])
		}
		m /= 150
		for i := 0; i < 150; i++ {
			e := float64(d.X[i*4+j]) - m
			ss += e * e
		}
		if s := math.Sqrt(ss / 149); math.Abs(m-mean[j]) > 5e-7 || math.Abs(s-sd[j]) > 5e-7 {
			t.Errorf("%s: mean %.7f sd %.7f, want %.6f %.7f", d.Features[j], m, s, mean[j], sd[j])
		}
	}

	// As a binary problem the file is refused: species 2 is not a binary label.
	if _, err := ReadCSV(filepath.Join("testdata", "iris.csv"), CSVOptions{Target: "species", Labels: Binary}); err == nil {
		t.Error("iris accepted as binary")
	} else if want := "data: iris.csv:102: column 5 \"species\": binary label 2"; err.Error()[:len(want)] != want {
		t.Errorf("%v, want %s...", err, want)
	}
}
