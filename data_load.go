package gdgpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// LoadedData is a model's data as LoadData made it: the Data a Job trains
// on, and what a model card says of it.
type LoadedData struct {
	Data     *Data
	Features []string // the feature names, in column order
	Target   string   // the target column, or the targets' .npy file
	// Classes are a classifier's original labels, sorted; ClassNames are
	// the names of classes 0.. where the target held names, else nil.
	Classes    []float64
	ClassNames []string
	// Mean and Std are the training rows' statistics that standardized
	// the features (DataSpec.Standardize), nil without.
	Mean, Std []float64
	// Source names the data: the file as the spec gave it, or the
	// synthetic generator with its size and seed.
	Source string
	// Task is "classification" or "regression" for a model that fits
	// either (ModelInfo.RealTargets), "" for the others. TaskInferred
	// says that the spec left it to the data (DataSpec.Task ""), and
	// TaskReason then says what decided, e.g. "the target's value 3 is
	// 1.5": see LoadData.
	Task         string
	TaskInferred bool
	TaskReason   string
}

// defaultSyntheticFeatures is the feature count of a synthetic set whose
// spec gives none.
const defaultSyntheticFeatures = 10

// LoadData reads or generates the data sp describes for model (a name of
// Models), draws the held-out rows with seed, standardizes, and converts
// the targets to the model's encoding (NewData). It is how a checkpoint's
// job gets its Data back: LoadData(job.Problem, job.DataSpec, job.Seed).
// Paths are used as given. Every refusal is a *FieldError naming the
// DataSpec fields at fault.
func LoadData(model string, sp DataSpec, seed uint64) (*LoadedData, error) {
	m, ok := LookupModel(model)
	if !ok {
		return nil, FieldErrorf("{Job.Problem} %q is not a model (models: %s)", model, strings.Join(ModelNames(), ", "))
	}
	task := sp.Task
	var inferred *data.Dataset // the file as the inferred task read it
	var reason string
	if task == "" && m.RealTargets != nil {
		var err error
		if task, reason, inferred, err = inferTask(m, sp); err != nil {
			return nil, err
		}
	}
	switch task {
	case "", "classification":
		if sp.Task != "" && m.RealTargets == nil {
			return nil, FieldErrorf("{DataSpec.Task} applies to a model that fits classes or real targets (%s), not to %s", strings.Join(taskModels(), ", "), model)
		}
	case "regression":
		if m.RealTargets == nil {
			return nil, FieldErrorf("{DataSpec.Task} applies to a model that fits classes or real targets (%s), not to %s", strings.Join(taskModels(), ", "), model)
		}
		m = m.RealTargets()
	default:
		return nil, FieldErrorf("{DataSpec.Task} %q is unknown (want classification or regression)", sp.Task)
	}
	ld := &LoadedData{}
	if m.RealTargets != nil || task == "regression" {
		ld.Task, ld.TaskInferred, ld.TaskReason = task, sp.Task == "", reason
	}
	ds := inferred
	var err error
	switch {
	case ds != nil:
		ld.Source = sp.File
	case sp.File != "" && sp.Synthetic != "":
		return nil, FieldErrorf("{DataSpec.File} and {DataSpec.Synthetic} both choose the data; give one")
	case sp.File == "" && sp.Synthetic == "":
		return nil, FieldErrorf("{Job.Problem} %s trains on data: give {DataSpec.File} FILE {DataSpec.Target} COLUMN, or {DataSpec.Synthetic} regression|classification", model)
	case sp.Synthetic != "":
		if ds, err = synthetic(m, sp, seed); err != nil {
			return nil, err
		}
		ld.Source = fmt.Sprintf("synthetic %s, %d samples, seed %d", sp.Synthetic, sp.Samples, seed)
	default:
		if ds, err = readData(m, sp); err != nil {
			return nil, err
		}
		ld.Source = sp.File
	}
	ld.Features, ld.Target, ld.Classes, ld.ClassNames = ds.Features, ds.Target, ds.Classes, ds.ClassNames

	// The split, drawn with the seed before standardizing, so that the
	// held-out rows' statistics never reach training.
	if math.IsNaN(sp.ValFraction) || sp.ValFraction < 0 || sp.ValFraction >= 1 {
		return nil, FieldErrorf("{DataSpec.ValFraction} %g must be in [0, 1)", sp.ValFraction)
	}
	x, y, n := ds.X, ds.Y, ds.Rows
	var vx, vy []float32
	nv := 0
	if sp.ValFraction > 0 {
		nv = int(math.Round(sp.ValFraction * float64(n)))
		if nv < 1 || nv >= n {
			return nil, FieldErrorf("{DataSpec.ValFraction} %g of %d rows leaves %d for validation and %d for training; both need at least 1", sp.ValFraction, n, nv, n-nv)
		}
		x, y, vx, vy = split(ds, nv, seed)
		n -= nv
	}
	if sp.Standardize {
		train := &data.Dataset{X: x, Y: y, Rows: n, Cols: ds.Cols}
		ld.Mean, ld.Std = train.Standardize()
		if nv > 0 {
			// A feature (nearly) constant over the training rows has a
			// tiny std, which can scale a held-out value past float32:
			// say so, rather than let the data checks report an Inf the
			// file does not hold.
			for i, v := range vx {
				j := i % ds.Cols
				if z := (float64(v) - ld.Mean[j]) / ld.Std[j]; math.Abs(z) > math.MaxFloat32 {
					return nil, FieldErrorf("{DataSpec.Standardize}: feature %q of a held-out row is %g, and the training rows' mean %g and standard deviation %g scale it to %g, beyond float32 (the feature is nearly constant in training)",
						ds.Features[j], v, ld.Mean[j], ld.Std[j], z)
				}
			}
			(&data.Dataset{X: vx, Y: vy, Rows: nv, Cols: ds.Cols}).StandardizeWith(ld.Mean, ld.Std)
		}
	}
	// The messages below name the data as the spec gives it.
	source, what := "{DataSpec.File} %s: ", sp.File
	if sp.Synthetic != "" {
		source, what = "{DataSpec.Synthetic} %s: ", sp.Synthetic
	}
	if labelKind(m) == data.Multiclass && len(ds.Classes) > 0 && !contiguous(ds.Classes) {
		hint := ""
		if ld.TaskInferred {
			hint = " (or {DataSpec.Task} regression, for real targets)"
		}
		return nil, FieldErrorf(source+"%s needs the labels 0..K-1, each present; the target holds %v"+hint, what, model, ds.Classes)
	}
	if ld.Data, err = newData(m, x, y, n, ds.Cols, vx, vy, nv, len(ds.Classes)); err != nil {
		return nil, FieldErrorf(source+"%s", what, strings.TrimPrefix(err.Error(), "gdgpu: "))
	}
	return ld, nil
}

