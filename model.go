package gdgpu

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gdgpu/gdgpu/internal/kern"
)

// ModelInfo describes one model trained on data (a Job whose Problem is a
// model name): everything any part of gdgpu (Job.Validate, NewData, the
// CPU backend, the engine, gradcheck, list, predict) knows about it. The
// built-in models are values of this type, each defined with its CPU
// kernel by its own file (model_*.go); the linear model's regression costs
// are RegressionCost values, one file each (cost_*.go). docs/models.md
// gives every formula.
type ModelInfo struct {
	Name    string
	Summary string
	// Labels is the target encoding the model computes with: "real",
	// "{0,1}", "{-1,1}" or "0..K-1". NewData converts the binary
	// encodings into each other; "0..K-1" gives one output per class.
	Labels string
	// Classifier models report accuracy.
	Classifier bool
	// Costs is set for a model whose loss is the job's RegressionCost
	// (Job.Loss, --loss): the linear model. The others have a loss of
	// their own and refuse another --loss.
	Costs bool
	// SumsOutputs is set when the loss and every dl/dz_k go through a sum
	// over the K outputs (softmax's normaliser): the backends' SumDepth
	// counts its K - 1 additions.
	SumsOutputs bool

	// CPU returns the model's float64 loss kernel for a job (the CPU
	// backend's, the reference the GPU is checked against; for Costs, the
	// job's cost's). Required.
	CPU func(job *Job) CPUModelLoss
	// GPU returns the embedded shader files, in order, that implement
	// model_loss.glsl's rowLoss for a job: model_<name>.glsl, after the
	// job's cost's file for Costs.
	GPU func(job *Job) []string
	// Kink, when set, returns for a job whose loss has a kink (MAE, the
	// perceptron, hinge) the distance of one-output sample (z, y) from it,
	// so that gradcheck keeps its central differences off it; nil (or a
	// nil result): the loss is smooth.
	Kink func(job *Job) func(z, y float64) float64
	// Predict is the class a classifier predicts from its outputs z, as
	// its accuracy counts it (PredictClass).
	Predict func(z []float64) int
	// Probabilities, when set, writes the class probabilities of the
	// outputs z into p (ModelProbabilities); nil: the model gives scores
	// only.
	Probabilities func(z, p []float64)
	// Net, when set, makes the model a network of its own rather than a
	// linear map of the features followed by the CPU loss: it checks the
	// job's network fields (Job.Hidden, ...) and returns the network on
	// inputs features with outputs outputs, whose parameter count, start
	// point, penalised weights and float64 forward and backward passes
	// the CPU backend, gradcheck, the model card and predict read in
	// place of the linear layout (ModelDim, ModelOutputs). Its output
	// loss is CPU's. nil: a linear model.
	Net func(job *Job, inputs, outputs int) (Network, error)
	// RealTargets, when set, is the model's descriptor for real targets:
	// a model that fits either classes or real values (the mlp, whose
	// head is softmax's or the mean squared error). Data of real targets
	// (Data.Classes 0, DataSpec.Task "regression") selects it: ForData.
	RealTargets func() ModelInfo
}

// ForData is the descriptor that applies to the data d: RealTargets'
// for a model that has it and data of real targets (Classes 0), else m.
func (m ModelInfo) ForData(d *Data) ModelInfo {
	if m.RealTargets != nil && d != nil && d.Classes == 0 {
		return m.RealTargets()
	}
	return m
}

// JobModel is the descriptor of job's model on job.Data (ForData).
func JobModel(job *Job) ModelInfo {
	m, _ := LookupModel(job.Problem)
	return m.ForData(job.Data)
}

