package gdgpu

import (
	"fmt"
	"strconv"
)

// maxHistorySize bounds lbfgs's history_size: 2*history_size+2 vectors
// of N are its state (a checkpoint header lists them).
const maxHistorySize = 1000

// lbfgsInfo is torch.optim.LBFGS: one step is one LBFGS.step(closure)
// call, up to max_iter iterations of the two-loop recursion, each with a
// fixed step or torch's strong-Wolfe line search. docs/optimizers.md
// writes out the rule; package cpu's lbfgs.go implements it.
func lbfgsInfo() OptimizerInfo {
	return OptimizerInfo{
		Name: "lbfgs", Torch: "LBFGS", Closure: true,
		Summary: "torch's L-BFGS: up to {Optimizer.max-iter} two-loop iterations per step, fixed step or {Optimizer.strong-wolfe} line search",
		Hyper: []Hyper{
			lrH(1),
			{Name: "max-iter", Torch: "max_iter", Int: true, Default: 20, Min: 1, Max: 1 << 20, Doc: "iterations per step"},
			{Name: "max-eval", Torch: "max_eval", Int: true, Default: 0, Min: 0, Max: 1 << 22, Doc: "function evaluations per step (0: max_iter*5/4, torch's None)"},
			{Name: "tolerance-grad", Torch: "tolerance_grad", Default: 1e-7, Min: 0, Max: inf, MaxOpen: true, Doc: "a step ends when max|g| is at most this"},
			{Name: "tolerance-change", Torch: "tolerance_change", Default: 1e-9, Min: 0, Max: inf, MaxOpen: true, Doc: "a step ends when the loss or the parameters change less than this"},
			{Name: "history-size", Torch: "history_size", Int: true, Default: 100, Min: 1, Max: maxHistorySize, Doc: "curvature pairs kept (2*history_size+2 vectors of state)"},
			boolH("strong-wolfe", `line_search_fn="strong_wolfe"`, "search each step's length with torch's strong-Wolfe line search (c1 1e-4, c2 0.9, 25 evaluations at most)"),
		},
		States:       lbfgsStates,
		CheckScalars: checkLBFGSState,
		KeptStates:   func(*Optimizer) int { return 2 }, // d, prev_flat_grad
		OnRevert: func(s *ScalarState) {
			// The ring was not kept: the state goes on with no pairs, from
			// the kept d, prev_flat_grad and t.
			s.Pairs, s.Oldest, s.HDiag = 0, 0, 1
		},
		WorkVectors: 6, // flat_grad, y, s, x_init and the line search's two spare gradients
	}
}

// lbfgsStates names L-BFGS's state vectors as torch's state dict does:
// the last direction d, prev_flat_grad, then the history's ring of
// old_dirs (y) and old_stps (s), slot by slot.
func lbfgsStates(o *Optimizer) []string {
	m := int(o.History)
	names := make([]string, 0, 2+2*m)
	names = append(names, "d", "prev_flat_grad")
	for i := range m {
		names = append(names, "old_dirs."+strconv.Itoa(i))
	}
	for i := range m {
		names = append(names, "old_stps."+strconv.Itoa(i))
	}
	return names
}

// LBFGSMaxEval is o's max_eval: MaxEval, or torch's default
// max_iter*5/4 when it is 0.
func (o *Optimizer) LBFGSMaxEval() int {
	if o.MaxEval > 0 {
		return int(o.MaxEval)
	}
	return int(o.MaxIter) * 5 / 4
}

// checkLBFGSState refuses an L-BFGS scalar state whose ring does not fit
// history_size (a corrupt checkpoint).
func checkLBFGSState(o *Optimizer, s ScalarState) error {
	m := int(o.History)
	if s.Pairs < 0 || s.Pairs > m || s.Oldest < 0 || (m > 0 && s.Oldest >= m) || s.NIter < 0 || s.FuncEvals < 0 {
		return fmt.Errorf("gdgpu: L-BFGS state: %d pairs from slot %d, n_iter %d, func_evals %d, for history_size %d", s.Pairs, s.Oldest, s.NIter, s.FuncEvals, m)
	}
	return nil
}