// inferTask is the task of a model that fits classes or real targets when
// the spec does not give one, as sklearn's type_of_target reads a target,
// with the reason and the file read for it (nil for synthetic data, which
// says which it is). A file's target is classes when the classifier's
// reader takes it (names, or integer labels in [0, data.MaxClassLabel] as
// written), and real (regression) when it refuses it and the real-valued
// reader takes it; when neither does, the classifier's refusal, which
// names the value, is the error. So the common case, classes, reads the
// file once.
func inferTask(m ModelInfo, sp DataSpec) (task, reason string, ds *data.Dataset, err error) {
	switch {
	case sp.Synthetic == "regression" && sp.File == "":
		return "regression", "synthetic regression data", nil, nil
	case sp.Synthetic != "" || sp.File == "":
		return "classification", "", nil, nil // LoadData refuses what is missing
	}
	ds, cerr := readData(m, sp)
	if cerr == nil {
		if ds.ClassNames != nil {
			return "classification", fmt.Sprintf("the target holds %d names", len(ds.ClassNames)), ds, nil
		}
		return "classification", fmt.Sprintf("the target holds %d integer labels", len(ds.Classes)), ds, nil
	}
	ds, rerr := readData(m.RealTargets(), sp)
	if rerr != nil {
		return "", "", nil, cerr
	}
	reason = "the target is not written as integer labels"
	for i, v := range ds.Y {
		if v < 0 || v > data.MaxClassLabel || v != float32(math.Trunc(float64(v))) {
			reason = fmt.Sprintf("the target's value %d is %v, not a class label", i, v)
			break
		}
	}
	return "regression", reason, ds, nil
}

// taskModels names the models that fit classes or real targets
// (ModelInfo.RealTargets).
func taskModels() []string {
	var n []string
	for _, m := range models {
		if m.RealTargets != nil {
			n = append(n, m.Name)
		}
	}
	return n
}

