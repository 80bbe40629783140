package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gdgpu/gdgpu"
	"github.com/spf13/cobra"
)

func newListCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "list problems, optimizers, schedules, stopping rules and clipping with their flags and defaults",
		Long: `List what run and compare can do: the problems, every optimizer with its
hyperparameters (torch.optim's names, defaults and valid ranges; the CPU-only
gonum methods marked), every learning-rate schedule with its
torch.optim.lr_scheduler class and defaults, the stopping rules with the
status and exit code each ends a run with, and the gradient-clipping flags.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			printList(stdout)
			return nil
		},
	}
}

func printList(w io.Writer) {
	fmt.Fprintln(w, "Problems (--problem):")
	for _, p := range gdgpu.Problems() {
		fmt.Fprintf(w, "  %s\n", p.Name)
		fmt.Fprintf(w, "      %s\n", flagText(p.Summary))
		fmt.Fprintf(w, "      start: %s\n", flagText(p.Start))
		switch {
		case p.MaxDim > 0 && p.MaxDim == p.MinDim:
			fmt.Fprintf(w, "      --dim %d only\n", p.MinDim)
		case p.MaxDim > 0:
			fmt.Fprintf(w, "      default --dim %d (%d to %d)\n", p.DefaultDim, p.MinDim, p.MaxDim)
		default:
			fmt.Fprintf(w, "      default --dim %d (at least %d)\n", p.DefaultDim, p.MinDim)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Models on data (--problem, with --data FILE --target COLUMN or --synthetic; docs/models.md):")
	for _, m := range gdgpu.Models() {
		fmt.Fprintf(w, "  %s\n", m.Name)
		fmt.Fprintf(w, "      %s\n", flagText(m.Summary))
		labels := m.Labels
		if strings.HasPrefix(labels, "{") {
			labels = "{0,1} or {-1,1} in the file, computed as " + labels
		}
		if m.RealTargets != nil {
			labels += ", or real (inferred from the target, or --mlp-task regression)"
		}
		start := "zero weights"
		if m.Net != nil {
			start = "seeded draw (--seed, --init-scheme)"
		}
		fmt.Fprintf(w, "      labels: %s; start: %s; --dim follows from the data\n", labels, start)
	}
	fmt.Fprintf(w, "  linear --loss: %s (default mse; --delta 1 for huber); every model: --l1, --l2, --intercept, --batch-size, --epochs\n", strings.Join(gdgpu.Losses, ", "))
	fmt.Fprintf(w, "  mlp: --hidden W1,W2,... --activation %s (--leaky-slope), --init-scheme %s, --mlp-task classification|regression\n", strings.Join(gdgpu.Activations, "|"), strings.Join(gdgpu.InitSchemes, "|"))
	fmt.Fprintln(w)
	printOptimizers(w)
	fmt.Fprintln(w)
	printSchedules(w)
	fmt.Fprintln(w)
	printStopping(w)
	fmt.Fprintln(w)
	printClipping(w)
}

func printOptimizers(w io.Writer) {
	fmt.Fprintln(w, "Optimizers (--optimizer), hyperparameters with torch.optim's names and defaults:")
	for _, o := range gdgpu.Optimizers() {
		mark := ""
		if o.CPUOnly {
			mark = " [CPU only]"
		}
		fmt.Fprintf(w, "  %s (%s)%s\n", o.Name, o.Torch, mark)
		fmt.Fprintf(w, "      %s\n", flagText(o.Summary))
		if len(o.Hyper) == 0 {
			fmt.Fprintln(w, "      no hyperparameters")
			continue
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "      flag\ttorch\tdefault\trange\tdescription")
		for _, h := range o.Hyper {
			def, rng := fmt.Sprint(h.Default), h.Range()
			if h.Bool {
				def, rng = fmt.Sprint(h.Default != 0), "switch"
			}
			fmt.Fprintf(tw, "      --%s\t%s\t%s\t%s\t%s\n", h.Name, h.Torch, def, rng, h.Doc)
		}
		tw.Flush()
	}
	fmt.Fprintln(w, `  [CPU only]: gonum/optimize methods, run only by "gdgpu run --device cpu" (not on the
  GPU, not by compare). A step is one major iteration: one line search, with as many
  evaluations as it needs. They have no learning rate (no --lr, no --schedule; the
  log's lr column is NaN) and take no gradient clipping.`)
}