// Network is a model's own network on the CPU (ModelInfo.Net): the MLP.
type Network interface {
	// Dim is the parameter count.
	Dim() int
	// Init writes the seeded start point into x (len Dim).
	Init(x []float64, seed uint64)
	// Weights calls f with each run [lo, hi) of the parameters that the
	// L1 and L2 penalties apply to, in order.
	Weights(f func(lo, hi int))
	// Scratch is the float64s Pass needs for a run of up to rows rows.
	Scratch(rows int) int
	// Pass runs the network on the rows x (len(y) rows of the inputs,
	// row-major) with targets y, its outputs going through the loss
	// kernel head (the model's CPU, from JobModel): it adds each row's
	// loss to loss in row order and returns that sum and the rows a
	// classifier predicts right; with g not nil it adds the gradient of
	// the rows' summed loss in the parameters w to g. The CPU backend
	// hands it runs of rows of its choosing (cpu's netRunRows); a network
	// that sums over rows one row after another, as the mlp does, gives
	// the same bits whatever the run. It must not allocate, and its
	// result must not depend on anything but its arguments (the CPU
	// backend calls it from several goroutines on disjoint g and
	// scratch).
	Pass(loss float64, head CPUModelLoss, w, x, y, g, scratch []float64) (float64, int)
	// Outputs writes the network's outputs z on the rows x (len(z) /
	// outputs rows) into z, using scratch (len Scratch(rows)).
	Outputs(w, x, z, scratch []float64)
	// Kink is the smallest distance of a sample, over rows rows of x, from
	// a kink of the network (relu's at 0), +Inf where it is smooth:
	// gradcheck keeps its central differences off the kinks.
	Kink(w, x []float64, rows int) float64
	// Layout describes the parameter vector (the model card's layout);
	// Describe the shape in a line (the run header).
	Layout() string
	Describe() string
}

// TeamNetwork is a Network whose Pass can share its work with a Team's
// helper goroutines (the mlp: its matrix products). The CPU backend hands
// each block's worker a Team when a pass has fewer blocks than threads, so
// the threads that have no block help those that have.
type TeamNetwork interface {
	Network
	// PassTeam is Pass with team's helpers sharing the work, with the same
	// result, bit for bit, whatever the team (nil: none).
	PassTeam(team *Team, loss float64, head CPUModelLoss, w, x, y, g, scratch []float64) (float64, int)
}

// Team is a set of helper goroutines a TeamNetwork's Pass shares its
// matrix products with: each product's rows (or columns) split among
// them and the caller, which gives the same bits as one goroutine, since
// every element is summed on its own. A nil *Team has no helpers. One
// Pass at a time may use a Team.
type Team struct{ k *kern.Team }

// NewTeam starts helpers goroutines (none for helpers < 1); Close stops
// them.
func NewTeam(helpers int) *Team { return &Team{kern.NewTeam(helpers)} }

// Close stops the team's helpers; it must not be used after.
func (t *Team) Close() {
	if t != nil {
		t.k.Close()
	}
}

// Helpers returns how many goroutines help the caller: 0 for a nil Team.
func (t *Team) Helpers() int { return t.kernel().Helpers() }

// kernel is the team's kern.Team (nil for a nil *Team, which kern runs
// on the caller alone).
func (t *Team) kernel() *kern.Team {
	if t == nil {
		return nil
	}
	return t.k
}

// PerClass reports whether the model has one output per class (K =
// Data.Classes, Labels "0..K-1": softmax); the others have one output.
func (m ModelInfo) PerClass() bool { return m.Labels == "0..K-1" }

// CPUModelLoss is a model's per-sample loss in float64, over a run of
// rows: row r (of len(y)) has the outputs z[r*K : (r+1)*K] (K =
// len(z)/len(y)) and the target y[r] in the model's encoding. It writes
// dl/dz into dz at the same places, adds each row's loss l(z, y) to loss
// in row order (so that the sum's bits do not depend on how the rows are
// cut into runs) and returns that sum and the number of rows a classifier
// predicts right (0 for a regression). delta is Job.Delta. The CPU
// backend calls it on runs of a block's rows from several goroutines on
// disjoint slices: a call per run, not per row, keeps the indirect call
// out of the per-row loop. It must not allocate.
type CPUModelLoss func(loss float64, z, dz, y []float64, delta float64) (float64, int)

