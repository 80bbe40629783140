// Package report builds gdgpu's JSON results: Run, one run's outcome
// (what gdgpu run --json prints and a run folder's summary.json holds),
// and Compare, the outcome of a CPU reference run beside another device's
// (gdgpu compare --json). Field names follow scipy's OptimizeResult where
// one fits (success, status, message, nit, fun); README.md lists them.
// NaN and ±Inf, which JSON has no numbers for, are the strings "NaN",
// "+Inf" and "-Inf" (Float).
package report

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/jobfile"
)

// Float is a float64 that encodes NaN and ±Inf as the strings "NaN",
// "+Inf" and "-Inf", and any other value in the shortest form that reads
// back exactly.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte(strconv.Quote(strconv.FormatFloat(v, 'g', -1, 64))), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

func floatPtr(v float64) *Float { f := Float(v); return &f }

// Job is the effective job (jobfile.Entries) as a JSON object, its keys
// in the order given (the job file's); float64 values are encoded as
// Float.
type Job []jobfile.KeyValue

// MarshalJSON implements json.Marshaler.
func (j Job) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range j {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.Key)
		b.Write(k)
		b.WriteByte(':')
		var v []byte
		var err error
		if f, ok := e.Value.(float64); ok {
			v, err = Float(f).MarshalJSON()
		} else {
			v, err = json.Marshal(e.Value)
		}
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Run is one run's outcome.
type Run struct {
	Success    bool   `json:"success"` // the exit code is 0: the step limit or a stopping rule ended the run
	Status     string `json:"status"`
	Message    string `json:"message"`
	StatusStep int    `json:"status_step"`
	ExitCode   int    `json:"exit_code"`

	Nit          int `json:"nit"`            // steps, resumed ones included
	StepsThisRun int `json:"steps_this_run"` // fewer than nit after a resume
	// Where the optimizer counts them (lbfgs): loss-and-gradient
	// evaluations (nfev; njev, the same) and its inner iterations (n_iter).
	Nfev      int   `json:"nfev,omitempty"`
	Njev      int   `json:"njev,omitempty"`
	NIter     int   `json:"n_iter,omitempty"`
	Fun       Float `json:"fun"` // the loss at the last sample
	GradNorm  Float `json:"grad_norm"`
	FinalStep int   `json:"final_step"` // the step of that sample
	// The first sample's loss and gradient norm: the start point's, or the
	// resumed run's first. null when no sample was read.
	InitialFun      *Float `json:"initial_fun"`
	InitialGradNorm *Float `json:"initial_grad_norm"`
	Accuracy        *Float `json:"accuracy,omitempty"` // classifiers: training accuracy
	ValLoss         *Float `json:"val_loss,omitempty"` // with held-out rows
	ValAccuracy     *Float `json:"val_accuracy,omitempty"`
	BadIndex        *int   `json:"nonfinite_index,omitempty"` // Diverged: the first non-finite value's index
	KeptStep        *int   `json:"kept_step,omitempty"`       // Diverged: the step of the finite state kept
	Hint            string `json:"hint,omitempty"`            // Diverged early: a smaller learning rate to try

	ElapsedSeconds  float64 `json:"elapsed_s"`
	StepsPerSecond  *Float  `json:"steps_per_s"`      // null when no time passed
	ParamsPerSecond *Float  `json:"parameters_per_s"` // null when no time passed

	Device    string `json:"device"` // the backend and what it runs on
	Problem   string `json:"problem"`
	Dim       int    `json:"dim"`
	Optimizer string `json:"optimizer"`
	Precision string `json:"precision"`
	Job       Job    `json:"job"`

	JobFile   string `json:"job_file,omitempty"` // summary.json: the folder's job file
	Log       string `json:"log,omitempty"`
	Params    string `json:"params,omitempty"`
	ModelCard string `json:"model_card,omitempty"`

	Version   string `json:"gdgpu_version"`
	Commit    string `json:"gdgpu_commit,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
	Finished  string `json:"finished"` // RFC 3339
}

// RunInput is what a Run is made of.
type RunInput struct {
	Result gdgpu.Result
	Job    *gdgpu.Job // the job run
	// Entries is the effective job's settings, Run.Job.
	Entries Job
	// Device is the backend and what it runs on (device.Device's String).
	Device string
	// Precision is the precision of the parameters written ("f64" on the
	// CPU).
	Precision string
	// StepsBefore is the steps a resumed checkpoint had taken (0 for a
	// fresh run): the rates count only the steps after it.
	StepsBefore int
	// ExitCode is the program's exit code for the run; 0 is success.
	ExitCode int
	// Hint is advice for a run that diverged ("" for none); it is kept
	// only with Diverged.
	Hint string
	// Log, Params and ModelCard are the output files as the result names
	// them ("" for none).
	Log, Params, ModelCard string
	// Finished is when the run ended.
	Finished time.Time
}

// NewRun describes a finished run. The version fields are the binary's
// (BuildInfo). in.Job is required (a nil one is a programmer's mistake,
// and panics).
func NewRun(in RunInput) Run {
	r := in.Result
	res := Run{
		Success:        in.ExitCode == 0,
		Status:         r.Status.String(),
		Message:        r.Status.Message(),
		StatusStep:     r.StatusStep,
		ExitCode:       in.ExitCode,
		Nit:            r.Steps,
		StepsThisRun:   r.Steps - in.StepsBefore,
		Nfev:           r.Evaluations,
		Njev:           r.Evaluations,
		NIter:          r.Iterations,
		Fun:            Float(r.Final.Loss),
		GradNorm:       Float(r.Final.GradNorm),
		FinalStep:      r.Final.Step,
		ElapsedSeconds: r.Elapsed.Seconds(),
		Device:         in.Device,
		Problem:        in.Job.Problem,
		Dim:            in.Job.Dim,
		Optimizer:      in.Job.Optimizer.Name,
		Precision:      in.Precision,
		Job:            in.Entries,
		Log:            in.Log,
		Params:         in.Params,
		ModelCard:      in.ModelCard,
		Finished:       in.Finished.UTC().Format(time.RFC3339),
	}
	if len(r.Samples) > 0 {
		res.InitialFun, res.InitialGradNorm = floatPtr(r.Samples[0].Loss), floatPtr(r.Samples[0].GradNorm)
	}
	if d := in.Job.Data; d != nil {
		if d.Classes > 0 {
			res.Accuracy = floatPtr(r.Final.Accuracy)
		}
		if d.ValRows > 0 {
			res.ValLoss = floatPtr(r.Final.ValLoss)
			if d.Classes > 0 {
				res.ValAccuracy = floatPtr(r.Final.ValAccuracy)
			}
		}
	}
	if r.Status == gdgpu.Diverged {
		res.BadIndex, res.KeptStep = &r.BadIndex, &r.KeptStep
		res.Hint = in.Hint
	}
	if secs := r.Elapsed.Seconds(); secs > 0 {
		res.StepsPerSecond = floatPtr(float64(res.StepsThisRun) / secs)
		res.ParamsPerSecond = floatPtr(float64(res.StepsThisRun) * float64(in.Job.Dim) / secs)
	}
	res.Version, res.Commit, res.GoVersion = BuildInfo()
	return res
}

// CompareSide is one of a comparison's two runs.
type CompareSide struct {
	Device         string  `json:"device"`
	Precision      string  `json:"precision"`
	Status         string  `json:"status"`
	StatusStep     int     `json:"status_step"`
	Nit            int     `json:"nit"`
	Fun            Float   `json:"fun"`
	GradNorm       Float   `json:"grad_norm"`
	FinalStep      int     `json:"final_step"`
	ElapsedSeconds float64 `json:"elapsed_s"`
}

// NewCompareSide describes r, a run on device (device.Device's String) in
// precision.
func NewCompareSide(device, precision string, r gdgpu.Result) CompareSide {
	return CompareSide{Device: device, Precision: precision, Status: r.Status.String(),
		StatusStep: r.StatusStep, Nit: r.Steps, Fun: Float(r.Final.Loss), GradNorm: Float(r.Final.GradNorm),
		FinalStep: r.Final.Step, ElapsedSeconds: r.Elapsed.Seconds()}
}

// CompareTolerance is the tolerance a comparison was judged with.
type CompareTolerance struct {
	LossRel    float64 `json:"loss_rel"`
	LossFloor  float64 `json:"loss_floor"`
	ParamRel   float64 `json:"param_rel"`
	ParamFloor float64 `json:"param_floor"`
	SumDepth   int     `json:"model_sum_depth,omitempty"`  // models: ModelTolerance's depth
	Iterations *int    `json:"lbfgs_iterations,omitempty"` // L-BFGS: the reference's n_iter, LBFGSTolerance's
	Doc        string  `json:"doc"`
}

// Compare is a comparison's outcome. NewCompare starts it; the caller
// sets the sides as the runs end, Judge the figures, and ExitCode and
// Message.
type Compare struct {
	Success   bool        `json:"success"` // within tolerance
	ExitCode  int         `json:"exit_code"`
	Message   string      `json:"message"`
	Reference CompareSide `json:"reference"`
	Compared  CompareSide `json:"compared"`

	Matched      int   `json:"loss_samples_matched"`
	Unmatched    int   `json:"loss_samples_unmatched"`
	LossMaxAbs   Float `json:"loss_max_abs"`
	LossMaxRel   Float `json:"loss_max_rel"`
	LossFirstBad *int  `json:"loss_first_step_past_tolerance"` // null when none
	ParamMaxAbs  Float `json:"param_max_abs"`
	ParamMaxRel  Float `json:"param_max_rel"`
	ParamWorst   *int  `json:"param_worst_index"` // null when no parameters were compared
	StatusMatch  bool  `json:"status_match"`
	BranchStep   *int  `json:"branch_step,omitempty"` // L-BFGS: the first step whose counts differ

	Tolerance CompareTolerance `json:"tolerance"`

	Job       Job    `json:"job"`
	Params    string `json:"params,omitempty"` // the compared run's parameters file
	Log       string `json:"log,omitempty"`    // the compared run's log
	Version   string `json:"gdgpu_version"`
	Commit    string `json:"gdgpu_commit,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
}

