package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
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
	jsonOut  bool   // --json: the result goes to stdout as JSON, and nothing else does
	quiet    bool   // run --quiet: no progress bar, no per-sample lines
	raceName string // view: the racer's legend name, its settings included
}

// maxObjectiveFile bounds --objective-file's size.
const maxObjectiveFile = 1 << 20

// typedObjective compiles --objective (or --objective-file) and registers
// it, so that the rest of build sees it as the problem it names.
func (f *jobFlags) typedObjective(changed func(string) bool, job *gdgpu.Job) error {
	src := f.objective
	if changed("objective-file") {
		if changed("objective") {
			return usagef("--objective and --objective-file do not go together: give the expression once")
		}
		if err := data.CheckRegular(f.objFile); err != nil {
			return usagef("--objective-file: %v", err)
		}
		fh, err := os.Open(f.objFile)
		if err != nil {
			return usagef("--objective-file: %v", err)
		}
		b, err := io.ReadAll(io.LimitReader(fh, maxObjectiveFile+1))
		fh.Close()
		if err != nil {
			return usagef("--objective-file %s: %v", f.objFile, err)
		}
		if len(b) > maxObjectiveFile {
			return usagef("--objective-file %s is larger than %d bytes", f.objFile, maxObjectiveFile)
		}
		src = string(b)
	} else if !changed("objective") {
		return nil
	}
	if changed("problem") {
		return usagef("--objective and --problem do not go together: the expression is the problem")
	}
	p, err := gdgpu.RegisterObjective(src)
	if err != nil {
		return usagef("--objective: %v", err)
	}
	f.problem, job.Objective = p.Name, src
	return nil
}

