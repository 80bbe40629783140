package gdgpu

import (
	"math"
	"sort"
)

// Tolerance bounds how far a run may stray from a reference run of the same
// Job and still agree with it. Errors are relative with a floor:
//
//	loss:      |a-b| / max(|a|, LossFloor·L)    where L is the largest |loss| of the reference
//	parameter: |a-b| / max(|a|, ParamFloor)
//
// with a the reference value and b the compared one. The floors keep values
// that converge to 0 from turning rounding noise into huge relative errors.
// docs/tolerances.md derives DefaultTolerance's values.
type Tolerance struct {
	LossRel    float64 // largest loss error allowed at any matched sample
	LossFloor  float64 // loss floor, as a fraction of the reference's largest |loss|
	ParamRel   float64 // largest parameter error allowed at any index
	ParamFloor float64 // parameter floor, absolute (gdgpu's problems have O(1) parameters)
}

// ToleranceDoc names the document that justifies DefaultTolerance.
const ToleranceDoc = "docs/tolerances.md"

// Unit roundoffs: half the distance from 1 to the next representable number.
const (
	UnitRoundoff32 = 0x1p-24 // float32, about 5.96e-8
	UnitRoundoff64 = 0x1p-53 // float64, about 1.11e-16
)

// Constants of DefaultTolerance's model, in units of the unit roundoff u
// (docs/tolerances.md explains each).
const (
	tolSumDepth     = 128 // additions between a loss term and the total, both backends, N <= 2^24
	tolParamPerStep = 4   // parameter error added per step, relative to max(|x|, 1)
	tolLossPerStep  = 8   // loss error added per step: 2 (loss sensitivity) times tolParamPerStep
	tolParamStart   = 2   // rounding the start point to the device precision, and its read-back
	tolFloor        = 1e-6
)

// DefaultTolerance returns the tolerance for comparing a run in precision p
// of steps optimizer steps against the CPU float64 reference, from a
// first-order worst-case model of rounding error (u is p's unit roundoff,
// k the steps):
//
//	LossRel  = u·(128 + 8k)   LossFloor  = 1e-6
//	ParamRel = u·(2 + 4k)     ParamFloor = 1
//
// The model assumes stable dynamics: a trajectory that amplifies 1-ulp
// differences (long Adam runs from random starts, for instance) disagrees
// beyond it even between two float64 implementations, and Compare says so.
func DefaultTolerance(p Precision, steps int) Tolerance {
	u := UnitRoundoff32
	if p == F64 {
		u = UnitRoundoff64
	}
	k := float64(max(steps, 0))
	return Tolerance{
		LossRel:    float64(u * (tolSumDepth + float64(tolLossPerStep*k))), // rounded: no FMA, here or where inlined
		LossFloor:  tolFloor,
		ParamRel:   float64(u * (tolParamStart + float64(tolParamPerStep*k))),
		ParamFloor: 1,
	}
}

// SumDepther is implemented by the backends of models on data: SumDepth
// is the longest chain of sequential floating-point additions behind one
// gradient component or the loss of a step (the features of z = w·x, then
// the rows one partial sum takes, then the partials), which bounds how far
// two correct backends' gradients may differ (ModelTolerance).
type SumDepther interface {
	SumDepth() int
}

