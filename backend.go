package gdgpu

// Sample is the loss and gradient norm at the point x_Step, that is before
// optimizer step Step is applied (Step counts from 0; Step == steps run means
// the final point).
type Sample struct {
	Step     int
	Loss     float64
	GradNorm float64 // Euclidean norm of the objective's gradient (without weight decay)

	// NonFinite reports that a non-finite value (NaN or ±Inf) was computed
	// at or before this sample, up to and including the values the step at
	// Step wrote: a loss term or gradient component at a point x_t
	// (BadStep t), or a parameter or optimizer state value written by the
	// step from x_{t-1} (BadStep t). BadStep and BadIndex name the first
	// one, ordered by step, then by parameter index; both are 0 when
	// NonFinite is false. Backends record it on the device and read it with
	// the sample, never per step.
	NonFinite         bool
	BadStep, BadIndex int

	// Models on data (docs/models.md): Loss is the training objective over
	// every training row, penalties included, and GradNorm its gradient's
	// norm, whatever the batch size. Accuracy is the training accuracy of a
	// classifier in [0, 1]; with a validation set, ValLoss is its mean loss
	// (without the penalties) and ValAccuracy its accuracy. Zero where they
	// do not apply.
	Accuracy, ValLoss, ValAccuracy float64
}

// Finite reports whether the sample and every value behind it are finite.
func (s Sample) Finite() bool { return !s.NonFinite && finite(s.Loss) && finite(s.GradNorm) }

// Backend runs descent steps for one Job on one device. Backends are built
// by their own packages (engine.New for the GPU, cpu.New for the CPU) and
// driven by Run; they compute, the driver decides.
//
// A Backend is not safe for concurrent use.
type Backend interface {
	// Name names the device and precision, e.g. "gpu/f32" or "cpu/f64".
	Name() string
	// Load sets the parameters to x (len Dim) and resets the optimizer
	// state and step count to zero.
	Load(x []float64) error
	// Step runs len(lr) optimizer steps, the j-th with learning rate lr[j].
	// With record, the loss and gradient norm at the point before the first
	// of these steps are recorded; Samples delivers them later. Step must not
	// wait for the device.
	Step(lr []float64, record bool) error
	// Record records a Sample at the current point without stepping.
	Record() error
	// Samples appends to dst the recorded samples whose values are ready,
	// oldest first. With wait it blocks until every recorded sample is ready.
	Samples(dst []Sample, wait bool) ([]Sample, error)
	// Params copies the current parameters into dst (len Dim), waiting for
	// the device.
	Params(dst []float64) error
	// Snapshot copies the backend's complete state into s, reusing s's
	// slices where they are long enough, and waits for the device.
	Snapshot(s *State) error
	// Restore replaces the backend's complete state with s: the
	// parameters, every optimizer state vector, the step count and the
	// scalar state. Pending samples are dropped.
	Restore(s *State) error
	// Keep copies the current state (parameters, optimizer state vectors,
	// step count, scalar state) to kept slot k (0 or 1), on the device and
	// without waiting for it: one copy of each vector, and 2*(1+
	// Optimizer.KeptStates) vectors of memory for the two slots (lbfgs
	// keeps d and prev_flat_grad, not its history ring). Run keeps the
	// state at sample points so that a run that diverges can end on its
	// last finite state.
	Keep(k int) error
	// Revert replaces the state with kept slot k's, clears the record of
	// non-finite values and drops pending samples. Params and Snapshot
	// afterwards give the kept state; state vectors Keep did not copy keep
	// their values, and Optimizer.Reverted makes the scalar state ignore
	// them (lbfgs: no pairs held).
	Revert(k int) error
	// Close releases every resource. The Backend is unusable afterwards.
	Close() error
}

// State is a backend's complete state between two steps: what a checkpoint
// holds of it. Values are float64 whatever the device precision; a float32
// backend's values convert exactly, so a state taken from one restores it
// bit for bit.
type State struct {
	Step    int         // optimizer steps taken (torch's state["step"])
	Scalars ScalarState // NAdam's running product
	Params  []float64   // the parameters, len Dim
	Vectors [][]float64 // the optimizer's state vectors, in Optimizer.StateNames order
}
