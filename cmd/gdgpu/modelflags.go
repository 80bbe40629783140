package main

import (
	"bytes"
	"strings"

	"github.com/spf13/pflag"

	"github.com/gdgpu/gdgpu"
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
	// networks (gdgpu.ModelInfo.Net: the mlp)
	hidden     []int
	activation string
	leakySlope float64
	initScheme string
	task       string
	// fromCheckpoint: --resume's checkpoint named the data, not a flag
	// given (messages say so).
	fromCheckpoint bool
}

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
	fs.IntSliceVar(&m.hidden, "hidden", nil, "mlp: the hidden layers' widths `W1,W2,...` (at least one, each >= 1), e.g. 128,64")
	fs.StringVar(&m.activation, "activation", "relu", "mlp: the hidden layers' activation, "+strings.Join(gdgpu.Activations, ", ")+" (gelu in torch's erf form)")
	fs.Float64Var(&m.leakySlope, "leaky-slope", gdgpu.DefaultLeakySlope, "mlp with --activation leaky-relu: the negative slope (torch.nn.LeakyReLU's negative_slope)")
	fs.StringVar(&m.task, "mlp-task", "", "mlp: classification (softmax cross-entropy over the target's classes) or regression (real targets, mean squared error); unset, regression when a target value is not a class label (an integer in [0, 65535]), else classification")
	fs.StringVar(&m.initScheme, "init-scheme", "torch", "mlp: the seeded start, "+strings.Join(gdgpu.InitSchemes, ", ")+" (torch: nn.Linear's default; docs/models.md)")
	return m
}

// modelSetup is what gdgpu.JobRequest.Build adds to a setup: the data's description
// for the --out sidecar.
type modelSetup = gdgpu.LoadedData

// flagOf is the flag of a field gdgpu.LoadData names; where --resume's
// checkpoint gave the data's files, it says so.
func (m *modelFlags) flagOf(field string) string {
	fl := fieldFlag(field)
	if m.fromCheckpoint && (field == "DataSpec.File" || field == "DataSpec.Target") {
		return fl + " (from the --resume checkpoint)"
	}
	return fl
}

// writeModelCard writes out+".json" beside the parameters.
func writeModelCard(s *setup, res gdgpu.Result) error {
	card := gdgpu.NewModelCard(&s.job, s.model, res, s.out)
	b, err := card.JSON()
	if err != nil {
		return err
	}
	// Through a temporary file renamed into place, as --out is written: a
	// failed write leaves the previous card whole.
	return writeAtomic(s.out+".json", bytes.NewReader(b))
}
