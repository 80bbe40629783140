package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// modelFlags are the flags of models on data (docs/models.md).
type modelFlags struct {
	data        string
	target      string
	features    string // CSV: column names a,b,c; --synthetic: a count
	synthetic   string
	samples     int
	classes     int
	noise       float64
	standardize bool
	valFraction float64
	loss        string
	delta       float64
	l1, l2      float64
	intercept   bool
	batchSize   int
	epochs      int
	// fromCheckpoint: --resume's checkpoint named the data, not a flag
	// given (messages say so).
	fromCheckpoint bool
}

// modelFlagNames are the flags that only models take.
var modelFlagNames = []string{"data", "target", "features", "synthetic", "samples", "classes", "noise", "standardize",
	"val-fraction", "loss", "delta", "l1", "l2", "intercept", "batch-size", "epochs"}

func addModelFlags(fs *pflag.FlagSet) *modelFlags {
	m := &modelFlags{}
	fs.StringVar(&m.data, "data", "", "models: train on this CSV file (with a header) or .npy matrix `FILE`")
	fs.StringVar(&m.target, "target", "", "models: the target `COLUMN` of --data's CSV, or a 1-D .npy file of targets for a .npy --data")
	fs.StringVar(&m.features, "features", "", "models: the CSV's feature columns a,b,c (default: every column but the target); with --synthetic, the number of features (default 10)")
	fs.StringVar(&m.synthetic, "synthetic", "", "models: train on a seeded synthetic set, regression or classification (Gaussian blobs)")
	fs.IntVar(&m.samples, "samples", 1000, "models: --synthetic rows")
	fs.IntVar(&m.classes, "classes", 0, "models: --synthetic classification classes (default 2, or 3 for softmax)")
	fs.Float64Var(&m.noise, "noise", 0.5, "models: --synthetic noise standard deviation")
	fs.BoolVar(&m.standardize, "standardize", false, "models: scale each feature to mean 0, standard deviation 1 (the training rows' statistics)")
	fs.Float64Var(&m.valFraction, "val-fraction", 0, "models: hold out this fraction of the rows (drawn with --seed) and report its loss and accuracy")
	fs.StringVar(&m.loss, "loss", "mse", "linear model: the regression cost, "+strings.Join(gdgpu.Losses, ", "))
	fs.Float64Var(&m.delta, "delta", 1, "linear model with --loss huber: the quadratic zone's half-width (torch.nn.HuberLoss delta)")
	fs.Float64Var(&m.l1, "l1", 0, "models: L1 penalty on the weights, l1·Σ|w|")
	fs.Float64Var(&m.l2, "l2", 0, "models: L2 penalty on the weights, l2/2·Σw²")
	fs.BoolVar(&m.intercept, "intercept", true, "models: fit an intercept per output (--intercept=false: none)")
	fs.IntVar(&m.batchSize, "batch-size", 0, "models: rows per step (0: the full batch; 1: stochastic); the order is shuffled each epoch with --seed")
	fs.IntVar(&m.epochs, "epochs", 0, "models: run this many passes over the training rows instead of --steps")
	return m
}

// memFree is the host memory free for use and what says so (sysmem.Free;
// 0 bytes: unknown), a variable so that tests can make it small.
var memFree = sysmem.Free

// labelKind is the target set ReadCSV accepts for a model.
func labelKind(model string) data.LabelKind {
	switch model {
	case "linear":
		return data.Regression
	case "softmax":
		return data.Multiclass
	}
	return data.Binary
}

// modelSetup is what buildModel adds to a setup: the data's description
// for the --out sidecar.
type modelSetup struct {
	features []string
	target   string
	classes  []float64 // the original labels of a classifier's classes
	names    []string  // the class names of a target column of names, nil for numbers
	mean     []float64 // --standardize's statistics, nil without
	std      []float64
	source   string
}