// ModelTolerance is DefaultTolerance for a model on data whose backends'
// sums are at most depth additions deep (SumDepther, the larger of the
// two). A step's gradient is a sum over the batch's rows, computed in
// another order by each backend, so it differs by up to about u·depth
// relative to the sum of its terms' magnitudes; a step moves a parameter
// by lr times that, which the model takes to be at most the gradient's own
// scale (lr·curvature below 2, as a stable descent needs). Per step:
//
//	LossRel  = u·(128 + depth + (8 + 2·depth)·k)   LossFloor  = 1e-6
//	ParamRel = u·(2 + (4 + depth)·k)               ParamFloor = 1
//
// The bound is first-order: an adaptive optimizer near a model's optimum
// divides tiny gradients by their own running size, which amplifies their
// rounding (docs/tolerances.md, "Models on data"), and the kinked losses
// (MAE, hinge, the perceptron) can send one sample to the other side of
// its kink; Compare then reports the runs apart.
func ModelTolerance(p Precision, steps, depth int) Tolerance {
	t := DefaultTolerance(p, steps)
	u := UnitRoundoff32
	if p == F64 {
		u = UnitRoundoff64
	}
	k, d := float64(max(steps, 0)), float64(max(depth, 0))
	t.LossRel += float64(u * (d + float64(2*d*k))) // rounded: no FMA
	t.ParamRel += float64(u * d * k)
	return t
}

// Constants of LBFGSTolerance's model (docs/tolerances.md, "L-BFGS").
const (
	tolLBFGSDots = 3 // dot products per iteration besides the two-loop's 2m: y·s, y·y, g·d
	tolLBFGSAxpy = 1 // elementwise rounding per dot product's use (its axpy or scaling)
)

// LBFGSTolerance returns the tolerance for comparing an L-BFGS run
// (torch's, one step up to max_iter inner iterations) in precision p
// against the CPU float64 reference, from a first-order worst-case model
// of rounding error like DefaultTolerance's. iterations is the number of
// inner iterations the reference made (its n_iter, at most steps·max_iter),
// history is history_size and depth is a model's SumDepth (0 for a test
// function). An iteration with m pairs computes 2m+3 dot products (the
// two-loop's alpha and beta, then y·s, y·y and g·d) that each backend sums
// in another fixed order, D = 128 additions deep at most between them, each
// after a gradient whose own sums are depth deep, and 2m+3 elementwise
// updates. Taking each such scalar's relative error into the direction
// with weight at most 1 (stable dynamics: well-conditioned dot products,
// a step no longer than max(|x|, 1)), iteration j adds at most
// u·(2·min(j, m)+3)·(D + depth + 1) to the parameters. Summed over the
// iterations as S:
//
//	LossRel  = u·(128 + depth + 2·S)   LossFloor  = 1e-6
//	ParamRel = u·(2 + S)               ParamFloor = 1
//
// The model holds while both runs take the same branches; Compare finds
// where they stop doing so (Comparison.BranchStep).
func LBFGSTolerance(p Precision, iterations, history, depth int) Tolerance {
	t := DefaultTolerance(p, 0)
	u := UnitRoundoff32
	if p == F64 {
		u = UnitRoundoff64
	}
	m, d := max(history, 0), float64(max(depth, 0))
	s := 0.0
	for j := range max(iterations, 0) {
		s += float64(float64(2*min(j, m)+tolLBFGSDots) * (tolSumDepth + d + tolLBFGSAxpy)) // rounded: no FMA
	}
	t.LossRel += float64(u * (d + 2*s))
	t.ParamRel += float64(u * s)
	return t
}

// MaxSumDepth is the deepest SumDepth among backends that are SumDepthers
// (a model's backends on both sides of a comparison); 0 when none is.
func MaxSumDepth(backends ...Backend) int {
	depth := 0
	for _, b := range backends {
		if sd, ok := b.(SumDepther); ok {
			depth = max(depth, sd.SumDepth())
		}
	}
	return depth
}

// ToleranceFor is the tolerance that a run of job in precision p is judged
// by against ref, the CPU float64 reference's result of the same job (what
// gdgpu compare judges with): DefaultTolerance over job.Steps; for a model
// on data (job.Data set) ModelTolerance with depth, the backends' deepest
// sum (MaxSumDepth), since they sum a batch's rows in other orders; and for
// a closure optimizer (L-BFGS), whose every step runs many iterations with
// dot products summed in another order on each device, LBFGSTolerance over
// ref's own iterations and job's history_size. depth counts for models
// only: a test function's is 0 whatever is given.
func ToleranceFor(job *Job, p Precision, ref Result, depth int) Tolerance {
	if job.Data == nil {
		depth = 0
	}
	if info, _ := LookupOptimizer(job.Optimizer.Name); info.Closure {
		return LBFGSTolerance(p, ref.Iterations, int(job.Optimizer.History), depth)
	}
	if job.Data != nil {
		return ModelTolerance(p, job.Steps, depth)
	}
	return DefaultTolerance(p, job.Steps)
}

