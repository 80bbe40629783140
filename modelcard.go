package gdgpu

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

	"github.com/gdgpu/gdgpu/data"
)

// ModelCard describes a model's parameters: what they mean, the data they
// were trained on and how well they fit it. A model run writes it beside
// its parameters as PARAMS.npy.json; ReadModel and Predict read it back.
type ModelCard struct {
	Model      string    `json:"model"`
	Loss       string    `json:"loss,omitempty"`
	Features   []string  `json:"features"`
	Target     string    `json:"target"`
	Classes    []float64 `json:"classes,omitempty"`
	ClassNames []string  `json:"class_names,omitempty"` // the target's names of classes 0.., for a target of names
	Outputs    int       `json:"outputs"`
	Intercept  bool      `json:"intercept"`
	Layout     string    `json:"layout"`
	// Hidden, Activation, LeakySlope and InitScheme describe a network
	// (ModelInfo.Net: the mlp; Job's fields of those names).
	Hidden     []int     `json:"hidden,omitempty"`
	Activation string    `json:"activation,omitempty"`
	LeakySlope float64   `json:"leaky_slope,omitempty"`
	InitScheme string    `json:"init_scheme,omitempty"`
	Mean       []float64 `json:"standardize_mean,omitempty"`
	Std        []float64 `json:"standardize_std,omitempty"`
	Data       string    `json:"data"`
	DataSHA256 string    `json:"data_sha256"`
	Parameters string    `json:"parameters"`
	// Step is the step the parameters are at, and the figures below are
	// its sample's: on Diverged, the last finite state's (KeptStep).
	Step        int      `json:"step"`
	Accuracy    *float64 `json:"train_accuracy,omitempty"`
	ValAccuracy *float64 `json:"val_accuracy,omitempty"`
	FinalLoss   *float64 `json:"final_loss"` // null where no finite sample describes the parameters
}

// NewModelCard describes the parameters that the model run of job, on the
// data ld (LoadData), ended on with res and wrote to the file params.
func NewModelCard(job *Job, ld *LoadedData, res Result, params string) ModelCard {
	p := job.Data.Cols
	if !job.NoIntercept {
		p++
	}
	card := ModelCard{
		Model: job.Problem, Features: ld.Features, Target: ld.Target, Classes: ld.Classes, ClassNames: ld.ClassNames,
		Outputs: job.Data.Outputs(), Intercept: !job.NoIntercept,
		Layout: fmt.Sprintf("row-major %d x %d: output k's weights of the features in order, then its intercept (docs/models.md)", job.Data.Outputs(), p),
		Mean:   ld.Mean, Std: ld.Std, Data: ld.Source, DataSHA256: job.Data.Hash, Parameters: params,
	}
	// The card describes the parameters written. A diverged run ends on
	// its last finite state (Result.KeptStep), not on the sample that
	// found the NaN or Inf, which JSON could not hold anyway.
	final, found := res.Final, true
	if res.Status == Diverged {
		final, found = Sample{Step: res.KeptStep}, false
		for _, smp := range res.Samples {
			if smp.Step == res.KeptStep && smp.Finite() {
				final, found = smp, true
			}
		}
	}
	card.Step = final.Step
	if found && !math.IsNaN(final.Loss) && !math.IsInf(final.Loss, 0) {
		l := final.Loss
		card.FinalLoss = &l
	}
	if job.NoIntercept {
		card.Layout = fmt.Sprintf("row-major %d x %d: output k's weights of the features in order (docs/models.md)", job.Data.Outputs(), p)
	}
	if net, _ := ModelNetwork(job); net != nil {
		card.Layout = net.Layout()
		card.Hidden, card.Activation, card.LeakySlope, card.InitScheme = job.Hidden, job.Activation, job.LeakySlope, job.InitScheme
	}
	if m, _ := LookupModel(job.Problem); m.Costs {
		card.Loss = job.Loss
	}
	if job.Data.Classes > 0 && found {
		a := final.Accuracy
		card.Accuracy = &a
		if job.Data.ValRows > 0 {
			v := final.ValAccuracy
			card.ValAccuracy = &v
		}
	}
	return card
}