// RegressionCost is one of the linear model's per-sample costs l(r) of
// the residual r = z - y (Job.Loss, --loss), defined with its CPU kernel
// by its own file (cost_*.go).
type RegressionCost struct {
	Name string
	// CPU is the cost as the linear model's loss kernel (one output a
	// row): l(z - y) and dl/dz = l'(z - y).
	CPU CPUModelLoss
	// GPU is the embedded shader file that implements it for the linear
	// model's rowLoss: cost_<name>.glsl, real cost(real r, out real dl).
	GPU string
	// Kinked costs are not differentiable at r = 0 (MAE): gradcheck keeps
	// its points away from there.
	Kinked bool
	// Delta is set for a cost that reads Job.Delta (Huber's).
	Delta bool
}

// models is the registry, in the order list and the help show it; each
// model is defined by its own file (model_<name>.go).
var models = []ModelInfo{linearModel(), logisticModel(), perceptronModel(), hingeModel(), softmaxModel(), mlpModel()}

// costs are the linear model's regression costs, in the order list, the
// help and `gdgpu costs` show them; each is defined by its own file
// (cost_<name>.go).
var costs = []RegressionCost{mseCost(), maeCost(), huberCost(), logcoshCost()}

// Models lists the models trained on data.
func Models() []ModelInfo { return models }

// LookupModel finds a model by name.
func LookupModel(name string) (ModelInfo, bool) {
	for _, m := range models {
		if m.Name == name {
			return m, true
		}
	}
	return ModelInfo{}, false
}

// CheckGPU refuses problem where a front end would run it on the GPU
// backend and it is a model without GPU kernels (ModelInfo.GPU nil; every
// built-in model has them), so that the refusal comes before a GL context
// is opened. The refusal is a *FieldError naming Job.Problem and
// JobRequest.Device; any other problem passes.
func CheckGPU(problem string) error {
	if info, ok := LookupModel(problem); ok && info.GPU == nil {
		return FieldErrorf("{Job.Problem} %s runs on the CPU backend only for now; use {JobRequest.Device} cpu", problem)
	}
	return nil
}

// ModelNames lists the model names.
func ModelNames() []string {
	n := make([]string, len(models))
	for i, m := range models {
		n[i] = m.Name
	}
	return n
}

// IsModel reports whether a problem name is a model trained on data.
func IsModel(problem string) bool {
	_, ok := LookupModel(problem)
	return ok
}

// RegressionCosts lists the linear model's regression costs.
func RegressionCosts() []RegressionCost { return costs }

// LookupRegressionCost finds a regression cost by name (Job.Loss).
func LookupRegressionCost(name string) (RegressionCost, bool) {
	for _, c := range costs {
		if c.Name == name {
			return c, true
		}
	}
	return RegressionCost{}, false
}

// Losses are the regression costs of the linear model (Job.Loss), the
// names of RegressionCosts.
var Losses = costNames()

func costNames() []string {
	n := make([]string, len(costs))
	for i, c := range costs {
		n[i] = c.Name
	}
	return n
}

// jobCost is the regression cost a Costs model's job names; Validate has
// checked it exists.
func jobCost(job *Job) RegressionCost {
	c, _ := LookupRegressionCost(job.Loss)
	return c
}

// predictBinary is a binary classifier's prediction: the positive class 1
// when z > 0, else 0.
func predictBinary(z []float64) int {
	if z[0] > 0 {
		return 1
	}
	return 0
}

