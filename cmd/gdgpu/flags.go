package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/spf13/cobra"
)

// jobFlags are the flags run and compare share.
type jobFlags struct {
	problem   string
	objective string // --objective, or --objective-file's text
	objFile   string
	dim       int
	cond      float64
	optimizer string
	hyper     map[string]*float64 // numeric hyperparameters by flag
	switches  map[string]*bool    // boolean hyperparameters by flag
	steps     int
	logEvery  int
	device    string
	precision string
	seed      uint64
	init      string
	out       string
	log       string
	gpu       int

	gradTol    float64
	funcTol    float64
	funcWindow int
	lossTarget float64
	timeLimit  time.Duration

	clipNorm  float64
	clipValue float64

	sched *schedFlags
	model *modelFlags
	ckpt  *ckptFlags // run's checkpoint flags; nil elsewhere
}

// addJobFlags registers the shared flags on cmd. Every hyperparameter of
// every registered optimizer gets a flag; its default is the chosen
// optimizer's torch.optim default unless the flag is given.
func addJobFlags(cmd *cobra.Command) *jobFlags {
	f := &jobFlags{hyper: map[string]*float64{}, switches: map[string]*bool{}}
	def := gdgpu.NewJob()
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.StringVar(&f.problem, "problem", def.Problem, "objective: "+strings.Join(gdgpu.ProblemNames(), ", ")+"; or a model trained on --data: "+strings.Join(gdgpu.ModelNames(), ", ")+" (gdgpu list describes them)")
	fs.StringVar(&f.objective, "objective", "", "your objective as an expression instead of --problem, e.g. 'sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)' (README: Typed objectives)")
	fs.StringVar(&f.objFile, "objective-file", "", "read --objective's expression from `FILE`")
	fs.IntVar(&f.dim, "dim", 0, "number of parameters N (default: the problem's default dimension, or the --init file's length)")
	fs.Float64Var(&f.cond, "cond", def.Cond, "quadratic: condition number, the c_i span [1, cond]")
	fs.StringVar(&f.optimizer, "optimizer", def.Optimizer.Name, "optimizer: "+strings.Join(gdgpu.OptimizerNames(), ", "))
	for _, h := range gdgpu.AllHypers() {
		usage := fmt.Sprintf("%s (torch: %s; default: %s)", h.Doc, h.Torch, defaultsOf(h.Name))
		if h.Bool {
			f.switches[h.Name] = fs.Bool(h.Name, false, usage)
		} else {
			v := new(float64)
			if h.Int {
				fs.Var((*intFloat)(v), h.Name, usage) // shown and parsed as a whole number
			} else {
				fs.Float64Var(v, h.Name, 0, usage)
			}
			f.hyper[h.Name] = v
		}
	}
	fs.IntVar(&f.steps, "steps", def.Steps, "optimizer steps to run")
	fs.IntVar(&f.logEvery, "log-every", def.LogEvery, "record the loss and gradient norm every K steps")
	fs.StringVar(&f.device, "device", "gpu", "gpu or cpu (the float64 reference; never opens a GL context)")
	fs.StringVar(&f.precision, "precision", def.Precision.String(), "GPU precision: f32 or f64 (the CPU always computes in float64)")
	fs.Uint64Var(&f.seed, "seed", 0, "start from x_i ~ U[-2, 2] drawn with this seed instead of the problem's start point; models (which start from zero): seeds --synthetic, the --val-fraction split and the batch order")
	fs.StringVar(&f.init, "init", "", "start from the 1-D float32/float64 .npy `FILE`")
	fs.StringVar(&f.out, "out", "", "write the final parameters to the .npy `FILE` (float32 for --precision f32 on the GPU, else float64)")
	fs.StringVar(&f.log, "log", "", "write step,loss,grad_norm,lr,elapsed_s rows to the CSV `FILE`")
	fs.IntVar(&f.gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	fs.Float64Var(&f.gradTol, "grad-tol", 0, "stop when a sample's gradient norm is <= this (GradientThreshold; 0: off)")
	fs.Float64Var(&f.funcTol, "func-tol", 0, "stop when the loss changes by <= this, relative, over --func-window samples (FunctionConvergence; 0: off)")
	fs.IntVar(&f.funcWindow, "func-window", def.FuncWindow, "samples the --func-tol change is measured over")
	fs.Float64Var(&f.lossTarget, "loss-target", 0, "stop when a sample's loss is <= this (FunctionThreshold; off unless given)")
	fs.DurationVar(&f.timeLimit, "time-limit", 0, "stop after this much wall time, e.g. 90s or 5m (RuntimeLimit; 0: off)")
	fs.Float64Var(&f.clipNorm, "clip-grad-norm", 0, "scale the gradient to at most this norm, as torch.nn.utils.clip_grad_norm_ (0: off)")
	fs.Float64Var(&f.clipValue, "clip-grad-value", 0, "clamp each gradient component to [-v, v], as torch.nn.utils.clip_grad_value_ (0: off)")
	f.sched = addScheduleFlags(fs)
	f.model = addModelFlags(fs)
	return f
}

// defaultsOf lists the optimizers taking a hyperparameter with their
// defaults, e.g. "0.001 for sgd, adam; 0.01 for adagrad".
func defaultsOf(flag string) string {
	byVal := map[string][]string{}
	var order []string
	for _, o := range gdgpu.Optimizers() {
		for _, h := range o.Hyper {
			if h.Name != flag {
				continue
			}
			v := fmt.Sprint(h.Default)
			if h.Bool {
				v = fmt.Sprint(h.Default != 0)
			}
			if _, ok := byVal[v]; !ok {
				order = append(order, v)
			}
			byVal[v] = append(byVal[v], o.Name)
		}
	}
	parts := make([]string, len(order))
	for i, v := range order {
		parts[i] = v + " for " + strings.Join(byVal[v], ", ")
	}
	return strings.Join(parts, "; ")
}

// setup is a validated job with its start point and I/O paths.
type setup struct {
	job     gdgpu.Job
	x0      []float64 // --init's values; see start
	device  string
	gpu     int
	out     string
	log     string
	init    string      // --init's path, for the effective job
	runDir  string      // --run-dir, where summary.json goes; empty: none
	unlock  func()      // releases --run-dir's lock; nil without one
	devName string      // the device the run used, for summary.json
	ckpt    *ckptFlags  // run's --checkpoint and --resume; nil elsewhere
	model   *modelSetup // a model's data description; nil for a test function
	// progress receives a model's per-sample lines (run's stdout); nil: none.
	progress io.Writer
	jsonOut  bool // --json: the result goes to stdout as JSON, and nothing else does
	quiet    bool // run --quiet: no progress bar, no per-sample lines
}

// maxObjectiveFile bounds --objective-file's size: the job's own bound.
const maxObjectiveFile = gdgpu.MaxObjectiveBytes

// objectiveText returns --objective's expression, or --objective-file's
// text; "" when neither is given.
func (f *jobFlags) objectiveText(changed func(string) bool) (string, error) {
	if !changed("objective-file") {
		return f.objective, nil
	}
	if changed("objective") {
		return "", usagef("--objective and --objective-file do not go together: give the expression once")
	}
	if err := data.CheckRegular(f.objFile); err != nil {
		return "", usagef("--objective-file: %v", err)
	}
	fh, err := os.Open(f.objFile)
	if err != nil {
		return "", usagef("--objective-file: %v", err)
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxObjectiveFile+1))
	fh.Close()
	if err != nil {
		return "", usagef("--objective-file %s: %v", f.objFile, err)
	}
	if len(b) > maxObjectiveFile {
		return "", usagef("--objective-file %s is larger than %d bytes", f.objFile, maxObjectiveFile)
	}
	return string(b), nil
}