// NewCompare starts the outcome of a comparison of the job entries
// describe, whose compared run writes its parameters to params and its
// log to log ("" for none). The version fields are the binary's
// (BuildInfo).
func NewCompare(entries Job, params, log string) Compare {
	res := Compare{Job: entries, Params: params, Log: log}
	res.Version, res.Commit, res.GoVersion = BuildInfo()
	return res
}

// Judge records c, the comparison judged with tol; sumDepth is a model's
// summation depth (ModelTolerance's; 0 for none) and lbfgsIterations the
// reference's iterations that LBFGSTolerance was given (nil for another
// optimizer).
func (res *Compare) Judge(c gdgpu.Comparison, tol gdgpu.Tolerance, sumDepth int, lbfgsIterations *int) {
	res.Success = c.OK
	res.Matched, res.Unmatched = c.Matched, c.Unmatched
	res.LossMaxAbs, res.LossMaxRel = Float(c.LossMaxAbs), Float(c.LossMaxRel)
	res.ParamMaxAbs, res.ParamMaxRel = Float(c.ParamMaxAbs), Float(c.ParamMaxRel)
	if c.LossFirstBad >= 0 {
		res.LossFirstBad = &c.LossFirstBad
	}
	if c.ParamWorstIndex >= 0 {
		res.ParamWorst = &c.ParamWorstIndex
	}
	res.StatusMatch = c.StatusMatch
	if c.Branched() {
		res.BranchStep = &c.BranchStep
	}
	res.Tolerance.LossRel, res.Tolerance.LossFloor = tol.LossRel, tol.LossFloor
	res.Tolerance.ParamRel, res.Tolerance.ParamFloor = tol.ParamRel, tol.ParamFloor
	res.Tolerance.SumDepth, res.Tolerance.Doc = sumDepth, gdgpu.ToleranceDoc
	res.Tolerance.Iterations = lbfgsIterations
}

// BuildInfo reads the module version, the commit (with "+modified" for a
// tree with local changes) and Go's version from the binary.
func BuildInfo() (version, commit, goVersion string) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)", "", ""
	}
	version, goVersion = bi.Main.Version, bi.GoVersion
	if version == "" {
		version = "(devel)"
	}
	modified := false
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			commit = kv.Value
		case "vcs.modified":
			modified = kv.Value == "true"
		}
	}
	if modified && commit != "" {
		commit += "+modified"
	}
	return version, commit, goVersion
}