// buildModel reads or generates the data, splits and standardizes it, and
// fills the job's model fields. Every error is a usage error naming the
// flag or the file.
func (m *modelFlags) buildModel(changed func(string) bool, job *gdgpu.Job, f *jobFlags) (*modelSetup, error) {
	ms := &modelSetup{}
	if changed("dim") {
		return nil, usagef("--dim does not apply to --problem %s: the parameter count follows from the data", job.Problem)
	}
	// Models start from zero (or --init); the seed draws the synthetic
	// data, the validation split and the batch order.
	job.Seed, job.RandomStart = f.seed, false
	var ds *data.Dataset
	var err error
	switch {
	case m.data != "" && m.synthetic != "":
		return nil, usagef("--data and --synthetic both choose the data; give one")
	case m.data == "" && m.synthetic == "":
		return nil, usagef("--problem %s trains on data: give --data FILE --target COLUMN, or --synthetic regression|classification", job.Problem)
	case m.synthetic != "":
		for _, fl := range []string{"target"} {
			if changed(fl) {
				return nil, usagef("--%s applies to --data, not --synthetic", fl)
			}
		}
		nf := 10
		if m.features != "" {
			if nf, err = strconv.Atoi(m.features); err != nil || nf < 1 {
				return nil, usagef("--features %q: with --synthetic it is the number of features, an integer >= 1", m.features)
			}
		}
		classes := 0
		switch m.synthetic {
		case "regression":
			if job.Problem != "linear" {
				return nil, usagef("--synthetic regression makes real targets: --problem %s needs --synthetic classification", job.Problem)
			}
			if changed("classes") {
				return nil, usagef("--classes applies to --synthetic classification")
			}
		case "classification":
			if job.Problem == "linear" {
				return nil, usagef("--problem linear fits real targets: use --synthetic regression")
			}
			classes = m.classes
			if classes == 0 {
				classes = 2
				if job.Problem == "softmax" {
					classes = 3
				}
			}
			if classes < 2 || classes > data.MaxClassLabel+1 {
				return nil, usagef("--classes %d must be between 2 and %d", classes, data.MaxClassLabel+1)
			}
			if classes > 2 && job.Problem != "softmax" {
				return nil, usagef("--classes %d: --problem %s is binary (2 classes); use --problem softmax", classes, job.Problem)
			}
		default:
			return nil, usagef("--synthetic %q is unknown (want regression or classification)", m.synthetic)
		}
		if m.samples < 1 {
			return nil, usagef("--samples %d must be >= 1", m.samples)
		}
		if math.IsNaN(m.noise) || math.IsInf(m.noise, 0) || m.noise < 0 {
			return nil, usagef("--noise %g must be a finite number >= 0", m.noise)
		}
		if int64(m.samples)*int64(nf) > data.MaxSyntheticValues {
			return nil, usagef("--samples %d x --features %d exceeds the %d values --synthetic makes", m.samples, nf, int64(data.MaxSyntheticValues))
		}
		// The set is made whole and --val-fraction copies it: refuse one
		// that cannot fit, rather than be killed by the kernel mid-way.
		// float32 rows and targets, twice with a split, and the generator's
		// float64 class centres (classes x features) or weights.
		need := int64(m.samples) * int64(nf+1) * 4
		if m.valFraction > 0 {
			need *= 2
		}
		need += int64(max(classes, 1)) * int64(nf) * 8
		if free := memFree(); free.Bytes > 0 && need > free.Bytes {
			return nil, usagef("--samples %d x --features %d: the synthetic set needs %d MiB of host memory, %d MiB is available (%s)", m.samples, nf, (need+1<<20-1)>>20, free.Bytes>>20, free.Source)
		}
		if ds, err = data.Synthetic(m.synthetic, m.samples, nf, classes, m.noise, job.Seed); err != nil {
			return nil, usagef("--synthetic: %s", strings.TrimPrefix(err.Error(), "data: synthetic: "))
		}
		ms.source = fmt.Sprintf("synthetic %s, %d samples, seed %d", m.synthetic, m.samples, job.Seed)
	default:
		for _, fl := range []string{"samples", "classes", "noise"} {
			if changed(fl) {
				return nil, usagef("--%s applies to --synthetic, not --data", fl)
			}
		}
		if ds, err = m.readData(job.Problem); err != nil {
			return nil, err
		}
		ms.source = m.data
	}
	ms.features, ms.target, ms.classes, ms.names = ds.Features, ds.Target, ds.Classes, ds.ClassNames

	// The split, drawn with the seed before standardizing, so that the
	// held-out rows' statistics never reach training.
	if math.IsNaN(m.valFraction) || m.valFraction < 0 || m.valFraction >= 1 {
		return nil, usagef("--val-fraction %g must be in [0, 1)", m.valFraction)
	}
	x, y, n := ds.X, ds.Y, ds.Rows
	var vx, vy []float32
	nv := 0
	if m.valFraction > 0 {
		nv = int(math.Round(m.valFraction * float64(n)))
		if nv < 1 || nv >= n {
			return nil, usagef("--val-fraction %g of %d rows leaves %d for validation and %d for training; both need at least 1", m.valFraction, n, nv, n-nv)
		}
		x, y, vx, vy = split(ds, nv, job.Seed)
		n -= nv
	}
	if m.standardize {
		train := &data.Dataset{X: x, Y: y, Rows: n, Cols: ds.Cols}
		ms.mean, ms.std = train.Standardize()
		if nv > 0 {
			// A feature (nearly) constant over the training rows has a
			// tiny std, which can scale a held-out value past float32:
			// say so, rather than let the data checks report an Inf the
			// file does not hold.
			for i, v := range vx {
				j := i % ds.Cols
				if z := (float64(v) - ms.mean[j]) / ms.std[j]; math.Abs(z) > math.MaxFloat32 {
					return nil, usagef("--standardize: feature %q of a held-out row is %g, and the training rows' mean %g and standard deviation %g scale it to %g, beyond float32 (the feature is nearly constant in training)",
						ds.Features[j], v, ms.mean[j], ms.std[j], z)
				}
			}
			(&data.Dataset{X: vx, Y: vy, Rows: nv, Cols: ds.Cols}).StandardizeWith(ms.mean, ms.std)
		}
	}
	if job.Problem == "softmax" && len(ds.Classes) > 0 && !contiguous(ds.Classes) {
		return nil, usagef("%s: softmax needs the labels 0..K-1, each present; the target holds %v", m.source(), ds.Classes)
	}
	d, err := gdgpu.NewData(job.Problem, x, y, n, ds.Cols, vx, vy, nv, len(ds.Classes))
	if err != nil {
		return nil, usagef("%s: %s", m.source(), strings.TrimPrefix(err.Error(), "gdgpu: "))
	}
	job.Data = d
	job.DataSpec = m.spec()
	job.Loss, job.Delta, job.L1, job.L2 = m.loss, m.delta, m.l1, m.l2
	job.NoIntercept, job.BatchSize = !m.intercept, m.batchSize
	if job.Problem != "linear" && changed("loss") {
		return nil, usagef("--loss applies to --problem linear (%s has its own loss)", job.Problem)
	}
	if changed("delta") && m.loss != "huber" {
		return nil, usagef("--delta applies to --loss huber")
	}
	job.Dim = gdgpu.ModelDim(d, m.intercept)
	if changed("epochs") {
		if changed("steps") {
			return nil, usagef("--epochs and --steps both set the run's length; give one")
		}
		if m.epochs < 1 { // --epochs 0 ran the default --steps
			return nil, usagef("--epochs %d must be >= 1", m.epochs)
		}
		_, per := gdgpu.Batches(m.batchSize, n)
		if int64(m.epochs)*int64(per) > math.MaxInt32 {
			return nil, usagef("--epochs %d x %d steps per epoch is too many steps", m.epochs, per)
		}
		job.Steps = m.epochs * per
	}
	return ms, nil
}