// CheckCompare refuses a job whose run in job.Precision has no derived
// tolerance against the CPU float64 reference: torch's L-BFGS with the
// strong-Wolfe line search in float32, whose interpolated step divides
// differences of float32 losses near their rounding, so the two runs may
// accept steps an O(1) fraction apart with the same evaluations
// (docs/tolerances.md, "L-BFGS"). nil for every other job.
func CheckCompare(job *Job) error {
	info, _ := LookupOptimizer(job.Optimizer.Name)
	if info.Closure && job.Optimizer.StrongWolfe && job.Precision == F32 {
		return FieldErrorf("{Optimizer.strong-wolfe} in {Job.Precision} f32 has no derived tolerance: the line search interpolates between float32 losses that differ by about their rounding, and may accept another step than the float64 reference with the same evaluations (%s, \"L-BFGS\"); compare in f64, or without the line search", ToleranceDoc)
	}
	return nil
}

// Comparison is the divergence of a run from a reference run.
type Comparison struct {
	LossMaxAbs   float64 // largest |loss difference| over matched samples
	LossMaxRel   float64 // largest relative loss error (see Tolerance) over matched samples
	LossFirstBad int     // step of the first sample past LossRel or missing from one run; -1 if none
	Matched      int     // samples present in both runs (matched by Step)
	Unmatched    int     // samples present in only one of the runs

	ParamMaxAbs     float64 // largest |parameter difference|
	ParamMaxRel     float64 // largest relative parameter error (see Tolerance)
	ParamWorstIndex int     // index of ParamMaxRel; -1 when no parameters were compared

	StatusMatch bool // both runs stopped with the same Status at the same step
	OK          bool // every check is within tolerance

	// BranchStep is the first step at which the runs' counts of iterations
	// and evaluations (Result.Counts) differ, -1 when they never do: the
	// optimizers took other branches (L-BFGS's line search, torch's
	// stopping tests) in the steps before it, and beyond it the
	// trajectories are not comparable. BranchFrom is the last step before
	// it where the counts agreed: the branch was taken in the steps from
	// BranchFrom to BranchStep. With a branch, only the samples before
	// BranchStep are judged (LossFirstBad, Matched, Unmatched, the loss
	// errors); the final parameters and the statuses are not, and OK is
	// false.
	BranchStep, BranchFrom int
}

// Branched reports whether the runs took other branches (BranchStep).
func (c Comparison) Branched() bool { return c.BranchStep >= 0 }

// PrefixOK reports whether every sample before the branch is within
// tolerance and present in both runs: the runs agreed as far as they are
// comparable. Without a branch it is OK.
func (c Comparison) PrefixOK() bool {
	if !c.Branched() {
		return c.OK
	}
	return c.LossFirstBad < 0
}

// firstBranch returns the first step at which a and b's counts differ and
// the last step before it where they agreed, matching entries by step;
// -1, -1 when they never differ.
func firstBranch(a, b []StepCounts) (at, from int) {
	byStep := make(map[int]StepCounts, len(b))
	for _, c := range b {
		byStep[c.Step] = c
	}
	from = -1
	for _, c := range a {
		o, ok := byStep[c.Step]
		if !ok {
			continue
		}
		if o != c {
			return c.Step, from
		}
		from = c.Step
	}
	return -1, -1
}