// purposes are the commands whose jobs gdgpu.JobRequest treats apart.
var purposes = map[string]gdgpu.Purpose{"compare": gdgpu.PurposeCompare, "view": gdgpu.PurposeRace}

// request copies the flags into a gdgpu.JobRequest, the flags given
// being the fields given (fieldGiven).
func (f *jobFlags) request(cmd *cobra.Command) (gdgpu.JobRequest, error) {
	changed := cmd.Flags().Changed
	r := gdgpu.NewJobRequest()
	src, err := f.objectiveText(changed)
	if err != nil {
		return r, err
	}
	r.Problem, r.Objective, r.Dim, r.Cond, r.Optimizer = f.problem, src, f.dim, f.cond, f.optimizer
	r.Hyper = map[string]float64{}
	for name, v := range f.hyper {
		if changed(name) {
			r.Hyper[name] = *v
		}
	}
	for name, v := range f.switches {
		if changed(name) {
			r.Hyper[name] = 0
			if *v {
				r.Hyper[name] = 1
			}
		}
	}
	r.Schedule = f.sched.vals
	r.Schedule.Kind = f.sched.kind
	r.Steps, r.LogEvery, r.Device, r.Precision, r.Seed, r.InitFile = f.steps, f.logEvery, f.device, f.precision, f.seed, f.init
	r.GradTol, r.FuncTol, r.FuncWindow, r.LossTarget, r.TimeLimit = f.gradTol, f.funcTol, f.funcWindow, f.lossTarget, f.timeLimit
	r.ClipNorm, r.ClipValue = f.clipNorm, f.clipValue
	m := f.model
	r.Data, r.Target, r.Features, r.Synthetic = m.data, m.target, m.features, m.synthetic
	r.Samples, r.Classes, r.Noise, r.Standardize, r.ValFraction, r.Task = m.samples, m.classes, m.noise, m.standardize, m.valFraction, m.task
	r.Loss, r.Delta, r.L1, r.L2, r.Intercept, r.BatchSize, r.Epochs = m.loss, m.delta, m.l1, m.l2, m.intercept, m.batchSize, m.epochs
	r.Hidden, r.Activation, r.LeakySlope, r.InitScheme = m.hidden, m.activation, m.leakySlope, m.initScheme
	if f.ckpt != nil {
		f.ckpt.fill(&r)
	}
	r.Purpose = purposes[cmd.Name()]
	r.Given = fieldGiven(changed)
	return r, nil
}