// labelKind is the target set data.ReadCSV accepts for a model.
func labelKind(m ModelInfo) data.LabelKind {
	switch m.Labels {
	case "real":
		return data.Regression
	case "0..K-1":
		return data.Multiclass
	}
	return data.Binary
}

// synthetic checks a synthetic spec and makes its set.
func synthetic(m ModelInfo, sp DataSpec, seed uint64) (*data.Dataset, error) {
	nf := sp.NumFeatures
	if nf == 0 {
		nf = defaultSyntheticFeatures
	}
	if nf < 1 {
		return nil, FieldErrorf("{DataSpec.NumFeatures} %d must be >= 1", nf)
	}
	kind := labelKind(m)
	classes := 0
	switch sp.Synthetic {
	case "regression":
		if kind != data.Regression {
			also := ""
			if m.RealTargets != nil {
				also = " (or {DataSpec.Task} regression)"
			}
			return nil, FieldErrorf("{DataSpec.Synthetic} regression makes real targets: {Job.Problem} %s needs {DataSpec.Synthetic} classification"+also, m.Name)
		}
		if sp.Classes != 0 {
			return nil, FieldErrorf("{DataSpec.Classes} applies to {DataSpec.Synthetic} classification")
		}
	case "classification":
		if kind == data.Regression {
			return nil, FieldErrorf("{Job.Problem} %s fits real targets: use {DataSpec.Synthetic} regression", m.Name)
		}
		classes = sp.Classes
		if classes == 0 {
			classes = 2
			if kind == data.Multiclass {
				classes = 3
			}
		}
		if classes < 2 || classes > data.MaxClassLabel+1 {
			return nil, FieldErrorf("{DataSpec.Classes} %d must be between 2 and %d", classes, data.MaxClassLabel+1)
		}
		if classes > 2 && kind != data.Multiclass {
			return nil, FieldErrorf("{DataSpec.Classes} %d: {Job.Problem} %s is binary (2 classes); use {Job.Problem} %s", classes, m.Name, multiclassModel())
		}
	default:
		return nil, FieldErrorf("{DataSpec.Synthetic} %q is unknown (want regression or classification)", sp.Synthetic)
	}
	if sp.Samples < 1 {
		return nil, FieldErrorf("{DataSpec.Samples} %d must be >= 1", sp.Samples)
	}
	if math.IsNaN(sp.Noise) || math.IsInf(sp.Noise, 0) || sp.Noise < 0 {
		return nil, FieldErrorf("{DataSpec.Noise} %g must be a finite number >= 0", sp.Noise)
	}
	if int64(sp.Samples)*int64(nf) > data.MaxSyntheticValues {
		return nil, FieldErrorf("{DataSpec.Samples} %d x {DataSpec.NumFeatures} %d exceeds the %d values {DataSpec.Synthetic} makes", sp.Samples, nf, int64(data.MaxSyntheticValues))
	}
	// The set is made whole and a validation split copies it: refuse one
	// that cannot fit, rather than be killed by the kernel mid-way.
	// float32 rows and targets, twice with a split, and the generator's
	// float64 class centres (classes x features) or weights.
	need := int64(sp.Samples) * int64(nf+1) * 4
	if sp.ValFraction > 0 {
		need *= 2
	}
	need += int64(max(classes, 1)) * int64(nf) * 8
	if free := sysmem.Free(); free.Bytes > 0 && need > free.Bytes {
		return nil, FieldErrorf("{DataSpec.Samples} %d x {DataSpec.NumFeatures} %d: the synthetic set needs %d MiB of host memory, %d MiB is available (%s)", sp.Samples, nf, (need+1<<20-1)>>20, free.Bytes>>20, free.Source)
	}
	ds, err := data.Synthetic(sp.Synthetic, sp.Samples, nf, classes, sp.Noise, seed)
	if err != nil {
		return nil, FieldErrorf("{DataSpec.Synthetic}: %s", strings.TrimPrefix(err.Error(), "data: synthetic: "))
	}
	return ds, nil
}

// multiclassModel names the model that takes more than two classes.
func multiclassModel() string {
	for _, m := range models {
		if m.PerClass() {
			return m.Name
		}
	}
	panic("gdgpu: no multiclass model")
}