// build turns the flags into a validated job and start point. Every error
// is a usage error naming the flag or file.
func (f *jobFlags) build(cmd *cobra.Command) (*setup, error) {
	changed := cmd.Flags().Changed
	s := &setup{device: f.device, gpu: f.gpu, out: f.out, log: f.log, init: f.init}
	job := gdgpu.NewJob()

	if err := f.typedObjective(changed, &job); err != nil {
		return nil, err
	}
	p, ok := gdgpu.LookupProblem(f.problem)
	isModel := gdgpu.IsModel(f.problem)
	if !ok && !isModel {
		return nil, usagef("--problem %q is unknown (known: %s; models: %s)", f.problem, strings.Join(gdgpu.ProblemNames(), ", "), strings.Join(gdgpu.ModelNames(), ", "))
	}
	job.Problem = f.problem
	if isModel && changed("cond") {
		// A model's objective is its loss on the data: a condition number
		// would be taken and ignored, so say so.
		return nil, usagef("--cond applies to --problem quadratic, not to the model %s", f.problem)
	}
	if !isModel {
		for _, name := range modelFlagNames {
			if changed(name) {
				return nil, usagef("--%s applies to the models on data (--problem %s), not to --problem %s", name, strings.Join(gdgpu.ModelNames(), "|"), f.problem)
			}
		}
	}
	if f.device != "gpu" && f.device != "cpu" {
		return nil, usagef("--device %q is unknown (want gpu or cpu)", f.device)
	}
	if f.device == "gpu" {
		if err := cpuOnlyModel(f.problem); err != nil {
			return nil, err
		}
	}
	if f.gpu < 0 {
		return nil, usagef("--gpu %d must be >= 0", f.gpu)
	}

	opt, err := gdgpu.DefaultOptimizer(f.optimizer)
	if err != nil {
		return nil, usagef("--optimizer %q is unknown (%s)", f.optimizer, gdgpu.KnownOptimizers(f.optimizer))
	}
	var given []string
	for name := range f.hyper {
		given = append(given, name)
	}
	for name := range f.switches {
		given = append(given, name)
	}
	sort.Strings(given)
	for _, name := range given {
		if !changed(name) {
			continue
		}
		if !opt.Takes(name) {
			return nil, usagef("--%s does not apply to --optimizer %s (it takes %s)", name, opt.Name, takes(opt.Name))
		}
		if v, ok := f.hyper[name]; ok {
			opt.Set(name, *v)
		} else if *f.switches[name] {
			opt.Set(name, 1)
		} else {
			opt.Set(name, 0)
		}
	}
	job.Optimizer = opt
	info, _ := gdgpu.LookupOptimizer(opt.Name)
	if info.CPUOnly {
		// Refused here, before any GL context is opened.
		if cmd.Name() == "compare" {
			return nil, usagef("--optimizer %s runs on the CPU only (%s): there is no GPU run to compare it with; use gdgpu run --optimizer %s --device cpu",
				opt.Name, info.Torch, opt.Name)
		}
		if f.device != "cpu" {
			return nil, usagef("--optimizer %s runs on the CPU only (%s): add --device cpu", opt.Name, info.Torch)
		}
	}

	prec, err := gdgpu.ParsePrecision(f.precision)
	if err != nil {
		return nil, usagef("--precision %q is unknown (want f32 or f64)", f.precision)
	}
	if f.device == "cpu" && changed("precision") && prec != gdgpu.F64 && cmd.Name() == "run" {
		return nil, usagef("--precision %s applies to --device gpu; the CPU computes in float64 (use --precision f64 or leave it out)", f.precision)
	}
	job.Precision = prec
	job.Cond = f.cond
	job.Steps = f.steps
	job.LogEvery = f.logEvery
	if info.CPUOnly {
		// Any schedule flag but an explicit --schedule constant.
		given := changedSchedule(changed)
		if len(given) > 0 && given[0] == "schedule" && f.sched.kind == "constant" {
			given = given[1:]
		}
		if len(given) > 0 {
			flag := given[0]
			return nil, usagef("--%s does not apply to --optimizer %s: its line search chooses each step's length, there is no learning rate to schedule", flag, opt.Name)
		}
		for _, c := range []struct {
			flag string
			v    float64
		}{{"clip-grad-norm", f.clipNorm}, {"clip-grad-value", f.clipValue}} {
			if c.v != 0 {
				return nil, usagef("--%s does not apply to --optimizer %s: its line search needs the loss's own gradient", c.flag, opt.Name)
			}
		}
	}
	if job.Schedule, err = f.sched.build(changed, f.steps); err != nil {
		return nil, err
	}
	if changed("seed") {
		job.Seed, job.RandomStart = f.seed, true
	}
	job.GradTol, job.FuncTol, job.FuncWindow, job.TimeLimit = f.gradTol, f.funcTol, f.funcWindow, f.timeLimit
	for _, t := range []struct {
		flag string
		v    float64
	}{{"grad-tol", f.gradTol}, {"func-tol", f.funcTol}} {
		if math.IsInf(t.v, 0) {
			return nil, usagef("--%s %g must be a finite number >= 0", t.flag, t.v)
		}
	}
	job.ClipNorm, job.ClipValue = f.clipNorm, f.clipValue
	if changed("loss-target") {
		job.LossTarget, job.HasTarget = f.lossTarget, true
	}
	if cmd.Name() == "compare" && f.timeLimit != 0 {
		return nil, usagef("--time-limit stops each run after its own wall time, at different steps: compare does not take it")
	}

	job.Dim = p.DefaultDim
	if changed("dim") {
		job.Dim = f.dim
	}
	if isModel {
		if s.model, err = f.model.buildModel(changed, &job, f); err != nil {
			return nil, err
		}
	}
	if f.init != "" {
		if changed("seed") && !isModel {
			return nil, usagef("--init and --seed both choose the start point; give one")
		}
		x0, err := data.ReadVector(f.init)
		if err != nil {
			return nil, usagef("--init: %v", err)
		}
		if len(x0) == 0 {
			return nil, usagef("--init %s holds no values", f.init)
		}
		if changed("dim") && len(x0) != f.dim {
			return nil, usagef("--init %s holds %d values but --dim is %d", f.init, len(x0), f.dim)
		}
		if isModel && len(x0) != job.Dim {
			return nil, usagef("--init %s holds %d values but the %s model on this data has %d parameters", f.init, len(x0), job.Problem, job.Dim)
		}
		for i, v := range x0 {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, usagef("--init %s: value %d is %g; the start point must be finite", f.init, i, v)
			}
			if f.device == "gpu" && job.Precision == gdgpu.F32 && math.Abs(v) > math.MaxFloat32 {
				return nil, usagef("--init %s: value %d is %g, beyond float32's range (±%.4g) that --precision f32 on the GPU computes in; use --precision f64", f.init, i, v, math.MaxFloat32)
			}
		}
		job.Dim = len(x0)
		s.x0 = x0
	}
	if err := job.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	if cmd.Name() == "compare" && f.device == "gpu" {
		if err := gdgpu.CheckCompare(&job); err != nil {
			return nil, usagef("%v", err)
		}
	}
	if info.CPUOnly {
		if err := checkMinimize(&job); err != nil {
			return nil, err
		}
	}
	for _, o := range []struct{ flag, path string }{{"out", f.out}, {"log", f.log}} {
		if o.path == "" {
			continue
		}
		dir := filepath.Dir(o.path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, usagef("--%s %s: folder %s does not exist", o.flag, o.path, dir)
		}
		if st, err := os.Stat(o.path); err == nil && st.IsDir() {
			return nil, usagef("--%s %s is a folder", o.flag, o.path)
		}
	}
	s.job = job
	if afterLoad != nil {
		afterLoad()
	}
	return s, nil
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

