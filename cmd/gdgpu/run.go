package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/data"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/runlog"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newRunCmd(stdout, stderr io.Writer) *cobra.Command {
	var f *jobFlags
	var runDir *string
	var ck *ckptFlags
	var asJSON, quiet *bool
	cmd := &cobra.Command{
		Use:   "run [job.toml] [flags]",
		Short: "run one descent and print a summary",
		Long: `Run one descent on the GPU (default) or the CPU and print a summary: status,
final loss and gradient norm, steps, elapsed time, steps/s and parameters/s.
The exit code: 0 when the run reached its step limit or a stopping rule
(--grad-tol, --func-tol, --loss-target, --time-limit; the status is in the
summary), 4 diverged, 5 interrupted (SIGINT/SIGTERM; --out is still
written).

--schedule sets a torch.optim.lr_scheduler learning-rate schedule; its
parameters are the --lr-*, --warmup-* and --plateau-* flags, and a flag the
schedule does not read is refused. --optimizer lbfgs is torch's L-BFGS, on both
devices: a step is one LBFGS.step(closure), up to --max-iter iterations. The CPU-only methods (gonum-lbfgs, gonum-bfgs,
gonum-cg, gonum-gd: gonum's, with their own line searches) need --device cpu;
a step is then one major iteration. gdgpu list shows every optimizer,
schedule, stopping rule and default.

A job file (job.toml) gives any flag as a TOML key named after it, e.g.
dim = 1048576, lr = 1e-3, time-limit = "90s", lr-milestones = [100, 200];
flags given on the command line override it. --run-dir DIR writes the
effective job (DIR/job.toml, which gdgpu run repeats), the log, the final
parameters and summary.json into a new or empty folder.`,
		Example: `  gdgpu run --problem rosenbrock --dim 1048576 --steps 1000
  gdgpu run --device cpu --problem quadratic --cond 1e3 --optimizer sgd --lr 1e-3 --out x.npy --log log.csv
  gdgpu run --lr 0.01 --steps 5000 --schedule cosine --warmup-steps 100
  gdgpu run --device cpu --optimizer gonum-lbfgs --problem rosenbrock --dim 1000 --steps 10000 --grad-tol 1e-8 --out x.npy
  gdgpu run job.toml --steps 500 --run-dir runs/a`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			jf, err := loadJobFile(cmd, args)
			if err != nil {
				return err
			}
			if err := ck.read(cmd, f); err != nil {
				return err
			}
			s, err := f.build(cmd)
			if isResumeRefusal(err) {
				return ck.refusal(cmd, f, err)
			}
			if err != nil {
				return jf.annotate(err)
			}
			if err := ck.apply(cmd, s); err != nil {
				return err
			}
			check := func() error { return checkPaths(runPaths(args, f, s)) }
			if err := prepareRunDir(cmd, f, s, *runDir, check); err != nil {
				return err
			}
			if s.unlock != nil {
				defer s.unlock()
			}
			if err := prepareOutputs(s); err != nil {
				return err
			}
			s.jsonOut, s.quiet = *asJSON, *quiet
			return runOne(cmd.Context(), s, stdout, stderr)
		},
	}
	f = addJobFlags(cmd)
	quiet = cmd.Flags().Bool("quiet", false, "no progress bar and no per-sample lines of a model: only the summary (or the --json result)")
	asJSON = cmd.Flags().Bool("json", false, "print the result as one JSON object (scipy OptimizeResult's names where they fit) instead of the text summary")
	ck = addCheckpointFlags(cmd)
	f.ckpt = ck
	runDir = addRunDirFlag(cmd)
	return cmd
}

// glOptions are the GL context's options for --gpu and --debug.
func glOptions(gpu int) engine.Options {
	opts := engine.Options{GPU: gpu}
	if w := glDebug.Load(); w != nil {
		opts.Debug = true
		opts.DebugLog = func(m string) { fmt.Fprintf(w.w, "gdgpu: %s\n", m) }
	}
	return opts
}

// openGL opens the GL context for --gpu; a failure is a runtime error
// (exit 3) that lists every attempt.
func openGL(gpu int) (*engine.Context, error) {
	ec, err := engine.Open(glOptions(gpu))
	if err != nil {
		return nil, failure(err)
	}
	return ec, nil
}

