package data

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestSyntheticRegression(t *testing.T) {
	const n, p = 2000, 5
	d, err := Synthetic("regression", n, p, 0, 0.01, 42)
	if err != nil {
		t.Fatal(err)
	}
	if d.Rows != n || d.Cols != p || len(d.X) != n*p || len(d.Y) != n || len(d.TrueW) != p || d.Classes != nil {
		t.Fatalf("%dx%d len %d %d w %d", d.Rows, d.Cols, len(d.X), len(d.Y), len(d.TrueW))
	}
	// Least squares with an intercept column recovers w and b to about the
	// noise / sqrt(n).
	a := mat.NewDense(n, p+1, nil)
	y := mat.NewVecDense(n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < p; j++ {
			a.Set(i, j, float64(d.X[i*p+j]))
		}
		a.Set(i, p, 1)
		y.SetVec(i, float64(d.Y[i]))
	}
	var beta mat.VecDense
	if err := beta.SolveVec(a, y); err != nil {
		t.Fatal(err)
	}
	for j := 0; j < p; j++ {
		if math.Abs(beta.AtVec(j)-d.TrueW[j]) > 2e-3 {
			t.Errorf("w[%d] fit %v, true %v", j, beta.AtVec(j), d.TrueW[j])
		}
	}
	if math.Abs(beta.AtVec(p)-d.TrueB) > 2e-3 {
		t.Errorf("b fit %v, true %v", beta.AtVec(p), d.TrueB)
	}

	// Same seed, same bits; another seed, other bits.
	d2, _ := Synthetic("regression", n, p, 0, 0.01, 42)
	if !reflect.DeepEqual(d, d2) {
		t.Error("same seed gave a different dataset")
	}
	d3, _ := Synthetic("regression", n, p, 0, 0.01, 43)
	if reflect.DeepEqual(d.X, d3.X) {
		t.Error("another seed gave the same X")
	}
}

func TestSyntheticClassification(t *testing.T) {
	const n, p, k = 3000, 4, 3
	d, err := Synthetic("classification", n, p, k, 0.5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Classes, []float64{0, 1, 2}) || d.TrueW != nil {
		t.Fatalf("classes %v", d.Classes)
	}
	// Each class appears about n/k times, and its blob's spread is the noise.
	count := make([]int, k)
	mean := make([]float64, k*p)
	for i, y := range d.Y {
		c := int(y)
		if float32(c) != y || c < 0 || c >= k {
			t.Fatalf("label %v", y)
		}
		count[c]++
		for j := 0; j < p; j++ {
			mean[c*p+j] += float64(d.X[i*p+j])
		}
	}
	ss := 0.0
	for i, y := range d.Y {
		c := int(y)
		for j := 0; j < p; j++ {
			e := float64(d.X[i*p+j]) - mean[c*p+j]/float64(count[c])
			ss += e * e
		}
	}
	for c := range count {
		if count[c] < n/k-150 || count[c] > n/k+150 {
			t.Errorf("class %d has %d samples of %d", c, count[c], n)
		}
	}
	if sd := math.Sqrt(ss / float64(n*p)); math.Abs(sd-0.5) > 0.02 {
		t.Errorf("within-class sd %v, want 0.5", sd)
	}
}

func TestSyntheticRefusals(t *testing.T) {
	for _, tc := range []struct {
		kind                       string
		samples, features, classes int
		noise                      float64
		msg                        string
	}{
		{"regression", 0, 3, 0, 0, "samples 0"},
		{"regression", 10, 0, 0, 0, "features 0"},
		{"regression", 1 << 30, 4, 0, 0, "exceeds"},
		{"regression", 10, 3, 2, 0, "regression takes none"},
		{"regression", 10, 3, 0, -1, "noise -1"},
		{"regression", 10, 3, 0, math.NaN(), "noise NaN"},
		{"classification", 10, 3, 1, 0, "classes 1"},
		{"classification", 10, 3, 0, 0, "classes 0"},
		{"blobs", 10, 3, 2, 0, `kind "blobs"`},
	} {
		_, err := Synthetic(tc.kind, tc.samples, tc.features, tc.classes, tc.noise, 1)
		if err == nil || !strings.HasPrefix(err.Error(), "data: synthetic: ") || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}

func TestStandardize(t *testing.T) {
	d := &Dataset{Rows: 4, Cols: 3, X: []float32{
		1, 5, 1e6 + 1,
		2, 5, 1e6 + 2,
		3, 5, 1e6 + 3,
		4, 5, 1e6 + 4,
	}, Y: []float32{9, 9, 9, 9}}
	mean, std := d.Standardize()
	wantMean := []float64{2.5, 5, 1e6 + 2.5}
	s := math.Sqrt(1.25)
	wantStd := []float64{s, 1, s} // the constant column reports 1
	for j := range wantMean {
		if math.Abs(mean[j]-wantMean[j]) > 1e-9 || math.Abs(std[j]-wantStd[j]) > 1e-9 {
			t.Errorf("column %d: mean %v std %v, want %v %v", j, mean[j], std[j], wantMean[j], wantStd[j])
		}
	}
	for i := 0; i < 4; i++ {
		z := float32((float64(i+1) - 2.5) / s)
		if got := [3]float32(d.X[i*3 : i*3+3]); got != [3]float32{z, 0, z} {
			t.Errorf("row %d: %v, want [%v 0 %v]", i, got, z, z)
		}
	}
	if d.Y[0] != 9 {
		t.Error("the target changed")
	}

	// A standardized synthetic set has mean 0 and sd 1 per column.
	g, _ := Synthetic("classification", 1000, 3, 2, 1, 3)
	g.Standardize()
	m2, s2 := g.Standardize()
	for j := range m2 {
		if math.Abs(m2[j]) > 1e-6 || math.Abs(s2[j]-1) > 1e-6 {
			t.Errorf("after Standardize, column %d has mean %v sd %v", j, m2[j], s2[j])
		}
	}
}