func printSchedules(w io.Writer) {
	fmt.Fprintln(w, "Learning-rate schedules (--schedule), torch.optim.lr_scheduler's, with their defaults:")
	for _, sc := range gdgpu.Schedules() {
		torch := "(" + "torch.optim.lr_scheduler." + sc.Torch + ")"
		if strings.HasPrefix(sc.Torch, "(") {
			torch = sc.Torch // "(no scheduler)"
		}
		fmt.Fprintf(w, "  %s %s\n", sc.Name, torch)
		fmt.Fprintf(w, "      %s\n", flagText(sc.Summary))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		n := 0
		for _, p := range schedParams {
			if p.Kinds == nil || !p.AppliesTo(sc.Name) {
				continue
			}
			if n == 0 {
				fmt.Fprintln(tw, "      flag\ttorch\tdefault\tdescription")
			}
			n++
			fmt.Fprintf(tw, "      --%s\t%s\t%s\t%s\n", p.flag, p.Torch, p.defaultFor(sc.Name), p.doc())
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "  any schedule: linear warm-up (torch.optim.lr_scheduler.LinearLR, end_factor 1), multiplying the lr")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "      flag\ttorch\tdefault\tdescription")
	for _, p := range schedParams {
		if p.Kinds == nil {
			fmt.Fprintf(tw, "      --%s\t%s\t%s\t%s\n", p.flag, p.Torch, p.defaultFor("constant"), p.doc())
		}
	}
	tw.Flush()
	fmt.Fprintln(w, `  "required": torch requires it and so does gdgpu. "--steps": gdgpu's default, the run's
  --steps. docs/schedules.md gives the formulas.`)
}

func printStopping(w io.Writer) {
	fmt.Fprintln(w, "Stopping rules (the first met ends the run, with its status and exit code):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  flag\tstatus\texit\tthe run stops when")
	for _, r := range []struct {
		flag string
		st   gdgpu.Status
		when string
	}{
		{"--steps K", gdgpu.StepLimit, "K steps have run (default 1000)"},
		{"(always on)", gdgpu.Diverged, "a sample's loss or gradient norm is NaN or Inf"},
		{"SIGINT, SIGTERM", gdgpu.Interrupted, "a signal arrives; --out and --log are still written"},
		{"--grad-tol G", gdgpu.GradientThreshold, "a sample's gradient norm is <= G (0: off)"},
		{"--func-tol F", gdgpu.FunctionConvergence, "the loss changed by <= F, relative, over --func-window samples (default 5; F 0: off)"},
		{"--loss-target L", gdgpu.FunctionThreshold, "a sample's loss is <= L (off unless given)"},
		{"--time-limit D", gdgpu.RuntimeLimit, "D of wall time has passed, e.g. 90s (0: off; run only)"},
	} {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", r.flag, r.st, strconv.Itoa(statusExit(r.st)), r.when)
	}
	tw.Flush()
	fmt.Fprintln(w, `  Samples are taken every --log-every steps and read back asynchronously, so the GPU
  may run a few steps past the sample that stopped it. CPU-only methods check the rules
  at every step (--func-tol with gonum's FunctionConverge test, over --func-window times
  --log-every steps), and also stop with FunctionConvergence when their line search can
  make no more progress.`)
}

func printClipping(w io.Writer) {
	fmt.Fprintln(w, "Gradient clipping (off by default; at most one; not for the CPU-only methods):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  flag\ttorch\teffect on the gradient g before the optimizer sees it")
	fmt.Fprintln(tw, "  --clip-grad-norm M\ttorch.nn.utils.clip_grad_norm_\tg *= min(M/(||g||+1e-6), 1)")
	fmt.Fprintln(tw, "  --clip-grad-value V\ttorch.nn.utils.clip_grad_value_\teach g_i clamped to [-V, V]")
	tw.Flush()
	fmt.Fprintf(w, "  Clipping has no status of its own; samples report the unclipped gradient norm. A\n"+
		"  negative value, or both flags at once, is refused with exit %d.\n", exitUsage)
}