// historyHint points a refused lbfgs job at --history-size, which sets
// most of its memory (2*history_size+2 state vectors, kept twice).
func historyHint(job *gdgpu.Job) string {
	if !job.Optimizer.Takes("history-size") {
		return ""
	}
	return fmt.Sprintf("; --history-size %d keeps %d state vectors: a smaller one needs less", int(job.Optimizer.History), len(job.Optimizer.StateNames()))
}

// openError is the command line's error for a backend job's device
// refused: too big for the machine or the device is bad input (exit 2),
// anything else (no GL context, a backend failure) a runtime error.
func openError(err error, job *gdgpu.Job) error {
	if errors.Is(err, cpu.ErrTooBig) || errors.Is(err, engine.ErrTooBig) {
		return usagef("%v%s", err, historyHint(job))
	}
	return failure(err)
}

// openDevice opens job's backend on --device (device.Open), on a GL
// context of its own for the GPU.
func openDevice(devName string, job *gdgpu.Job, gpu int) (*device.Device, error) {
	d, err := device.Open(devName, job, glOptions(gpu))
	if err != nil {
		return nil, openError(err, job)
	}
	return d, nil
}

// outcome is a finished run.
type outcome struct {
	res gdgpu.Result
	x   []float64 // final parameters
	log int       // rows written to the CSV log
}

// execute drives d through s.job from s.x0 with a progress bar when stderr
// is a terminal and a CSV log when logPath is set, and reads back the final
// parameters. A backend failure is a runtime error.
func execute(ctx context.Context, s *setup, d *device.Device, logPath, label string, stderr io.Writer) (*outcome, error) {
	graceful.Store(true) // the driver stops at a step boundary and the outputs are written
	return observe(s, logPath, label, stderr, func(hooks gdgpu.Hooks) (gdgpu.Result, []float64, error) {
		res, err := runDriver(ctx, s, d.Backend, hooks)
		if errors.Is(err, gdgpu.ErrNonFiniteStart) {
			if s.job.Data != nil && s.device == "gpu" && s.job.Precision == gdgpu.F32 {
				// --init is finite and the data is float32: what overflows
				// is a sum or square of them (a residual², Σ w x, ‖g‖²).
				return res, nil, usagef("%v (float32 overflows on features, targets or --init values this large: --standardize scales the features, --precision f64 widens the range)", err)
			}
			return res, nil, usagef("%v", err) // refused before any step: exit 2
		}
		// Only an output failing once the run is whole (the final
		// checkpoint: a status is set) leaves the others to write; a
		// mid-run checkpoint failure ends the run as a runtime error.
		var oe *outputError
		if err != nil && (!errors.As(err, &oe) || res.Status == gdgpu.NotTerminated) {
			return res, nil, failure(err)
		}
		// The run's state is whole even when an output failed (a
		// checkpoint's write): the parameters still go to the others.
		x := make([]float64, s.job.Dim)
		if perr := d.Backend.Params(x); perr != nil {
			return res, nil, failure(perr)
		}
		if err != nil {
			return res, x, failure(err)
		}
		return res, x, nil
	})
}

// outputError is an output that could not be written (a checkpoint at the
// end of the run, say): the run itself is whole, so the other outputs are
// still written, and the failure is reported after them.
type outputError struct {
	what string // the flag, e.g. "--checkpoint"
	err  error
}

func (e *outputError) Error() string { return fmt.Sprintf("writing %s: %v", e.what, e.err) }
func (e *outputError) Unwrap() error { return e.err }

// observe runs a descent with a progress bar when stderr is a terminal and
// a CSV log when logPath is set. run does the work with the hooks it is
// given and returns the result and the final parameters; its error is
// returned as it is.
func observe(s *setup, logPath, label string, stderr io.Writer,
	run func(gdgpu.Hooks) (gdgpu.Result, []float64, error)) (*outcome, error) {
	return observeTo(s, logPath, label, stderr, s.progress, run)
}

