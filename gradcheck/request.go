package gradcheck

import (
	"slices"
	"strings"

	"github.com/gdgpu/gdgpu"
)

// A Request is a gradient check as a user chooses it (gdgpu gradcheck's
// flags): names and values as typed, some given and the rest left to the
// defaults NewRequest sets. Build turns it into the job to check.
type Request struct {
	Problem   string // a registered problem or a model (gdgpu.ProblemNames, gdgpu.ModelNames)
	Objective string // an objective typed as an expression instead of Problem, when Given
	// Dim is a test function's parameter count when Given; else
	// min(100, its DefaultDim). A model's follows from its data.
	Dim       int
	Points    int    // random points to check, at least 1
	Seed      uint64 // seeds the points and a model's synthetic data
	Device    string // "gpu" (the GPU's gradient is checked too) or "cpu"
	Precision string // the GPU's: "f32" or "f64" (gdgpu.ParsePrecision)
	// Loss is the linear model's regression cost (gdgpu.Losses); given
	// to another problem it is refused.
	Loss string
	// A network's settings (a model with ModelInfo.Net, the mlp); given
	// to another problem they are refused.
	Hidden     []int
	Activation string
	LeakySlope float64 // taken when Given
	Task       string  // "classification" or "regression" (DataSpec.Task)

	// Given reports whether the user set a field, by the names a
	// gdgpu.FieldError gives them (Job.Dim, Job.Loss, DataSpec.Task;
	// Job.Objective for Objective); nil: none was.
	Given func(field string) bool
}

// NewRequest returns the defaults of gdgpu gradcheck: rosenbrock, 5
// points of seed 1, the GPU in f32 checked too, mse, and a network of 4
// and 3 tanh units for a classification.
func NewRequest() Request {
	return Request{Problem: "rosenbrock", Points: 5, Seed: 1, Device: "gpu", Precision: "f32",
		Loss: "mse", Hidden: []int{4, 3}, Activation: "tanh", LeakySlope: gdgpu.DefaultLeakySlope, Task: "classification"}
}

// GPU reports whether the request checks the GPU's gradient against the
// CPU's (Device "gpu"), as well as the CPU's against central differences.
func (r *Request) GPU() bool { return r.Device == "gpu" }

// Build turns r into the job to check (Check's job): the problem (an
// Objective registered as one), its dimension, a model's seeded synthetic
// data and penalties (ModelData) with a network's settings, the GPU's
// precision, validated. A choice that does not go together (a model's or a
// network's setting on another problem, Dim given to a model, both
// Objective and Problem) or a bad value is a *gdgpu.FieldError naming the
// fields at fault, as are the refusals of ModelData and of a model the
// GPU cannot run (gdgpu.CheckGPU, with Device "gpu"); job.Validate's wrap
// gdgpu.ErrInvalidJob.
func (r *Request) Build() (*gdgpu.Job, error) {
	given := func(field string) bool { return r.Given != nil && r.Given(field) }
	problem := r.Problem
	// An expression is used when given or set, as gdgpu.JobRequest uses it.
	if given("Job.Objective") || r.Objective != "" {
		if given("Job.Problem") {
			return nil, refuse("{Job.Objective} and {Job.Problem} do not go together: the expression is the problem")
		}
		p, err := gdgpu.RegisterObjective(r.Objective)
		if err != nil {
			return nil, refuse("{Job.Objective}: %w", err)
		}
		problem = p.Name
	}
	info, ok := gdgpu.LookupProblem(problem)
	model, isModel := gdgpu.LookupModel(problem)
	if !ok && !isModel {
		return nil, refuse("{Job.Problem} %q is unknown (known: %v; models: %v)", problem, gdgpu.ProblemNames(), gdgpu.ModelNames())
	}
	if isModel && given("Job.Dim") {
		return nil, refuse("{Job.Dim} does not apply to {Job.Problem} %s: the parameter count follows from the data", problem)
	}
	dim := r.Dim
	if !given("Job.Dim") {
		dim = min(100, info.DefaultDim)
	}
	if given("Job.Loss") && !model.Costs {
		return nil, refuse("{Job.Loss} applies to {Job.Problem} %s", modelsWith(func(m gdgpu.ModelInfo) bool { return m.Costs }))
	}
	if r.Points < 1 {
		return nil, refuse("{Request.Points} %d must be >= 1", r.Points)
	}
	if r.Device != "gpu" && r.Device != "cpu" {
		return nil, refuse("{Request.Device} %q: want gpu or cpu", r.Device)
	}
	prec, err := gdgpu.ParsePrecision(r.Precision)
	if err != nil {
		return nil, refuse("{Job.Precision}: %w", err)
	}
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Precision = problem, dim, prec
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd") // a placeholder: a check takes no step
	if model.Net == nil {
		for _, f := range []string{"Job.Hidden", "Job.Activation", "Job.LeakySlope", "DataSpec.Task"} {
			if given(f) {
				return nil, refuse("{"+f+"} applies to {Job.Problem} %s", modelsWith(func(m gdgpu.ModelInfo) bool { return m.Net != nil }))
			}
		}
	} else {
		job.Hidden, job.Activation = slices.Clone(r.Hidden), r.Activation
		switch r.Task {
		case "regression":
			job.DataSpec.Task = r.Task
		case "classification":
		default:
			return nil, refuse("{DataSpec.Task} %q is unknown (want classification or regression)", r.Task)
		}
		if given("Job.LeakySlope") {
			job.LeakySlope = r.LeakySlope
		}
	}
	if isModel {
		if err := ModelData(&job, r.Loss, r.Seed); err != nil {
			return nil, err
		}
	}
	if err := job.Validate(); err != nil {
		return nil, err
	}
	if r.GPU() {
		// Refused before any GL context is opened.
		if err := gdgpu.CheckGPU(problem); err != nil {
			return nil, err
		}
	}
	return &job, nil
}

// refuse is a refusal of a Request, in package gradcheck.
func refuse(format string, args ...any) *gdgpu.FieldError {
	return gdgpu.FieldErrorf(format, args...).In("gradcheck")
}

// modelsWith names the models that have a setting, for a refusal
// ("linear", "mlp").
func modelsWith(has func(gdgpu.ModelInfo) bool) string {
	var names []string
	for _, name := range gdgpu.ModelNames() {
		if m, _ := gdgpu.LookupModel(name); has(m) {
			names = append(names, name)
		}
	}
	return strings.Join(names, " or ")
}
