package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/spf13/cobra"
)

func newPredictCmd(stdout, stderr io.Writer) *cobra.Command {
	var model, dataPath, out string
	cmd := &cobra.Command{
		Use:   "predict --model PARAMS.npy --data FILE [--out FILE]",
		Short: "apply a trained model to new data and write its predictions as CSV",
		Long: `Apply a model that gdgpu run trained (--problem linear, logistic, perceptron,
hinge or softmax with --out PARAMS.npy) to the rows of a CSV file or a 2-D
.npy matrix. The model card PARAMS.npy.json beside the parameters gives the
features, classes, standardisation and layout.

A CSV must hold the card's feature columns, found by name; other columns are
ignored. An .npy matrix must have the card's features as its columns, in the
card's order. The CSV's rows are standardised with the card's training
statistics, as in training. Data whose columns do not match the card is
refused, naming them.

The output has one CSV row per input row. A regression writes "prediction".
A classifier writes "class" (its name, or its label as the training file
held it), and for logistic and softmax the probability of each class,
"p_<class>"; the perceptron and the hinge loss write their "score" z instead.
Without --out the CSV goes to stdout. With --out it is written atomically,
never over an input. When the CSV holds the card's target column, the
accuracy (classifiers) or the mean squared error (regression) is printed:
on stderr without --out, on stdout with it.`,
		Example: `  gdgpu run --problem softmax --data iris.csv --target species --standardize --epochs 200 --lr 0.05 --device cpu --out iris.npy
  gdgpu predict --model iris.npy --data iris.csv --out predictions.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []string{"model", "data"} {
				if !cmd.Flags().Changed(f) {
					return usagef("--%s is required", f)
				}
			}
			card, w, err := readModel(model)
			if err != nil {
				return err
			}
			rows, err := readPredictData(dataPath, card)
			if err != nil {
				return err
			}
			if out != "" {
				if err := checkPaths([]namedPath{{"--model", model}, {"--model's card", model + ".json"}, {"--data", dataPath}},
					[]namedPath{{"--out", out}}); err != nil {
					return err
				}
				if err := checkOutput("--out", out); err != nil {
					return err
				}
			}
			var b bytes.Buffer
			summary := writePredictions(&b, card, w, rows)
			if out == "" {
				if _, err := stdout.Write(b.Bytes()); err != nil {
					return failure(err)
				}
				if summary != "" {
					fmt.Fprintln(stderr, summary)
				}
				return nil
			}
			if err := writeAtomic(out, &b); err != nil {
				return failure(err)
			}
			fmt.Fprintf(stdout, "wrote %s: %d rows\n", out, rows.n)
			if summary != "" {
				fmt.Fprintln(stdout, summary)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "the trained parameters `PARAMS.npy` (gdgpu run --out), with PARAMS.npy.json beside them")
	cmd.Flags().StringVar(&dataPath, "data", "", "the rows to predict: a CSV with the card's feature columns, or a 2-D .npy `FILE`")
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the predictions to `FILE` (CSV) instead of stdout")
	return cmd
}

// readModel reads the parameters and their card, checking that they agree.
func readModel(path string) (*modelCard, []float64, error) {
	cardPath := path + ".json"
	if err := data.CheckRegular(cardPath); err != nil {
		return nil, nil, usagef("--model %s: no model card %s beside it (gdgpu run --out writes one for a model on data): %v", path, cardPath, err)
	}
	b, err := os.ReadFile(cardPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, usagef("--model %s: no model card %s beside it (gdgpu run --out writes one for a model on data)", path, cardPath)
	}
	if err != nil {
		return nil, nil, usagef("--model %s: %v", path, err)
	}
	var card modelCard
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&card); err != nil {
		return nil, nil, usagef("model card %s: %v", cardPath, err)
	}
	bad := func(format string, a ...any) error {
		return usagef("model card %s: %s", cardPath, fmt.Sprintf(format, a...))
	}
	info, ok := gdgpu.LookupModel(card.Model)
	switch {
	case !ok:
		return nil, nil, bad("model %q is not one of %s", card.Model, strings.Join(gdgpu.ModelNames(), ", "))
	case len(card.Features) == 0:
		return nil, nil, bad("no features")
	case card.Outputs < 1:
		return nil, nil, bad("outputs %d must be at least 1", card.Outputs)
	case len(card.Mean) != len(card.Std) || len(card.Mean) != 0 && len(card.Mean) != len(card.Features):
		return nil, nil, bad("standardize_mean and standardize_std have %d and %d values for %d features", len(card.Mean), len(card.Std), len(card.Features))
	case info.Classifier && len(card.Classes) < 2:
		return nil, nil, bad("a classifier's card needs its classes, found %d", len(card.Classes))
	case len(card.ClassNames) > 0 && len(card.ClassNames) != len(card.Classes):
		return nil, nil, bad("%d class names for %d classes", len(card.ClassNames), len(card.Classes))
	case card.Model == "softmax" && card.Outputs != len(card.Classes):
		return nil, nil, bad("softmax with %d outputs for %d classes", card.Outputs, len(card.Classes))
	case card.Model != "softmax" && card.Outputs != 1:
		return nil, nil, bad("%s with %d outputs, want 1", card.Model, card.Outputs)
	}
	for j, s := range card.Std {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(card.Mean[j]) || math.IsInf(card.Mean[j], 0) {
			return nil, nil, bad("feature %q: mean %g, std %g (the std must be finite and > 0)", card.Features[j], card.Mean[j], s)
		}
	}
	w, err := data.ReadVector(path)
	if err != nil {
		return nil, nil, usagef("--model: %v", err)
	}
	p := len(card.Features)
	if card.Intercept {
		p++
	}
	if len(w) != card.Outputs*p {
		return nil, nil, usagef("--model %s holds %d values, but its card describes %d outputs x %d (features%s) = %d",
			path, len(w), card.Outputs, p, map[bool]string{true: " and intercept", false: ""}[card.Intercept], card.Outputs*p)
	}
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, usagef("--model %s: value %d is %v: the parameters are not finite", path, i, v)
		}
	}
	return &card, w, nil
}

// predictRows is the data to predict on: rows x features, standardized,
// and the target of each row as the card's class index (classifiers) or
// value (regression) where the CSV has the target column.
type predictRows struct {
	n      int
	x      []float64 // n x features, row-major
	target []float64 // nil without a target column
}

// readPredictData reads a CSV (the card's features by name) or a 2-D
// .npy (the card's features as columns) and standardizes it as training
// did.
func readPredictData(path string, card *modelCard) (*predictRows, error) {
	nf := len(card.Features)
	rows := &predictRows{}
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		x, n, cols, err := data.ReadNpyMatrix(path)
		if err != nil {
			return nil, usagef("--data: %v", err)
		}
		if cols != nf {
			return nil, usagef("--data %s has %d columns, but the model takes %d features (%s), in that order", path, cols, nf, strings.Join(card.Features, ", "))
		}
		rows.n = n
		rows.x = make([]float64, len(x))
		for i, v := range x {
			rows.x[i] = float64(v)
		}
	} else {
		info, _ := gdgpu.LookupModel(card.Model)
		kind := data.Regression
		if info.Classifier {
			// Names are mapped onto the card's by cardTargets, so any
			// subset of them (one class only, an unknown one) reads here.
			kind = data.Multiclass
			if card.Model != "softmax" && len(card.ClassNames) == 0 {
				kind = data.Binary
			}
		}
		ds, err := data.ReadCSV(path, data.CSVOptions{Target: card.Target, Features: card.Features, Labels: kind, TargetOptional: true})
		if err != nil {
			return nil, usagef("--data: %v (the model takes the features %s)", err, strings.Join(card.Features, ", "))
		}
		rows.n = ds.Rows
		rows.x = make([]float64, len(ds.X))
		for i, v := range ds.X {
			rows.x[i] = float64(v)
		}
		if ds.Y != nil {
			if rows.target, err = cardTargets(ds, card, path); err != nil {
				return nil, err
			}
		}
	}
	for i := range rows.x {
		if j := i % nf; len(card.Mean) > 0 {
			rows.x[i] = (rows.x[i] - card.Mean[j]) / card.Std[j]
		}
	}
	return rows, nil
}

// cardTargets maps a CSV's targets onto the card's classes (by name or by
// label), or keeps a regression's values.
func cardTargets(ds *data.Dataset, card *modelCard, path string) ([]float64, error) {
	t := make([]float64, len(ds.Y))
	if len(card.Classes) == 0 {
		for i, v := range ds.Y {
			t[i] = float64(v)
		}
		return t, nil
	}
	for i, v := range ds.Y {
		var k int
		if ds.ClassNames != nil {
			name := ds.ClassNames[int(v)]
			k = slices.Index(card.ClassNames, name)
			if k < 0 {
				return nil, usagef("--data %s: row %d's %s %q is not one of the model's classes (%s)", path, i+1, card.Target, name, classList(card))
			}
		} else {
			if len(card.ClassNames) > 0 {
				return nil, usagef("--data %s: column %s holds numbers, but the model's classes are names (%s)", path, card.Target, classList(card))
			}
			k = slices.Index(card.Classes, float64(v))
			if k < 0 && card.Model != "softmax" && len(card.Classes) == 2 && (v == 0 || v == -1) {
				k = 0 // the other binary encoding of the negative class
			}
			if k < 0 {
				return nil, usagef("--data %s: row %d's %s %v is not one of the model's classes (%s)", path, i+1, card.Target, v, classList(card))
			}
		}
		t[i] = float64(k)
	}
	return t, nil
}

// classList names the card's classes.
func classList(card *modelCard) string {
	if len(card.ClassNames) > 0 {
		return strings.Join(card.ClassNames, ", ")
	}
	var s []string
	for _, c := range card.Classes {
		s = append(s, strconv.FormatFloat(c, 'g', -1, 64))
	}
	return strings.Join(s, ", ")
}

// className is class k as the training file wrote it.
func className(card *modelCard, k int) string {
	if len(card.ClassNames) > 0 {
		return card.ClassNames[k]
	}
	return strconv.FormatFloat(card.Classes[k], 'g', -1, 64)
}

// writePredictions writes the CSV and returns the summary against the
// target, or "" without one.
func writePredictions(w io.Writer, card *modelCard, params []float64, rows *predictRows) string {
	info, _ := gdgpu.LookupModel(card.Model)
	nf := len(card.Features)
	z := make([]float64, card.Outputs)
	p := make([]float64, max(len(card.Classes), 2))
	probs := info.Classifier && gdgpu.ModelProbabilities(card.Model, z, p)
	var header []string
	switch {
	case !info.Classifier:
		header = []string{"prediction"}
	case probs:
		header = []string{"class"}
		for k := range card.Classes {
			header = append(header, "p_"+className(card, k))
		}
	default:
		header = []string{"class", "score"}
	}
	fmt.Fprintln(w, csvLine(header))
	correct, sq := 0, 0.0
	cells := make([]string, 0, len(header))
	for r := 0; r < rows.n; r++ {
		gdgpu.ModelOutputs(params, rows.x[r*nf:(r+1)*nf], card.Intercept, z)
		cells = cells[:0]
		if !info.Classifier {
			cells = append(cells, strconv.FormatFloat(z[0], 'g', -1, 64))
			if rows.target != nil {
				d := z[0] - rows.target[r]
				sq += d * d
			}
		} else {
			k := gdgpu.PredictClass(card.Model, z)
			cells = append(cells, className(card, k))
			if probs {
				gdgpu.ModelProbabilities(card.Model, z, p)
				for c := range card.Classes {
					cells = append(cells, strconv.FormatFloat(p[c], 'g', 6, 64))
				}
			} else {
				cells = append(cells, strconv.FormatFloat(z[0], 'g', -1, 64))
			}
			if rows.target != nil && float64(k) == rows.target[r] {
				correct++
			}
		}
		fmt.Fprintln(w, csvLine(cells))
	}
	switch {
	case rows.target == nil:
		return ""
	case info.Classifier:
		return fmt.Sprintf("accuracy %.4f (%d of %d rows, against column %s)", float64(correct)/float64(rows.n), correct, rows.n, card.Target)
	}
	return fmt.Sprintf("mean squared error %.6g over %d rows (against column %s)", sq/float64(rows.n), rows.n, card.Target)
}

// csvLine joins cells, quoting those that need it.
func csvLine(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if strings.ContainsAny(c, ",\"\n\r") {
			c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		out[i] = c
	}
	return strings.Join(out, ",")
}