// observeTo is observe with the writer of a model's per-sample lines (nil:
// none).
func observeTo(s *setup, logPath, label string, stderr, progress io.Writer,
	run func(gdgpu.Hooks) (gdgpu.Result, []float64, error)) (*outcome, error) {
	o := &outcome{}
	// The log is created at the first sample (runlog.Recorder); its folder
	// is checked before the run.
	var rec *runlog.Recorder
	if logPath != "" {
		if err := checkWritable("--log", logPath); err != nil {
			return nil, failure(err)
		}
		rec = runlog.NewRecorder(logPath, &s.job)
	}
	var bar *progressbar.ProgressBar
	if !s.quiet {
		bar = newBar(stderr, s.job.Steps, label)
	}
	hooks := gdgpu.Hooks{
		Sample: func(smp gdgpu.Sample, lr float64, el time.Duration) {
			if rec != nil {
				rec.Sample(smp, lr, el)
			}
			if bar != nil {
				// Samples are steps the device has finished: issued steps
				// run ahead of it, so a bar driven by them would start at
				// millions of steps per second.
				bar.Describe(fmt.Sprintf("%s loss %.6g", label, smp.Loss))
				bar.Set(smp.Step)
			}
			if s.job.Data != nil && progress != nil {
				// Models report each sample: loss, accuracy, held-out figures.
				fmt.Fprintln(progress, s.job.SampleLine(smp))
			}
		},
	}
	res, x, runErr := run(hooks)
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(stderr)
	}
	o.res = res
	// A log failure is reported, alone, or beside an output's failure
	// whose run went on to be written (outputError).
	var oe *outputError
	logFail := func(err error) error {
		if runErr == nil {
			return failure(err)
		}
		if x != nil && errors.As(runErr, &oe) {
			runErr = failure(errors.Join(runErr, err))
		}
		return nil
	}
	if rec != nil {
		// A run that ended without a sample still gets its header.
		rows, err := rec.Close(runErr == nil)
		o.log = rows
		if we := (*runlog.WriteError)(nil); errors.As(err, &we) {
			err = fmt.Errorf("writing --log %s: %w", logPath, we.Err)
		}
		if err != nil {
			if err := logFail(err); err != nil {
				return o, err
			}
		}
	}
	o.x = x // nil when the run failed; the parameters when only an output did
	if runErr != nil {
		return o, runErr
	}
	return o, nil
}

// outDtype is the .npy dtype that holds a run's parameters exactly.
func outDtype(s *setup) string {
	if s.device == "gpu" && s.job.Precision == gdgpu.F32 {
		return "f4"
	}
	return "f8"
}

func runOne(ctx context.Context, s *setup, stdout, stderr io.Writer) error {
	d, err := openDevice(s.device, &s.job, s.gpu)
	if err != nil {
		return err
	}
	defer d.Close()
	s.devName = d.String()
	if !s.jsonOut { // with --json, stdout holds the result alone
		if !s.quiet {
			s.progress = stdout
		}
		fmt.Fprintf(stdout, "gdgpu run: %s on %s (%s)%s\n", s.job.Describe(s.model, fieldFlag), d.Backend.Name(), d.Detail, resumeNote(s))
	}
	o, err := execute(ctx, s, d, s.log, d.Backend.Name(), stderr)
	var oe *outputError
	if err != nil && (!errors.As(err, &oe) || o == nil || o.x == nil) {
		return err
	}
	// An output that failed during the run (err) does not keep the others
	// from being written; both failures are reported.
	if ferr := finish(s, o, stdout); ferr != nil || err != nil {
		return failure(errors.Join(err, ferr))
	}
	if err := d.Close(); err != nil {
		return failure(err)
	}
	return exitCode(statusExit(o.res.Status))
}

// finish writes --out, the model card and the run folder's summary, and
// prints the summary of a run that ended. An output that cannot be
// written does not keep the others from being written: every failure is
// returned, joined, after the summary.
func finish(s *setup, o *outcome, stdout io.Writer) error {
	var errs []error
	if s.out != "" {
		if err := data.WriteVector(s.out, o.x, outDtype(s)); err != nil {
			errs = append(errs, err)
		}
		if s.model != nil {
			if err := writeModelCard(s, o.res); err != nil {
				errs = append(errs, err) // writeAtomic names the file
			}
		}
	}
	if s.runDir != "" {
		if err := writeRunSummary(s, o); err != nil {
			errs = append(errs, err)
		}
	}
	if s.jsonOut {
		if err := printJSON(stdout, newRunResult(s, o, s.devName, sameAsGiven)); err != nil {
			errs = append(errs, err)
		}
	} else {
		summary(stdout, s, o)
	}
	return errors.Join(errs...)
}