// DataSpec records how the command line made a model's Data: a file or a
// synthetic generator, then the split and the scaling. A checkpoint keeps
// it, so that --resume loads the same data without the flags being
// repeated (Data.Hash is checked all the same).
type DataSpec struct {
	File     string   `json:",omitempty"` // --data, made absolute
	Target   string   `json:",omitempty"` // --target: a CSV column or a .npy file (made absolute)
	Features []string `json:",omitempty"` // --features (CSV columns)

	Synthetic   string  `json:",omitempty"` // --synthetic regression|classification
	Samples     int     `json:",omitempty"`
	NumFeatures int     `json:",omitempty"`
	Classes     int     `json:",omitempty"`
	Noise       float64 `json:",omitempty"`

	Standardize bool    `json:",omitempty"`
	ValFraction float64 `json:",omitempty"`

	// Task "regression" reads real targets for a model that fits either
	// classes or real values (ModelInfo.RealTargets), "classification"
	// its labels; "" lets the target decide (LoadData: regression when a
	// value is not an integer class label).
	Task string `json:",omitempty"`
}

// Data is a model's training set and optional validation set, in float32
// row-major form (the GPU's payload), with targets already in the model's
// encoding (ModelInfo.Labels). Build it with NewData.
type Data struct {
	X    []float32 // Rows x Cols, row-major
	Y    []float32 // Rows targets
	Rows int
	Cols int
	// Classes is the number of classes of softmax (K), 2 for the binary
	// classifiers, 0 for linear.
	Classes int
	// ValX, ValY and ValRows are the held-out set (ValRows 0: none).
	ValX    []float32
	ValY    []float32
	ValRows int
	// Hash is the hex SHA-256 of every value above, so that a checkpoint
	// resumes only on the same data.
	Hash string

	outputs int // the model's outputs: Classes for softmax, else 1
}

// NewData checks a data set for a model and converts its targets to the
// model's encoding: linear takes any finite target; logistic takes {0,1}
// or {-1,1} and computes with {0,1}; perceptron and hinge take either and
// compute with {-1,1}; softmax and the mlp take 0..classes-1 (classes 0:
// the largest label plus one). (An mlp on real targets trains on data made
// for linear: NewData("linear", ...), or LoadData with DataSpec.Task
// "regression".) val may be nil. The features are kept, not copied; a
// target slice is copied only when its labels are converted. Errors name
// the set ("training" or "validation") and the row.
func NewData(model string, x, y []float32, rows, cols int, valX, valY []float32, valRows, classes int) (*Data, error) {
	m, ok := LookupModel(model)
	if !ok {
		return nil, fmt.Errorf("gdgpu: %q is not a model (models: %s)", model, strings.Join(ModelNames(), ", "))
	}
	return newData(m, x, y, rows, cols, valX, valY, valRows, classes)
}

// newData is NewData for the descriptor m (a model's RealTargets' too).
func newData(m ModelInfo, x, y []float32, rows, cols int, valX, valY []float32, valRows, classes int) (*Data, error) {
	model := m.Name
	if rows < 1 || cols < 1 {
		return nil, fmt.Errorf("gdgpu: %s needs at least one sample and one feature (got %d x %d)", model, rows, cols)
	}
	if len(x) != rows*cols || len(y) != rows || len(valX) != valRows*cols || len(valY) != valRows {
		panic(fmt.Sprintf("gdgpu: NewData: %d values and %d targets for %d x %d, %d and %d for %d validation rows", len(x), len(y), rows, cols, len(valX), len(valY), valRows))
	}
	d := &Data{X: x, Rows: rows, Cols: cols, ValX: valX, ValRows: valRows, outputs: 1}
	switch m.Labels {
	case "real":
		d.Y, d.ValY = y, valY
	case "0..K-1":
		k := classes
		if k == 0 {
			for _, v := range y {
				if v >= 0 && v < math.MaxInt32 { // int(v) of a NaN or a huge v is undefined; the check below refuses them
					k = max(k, int(v)+1)
				}
			}
		}
		if k < 2 {
			return nil, fmt.Errorf("gdgpu: %s needs at least 2 classes, the training set has %d", model, k)
		}
		d.Classes, d.outputs = k, k
		for _, set := range []struct {
			name string
			y    []float32
		}{{"training", y}, {"validation", valY}} {
			for i, v := range set.y {
				// compared as floats: int(v) of a v beyond int's range
				// is undefined (on amd64 the smallest int, which passed)
				if v != float32(math.Trunc(float64(v))) || v < 0 || float64(v) >= float64(k) {
					return nil, fmt.Errorf("gdgpu: %s: %s row %d: label %v is not a class 0..%d", model, set.name, i, v, k-1)
				}
			}
		}
		d.Y, d.ValY = y, valY
	default: // binary
		d.Classes = 2
		var err error
		if d.Y, err = binaryLabels(model, "training", y, m.Labels); err != nil {
			return nil, err
		}
		if d.ValY, err = binaryLabels(model, "validation", valY, m.Labels); err != nil {
			return nil, err
		}
	}
	for _, set := range []struct {
		name string
		v    []float32
	}{{"training features", d.X}, {"training targets", d.Y}, {"validation features", d.ValX}, {"validation targets", d.ValY}} {
		for i, v := range set.v {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("gdgpu: %s: value %d is %v", set.name, i, v)
			}
		}
	}
	d.Hash = d.hash()
	return d, nil
}

