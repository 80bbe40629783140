package gdgpu

import (
	"fmt"
	"math"
	"strings"
)

// What a front end prints of a job and of its run: the one-line
// description, a model's per-sample line and the advice after an early
// divergence. They are the library's so that a Go program running Run
// shows what gdgpu run shows; the texts that refer to a field take a
// function naming it (nil: its Go name, as FieldError.Error writes it), so
// that the command line writes its flags there and the library none.

// fieldName is name, or the Go name of a field when name is nil.
func fieldName(name func(field string) string) func(string) string {
	if name == nil {
		return func(f string) string { return f }
	}
	return name
}

// Describe renders the job in one line, e.g.
// "rosenbrock N=1048576, adam lr=0.001 beta1=0.9 ..., 1000 steps": the
// problem and its settings, a model's data and batching, the optimizer
// with every hyperparameter, the schedule and the step limit. ld is the
// model's data as LoadData made it, which says whether an mlp's task was
// inferred and why (nil: not said). name names the fields the line
// refers to (Schedule.Describe).
func (j *Job) Describe(ld *LoadedData, name func(field string) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s N=%d", j.Problem, j.Dim)
	if d := j.Data; d != nil {
		if info, _ := LookupModel(j.Problem); info.Costs {
			fmt.Fprintf(&b, " loss=%s", j.Loss)
			if cost, _ := LookupRegressionCost(j.Loss); cost.Delta {
				fmt.Fprintf(&b, " delta=%g", j.Delta)
			}
		}
		if net, _ := ModelNetwork(j); net != nil {
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
		bs, per := Batches(j.BatchSize, d.Rows)
		fmt.Fprintf(&b, ", batch %d (%d steps/epoch)", bs, per)
		if j.L1 > 0 {
			fmt.Fprintf(&b, " l1=%g", j.L1)
		}
		if j.L2 > 0 {
			fmt.Fprintf(&b, " l2=%g", j.L2)
		}
	}
	if p, _ := LookupProblem(j.Problem); p.Settings != nil {
		b.WriteString(p.Settings(j))
	}
	if j.RandomStart || (j.Data != nil && j.BatchSize > 0 && j.BatchSize < j.Data.Rows) {
		fmt.Fprintf(&b, " seed=%d", j.Seed)
	}
	fmt.Fprintf(&b, ", %s", j.Optimizer.Name)
	info, _ := LookupOptimizer(j.Optimizer.Name)
	for _, h := range info.Hyper {
		v := j.Optimizer.Get(h.Name)
		if h.Bool {
			if v != 0 {
				fmt.Fprintf(&b, " %s", h.Name)
			}
			continue
		}
		fmt.Fprintf(&b, " %s=%g", h.Name, v)
	}
	if d := j.Schedule.Describe(name); d != "" {
		fmt.Fprintf(&b, ", %s", d)
	}
	fmt.Fprintf(&b, ", %d steps", j.Steps)
	return b.String()
}

// Describe renders the schedule in a few words, e.g.
// "step schedule step-size=10 gamma=0.5, warm-up 5 steps from 0.333":
// each parameter its kind reads by its job-file key (ScheduleParam.Key,
// without "lr-"); "" for the constant schedule without warm-up. A
// parameter whose value is another field's (onecycle's MaxLR 0 is the
// optimizer's lr) shows name(field), Optimizer.lr with a nil name.
func (s *Schedule) Describe(name func(field string) string) string {
	var b strings.Builder
	if s.Kind != "constant" {
		fmt.Fprintf(&b, "%s schedule", s.Kind)
		for _, p := range scheduleParams {
			if p.Kinds != nil && p.AppliesTo(s.Kind) {
				v := p.Show(s)
				if p.Field == "MaxLR" && s.MaxLR == 0 {
					v = fieldName(name)("Optimizer.lr")
				}
				fmt.Fprintf(&b, " %s=%s", strings.TrimPrefix(p.Key, "lr-"), v)
			}
		}
	}
	if s.Warmup > 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "warm-up %d steps from %.6g", s.Warmup, s.WarmupStartFactor)
	}
	return b.String()
}

// SampleLine renders a sample of the job's run in one line, as gdgpu run
// prints a model's: step, loss and gradient norm, then a model's training
// accuracy (classifiers) and held-out loss and accuracy (with held-out
// rows).
func (j *Job) SampleLine(s Sample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "step %-7d loss %-12.6g grad %-10.4g", s.Step, s.Loss, s.GradNorm)
	if d := j.Data; d != nil {
		if d.Classes > 0 {
			fmt.Fprintf(&b, " acc %.4f", s.Accuracy)
		}
		if d.ValRows > 0 {
			fmt.Fprintf(&b, " val_loss %-12.6g", s.ValLoss)
			if d.Classes > 0 {
				fmt.Fprintf(&b, " val_acc %.4f", s.ValAccuracy)
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// StepsRun is the steps this run issued: all of Steps, less those of the
// checkpoint RunFrom resumed (StartStep). Rates of a resumed run use it.
func (r *Result) StepsRun() int { return r.Steps - r.StartStep }

// RowsRun is the training rows this run's steps (StartStep to Steps) read
// of job's data: all n of each whole epoch, B of each batch of a part, the
// short last batch of an epoch as it is (Batch); 0 for a job without data.
// Rows per second of a model count them.
func (r *Result) RowsRun(job *Job) int64 {
	if job.Data == nil || job.Data.Rows <= 0 {
		return 0
	}
	n := job.Data.Rows
	b, per := Batches(job.BatchSize, n)
	upTo := func(t int) int64 { return int64(t/per)*int64(n) + int64(min(t%per*b, n)) }
	return upTo(r.Steps) - upTo(r.StartStep)
}

// earlySamples: a run that diverges before this many finite samples were
// read most likely has too large a learning rate.
const earlySamples = 3

// LRHint suggests a smaller learning rate for job's run r, or returns ""
// when none is called for. A run that diverged within its first
// earlySamples finite samples, or whose loss never fell below the start's,
// likely took too large steps: the hint says so and offers a tenth of
// the job's lr. Optimizers with a line search (the CPU-only gonum methods,
// lbfgs with strong Wolfe) choose their own steps and get none. name names
// the field the hint speaks of (Optimizer.lr with a nil name).
func (r *Result) LRHint(job *Job, name func(field string) string) string {
	info, _ := LookupOptimizer(job.Optimizer.Name)
	// With a line search the lr is only the first trial step: no hint.
	if r.Status != Diverged || info.CPUOnly || job.Optimizer.StrongWolfe || len(r.Samples) == 0 {
		return ""
	}
	start := r.Samples[0].Loss
	finite, descended := 0, false
	for _, smp := range r.Samples {
		if smp.NonFinite || math.IsNaN(smp.Loss) || math.IsInf(smp.Loss, 0) {
			continue
		}
		finite++
		descended = descended || smp.Loss < start
	}
	var why string
	switch {
	case finite <= earlySamples:
		why = fmt.Sprintf("it diverged within its first %d samples", earlySamples)
	case !descended:
		why = "its loss never fell below the start's"
	default:
		return ""
	}
	lr, fl := job.Optimizer.LR, fieldName(name)("Optimizer.lr")
	return fmt.Sprintf("%s, so %s %g is likely too large for this problem: try %s %g (the start's gradient norm is %.3g; an SGD step moves the parameters by lr times it)",
		why, fl, lr, fl, lr/10, r.Samples[0].GradNorm)
}
