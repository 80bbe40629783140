package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/jobfile"
)

// The JSON results: run --json prints a runResult, compare --json a
// compareResult, and --run-dir's summary.json is the runResult with its
// paths relative to the folder. Field names follow scipy's OptimizeResult
// where one fits (success, status, message, nit, fun); README.md lists
// them.

// jsonFloat encodes NaN and ±Inf, which JSON has no numbers for, as the
// strings "NaN", "+Inf" and "-Inf".
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte(strconv.Quote(strconv.FormatFloat(v, 'g', -1, 64))), nil
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

func jsonPtr(v float64) *jsonFloat { f := jsonFloat(v); return &f }

// jobObject is the effective job as a JSON object, its keys the flags in
// job.toml's order.
type jobObject []jobfile.KeyValue

func (j jobObject) MarshalJSON() ([]byte, error) {
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
			v, err = jsonFloat(f).MarshalJSON()
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

// runResult is one run's outcome.
type runResult struct {
	Success    bool   `json:"success"` // the exit code is 0: the step limit or a stopping rule ended the run
	Status     string `json:"status"`
	Message    string `json:"message"`
	StatusStep int    `json:"status_step"`
	ExitCode   int    `json:"exit_code"`

	Nit          int `json:"nit"`            // steps, resumed ones included
	StepsThisRun int `json:"steps_this_run"` // fewer than nit after --resume
	// Where the optimizer counts them (lbfgs): loss-and-gradient
	// evaluations (nfev; njev, the same) and its inner iterations (n_iter).
	Nfev      int       `json:"nfev,omitempty"`
	Njev      int       `json:"njev,omitempty"`
	NIter     int       `json:"n_iter,omitempty"`
	Fun       jsonFloat `json:"fun"` // the loss at the last sample
	GradNorm  jsonFloat `json:"grad_norm"`
	FinalStep int       `json:"final_step"` // the step of that sample
	// The first sample's loss and gradient norm: the start point's, or the
	// resumed run's first. null when no sample was read.
	InitialFun      *jsonFloat `json:"initial_fun"`
	InitialGradNorm *jsonFloat `json:"initial_grad_norm"`
	Accuracy        *jsonFloat `json:"accuracy,omitempty"` // classifiers: training accuracy
	ValLoss         *jsonFloat `json:"val_loss,omitempty"` // with held-out rows
	ValAccuracy     *jsonFloat `json:"val_accuracy,omitempty"`
	BadIndex        *int       `json:"nonfinite_index,omitempty"` // Diverged: the first non-finite value's index
	KeptStep        *int       `json:"kept_step,omitempty"`       // Diverged: the step of the finite state kept
	Hint            string     `json:"hint,omitempty"`            // Diverged early: a smaller --lr to try

	ElapsedSeconds  float64    `json:"elapsed_s"`
	StepsPerSecond  *jsonFloat `json:"steps_per_s"`      // null when no time passed
	ParamsPerSecond *jsonFloat `json:"parameters_per_s"` // null when no time passed

	Device    string    `json:"device"` // the backend and what it runs on
	Problem   string    `json:"problem"`
	Dim       int       `json:"dim"`
	Optimizer string    `json:"optimizer"`
	Precision string    `json:"precision"`
	Job       jobObject `json:"job"`

	JobFile   string `json:"job_file,omitempty"` // summary.json: the folder's job.toml
	Log       string `json:"log,omitempty"`
	Params    string `json:"params,omitempty"`
	ModelCard string `json:"model_card,omitempty"`

	Version   string `json:"gdgpu_version"`
	Commit    string `json:"gdgpu_commit,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
	Finished  string `json:"finished"` // RFC 3339
}

// newRunResult describes o, a run of s's job on device devName. rel maps
// an output path to the form the result gives it.
func newRunResult(s *setup, o *outcome, devName string, rel func(string) string) runResult {
	r := o.res
	code := statusExit(r.Status)
	res := runResult{
		Success:        code == exitOK,
		Status:         r.Status.String(),
		Message:        r.Status.Message(),
		StatusStep:     r.StatusStep,
		ExitCode:       code,
		Nit:            r.Steps,
		StepsThisRun:   stepsThisRun(s, r),
		Nfev:           r.Evaluations,
		Njev:           r.Evaluations,
		NIter:          r.Iterations,
		Fun:            jsonFloat(r.Final.Loss),
		GradNorm:       jsonFloat(r.Final.GradNorm),
		FinalStep:      r.Final.Step,
		ElapsedSeconds: r.Elapsed.Seconds(),
		Device:         devName,
		Problem:        s.job.Problem,
		Dim:            s.job.Dim,
		Optimizer:      s.job.Optimizer.Name,
		Precision:      outPrecision(s),
		Job:            jobEntries(s),
		Finished:       time.Now().UTC().Format(time.RFC3339),
	}
	if len(r.Samples) > 0 {
		res.InitialFun, res.InitialGradNorm = jsonPtr(r.Samples[0].Loss), jsonPtr(r.Samples[0].GradNorm)
	}
	if d := s.job.Data; d != nil {
		if d.Classes > 0 {
			res.Accuracy = jsonPtr(r.Final.Accuracy)
		}
		if d.ValRows > 0 {
			res.ValLoss = jsonPtr(r.Final.ValLoss)
			if d.Classes > 0 {
				res.ValAccuracy = jsonPtr(r.Final.ValAccuracy)
			}
		}
	}
	if r.Status == gdgpu.Diverged {
		res.BadIndex, res.KeptStep = &r.BadIndex, &r.KeptStep
		res.Hint = lrHint(s, r)
	}
	if secs := r.Elapsed.Seconds(); secs > 0 {
		res.StepsPerSecond = jsonPtr(float64(res.StepsThisRun) / secs)
		res.ParamsPerSecond = jsonPtr(float64(res.StepsThisRun) * float64(s.job.Dim) / secs)
	}
	if s.log != "" {
		res.Log = rel(s.log)
	}
	if s.out != "" {
		res.Params = rel(s.out)
		if s.model != nil {
			res.ModelCard = rel(s.out + ".json")
		}
	}
	res.Version, res.Commit, res.GoVersion = buildInfo()
	return res
}

// writeRunSummary writes --run-dir's summary.json for a run that ended:
// the run's result, its paths relative to the folder.
func writeRunSummary(s *setup, o *outcome) error {
	res := newRunResult(s, o, s.devName, func(p string) string { return relTo(s.runDir, p) })
	res.JobFile = runDirJob
	b, err := json.MarshalIndent(&res, "", "  ")
	if err != nil {
		return fmt.Errorf("--run-dir %s: %w", s.runDir, err)
	}
	if err := os.WriteFile(filepath.Join(s.runDir, runDirSummary), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("--run-dir %s: %w", s.runDir, err)
	}
	return nil
}

// relTo gives path relative to dir, or absolute where no relative path
// leads there.
func relTo(dir, path string) string {
	if r, err := filepath.Rel(absPath(dir), absPath(path)); err == nil {
		return r
	}
	return absPath(path)
}

// sameAsGiven leaves a path as the user gave it (run --json: relative to
// the working directory).
func sameAsGiven(p string) string { return p }

// compareSide is one of compare's two runs.
type compareSide struct {
	Device         string    `json:"device"`
	Precision      string    `json:"precision"`
	Status         string    `json:"status"`
	StatusStep     int       `json:"status_step"`
	Nit            int       `json:"nit"`
	Fun            jsonFloat `json:"fun"`
	GradNorm       jsonFloat `json:"grad_norm"`
	FinalStep      int       `json:"final_step"`
	ElapsedSeconds float64   `json:"elapsed_s"`
}

// compareResult is compare's outcome.
type compareResult struct {
	Success   bool        `json:"success"` // within tolerance
	ExitCode  int         `json:"exit_code"`
	Message   string      `json:"message"`
	Reference compareSide `json:"reference"`
	Compared  compareSide `json:"compared"`

	Matched      int       `json:"loss_samples_matched"`
	Unmatched    int       `json:"loss_samples_unmatched"`
	LossMaxAbs   jsonFloat `json:"loss_max_abs"`
	LossMaxRel   jsonFloat `json:"loss_max_rel"`
	LossFirstBad *int      `json:"loss_first_step_past_tolerance"` // null when none
	ParamMaxAbs  jsonFloat `json:"param_max_abs"`
	ParamMaxRel  jsonFloat `json:"param_max_rel"`
	ParamWorst   *int      `json:"param_worst_index"` // null when no parameters were compared
	StatusMatch  bool      `json:"status_match"`
	BranchStep   *int      `json:"branch_step,omitempty"` // L-BFGS: the first step whose counts differ

	Tolerance struct {
		LossRel    float64 `json:"loss_rel"`
		LossFloor  float64 `json:"loss_floor"`
		ParamRel   float64 `json:"param_rel"`
		ParamFloor float64 `json:"param_floor"`
		SumDepth   int     `json:"model_sum_depth,omitempty"`  // models: ModelTolerance's depth
		Iterations *int    `json:"lbfgs_iterations,omitempty"` // L-BFGS: the reference's n_iter, LBFGSTolerance's
		Doc        string  `json:"doc"`
	} `json:"tolerance"`

	Job       jobObject `json:"job"`
	Params    string    `json:"params,omitempty"` // the compared run's --out
	Log       string    `json:"log,omitempty"`    // the compared run's --log
	Version   string    `json:"gdgpu_version"`
	Commit    string    `json:"gdgpu_commit,omitempty"`
	GoVersion string    `json:"go_version,omitempty"`
}

func newCompareSide(d *device.Device, prec string, o *outcome) compareSide {
	r := o.res
	return compareSide{Device: d.String(), Precision: prec, Status: r.Status.String(),
		StatusStep: r.StatusStep, Nit: r.Steps, Fun: jsonFloat(r.Final.Loss), GradNorm: jsonFloat(r.Final.GradNorm),
		FinalStep: r.Final.Step, ElapsedSeconds: r.Elapsed.Seconds()}
}

// buildInfo reads the module version, the commit (with "+modified" for a
// tree with local changes) and Go's version from the binary.
func buildInfo() (version, commit, goVersion string) {
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

// printJSON writes v to w as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return failure(fmt.Errorf("encoding the result: %w", err))
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return failure(fmt.Errorf("writing the result: %w", err))
	}
	return nil
}