// takes lists an optimizer's hyperparameter flags.
func takes(name string) string {
	info, _ := gdgpu.LookupOptimizer(name)
	var fl []string
	for _, h := range info.Hyper {
		fl = append(fl, "--"+h.Name)
	}
	if len(fl) == 0 {
		return "no hyperparameters"
	}
	return strings.Join(fl, ", ")
}

// describe renders a job in one line, e.g.
// "rosenbrock N=1048576, adam lr=0.001 beta1=0.9 ..., 1000 steps"; ld,
// the model's data (nil for a test function), says whether the mlp's
// task was inferred.
func describe(job *gdgpu.Job, ld *modelSetup) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s N=%d", job.Problem, job.Dim)
	if d := job.Data; d != nil {
		if info, _ := gdgpu.LookupModel(job.Problem); info.Costs {
			fmt.Fprintf(&b, " loss=%s", job.Loss)
			if cost, _ := gdgpu.LookupRegressionCost(job.Loss); cost.Delta {
				fmt.Fprintf(&b, " delta=%g", job.Delta)
			}
		}
		if net, _ := gdgpu.ModelNetwork(job); net != nil {
			fmt.Fprintf(&b, " %s", net.Describe())
			switch {
			case ld != nil && ld.TaskInferred && ld.TaskReason != "":
				fmt.Fprintf(&b, " task=%s (inferred: %s)", ld.Task, ld.TaskReason)
			case d.Classes == 0:
				b.WriteString(" task=regression")
			}
		}
		fmt.Fprintf(&b, " on %d x %d", d.Rows, d.Cols)
		if d.Classes > 0 {
			fmt.Fprintf(&b, " (%d classes)", d.Classes)
		}
		if d.ValRows > 0 {
			fmt.Fprintf(&b, " + %d held out", d.ValRows)
		}
		bs, per := gdgpu.Batches(job.BatchSize, d.Rows)
		fmt.Fprintf(&b, ", batch %d (%d steps/epoch)", bs, per)
		if job.L1 > 0 {
			fmt.Fprintf(&b, " l1=%g", job.L1)
		}
		if job.L2 > 0 {
			fmt.Fprintf(&b, " l2=%g", job.L2)
		}
	}
	if p, _ := gdgpu.LookupProblem(job.Problem); p.Settings != nil {
		b.WriteString(p.Settings(job))
	}
	if job.RandomStart || (job.Data != nil && job.BatchSize > 0 && job.BatchSize < job.Data.Rows) {
		fmt.Fprintf(&b, " seed=%d", job.Seed)
	}
	fmt.Fprintf(&b, ", %s", job.Optimizer.Name)
	info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name)
	for _, h := range info.Hyper {
		v := job.Optimizer.Get(h.Name)
		if h.Bool {
			if v != 0 {
				fmt.Fprintf(&b, " %s", h.Name)
			}
			continue
		}
		fmt.Fprintf(&b, " %s=%g", h.Name, v)
	}
	if d := describeSchedule(&job.Schedule); d != "" {
		fmt.Fprintf(&b, ", %s", d)
	}
	fmt.Fprintf(&b, ", %d steps", job.Steps)
	return b.String()
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