// spec records the data flags (gdgpu.DataSpec), with paths made absolute
// so that a checkpoint resumes from another folder.
func (m *modelFlags) spec() gdgpu.DataSpec {
	sp := gdgpu.DataSpec{Standardize: m.standardize, ValFraction: m.valFraction}
	if m.synthetic != "" {
		sp.Synthetic, sp.Samples, sp.Classes, sp.Noise = m.synthetic, m.samples, m.classes, m.noise
		sp.NumFeatures, _ = strconv.Atoi(m.features)
		return sp
	}
	sp.File, sp.Target = absPath(m.data), m.target
	if strings.HasSuffix(strings.ToLower(m.target), ".npy") {
		sp.Target = absPath(m.target)
	}
	if m.features != "" {
		sp.Features = strings.Split(m.features, ",")
	}
	return sp
}

// prefill makes a checkpoint's model settings the values of the model
// flags not given, so that --resume rebuilds the same data and job; a
// flag given that contradicts them is refused later (Compatible).
func (m *modelFlags) prefill(changed func(string) bool, f *jobFlags, j *gdgpu.Job) {
	if !gdgpu.IsModel(j.Problem) {
		return
	}
	sp := j.DataSpec
	str := func(flag string, dst *string, v string) {
		if !changed(flag) {
			*dst = v
		}
	}
	if !changed("data") && !changed("synthetic") {
		m.data, m.synthetic = sp.File, sp.Synthetic
		m.fromCheckpoint = true
		if sp.Synthetic != "" {
			// Each flag given keeps its value, so that a changed set is
			// refused by its hash rather than silently replaced.
			num := func(flag string, dst *int, v int) {
				if !changed(flag) {
					*dst = v
				}
			}
			num("samples", &m.samples, sp.Samples)
			num("classes", &m.classes, sp.Classes)
			if !changed("noise") {
				m.noise = sp.Noise
			}
			if sp.NumFeatures > 0 {
				str("features", &m.features, strconv.Itoa(sp.NumFeatures))
			}
		} else {
			str("target", &m.target, sp.Target)
			str("features", &m.features, strings.Join(sp.Features, ","))
		}
	}
	if !changed("standardize") {
		m.standardize = sp.Standardize
	}
	if !changed("val-fraction") {
		m.valFraction = sp.ValFraction
	}
	str("loss", &m.loss, j.Loss)
	if !changed("delta") {
		m.delta = j.Delta
	}
	if !changed("l1") {
		m.l1 = j.L1
	}
	if !changed("l2") {
		m.l2 = j.L2
	}
	if !changed("intercept") {
		m.intercept = !j.NoIntercept
	}
	if !changed("batch-size") {
		m.batchSize = j.BatchSize
	}
	if !changed("seed") {
		f.seed = j.Seed
	}
}

