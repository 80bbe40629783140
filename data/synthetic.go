package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
)

// MaxSyntheticValues bounds samples*features for Synthetic: 2^31 float32
// values are 8 GiB, beyond any dataset gdgpu is meant to generate.
const MaxSyntheticValues = 1 << 31

// Synthetic generates a seeded dataset; the same arguments give the same
// bits with the same Go release (it draws from math/rand/v2's PCG seeded
// with seed).
//
// "regression": X has independent N(0, 1) entries; the weights w_j and the
// intercept b are N(0, 1); y = X·w + b + noise·N(0, 1). The Dataset's TrueW
// and TrueB hold w and b, so a fit can be checked. classes must be 0.
//
// "classification": Gaussian blobs. Each of classes (>= 2) classes has a
// centre whose coordinates are uniform in [-3, 3]; a sample's label is
// uniform over the classes and its features are its centre plus
// noise·N(0, I). Labels are 0 .. classes-1 (binary: {0, 1}), and Classes
// lists them.
//
// Features are named x0, x1, ... and the target y. noise must be finite
// and non-negative.
func Synthetic(kind string, samples, features, classes int, noise float64, seed uint64) (*Dataset, error) {
	switch {
	case samples < 1:
		return nil, fmt.Errorf("data: synthetic: samples %d: want at least 1", samples)
	case features < 1:
		return nil, fmt.Errorf("data: synthetic: features %d: want at least 1", features)
	case samples > MaxSyntheticValues/features:
		return nil, fmt.Errorf("data: synthetic: %d samples x %d features exceeds %d values", samples, features, MaxSyntheticValues)
	case math.IsNaN(noise) || math.IsInf(noise, 0) || noise < 0:
		return nil, fmt.Errorf("data: synthetic: noise %v: want a finite value >= 0", noise)
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	d := &Dataset{
		Target: "y",
		Rows:   samples,
		Cols:   features,
		X:      make([]float32, samples*features),
		Y:      make([]float32, samples),
	}
	for j := 0; j < features; j++ {
		d.Features = append(d.Features, "x"+strconv.Itoa(j))
	}
	switch kind {
	case "regression":
		if classes != 0 {
			return nil, fmt.Errorf("data: synthetic: classes %d: regression takes none (0)", classes)
		}
		w := make([]float64, features)
		for j := range w {
			w[j] = rng.NormFloat64()
		}
		b := rng.NormFloat64()
		for i := 0; i < samples; i++ {
			row := d.X[i*features : (i+1)*features]
			y := b
			for j := range row {
				v := float32(rng.NormFloat64())
				row[j] = v
				y += float64(float64(v) * w[j]) // rounded: no FMA, the same data everywhere
			}
			d.Y[i] = float32(y + float64(noise*rng.NormFloat64()))
		}
		d.TrueW, d.TrueB = w, b
	case "classification":
		if classes < 2 || classes > MaxClassLabel+1 {
			return nil, fmt.Errorf("data: synthetic: classes %d: want 2 to %d", classes, MaxClassLabel+1)
		}
		centres := make([]float64, classes*features)
		for k := range centres {
			centres[k] = float64(6*rng.Float64()) - 3 // rounded: no FMA
		}
		for i := 0; i < samples; i++ {
			c := rng.IntN(classes)
			row := d.X[i*features : (i+1)*features]
			for j := range row {
				row[j] = float32(centres[c*features+j] + float64(noise*rng.NormFloat64()))
			}
			d.Y[i] = float32(c)
		}
		d.Classes = make([]float64, classes)
		for k := range d.Classes {
			d.Classes[k] = float64(k)
		}
	default:
		return nil, fmt.Errorf("data: synthetic: kind %q: want regression or classification", kind)
	}
	return d, nil
}

// Standardize scales each feature column of X in place to mean 0 and
// standard deviation 1, and returns the means and standard deviations it
// used (population standard deviation, dividing by Rows, as scikit-learn's
// StandardScaler does), accumulated in float64 over two passes. A constant
// column has standard deviation 0: its std is reported as 1, so the column
// becomes all zeros rather than NaN. The target is not touched. Apply the
// same mean and std to held-out data with StandardizeWith.
func (d *Dataset) Standardize() (mean, std []float64) {
	mean = make([]float64, d.Cols)
	std = make([]float64, d.Cols)
	if d.Rows == 0 {
		for j := range std {
			std[j] = 1
		}
		return mean, std
	}
	for i := 0; i < d.Rows; i++ {
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(d.Rows)
	}
	for i := 0; i < d.Rows; i++ {
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			e := float64(v) - mean[j]
			std[j] += float64(e * e) // rounded: no FMA
		}
	}
	for j := range std {
		std[j] = math.Sqrt(std[j] / float64(d.Rows))
		if std[j] == 0 {
			std[j] = 1
		}
	}
	d.StandardizeWith(mean, std)
	return mean, std
}

// StandardizeWith applies x' = (x - mean) / std to each feature column of X
// in place, with a mean and std from Standardize (for example the training
// set's, applied to a held-out set). It panics if their lengths are not Cols.
func (d *Dataset) StandardizeWith(mean, std []float64) {
	if len(mean) != d.Cols || len(std) != d.Cols {
		panic(fmt.Sprintf("data: StandardizeWith: %d means and %d stds for %d columns", len(mean), len(std), d.Cols))
	}
	for i := 0; i < d.Rows; i++ {
		row := d.X[i*d.Cols : (i+1)*d.Cols]
		for j, v := range row {
			row[j] = float32((float64(v) - mean[j]) / std[j])
		}
	}
}