// JSON is the card as written beside the parameters: indented, with a
// final newline.
func (c *ModelCard) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("gdgpu: model card: %w", err)
	}
	return append(b, '\n'), nil
}

// info is the descriptor of the card's model: for a model that also fits
// real targets (ModelInfo.RealTargets), a card without classes is its
// regression's.
func (c *ModelCard) info() (ModelInfo, bool) {
	m, ok := LookupModel(c.Model)
	if m.RealTargets != nil && len(c.Classes) == 0 {
		m = m.RealTargets()
	}
	return m, ok
}

// multiclass reports whether the card's model has one output per class.
func (c *ModelCard) multiclass() bool {
	m, _ := c.info()
	return m.PerClass()
}

// ReadModel reads the parameters a model run wrote to path and the card
// beside them (path+".json"), checking that they agree. Its refusals are
// *FieldErrors naming {ReadModel.path}.
func ReadModel(path string) (*ModelCard, []float64, error) {
	cardPath := path + ".json"
	if err := data.CheckRegular(cardPath); err != nil {
		return nil, nil, FieldErrorf("{ReadModel.path} %s: no model card %s beside it ({gdgpu.NewModelCard} writes one for a model on data): %v", path, cardPath, err)
	}
	b, err := os.ReadFile(cardPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, FieldErrorf("{ReadModel.path} %s: no model card %s beside it ({gdgpu.NewModelCard} writes one for a model on data)", path, cardPath)
	}
	if err != nil {
		return nil, nil, FieldErrorf("{ReadModel.path} %s: %v", path, err)
	}
	var card ModelCard
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&card); err != nil {
		return nil, nil, FieldErrorf("model card %s: %v", cardPath, err)
	}
	bad := func(format string, a ...any) error {
		return FieldErrorf("model card %s: %s", cardPath, fmt.Sprintf(format, a...))
	}
	info, ok := card.info()
	switch {
	case !ok:
		return nil, nil, bad("model %q is not one of %s", card.Model, strings.Join(ModelNames(), ", "))
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
	case card.multiclass() && card.Outputs != len(card.Classes):
		return nil, nil, bad("%s with %d outputs for %d classes", card.Model, card.Outputs, len(card.Classes))
	case !card.multiclass() && card.Outputs != 1:
		return nil, nil, bad("%s with %d outputs, want 1", card.Model, card.Outputs)
	}
	for j, s := range card.Std {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(card.Mean[j]) || math.IsInf(card.Mean[j], 0) {
			return nil, nil, bad("feature %q: mean %g, std %g (the std must be finite and > 0)", card.Features[j], card.Mean[j], s)
		}
	}
	w, err := data.ReadVector(path)
	if err != nil {
		return nil, nil, FieldErrorf("{ReadModel.path}: %v", err)
	}
	p := len(card.Features)
	if card.Intercept {
		p++
	}
	if net, err := card.network(); err != nil {
		// The network's refusal names Job fields: the card's keys here.
		msg := strings.TrimPrefix(err.Error(), "gdgpu: ")
		var fe *FieldError
		if errors.As(err, &fe) {
			msg = fe.Format(func(f string) string {
				if k, ok := cardKeys[f]; ok {
					return k
				}
				return f
			})
		}
		return nil, nil, bad("%s", msg)
	} else if net != nil {
		if len(w) != net.Dim() {
			return nil, nil, FieldErrorf("{ReadModel.path} %s holds %d values, but its card describes a network of %d (%s)", path, len(w), net.Dim(), net.Describe())
		}
	} else if len(w) != card.Outputs*p {
		return nil, nil, FieldErrorf("{ReadModel.path} %s holds %d values, but its card describes %d outputs x %d (features%s) = %d",
			path, len(w), card.Outputs, p, map[bool]string{true: " and intercept", false: ""}[card.Intercept], card.Outputs*p)
	}
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, FieldErrorf("{ReadModel.path} %s: value %d is %v: the parameters are not finite", path, i, v)
		}
	}
	return &card, w, nil
}