// binaryLabels converts y to the encoding want ("{0,1}" or "{-1,1}"),
// refusing a set that mixes the two or holds another value.
func binaryLabels(model, set string, y []float32, want string) ([]float32, error) {
	lo := float32(0) // the negative label in y: 0 or -1, as first seen
	seen := false
	for i, v := range y {
		switch {
		case v == 1:
		case v == 0 || v == -1:
			if seen && v != lo {
				return nil, fmt.Errorf("gdgpu: %s: %s row %d: label %v mixes the {0,1} and {-1,1} encodings", model, set, i, v)
			}
			lo, seen = v, true
		default:
			return nil, fmt.Errorf("gdgpu: %s: %s row %d: label %v is not a binary label (0/1 or -1/1)", model, set, i, v)
		}
	}
	neg := float32(0)
	if want == "{-1,1}" {
		neg = -1
	}
	if !seen || lo == neg {
		return y, nil
	}
	out := make([]float32, len(y))
	for i, v := range y {
		out[i] = v
		if v != 1 {
			out[i] = neg
		}
	}
	return out, nil
}

func (d *Data) hash() string {
	h := sha256.New()
	var b [4]byte
	put := func(v uint32) { binary.LittleEndian.PutUint32(b[:], v); h.Write(b[:]) }
	put(uint32(d.Rows))
	put(uint32(d.Cols))
	put(uint32(d.Classes))
	put(uint32(d.ValRows))
	for _, s := range [][]float32{d.X, d.Y, d.ValX, d.ValY} {
		for _, v := range s {
			put(math.Float32bits(v))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Outputs is the number of linear outputs: K for softmax (two classes
// included: one weight row per class, as torch's CrossEntropyLoss has it),
// else 1.
func (d *Data) Outputs() int { return max(d.outputs, 1) }

// ModelDim is the parameter count of a model on d: one row of Cols
// weights per output, plus one intercept per output with intercept.
// Parameter k*P + j (P = Cols, plus 1 with intercept) is output k's weight
// of feature j for j < Cols, and P-1 its intercept.
func ModelDim(d *Data, intercept bool) int {
	p := d.Cols
	if intercept {
		p++
	}
	return d.Outputs() * p
}

// ModelNetwork returns the network of a job whose model has one
// (ModelInfo.Net) on job.Data, nil for a linear model, or the error that
// the job's network fields get (a *FieldError).
func ModelNetwork(job *Job) (Network, error) {
	m, _ := LookupModel(job.Problem)
	if m.Net == nil || job.Data == nil {
		return nil, nil
	}
	return m.Net(job, job.Data.Cols, job.Data.Outputs())
}

// ModelParams is the parameter count of job's model on job.Data: its
// network's (ModelInfo.Net) or else ModelDim's; an error for a network
// whose fields are not valid.
func ModelParams(job *Job) (int, error) {
	n, err := ModelNetwork(job)
	if err != nil {
		return 0, err
	}
	if n != nil {
		return n.Dim(), nil
	}
	return ModelDim(job.Data, !job.NoIntercept), nil
}

// Batches returns the batch size B that Job.BatchSize gives on a
// training set of n rows (0, or more than n, means the full batch n) and
// the steps per epoch, ceil(n/B).
func Batches(batchSize, n int) (b, perEpoch int) {
	if n <= 0 {
		return 0, 0 // no rows: no batch (Describe and RowsRun of an empty Data)
	}
	b = batchSize
	if b <= 0 || b > n {
		b = n
	}
	return b, (n + b - 1) / b
}

// Batch returns the rows step t (0-based, counted from the start of the
// run) trains on, as a slice [lo, hi) of EpochOrder(seed, t/perEpoch, n):
// epoch e = t / perEpoch, batch t % perEpoch. The last batch of an epoch
// holds the n - (perEpoch-1)*B rows left (torch's DataLoader with
// drop_last=False).
func Batch(t, b, n int) (epoch, lo, hi int) {
	perEpoch := (n + b - 1) / b
	epoch = t / perEpoch
	lo = (t % perEpoch) * b
	return epoch, lo, min(lo+b, n)
}

// EpochOrder writes into order (len n) the sample order of epoch e: the
// identity for full-batch training (b == n: no shuffle is needed, the
// whole set is summed), otherwise a Fisher-Yates shuffle drawn from a
// PCG generator seeded with (seed, e). The driver computes it once per
// epoch and gives the same order to every backend, so a stochastic run
// is the same run on the CPU and the GPU, and a resumed run continues
// the order it left (the epoch follows from the step count).
func EpochOrder(order []int32, seed uint64, epoch, b int) {
	for i := range order {
		order[i] = int32(i)
	}
	if b >= len(order) {
		return
	}
	r := rand.New(rand.NewPCG(seed, 0xda3e39cb94b95bdb^uint64(epoch)))
	for i := len(order) - 1; i > 0; i-- {
		j := r.IntN(i + 1)
		order[i], order[j] = order[j], order[i]
	}
}

// Orderer is implemented by the backends of models on data. The driver
// calls SetOrder before the first step of a run or resumed run and, when
// batches are shuffled (B < n), before the first step of every later
// epoch, with EpochOrder's result; the backend keeps a copy. (With the
// full batch the order is the identity and the first call is the only
// one.) Step then takes step t's rows from it as Batch
// says, and never runs a step of another epoch (Run splits its batches
// of steps at epoch boundaries).
type Orderer interface {
	SetOrder(epoch int, order []int32) error
}

// ErrNoData is returned by Validate for a model job without Data.
var ErrNoData = errors.New("gdgpu: a model needs data (Job.Data: LoadData makes it)")

// validateModel checks the model fields of a job whose Problem is a model.
func (j *Job) validateModel(stored bool) error {
	m, _ := LookupModel(j.Problem)
	if j.Data == nil && !(stored && j.DataHash != "") {
		return ErrNoData
	}
	if m.Net != nil {
		if _, err := m.Net(j, 1, 2); err != nil {
			return err
		}
		if j.Data != nil && m.ForData(j.Data).PerClass() && j.Data.Outputs() < 2 {
			// data made for a binary model (one output)
			return FieldErrorf("{Job.Problem} %s needs data of real targets or of at least 2 classes (one output each), got %d output(s) for %d classes", m.Name, j.Data.Outputs(), j.Data.Classes)
		}
	} else if len(j.Hidden) > 0 || j.Activation != "" || j.LeakySlope != 0 || j.InitScheme != "" {
		return FieldErrorf("{Job.Hidden}, {Job.Activation}, {Job.LeakySlope} and {Job.InitScheme} apply to the networks (%s), not to %s", strings.Join(netModels(), ", "), m.Name)
	}
	if j.Data == nil {
		// A checkpoint's job: the data is loaded again on resume and
		// checked against DataHash (Checkpoint.Compatible).
	} else if want, err := ModelParams(j); err != nil {
		return err
	} else if j.Dim != want {
		return FieldErrorf("{Job.Dim} %d does not match the model: %s on %d features with %d output(s) has %d parameters", j.Dim, m.Name, j.Data.Cols, j.Data.Outputs(), want)
	}
	if m.Costs {
		if _, ok := LookupRegressionCost(j.Loss); !ok {
			return FieldErrorf("{Job.Loss} %q is unknown (want %s)", j.Loss, strings.Join(Losses, ", "))
		}
	} else if j.Loss != "" && j.Loss != defaultLoss {
		return FieldErrorf("{Job.Loss} %s applies to the linear model only (%s has its own loss)", j.Loss, m.Name)
	}
	if math.IsNaN(j.Delta) || math.IsInf(j.Delta, 0) || j.Delta <= 0 {
		return FieldErrorf("{Job.Delta} %g must be a finite number > 0", j.Delta)
	}
	for _, r := range []struct {
		flag string
		v    float64
	}{{"{Job.L1}", j.L1}, {"{Job.L2}", j.L2}} {
		if math.IsNaN(r.v) || math.IsInf(r.v, 0) || r.v < 0 {
			return FieldErrorf(r.flag+" %g must be a finite number >= 0", r.v)
		}
	}
	if j.BatchSize < 0 {
		return FieldErrorf("{Job.BatchSize} %d must be >= 0 (0: the full batch)", j.BatchSize)
	}
	if j.Data == nil {
		return nil
	}
	if int64(j.Data.Rows)*int64(j.Data.Cols) > MaxDim || int64(j.Data.ValRows)*int64(j.Data.Cols) > MaxDim {
		// Element indices are 32-bit in the shaders, as for parameters.
		return fmt.Errorf("the data set (%d x %d) exceeds the %d values a model takes", j.Data.Rows, j.Data.Cols, MaxDim)
	}
	return nil
}

// netModels names the models that are networks (ModelInfo.Net).
func netModels() []string {
	var n []string
	for _, m := range models {
		if m.Net != nil {
			n = append(n, m.Name)
		}
	}
	return n
}

// ModelOutputs computes a trained model's outputs z for one row of
// features x (already standardized as in training): z_k = w_k·x + b_k,
// with w in ModelDim's row-major layout (output k's weights of the
// features in order, then its intercept when intercept is set). z has one
// entry per output (Data.Outputs).
func ModelOutputs(w, x []float64, intercept bool, z []float64) {
	p := len(x)
	if intercept {
		p++
	}
	for k := range z {
		row := w[k*p : k*p+len(x)]
		s := 0.0
		for j, v := range x {
			s += float64(row[j] * v) // rounded: no FMA
		}
		if intercept {
			s += w[k*p+len(x)]
		}
		z[k] = s
	}
}

// PredictClass is the class a classifier predicts from its outputs z, as
// its accuracy counts it: a binary model (logistic, perceptron, hinge) the
// positive class 1 when z > 0, else 0; softmax the first largest output
// (ModelInfo.Predict; a name that is no classifier's gets the binary
// rule). Class k is the k-th of the data's sorted classes.
func PredictClass(model string, z []float64) int {
	if m, _ := LookupModel(model); m.Predict != nil {
		return m.Predict(z)
	}
	return predictBinary(z)
}

// ModelProbabilities writes the class probabilities of a probabilistic
// classifier into p and reports whether it is one: logistic gives
// (1 - σ(z), σ(z)), softmax softmax(z) (ModelInfo.Probabilities). The
// perceptron and the hinge loss give scores only.
func ModelProbabilities(model string, z, p []float64) bool {
	m, _ := LookupModel(model)
	if m.Probabilities == nil {
		return false
	}
	m.Probabilities(z, p)
	return true
}