// build turns the flags into a validated job and start point
// (gdgpu.JobRequest.Build). Every error is a usage error naming the flag
// or file.
func (f *jobFlags) build(cmd *cobra.Command) (*setup, error) {
	s := &setup{device: f.device, gpu: f.gpu, out: f.out, log: f.log, init: f.init}
	r, err := f.request(cmd)
	if err != nil {
		return nil, err
	}
	if f.gpu < 0 {
		return nil, usagef("--gpu %d must be >= 0", f.gpu)
	}
	b, err := r.Build()
	if err != nil {
		if isResumeRefusal(err) {
			return nil, err // run words it (ckptFlags.refusal)
		}
		// A file that could not be read (the refusal wraps the reader's
		// error) says when --resume's checkpoint named it.
		flag := fieldFlag
		if fe := (*gdgpu.FieldError)(nil); errors.As(err, &fe) && fe.Unwrap() != nil {
			flag = f.model.flagOf
		}
		return nil, usagef("%s", inFlags(err, flag))
	}
	job := b.Job
	s.model, s.x0 = b.Data, b.Start
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
		if err := checkMinimize(&job); err != nil {
			return nil, err
		}
	}
	if err := f.checkOutputs(); err != nil {
		return nil, err
	}
	s.job = job
	if afterLoad != nil {
		afterLoad()
	}
	return s, nil
}

// checkOutputs refuses an --out or --log whose folder does not exist, or
// that is a folder.
func (f *jobFlags) checkOutputs() error {
	for _, o := range []struct{ flag, path string }{{"out", f.out}, {"log", f.log}} {
		if o.path == "" {
			continue
		}
		dir := filepath.Dir(o.path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("--%s %s: folder %s does not exist", o.flag, o.path, dir)
		}
		if st, err := os.Stat(o.path); err == nil && st.IsDir() {
			return usagef("--%s %s is a folder", o.flag, o.path)
		}
	}
	return nil
}

// afterLoad, when set (by the signal tests only), runs once build has read
// the job's inputs, so that a test can hold a command in that phase.
var afterLoad func()

// start is the run's starting point: --init's values, or the job's start
// point, made on first use, after the backend: a job too big for the device
// is then refused before the host fills a vector of its size.
func (s *setup) start() []float64 {
	if s.x0 == nil {
		s.x0 = s.job.StartPoint()
	}
	return s.x0
}

// checkMinimize refuses, as a usage error, a CPU-only job that
// cpu.Minimize would refuse after the command had started its work.
func checkMinimize(job *gdgpu.Job) error {
	if err := cpu.CheckMinimize(job); err != nil {
		return usagef("%s", strings.TrimPrefix(inFlags(err, fieldFlag), "cpu: "))
	}
	return nil
}

// intFloat is a whole-number hyperparameter's flag, kept as a float64 (the
// hyperparameters' common type): the help shows it as int; a fraction,
// NaN or an infinity parses, and the hyperparameter's own check refuses it
// naming the flag and value ("--history 2.5 must be a whole number").
type intFloat float64

func (v *intFloat) String() string { return strconv.FormatFloat(float64(*v), 'g', -1, 64) }
func (v *intFloat) Type() string   { return "int" }
func (v *intFloat) Set(s string) error {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	*v = intFloat(f)
	return nil
}
