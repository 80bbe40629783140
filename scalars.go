package gdgpu

import "math"

// StepScalars are the scalars of one optimizer step that do not depend on
// the parameter index. They are computed once per step, on the host, in
// float64, by Optimizer.Scalars, and handed to both backends (the GPU gets
// them as uniforms, rounded to float32 in an f32 run), so every backend
// starts each step from the same numbers. docs/optimizers.md gives each
// rule in full with the scalars it uses.
type StepScalars struct {
	T  int     // the step number after torch's state["step"] += 1 (1-based)
	LR float64 // the scheduled learning rate of this step

	// StepSize multiplies the update: adam/adamw lr/(1-beta1^t); adamax
	// lr/(1-beta1^t) (torch's clr); adagrad lr/(1+(t-1)*lr_decay) (clr);
	// sgd, rmsprop, adadelta lr; radam lr.
	StepSize float64
	BC1      float64 // 1 - beta1^t (radam)
	BC2      float64 // 1 - beta2^t (nadam)
	BC2Sqrt  float64 // sqrt(1 - beta2^t) (adam, adamw, radam)
	// Decay multiplies the parameters before the update when weight decay is
	// decoupled (adamw; nadam, radam with decoupled_weight_decay): 1 - lr*wd.
	// It is 1 otherwise.
	Decay float64
	// NAdam: the coefficients of the two addcdiv_ calls,
	// -lr*(1-mu_t)/(1-prod mu) and -lr*mu_{t+1}/(1-prod mu * mu_{t+1}).
	CoefGrad, CoefAvg float64
	// RAdam: Rectified is rho_t > 5, and Rect is the rectification term r_t.
	Rectified bool
	Rect      float64
	// SGD with momentum: on the first step the buffer is the gradient itself.
	FirstStep bool
	// Momentum is the value of the optimizer's cycled hyperparameter
	// (OptimizerInfo.Cycled: sgd's and rmsprop's momentum, the Adam
	// family's beta1) in this step: the optimizer's own, or the one a
	// onecycle schedule gives the step (Job.StepScalars). 0 for the rules
	// that have neither.
	Momentum float64
}

// ScalarState is the optimizer state that is a scalar rather than a vector:
// NAdam's running product of mu_t, advanced by Scalars, and L-BFGS's
// scalars, advanced by its step. It starts as NewScalarState();
// checkpoints carry it.
type ScalarState struct {
	MuProduct float64

	// L-BFGS (torch.optim.LBFGS's state): n_iter and func_evals since
	// Load; t, the last step length; H_diag, the initial inverse-Hessian
	// scale; and its curvature-pair ring: Pairs held, the oldest in slot
	// Oldest of the history_size slots (the pairs' 1/(y.s) are recomputed
	// from them). All zero for every other optimizer.
	NIter     int     `json:",omitempty"`
	FuncEvals int     `json:",omitempty"`
	T         float64 `json:",omitempty"`
	HDiag     float64 `json:",omitempty"`
	Pairs     int     `json:",omitempty"`
	Oldest    int     `json:",omitempty"`
}

// NewScalarState returns the state before the first step.
func NewScalarState() ScalarState { return ScalarState{MuProduct: 1} }

// Scalars computes step t's scalars (t is 1-based, as torch counts after
// its increment) for learning rate lr, advancing st. Powers beta^t are
// correctly rounded (see powInt), as the C pow that Python's ** calls;
// NAdam's 0.96^(t*momentum_decay), a real power, comes from kern.Pow
// (math.Pow's code, with one exp on every CPU), which can be an ulp from
// C's pow (both backends get the same value).
// Products feeding a sum are converted to float64 explicitly: Go may fuse
// them into FMAs otherwise (amd64 v3, arm64), and the scalars must not
// depend on the platform.
func (o *Optimizer) Scalars(t int, lr float64, st *ScalarState) StepScalars {
	s := StepScalars{T: t, LR: lr, StepSize: lr, Decay: 1, FirstStep: t == 1}
	if o.IsDecoupled() && o.WeightDecay != 0 {
		s.Decay = 1 - float64(lr*o.WeightDecay)
	}
	info, _ := LookupOptimizer(o.Name)
	if info.Cycled != "" {
		s.Momentum = o.Get(info.Cycled)
	}
	if info.StepScalars != nil {
		s = info.StepScalars(o, t, lr, st, s)
	}
	return s
}

// ScheduledScalars is Scalars for step t (1-based) under schedule sch:
// with a schedule that cycles momentum (Schedule.Momentum), o's cycled
// hyperparameter is first set to the step's value, as torch's OneCycleLR
// sets the param group's momentum or betas[0] before the step, and the
// step's bias corrections use it. o is the caller's own copy of the job's
// optimizer, kept from step to step (a backend's).
func (o *Optimizer) ScheduledScalars(sch *Schedule, t int, lr float64, st *ScalarState) StepScalars {
	if m, ok := sch.Momentum(t - 1); ok {
		if info, _ := LookupOptimizer(o.Name); info.Cycled != "" {
			o.Set(info.Cycled, m)
		}
	}
	return o.Scalars(t, lr, st)
}

// powInt returns b^t for t >= 0 by repeated squaring in double-double
// arithmetic: each product keeps its rounding error exactly (math.FMA), so
// the result before its final rounding is within about 2*log2(t)*u^2 of
// b^t. math.Pow can be off by a few ulps, which 1 - beta2^t (about 1e-3 for
// small t) would amplify a thousandfold.
func powInt(b float64, t int) float64 {
	if t < 0 {
		panic("gdgpu: powInt: negative exponent")
	}
	rh, rl := 1.0, 0.0
	bh, bl := b, 0.0
	for t > 0 {
		if t&1 == 1 {
			rh, rl = ddMul(rh, rl, bh, bl)
		}
		t >>= 1
		if t > 0 {
			bh, bl = ddMul(bh, bl, bh, bl)
		}
	}
	return rh + rl
}

// ddMul multiplies two double-double numbers (hi + lo) and renormalises.
func ddMul(ah, al, bh, bl float64) (hi, lo float64) {
	p := float64(ah * bh)                // rounded: the FMA below needs p exactly as stored
	e := math.FMA(ah, bh, -p)            // the exact rounding error of p
	e += float64(ah*bl) + float64(al*bh) // conversions keep the compiler from fusing these into FMAs
	hi = p + e
	lo = e - (hi - p)
	return hi, lo
}