// network is the network the card describes (ModelInfo.Net), nil for a
// linear model, or why its fields do not make one.
// cardKeys are the card's keys of the Job fields a network is built from.
var cardKeys = map[string]string{"Job.Hidden": "hidden", "Job.Activation": "activation", "Job.LeakySlope": "leaky_slope",
	"Job.InitScheme": "init_scheme", "Job.Problem": "model"}

func (c *ModelCard) network() (Network, error) {
	m, _ := LookupModel(c.Model)
	if m.Net == nil {
		return nil, nil
	}
	job := Job{Problem: c.Model, Hidden: c.Hidden, Activation: c.Activation, LeakySlope: c.LeakySlope, InitScheme: c.InitScheme, NoIntercept: !c.Intercept}
	return m.Net(&job, len(c.Features), c.Outputs)
}

// PredictRows is data to predict on: N rows of the card's features,
// standardized as training did, and each row's target as the card's
// class index (classifiers) or value (regression) where the file holds
// the target column.
type PredictRows struct {
	N      int
	X      []float64 // N x features, row-major
	Target []float64 // nil without a target column
}

// ReadRows reads the rows to predict from path: a CSV (the card's
// features found by name, its target column if present) or a 2-D .npy
// (the card's features as columns, in order). Its refusals are
// *FieldErrors naming {ReadRows.path}.
func (c *ModelCard) ReadRows(path string) (*PredictRows, error) {
	nf := len(c.Features)
	rows := &PredictRows{}
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		x, n, cols, err := data.ReadNpyMatrix(path)
		if err != nil {
			return nil, FieldErrorf("{ReadRows.path}: %v", err)
		}
		if cols != nf {
			return nil, FieldErrorf("{ReadRows.path} %s has %d columns, but the model takes %d features (%s), in that order", path, cols, nf, strings.Join(c.Features, ", "))
		}
		rows.N = n
		rows.X = make([]float64, len(x))
		for i, v := range x {
			rows.X[i] = float64(v)
		}
	} else {
		info, _ := c.info()
		kind := data.Regression
		if info.Classifier {
			// Names are mapped onto the card's by targets, so any subset
			// of them (one class only, an unknown one) reads here.
			kind = data.Multiclass
			if !c.multiclass() && len(c.ClassNames) == 0 {
				kind = data.Binary
			}
		}
		ds, err := data.ReadCSV(path, data.CSVOptions{Target: c.Target, Features: c.Features, Labels: kind, TargetOptional: true})
		if err != nil {
			return nil, FieldErrorf("{ReadRows.path}: %v (the model takes the features %s)", err, strings.Join(c.Features, ", "))
		}
		rows.N = ds.Rows
		rows.X = make([]float64, len(ds.X))
		for i, v := range ds.X {
			rows.X[i] = float64(v)
		}
		if ds.Y != nil {
			if rows.Target, err = c.targets(ds, path); err != nil {
				return nil, err
			}
		}
	}
	for i := range rows.X {
		if j := i % nf; len(c.Mean) > 0 {
			rows.X[i] = (rows.X[i] - c.Mean[j]) / c.Std[j]
		}
	}
	return rows, nil
}

// targets maps a CSV's targets onto the card's classes (by name or by
// label), or keeps a regression's values.
func (c *ModelCard) targets(ds *data.Dataset, path string) ([]float64, error) {
	t := make([]float64, len(ds.Y))
	if len(c.Classes) == 0 {
		for i, v := range ds.Y {
			t[i] = float64(v)
		}
		return t, nil
	}
	for i, v := range ds.Y {
		var k int
		if ds.ClassNames != nil {
			name := ds.ClassNames[int(v)]
			k = slices.Index(c.ClassNames, name)
			if k < 0 {
				return nil, FieldErrorf("{ReadRows.path} %s: row %d's %s %q is not one of the model's classes (%s)", path, i+1, c.Target, name, c.classList())
			}
		} else {
			if len(c.ClassNames) > 0 {
				return nil, FieldErrorf("{ReadRows.path} %s: column %s holds numbers, but the model's classes are names (%s)", path, c.Target, c.classList())
			}
			k = slices.Index(c.Classes, float64(v))
			if k < 0 && !c.multiclass() && len(c.Classes) == 2 && (v == 0 || v == -1) {
				k = 0 // the other binary encoding of the negative class
			}
			if k < 0 {
				return nil, FieldErrorf("{ReadRows.path} %s: row %d's %s %v is not one of the model's classes (%s)", path, i+1, c.Target, v, c.classList())
			}
		}
		t[i] = float64(k)
	}
	return t, nil
}