// readData reads sp.File as CSV or .npy (by extension).
func readData(m ModelInfo, sp DataSpec) (*data.Dataset, error) {
	if strings.HasSuffix(strings.ToLower(sp.File), ".npy") {
		if len(sp.Features) > 0 {
			return nil, FieldErrorf("{DataSpec.Features} names CSV columns; a .npy {DataSpec.File} uses every column")
		}
		if sp.Target == "" || !strings.HasSuffix(strings.ToLower(sp.Target), ".npy") {
			return nil, FieldErrorf("a .npy {DataSpec.File} needs {DataSpec.Target} FILE.npy holding the targets")
		}
		x, rows, cols, err := data.ReadNpyMatrix(sp.File)
		if err != nil {
			return nil, FieldErrorf("{DataSpec.File}: %w", err)
		}
		yv, err := data.ReadVector(sp.Target)
		if err != nil {
			return nil, FieldErrorf("{DataSpec.Target}: %w", err)
		}
		if len(yv) != rows {
			return nil, FieldErrorf("{DataSpec.Target} %s holds %d values, {DataSpec.File} %s has %d rows", sp.Target, len(yv), sp.File, rows)
		}
		ds := &data.Dataset{X: x, Y: make([]float32, rows), Rows: rows, Cols: cols, Target: sp.Target}
		for i, v := range yv {
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				return nil, FieldErrorf("{DataSpec.Target} %s: value %d is %g (want a finite float32)", sp.Target, i, v)
			}
			ds.Y[i] = float32(v)
		}
		for j := range cols {
			ds.Features = append(ds.Features, "x"+strconv.Itoa(j))
		}
		if ds.Classes, err = npyClasses(sp.Target, yv, labelKind(m)); err != nil {
			return nil, err
		}
		return ds, nil
	}
	if sp.Target == "" {
		return nil, FieldErrorf("{DataSpec.File} %s needs {DataSpec.Target} COLUMN (the column to predict)", sp.File)
	}
	opt := data.CSVOptions{Target: sp.Target, Labels: labelKind(m)}
	for _, c := range sp.Features {
		opt.Features = append(opt.Features, strings.TrimSpace(c))
	}
	ds, err := data.ReadCSV(sp.File, opt)
	if err != nil {
		return nil, FieldErrorf("{DataSpec.File}: %w", err)
	}
	return ds, nil
}

// binarySets is the binary label sets, an argument rather than format
// text, where braces name fields.
const binarySets = "{0,1} or {-1,1}"

// npyClasses checks a .npy target's labels, as read (float64, before
// rounding to float32: 1.00000001 is no label), as ReadCSV checks a CSV's
// (data.LabelKind) and returns the classes in ReadCSV's form: sorted, so
// that softmax's 0..K-1 check and the model card see them in class order
// whatever order the rows hold them in; for Binary, the encoding {0,1} or
// {-1,1}. A bad label is refused naming the file and the value.
func npyClasses(file string, y []float64, kind data.LabelKind) ([]float64, error) {
	switch kind {
	case data.Binary:
		neg := -1 // index of the first 0 or -1
		for i, v := range y {
			switch {
			case v == 1:
			case v != 0 && v != -1:
				return nil, FieldErrorf("{DataSpec.Target} %s: value %d is %v: want binary labels %s", file, i, npyShow(v), binarySets)
			case neg < 0:
				neg = i
			case v != y[neg]:
				return nil, FieldErrorf("{DataSpec.Target} %s: value %d is %v, but value %d is %v: labels must be %s", file, i, npyShow(v), neg, npyShow(y[neg]), binarySets)
			}
		}
		if neg >= 0 && y[neg] == -1 {
			return []float64{-1, 1}, nil
		}
		return []float64{0, 1}, nil
	case data.Multiclass:
		seen := map[float64]bool{}
		var c []float64
		for i, v := range y {
			if v < 0 || v != math.Trunc(v) || v > data.MaxClassLabel {
				return nil, FieldErrorf("{DataSpec.Target} %s: value %d is %v: want a class label, an integer in [0, %d]", file, i, npyShow(v), data.MaxClassLabel)
			}
			if !seen[v] {
				seen[v] = true
				c = append(c, v)
			}
		}
		slices.Sort(c)
		return c, nil
	}
	return nil, nil
}

// npyShow is a target value for a message: as its float32 when that is
// exact (an f4 file's values, and most labels), so that 0.1 reads 0.1.
func npyShow(v float64) any {
	if f := float32(v); float64(f) == v {
		return f
	}
	return v
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