// flagName is flag, or, where --resume's checkpoint gave its value, says so.
func (m *modelFlags) flagName(flag string) string {
	if m.fromCheckpoint {
		return flag + " (from the --resume checkpoint)"
	}
	return flag
}

// source names the data for messages.
func (m *modelFlags) source() string {
	if m.data != "" {
		return "--data " + m.data
	}
	return "--synthetic " + m.synthetic
}

// readData reads --data as CSV or .npy (by extension).
func (m *modelFlags) readData(model string) (*data.Dataset, error) {
	if strings.HasSuffix(strings.ToLower(m.data), ".npy") {
		if m.features != "" {
			return nil, usagef("--features names CSV columns; a .npy --data uses every column")
		}
		if m.target == "" || !strings.HasSuffix(strings.ToLower(m.target), ".npy") {
			return nil, usagef("a .npy --data needs --target FILE.npy holding the targets")
		}
		x, rows, cols, err := data.ReadNpyMatrix(m.data)
		if err != nil {
			return nil, usagef("%s: %v", m.flagName("--data"), err)
		}
		yv, err := data.ReadVector(m.target)
		if err != nil {
			return nil, usagef("%s: %v", m.flagName("--target"), err)
		}
		if len(yv) != rows {
			return nil, usagef("--target %s holds %d values, --data %s has %d rows", m.target, len(yv), m.data, rows)
		}
		ds := &data.Dataset{X: x, Y: make([]float32, rows), Rows: rows, Cols: cols, Target: m.target}
		for i, v := range yv {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return nil, usagef("--target %s: value %d is %g (want a finite float32)", m.target, i, v)
			}
			ds.Y[i] = float32(v)
		}
		for j := range cols {
			ds.Features = append(ds.Features, "x"+strconv.Itoa(j))
		}
		if ds.Classes, err = npyClasses(m.target, ds.Y, labelKind(model)); err != nil {
			return nil, err
		}
		return ds, nil
	}
	if m.target == "" {
		return nil, usagef("--data %s needs --target COLUMN (the column to predict)", m.data)
	}
	opt := data.CSVOptions{Target: m.target, Labels: labelKind(model)}
	if m.features != "" {
		for _, c := range strings.Split(m.features, ",") {
			opt.Features = append(opt.Features, strings.TrimSpace(c))
		}
	}
	ds, err := data.ReadCSV(m.data, opt)
	if err != nil {
		return nil, usagef("%s: %v", m.flagName("--data"), err)
	}
	return ds, nil
}

// npyClasses checks a .npy target's labels as ReadCSV checks a CSV's
// (data.LabelKind) and returns the classes in ReadCSV's form: sorted, so
// that softmax's 0..K-1 check and the model card see them in class order
// whatever order the rows hold them in; for Binary, the encoding {0,1} or
// {-1,1}. A bad label is a usage error naming the file and the value.
func npyClasses(file string, y []float32, kind data.LabelKind) ([]float64, error) {
	switch kind {
	case data.Binary:
		neg := -1 // index of the first 0 or -1
		for i, v := range y {
			switch {
			case v == 1:
			case v != 0 && v != -1:
				return nil, usagef("--target %s: value %d is %v: want binary labels {0,1} or {-1,1}", file, i, v)
			case neg < 0:
				neg = i
			case v != y[neg]:
				return nil, usagef("--target %s: value %d is %v, but value %d is %v: labels must be {0,1} or {-1,1}", file, i, v, neg, y[neg])
			}
		}
		if neg >= 0 && y[neg] == -1 {
			return []float64{-1, 1}, nil
		}
		return []float64{0, 1}, nil
	case data.Multiclass:
		seen := map[float32]bool{}
		var c []float64
		for i, v := range y {
			if v < 0 || v != float32(math.Trunc(float64(v))) || v > data.MaxClassLabel {
				return nil, usagef("--target %s: value %d is %v: want a class label, an integer in [0, %d]", file, i, v, data.MaxClassLabel)
			}
			if !seen[v] {
				seen[v] = true
				c = append(c, float64(v))
			}
		}
		slices.Sort(c)
		return c, nil
	}
	return nil, nil
}

