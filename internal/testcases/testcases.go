// Package testcases holds tables that the backends' tests and benchmarks
// share, so their rows line up (in BENCHMARKS.md, for instance).
package testcases

// Optimizer is one optimizer configuration: a registry name and the
// hyperparameters changed from torch's defaults (by flag name).
type Optimizer struct {
	Label string
	Name  string
	Set   map[string]float64
}

// BenchOptimizers are the configurations the step benchmarks run: every
// optimizer with torch's defaults, and the options that add a state vector.
var BenchOptimizers = []Optimizer{
	{"sgd", "sgd", nil},
	{"sgd+momentum", "sgd", map[string]float64{"momentum": 0.9}},
	{"adagrad", "adagrad", nil},
	{"adadelta", "adadelta", nil},
	{"rmsprop", "rmsprop", nil},
	{"rmsprop+centered+momentum", "rmsprop", map[string]float64{"centered": 1, "momentum": 0.9}},
	{"adam", "adam", nil},
	{"adam+amsgrad", "adam", map[string]float64{"amsgrad": 1}},
	{"adamw", "adamw", nil},
	{"adamax", "adamax", nil},
	{"nadam", "nadam", nil},
	{"radam", "radam", nil},
}

// BenchProblem reports whether the step benchmarks run optimizer label on
// problem: every optimizer on quadratic and rosenbrock (memory-bound, the
// design's byte model), and Adam alone on the other N-dimensional test
// functions, whose transcendentals or pre-pass set their cost; the
// two-dimensional ones are not measured (two parameters).
func BenchProblem(label, problem string, maxDim int) bool {
	switch {
	case maxDim > 0:
		return false
	case problem == "quadratic" || problem == "rosenbrock":
		return true
	}
	return label == "adam"
}