// relErr returns |a-b| and |a-b|/max(|a|, floor) for reference value a.
// Equal values agree (including two NaNs, or two equal infinities); one
// non-finite value against another value is an infinite error.
func relErr(a, b, floor float64) (abs, rel float64) {
	switch {
	case a == b || (math.IsNaN(a) && math.IsNaN(b)):
		return 0, 0
	case math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0):
		return math.Inf(1), math.Inf(1)
	}
	abs = math.Abs(a - b)
	return abs, abs / math.Max(math.Abs(a), floor)
}

// Compare measures how far got (with final parameters xgot) is from the
// reference ref (with xref). Samples are matched by Step; a sample that only
// one run has (one stopped early, or logged at other steps) counts as past
// tolerance at its step. Parameters are compared when either slice is
// non-empty; slices of different lengths are an infinite error. The
// comparison is OK when both runs stopped alike, every matched loss is
// within tol.LossRel, no sample is unmatched and every parameter is within
// tol.ParamRel.
//
// When both runs carry counts (Result.Counts) that differ at a step, the
// runs branched (Comparison.BranchStep): only the samples before that step
// are judged, and the comparison is not OK whatever they show.
//
// Compare judges runs already made; device.Compare runs a job on a device
// and on the CPU reference, then judges them with it.
func Compare(ref, got Result, xref, xgot []float64, tol Tolerance) Comparison {
	c := Comparison{LossFirstBad: -1, ParamWorstIndex: -1}
	c.StatusMatch = ref.Status == got.Status && ref.StatusStep == got.StatusStep
	c.BranchStep, c.BranchFrom = firstBranch(ref.Counts, got.Counts)
	before := func(step int) bool { return c.BranchStep < 0 || step < c.BranchStep }

	lmax := 0.0
	for _, s := range ref.Samples {
		if a := math.Abs(s.Loss); a > lmax && !math.IsInf(a, 0) {
			lmax = a
		}
	}
	floor := tol.LossFloor * lmax
	if floor == 0 || math.IsNaN(floor) {
		floor = math.SmallestNonzeroFloat64
	}

	refBy := make(map[int]Sample, len(ref.Samples))
	for _, s := range ref.Samples {
		refBy[s.Step] = s
	}
	gotBy := make(map[int]Sample, len(got.Samples))
	for _, s := range got.Samples {
		gotBy[s.Step] = s
	}
	var bad []int
	for _, s := range got.Samples {
		if !before(s.Step) {
			continue
		}
		r, ok := refBy[s.Step]
		if !ok {
			c.Unmatched++
			bad = append(bad, s.Step)
			continue
		}
		c.Matched++
		abs, rel := relErr(r.Loss, s.Loss, floor)
		c.LossMaxAbs = math.Max(c.LossMaxAbs, abs)
		c.LossMaxRel = math.Max(c.LossMaxRel, rel)
		if !(rel <= tol.LossRel) {
			bad = append(bad, s.Step)
		}
	}
	for _, s := range ref.Samples {
		if _, ok := gotBy[s.Step]; !ok && before(s.Step) {
			c.Unmatched++
			bad = append(bad, s.Step)
		}
	}
	if len(bad) > 0 {
		sort.Ints(bad)
		c.LossFirstBad = bad[0]
	}

	paramsOK := true
	if len(xref) > 0 || len(xgot) > 0 {
		if len(xref) != len(xgot) {
			c.ParamMaxAbs, c.ParamMaxRel = math.Inf(1), math.Inf(1)
			paramsOK = false
		} else {
			c.ParamWorstIndex = 0
			for i := range xref {
				abs, rel := relErr(xref[i], xgot[i], tol.ParamFloor)
				c.ParamMaxAbs = math.Max(c.ParamMaxAbs, abs)
				if rel > c.ParamMaxRel {
					c.ParamMaxRel, c.ParamWorstIndex = rel, i
				}
			}
			paramsOK = c.ParamMaxRel <= tol.ParamRel
		}
	}
	c.OK = c.StatusMatch && c.LossFirstBad < 0 && paramsOK && !c.Branched()
	return c
}