// contiguous reports whether sorted labels are 0, 1, ..., K-1.
func contiguous(c []float64) bool {
	for i, v := range c {
		if v != float64(i) {
			return false
		}
	}
	return true
}

// split holds out nv rows drawn with seed (a PCG permutation of the rows;
// the training rows keep their file order, as do the held-out ones).
func split(ds *data.Dataset, nv int, seed uint64) (x, y, vx, vy []float32) {
	r := rand.New(rand.NewPCG(seed, 0x5eed5b17))
	perm := r.Perm(ds.Rows)
	held := make([]bool, ds.Rows)
	for _, i := range perm[:nv] {
		held[i] = true
	}
	c := ds.Cols
	x = make([]float32, 0, (ds.Rows-nv)*c)
	vx = make([]float32, 0, nv*c)
	for i := range ds.Rows {
		if held[i] {
			vx = append(vx, ds.X[i*c:(i+1)*c]...)
			vy = append(vy, ds.Y[i])
		} else {
			x = append(x, ds.X[i*c:(i+1)*c]...)
			y = append(y, ds.Y[i])
		}
	}
	return x, y, vx, vy
}

// modelCard is the --out sidecar FILE.json: what the parameters mean.
type modelCard struct {
	Model      string    `json:"model"`
	Loss       string    `json:"loss,omitempty"`
	Features   []string  `json:"features"`
	Target     string    `json:"target"`
	Classes    []float64 `json:"classes,omitempty"`
	ClassNames []string  `json:"class_names,omitempty"` // the target's names of classes 0.., for a target of names
	Outputs    int       `json:"outputs"`
	Intercept  bool      `json:"intercept"`
	Layout     string    `json:"layout"`
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

// writeModelCard writes out+".json" beside the parameters.
func writeModelCard(s *setup, res gdgpu.Result) error {
	ms, job := s.model, &s.job
	p := job.Data.Cols
	if !job.NoIntercept {
		p++
	}
	card := modelCard{
		Model: job.Problem, Features: ms.features, Target: ms.target, Classes: ms.classes, ClassNames: ms.names,
		Outputs: job.Data.Outputs(), Intercept: !job.NoIntercept,
		Layout: fmt.Sprintf("row-major %d x %d: output k's weights of the features in order, then its intercept (docs/models.md)", job.Data.Outputs(), p),
		Mean:   ms.mean, Std: ms.std, Data: ms.source, DataSHA256: job.Data.Hash, Parameters: s.out,
	}
	// The card describes the parameters written. A diverged run ends on
	// its last finite state (Result.KeptStep), not on the sample that
	// found the NaN or Inf, which JSON could not hold anyway.
	final, found := res.Final, true
	if res.Status == gdgpu.Diverged {
		final, found = gdgpu.Sample{Step: res.KeptStep}, false
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
	if job.Problem == "linear" {
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
	b, err := json.MarshalIndent(card, "", "  ")
	if err != nil {
		return err
	}
	// Through a temporary file renamed into place, as --out is written: a
	// failed write leaves the previous card whole.
	return writeAtomic(s.out+".json", bytes.NewReader(append(b, '\n')))
}

// sampleLine is a model's progress line: step, loss, gradient norm, and
// the accuracies and validation loss that apply.
func sampleLine(job *gdgpu.Job, s gdgpu.Sample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %-7d loss %-12.6g grad %-10.4g", s.Step, s.Loss, s.GradNorm)
	if job.Data.Classes > 0 {
		fmt.Fprintf(&b, " acc %.4f", s.Accuracy)
	}
	if job.Data.ValRows > 0 {
		fmt.Fprintf(&b, " val_loss %-12.6g", s.ValLoss)
		if job.Data.Classes > 0 {
			fmt.Fprintf(&b, " val_acc %.4f", s.ValAccuracy)
		}
	}
	return strings.TrimRight(b.String(), " ")
}