// classList names the card's classes.
func (c *ModelCard) classList() string {
	if len(c.ClassNames) > 0 {
		return strings.Join(c.ClassNames, ", ")
	}
	var s []string
	for _, v := range c.Classes {
		s = append(s, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return strings.Join(s, ", ")
}

// ClassName is class k as the training file wrote it: its name, or its
// label.
func (c *ModelCard) ClassName(k int) string {
	if len(c.ClassNames) > 0 {
		return c.ClassNames[k]
	}
	return strconv.FormatFloat(c.Classes[k], 'g', -1, 64)
}

// Predict writes the predictions of the model with parameters params on
// rows to w as CSV, one line per row: "prediction" for a regression; for
// a classifier "class" (ClassName) and the probability of each class
// "p_<class>" where the model has them, else its "score" z. It returns
// the accuracy or mean squared error against the rows' targets, or ""
// without them.
func (c *ModelCard) Predict(w io.Writer, params []float64, rows *PredictRows) (summary string, err error) {
	info, _ := c.info()
	nf := len(c.Features)
	z := make([]float64, c.Outputs)
	p := make([]float64, max(len(c.Classes), 2))
	probs := info.Classifier && info.Probabilities != nil
	var header []string
	switch {
	case !info.Classifier:
		header = []string{"prediction"}
	case probs:
		header = []string{"class"}
		for k := range c.Classes {
			header = append(header, "p_"+c.ClassName(k))
		}
	default:
		header = []string{"class", "score"}
	}
	net, err := c.network()
	if err != nil {
		return "", err
	}
	var scratch []float64
	if net != nil {
		scratch = make([]float64, net.Scratch(1))
	}
	ew := &errWriter{w: w}
	ew.line(header)
	correct, sq := 0, 0.0
	cells := make([]string, 0, len(header))
	for r := 0; r < rows.N; r++ {
		if net != nil {
			net.Outputs(params, rows.X[r*nf:(r+1)*nf], z, scratch)
		} else {
			ModelOutputs(params, rows.X[r*nf:(r+1)*nf], c.Intercept, z)
		}
		cells = cells[:0]
		if !info.Classifier {
			cells = append(cells, strconv.FormatFloat(z[0], 'g', -1, 64))
			if rows.Target != nil {
				d := z[0] - rows.Target[r]
				sq += float64(d * d) // rounded: no FMA
			}
		} else {
			k := info.Predict(z)
			cells = append(cells, c.ClassName(k))
			if probs {
				info.Probabilities(z, p)
				for k := range c.Classes {
					cells = append(cells, strconv.FormatFloat(p[k], 'g', 6, 64))
				}
			} else {
				cells = append(cells, strconv.FormatFloat(z[0], 'g', -1, 64))
			}
			if rows.Target != nil && float64(k) == rows.Target[r] {
				correct++
			}
		}
		ew.line(cells)
	}
	if ew.err != nil {
		return "", fmt.Errorf("gdgpu: predictions: %w", ew.err)
	}
	switch {
	case rows.Target == nil:
		return "", nil
	case info.Classifier:
		return fmt.Sprintf("accuracy %.4f (%d of %d rows, against column %s)", float64(correct)/float64(rows.N), correct, rows.N, c.Target), nil
	}
	return fmt.Sprintf("mean squared error %.6g over %d rows (against column %s)", sq/float64(rows.N), rows.N, c.Target), nil
}

// errWriter writes CSV lines, keeping the first error.
type errWriter struct {
	w   io.Writer
	err error
}

// line writes cells as one CSV line, quoting those that need it.
func (e *errWriter) line(cells []string) {
	if e.err != nil {
		return
	}
	out := make([]string, len(cells))
	for i, c := range cells {
		if strings.ContainsAny(c, ",\"\n\r") {
			c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		out[i] = c
	}
	_, e.err = io.WriteString(e.w, strings.Join(out, ",")+"\n")
}