// summary prints the end-of-run report.
func summary(w io.Writer, s *setup, o *outcome) {
	r := o.res
	secs := r.Elapsed.Seconds()
	rate := func(n float64) string {
		if secs <= 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.4g", n/secs)
	}
	line := func(k, v string) { fmt.Fprintf(w, "  %-13s %s\n", k+":", v) }
	line("status", fmt.Sprintf("%s at step %d (exit %d)", r.Status, r.StatusStep, statusExit(r.Status)))
	if r.Status == gdgpu.Diverged {
		line("non-finite", fmt.Sprintf("first at step %d, index %d; parameters are the last finite state, step %d", r.StatusStep, r.BadIndex, r.KeptStep))
		if h := r.LRHint(&s.job, fieldFlag); h != "" {
			line("hint", h)
		}
	}
	if len(r.Samples) > 0 { // the start beside the end, so that a run that went nowhere shows it
		s0 := r.Samples[0]
		line("start loss", fmt.Sprintf("%.10g (step %d), grad norm %.6g", s0.Loss, s0.Step, s0.GradNorm))
	}
	line("final loss", fmt.Sprintf("%.10g (step %d)", r.Final.Loss, r.Final.Step))
	line("grad norm", fmt.Sprintf("%.6g", r.Final.GradNorm))
	if d := s.job.Data; d != nil {
		if d.Classes > 0 {
			line("accuracy", fmt.Sprintf("%.4f (training, %d rows)", r.Final.Accuracy, d.Rows))
		}
		if d.ValRows > 0 {
			line("val loss", fmt.Sprintf("%.10g (%d held-out rows)", r.Final.ValLoss, d.ValRows))
			if d.Classes > 0 {
				line("val accuracy", fmt.Sprintf("%.4f", r.Final.ValAccuracy))
			}
		}
		_, per := gdgpu.Batches(s.job.BatchSize, d.Rows)
		line("epochs", fmt.Sprintf("%.4g (%d steps each)", float64(r.Steps)/float64(per), per))
	}
	ran := r.StepsRun()
	if ran != r.Steps {
		line("steps", fmt.Sprintf("%d (%d in this run, resumed at step %d)", r.Steps, ran, r.Steps-ran))
	} else {
		line("steps", strconv.Itoa(r.Steps))
	}
	if r.Evaluations > 0 {
		line("evaluations", fmt.Sprintf("%d of the loss and gradient in %d %s (torch's func_evals and n_iter, in the steps)", r.Evaluations, r.Iterations, plural(r.Iterations, "iteration")))
	}
	line("elapsed", r.Elapsed.Round(time.Microsecond).String())
	line("steps/s", rate(float64(ran)))
	line("parameters/s", rate(float64(ran)*float64(s.job.Dim)))
	if d := s.job.Data; d != nil {
		// A model's work is its rows: each step reads its batch once, and
		// an epoch's last batch is short when B does not divide the rows.
		line("rows/s", rate(float64(r.RowsRun(&s.job))))
	}
	if s.out != "" {
		line("out", fmt.Sprintf("%s (%s, %d values)", s.out, outDtype(s), s.job.Dim))
		if s.model != nil {
			line("model card", s.out+".json")
		}
	}
	if s.log != "" {
		line("log", fmt.Sprintf("%s (%d rows)", s.log, o.log))
	}
}

// newBar returns a progress bar on stderr when stderr is a terminal, else nil.
func newBar(stderr io.Writer, steps int, label string) *progressbar.ProgressBar {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || steps <= 0 {
		return nil
	}
	return progressbar.NewOptions64(int64(steps),
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("steps"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}

// plural is "1 iteration" -style agreement: word, or word+"s" unless n is 1.
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
