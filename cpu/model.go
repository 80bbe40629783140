package cpu

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/internal/kern"
	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// Model is the float64 reference backend of a model trained on data
// (docs/models.md): the batch gradient is computed here, block by block
// over the batch's rows, and the optimizer step is the Backend's own, fed
// through ApplyGradient, so every optimizer rule is the one the test
// functions use. torch's L-BFGS, whose step evaluates the objective as
// often as it needs, gets the model's full-batch objective as its closure
// instead (Backend.closure). It implements gdgpu.Backend, gdgpu.Orderer
// and gdgpu.Counter; Open returns one for a job whose Problem is a model.
//
// The rows of a pass are cut into blocks whose size depends on the row
// and parameter counts only (blockPlan); each block's partial sums are kept apart and added in block
// order, so the result is the same, to the bit, on any number of
// goroutines.
type Model struct {
	opt  *Backend // the parameters, the optimizer state and its rules
	job  gdgpu.Job
	data *gdgpu.Data

	info    gdgpu.ModelInfo
	loss    gdgpu.CPUModelLoss // the model's (and job's cost's) kernel
	net     gdgpu.Network      // a network's own passes (ModelInfo.Net), or nil
	tnet    gdgpu.TeamNetwork  // net, when it can share a pass with a team
	threads int                // GOMAXPROCS when built: the workers and their helpers
	// teams holds, for a pass of u workers (u < threads), one team per
	// worker, which splits the threads no block has among them; nil for a
	// worker with no helper. Made by newModel for the passes a run makes,
	// and on first use for any other.
	teams           map[int][]*gdgpu.Team
	weights         [][2]int // the penalised parameters' runs [lo, hi)
	outputs, stride int      // K, and P = Cols (+1 with the intercept)
	dim             int
	run             int // rows a loss kernel call takes (runRows)

	order   []int32
	epoch   int
	grad    []float64 // the gradient handed to the optimizer, len dim
	pending []gdgpu.Sample

	// The pass under way (see pass), read by the workers.
	pX, pY    []float32
	pRows     []int32 // the pass's rows, or nil: rows 0..pN-1
	pN        int
	pGrad     bool
	pTeams    []*gdgpu.Team // the pass's teams, one per worker, or nil
	blockRows int
	blocks    int
	partial   []float64   // blocks x dim gradient sums
	lossSum   []float64   // per block
	correct   []int       // per block
	zbuf      [][]float64 // per worker: a run's outputs, dl/dz and targets
	workers   int
	start     []chan struct{}
	wg        sync.WaitGroup
	closed    bool
}

var (
	_ gdgpu.Backend = (*Model)(nil)
	_ gdgpu.Orderer = (*Model)(nil)
	_ gdgpu.Counter = (*Model)(nil)
)

// NewModel validates a job whose Problem is a model on data (gdgpu.Models)
// and builds its backend. The parameters start at zero; the order is the
// identity until SetOrder.
func NewModel(job *gdgpu.Job) (*Model, error) {
	if job == nil {
		return nil, errors.New("cpu: nil job")
	}
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if !gdgpu.IsModel(job.Problem) {
		return nil, fmt.Errorf("cpu: %s is not a model on data: use New", job.Problem)
	}
	if err := modelTooBig(job); err != nil {
		return nil, err
	}
	return newModel(job)
}

// Open builds the CPU backend of any job: NewMethod's for an optimizer
// that runs its own iterations (gdgpu.OptimizerInfo.CPUOnly), NewModel's
// for a model on data, New's for a problem.
func Open(job *gdgpu.Job) (gdgpu.Backend, error) {
	if job != nil {
		if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
			return NewMethod(job)
		}
	}
	if job != nil && gdgpu.IsModel(job.Problem) {
		return NewModel(job)
	}
	return New(job)
}

// maxBlocks bounds the blocks of a pass, and so the partial sums kept.
const maxBlocks = 256

// minBlockRows is the smallest block: below it the per-block sums cost
// more than the rows.
const minBlockRows = 512

// maxPartialValues bounds the blocks' partial gradient sums (blocks x Dim
// float64s, 1 GiB): a softmax over thousands of classes has millions of
// parameters, and 256 copies of them would take more memory than its data.
// A variable so that tests can lower it.
var maxPartialValues = 1 << 27

// blockPlan is the block size and count of a model's passes over at most
// rows rows with dim parameters. It depends on neither the goroutines nor
// the pass, so the sums are the same on any machine.
func blockPlan(rows, dim int) (blockRows, blocks int) {
	most := min(maxBlocks, max(maxPartialValues/max(dim, 1), 1))
	blockRows = max(minBlockRows, (rows+most-1)/most)
	return blockRows, max((rows+blockRows-1)/blockRows, 1)
}

// newModel builds the backend of a model job (validated by New).
func newModel(job *gdgpu.Job) (*Model, error) {
	d := job.Data
	// The optimizer runs on its own copy of the job: its objective is
	// never evaluated (the gradient comes through ApplyGradient), so any
	// test function will do for it.
	oj := *job
	oj.Problem, oj.Cond, oj.Data = "quadratic", 1, nil
	if info, _ := gdgpu.LookupOptimizer(job.Optimizer.Name); info.CPUOnly {
		// gonum's methods (Minimize) step on their own copy of x: the
		// backend only holds the parameters the passes read.
		oj.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	}
	opt, err := newBackend(&oj)
	if err != nil {
		return nil, err
	}
	info := gdgpu.JobModel(job) // the mlp's on real targets too
	m := &Model{opt: opt, job: *job, data: d, info: info, loss: info.CPU(job), outputs: d.Outputs(), dim: job.Dim}
	m.stride = d.Cols
	if !job.NoIntercept {
		m.stride++
	}
	m.run = runRows(d.Cols, m.outputs)
	scratch := m.run * (2*m.outputs + 1)
	if info.Net != nil {
		if m.net, err = info.Net(job, d.Cols, m.outputs); err != nil {
			return nil, fmt.Errorf("cpu: %w", err)
		}
		m.run = netRunRows(d.Cols, m.net)
		// the run's rows in float64, their targets, the network's scratch
		scratch = m.run*(d.Cols+1) + m.net.Scratch(m.run)
		m.net.Weights(func(lo, hi int) { m.weights = append(m.weights, [2]int{lo, hi}) })
	} else {
		for o := range m.outputs {
			m.weights = append(m.weights, [2]int{o * m.stride, o*m.stride + d.Cols})
		}
	}
	m.order = make([]int32, d.Rows)
	for i := range m.order {
		m.order[i] = int32(i)
	}
	m.grad = make([]float64, m.dim)
	m.pending = make([]gdgpu.Sample, 0, 8)
	m.blockRows, m.blocks = blockPlan(max(d.Rows, d.ValRows), m.dim)
	m.partial = make([]float64, m.blocks*m.dim)
	m.lossSum = make([]float64, m.blocks)
	m.correct = make([]int, m.blocks)
	m.workers = min(runtime.GOMAXPROCS(0), m.blocks)
	m.zbuf = make([][]float64, m.workers)
	for w := range m.zbuf {
		m.zbuf[w] = make([]float64, scratch)
	}
	m.start = make([]chan struct{}, m.workers)
	for w := 1; w < m.workers; w++ {
		m.start[w] = make(chan struct{})
		go m.worker(w)
	}
	// A pass of fewer blocks than threads (a batch of up to blockRows
	// rows is one) would leave threads idle: a network that can shares
	// each block's products with them.
	m.threads = runtime.GOMAXPROCS(0)
	if tn, ok := m.net.(gdgpu.TeamNetwork); ok && m.threads > 1 {
		m.tnet, m.teams = tn, map[int][]*gdgpu.Team{}
		// The teams of the passes a run makes, now, so that no step
		// allocates or starts goroutines: a batch, an epoch's last
		// batch, the training rows (samples, L-BFGS) and the validation
		// rows.
		b, perEpoch := gdgpu.Batches(job.BatchSize, d.Rows)
		for _, n := range []int{b, d.Rows - (perEpoch-1)*b, d.Rows, d.ValRows} {
			if used := m.passWorkers(n); n > 0 && used < m.threads {
				m.teamsFor(used)
			}
		}
	}
	if opt.lb != nil {
		opt.closure = m.closure
	}
	return m, nil
}

// closure is L-BFGS's closure on the model (Backend.closure): the
// full-batch objective and its gradient at the current parameters, into
// g, the same pass and bits as a sample's, with the squared norm.
func (m *Model) closure(g []float64) (loss, sq float64) {
	loss, _ = m.gradient(nil, m.data.Rows)
	copy(g, m.grad)
	return loss, sumSq(m.grad)
}

// sumSq is Σ g_i² in index order: a sample's squared gradient norm.
func sumSq(g []float64) float64 {
	sq := 0.0
	for _, v := range g {
		sq += float64(v * v) // rounded: no FMA
	}
	return sq
}

// runRows is how many rows a block hands the model's loss kernel at a
// time: enough that the indirect call costs nothing beside the rows (at
// most 64), few enough that the run's features stay in the L1 cache
// between computing z and adding the gradient (16 KiB of float32) and its
// outputs and dl/dz stay small (a softmax over many classes), and at
// least one.
func runRows(cols, outputs int) int {
	return max(1, min(64, 4096/max(cols, 1), 4096/max(outputs, 1)))
}

// netRunFloats bounds a network's run: its rows in float64 and the
// network's scratch for them, per worker (32 MiB).
const netRunFloats = 1 << 22

// maxNetRun is the longest run netRunRows gives; a variable so that tests
// can shorten it.
var maxNetRun = 256

// netRunRows is how many rows a block hands a network's Pass at a time:
// maxNetRun (256), halved until the run fits netRunFloats, at least one.
// A network's matrix products read and write the layers' gradient sums
// (every weight) once per run, so short runs (runRows's 5 rows for 784
// features) spend the step streaming them. The mlp's bits do not depend
// on the run: its Pass sums over rows one row after another
// (gdgpu.Network).
func netRunRows(cols int, net gdgpu.Network) int {
	run := maxNetRun
	for run > 1 && run*(cols+1)+net.Scratch(run) > netRunFloats {
		run /= 2
	}
	return run
}

// modelHostBytes is what a model job holds beside the data: the optimizer
// backend's vectors, the gradient and the block partial sums, and a
// network's scratch.
func modelHostBytes(job *gdgpu.Job) int64 {
	oj := *job
	oj.Problem = "quadratic"
	_, blocks := blockPlan(max(job.Data.Rows, job.Data.ValRows), job.Dim)
	need := hostBytes(&oj) + int64(job.Dim)*8*int64(1+blocks) + int64(job.Data.Rows)*4
	if net, _ := gdgpu.ModelNetwork(job); net != nil {
		// each worker's run of rows in float64 and the network's scratch
		run := netRunRows(job.Data.Cols, net)
		need += int64(min(runtime.GOMAXPROCS(0), blocks)) * 8 * (int64(run)*int64(job.Data.Cols+1) + int64(net.Scratch(run)))
	}
	return need
}

// worker runs worker w's blocks of every pass until Close.
func (m *Model) worker(w int) {
	for range m.start[w] {
		m.work(w)
		m.wg.Done()
	}
}

// work computes blocks w, w+workers, ... of the pass under way.
func (m *Model) work(w int) {
	z := m.zbuf[w]
	for blk := w; blk*m.blockRows < m.pN; blk += m.workers {
		lo, hi := blk*m.blockRows, min((blk+1)*m.blockRows, m.pN)
		m.block(blk, lo, hi, z)
	}
}

// pass computes, over rows 0..n-1 of (x, y) (through rows when not nil),
// the per-sample loss sum, the correct predictions and, with grad, the sum
// of dl/dz_i x_i into m.grad (not yet divided by n, no penalties).
func (m *Model) pass(x, y []float32, rows []int32, n int, grad bool) (loss float64, correct int) {
	m.pX, m.pY, m.pRows, m.pN, m.pGrad = x, y, rows, n, grad
	used := m.passWorkers(n)
	m.pTeams = nil
	if m.tnet != nil && used < m.threads {
		m.pTeams = m.teamsFor(used)
	}
	m.wg.Add(used - 1)
	for w := 1; w < used; w++ {
		m.start[w] <- struct{}{}
	}
	m.work(0)
	m.wg.Wait()
	nb := (n + m.blockRows - 1) / m.blockRows
	if grad {
		clear(m.grad)
		for blk := range nb {
			for p, v := range m.partial[blk*m.dim : (blk+1)*m.dim] {
				m.grad[p] += v
			}
		}
	}
	for blk := range nb {
		loss += m.lossSum[blk]
		correct += m.correct[blk]
	}
	return loss, correct
}

// block computes one block's loss sum, correct count and gradient sums,
// a run of rows at a time: their outputs, then the loss kernel on all of
// them, then their gradient terms. z holds the worker's scratch: the
// run's outputs (run x K), dl/dz (run x K) and targets (run).
func (m *Model) block(blk, lo, hi int, z []float64) {
	if m.net != nil {
		m.netBlock(blk, lo, hi, z)
		return
	}
	w := m.opt.x
	d, k, P := m.data.Cols, m.outputs, m.stride
	intercept := P > d
	var part []float64
	if m.pGrad {
		part = m.partial[blk*m.dim : (blk+1)*m.dim]
		clear(part)
	}
	loss, correct := 0.0, 0
	zs, dz, ys := z[:m.run*k], z[m.run*k:2*m.run*k], z[2*m.run*k:2*m.run*k+m.run]
	for r0 := lo; r0 < hi; r0 += m.run {
		r1 := min(r0+m.run, hi)
		for r := r0; r < r1; r++ {
			i := m.row(r)
			xi := m.pX[i*d : (i+1)*d]
			zr := zs[(r-r0)*k : (r-r0+1)*k]
			for o := range k {
				row := w[o*P : o*P+d]
				s := 0.0
				for j, v := range xi {
					s += float64(row[j] * float64(v))
				}
				if intercept {
					s += w[o*P+d]
				}
				zr[o] = s
			}
			ys[r-r0] = float64(m.pY[i])
		}
		n := r1 - r0
		var c int
		loss, c = m.loss(loss, zs[:n*k], dz[:n*k], ys[:n], m.job.Delta)
		correct += c
		if !m.pGrad {
			continue
		}
		for r := r0; r < r1; r++ {
			i := m.row(r)
			xi := m.pX[i*d : (i+1)*d]
			dr := dz[(r-r0)*k : (r-r0+1)*k]
			for o := range k {
				g := dr[o]
				if g == 0 {
					continue
				}
				row := part[o*P : o*P+d]
				for j, v := range xi {
					row[j] += float64(g * float64(v))
				}
				if intercept {
					part[o*P+d] += g
				}
			}
		}
	}
	m.lossSum[blk], m.correct[blk] = loss, correct
}

// passWorkers is how many workers a pass over n rows keeps busy: one a
// block, at most workers.
func (m *Model) passWorkers(n int) int { return min(m.workers, (n+m.blockRows-1)/m.blockRows) }

// teamsFor returns the teams of a pass of used workers: the threads
// beyond them split as evenly as they go, worker w's team taking the
// w-th share. A team gives the same bits with any number of helpers, so
// the sums do not depend on the split.
func (m *Model) teamsFor(used int) []*gdgpu.Team {
	if t, ok := m.teams[used]; ok {
		return t
	}
	idle := m.threads - used
	t := make([]*gdgpu.Team, used)
	for w := range t {
		h := idle / used
		if w < idle%used {
			h++
		}
		if h > 0 {
			t[w] = gdgpu.NewTeam(h)
		}
	}
	m.teams[used] = t
	return t
}

// row is the data row position r of the pass reads: through the epoch's
// order when the pass is shuffled (pRows), else r itself.
func (m *Model) row(r int) int {
	if m.pRows != nil {
		return int(m.pRows[r])
	}
	return r
}

// netBlock is block for a network (ModelInfo.Net): a run of rows at a
// time, their features converted to float64 and handed to the network's
// Pass with the block's partial sums. z holds the worker's scratch: the
// run's features (run x Cols), targets (run), then the network's.
func (m *Model) netBlock(blk, lo, hi int, z []float64) {
	d := m.data.Cols
	var part []float64
	if m.pGrad {
		part = m.partial[blk*m.dim : (blk+1)*m.dim]
		clear(part)
	}
	loss, correct := 0.0, 0
	xs, ys, scratch := z[:m.run*d], z[m.run*d:m.run*(d+1)], z[m.run*(d+1):]
	for r0 := lo; r0 < hi; r0 += m.run {
		r1 := min(r0+m.run, hi)
		for r := r0; r < r1; r++ {
			i := m.row(r)
			for j, v := range m.pX[i*d : (i+1)*d] {
				xs[(r-r0)*d+j] = float64(v)
			}
			ys[r-r0] = float64(m.pY[i])
		}
		var c int
		if m.tnet != nil {
			var team *gdgpu.Team
			if m.pTeams != nil {
				team = m.pTeams[blk%m.workers] // work gives worker w blocks w, w+workers, ...
			}
			loss, c = m.tnet.PassTeam(team, loss, m.loss, m.opt.x, xs[:(r1-r0)*d], ys[:r1-r0], part, scratch)
		} else {
			loss, c = m.net.Pass(loss, m.loss, m.opt.x, xs[:(r1-r0)*d], ys[:r1-r0], part, scratch)
		}
		correct += c
	}
	m.lossSum[blk], m.correct[blk] = loss, correct
}

// penalties adds the L1 and L2 terms' gradient to g (weights only) and
// returns their value at the current parameters.
func (m *Model) penalties(g []float64) float64 {
	l1, l2 := m.job.L1, m.job.L2
	if l1 == 0 && l2 == 0 {
		return 0
	}
	w := m.opt.x
	a, q := 0.0, 0.0
	for _, run := range m.weights {
		for p := run[0]; p < run[1]; p++ {
			v := w[p]
			a += math.Abs(v)
			q += float64(v * v)
			if g == nil {
				continue
			}
			// Only the penalties that are set: 0·Inf would make a NaN of
			// an overflowed weight's term (the GPU does the same).
			switch {
			case l1 > 0 && l2 > 0:
				g[p] += float64(l1*kern.Sign(v)) + float64(l2*v)
			case l1 > 0:
				g[p] += float64(l1 * kern.Sign(v))
			default:
				g[p] += float64(l2 * v)
			}
		}
	}
	pen := 0.0
	if l1 > 0 {
		pen += float64(l1 * a)
	}
	if l2 > 0 {
		pen += float64(l2 / 2 * q)
	}
	return pen
}

// gradient computes the objective's gradient over n rows (through rows)
// into m.grad and returns the objective (mean loss plus penalties) and
// the correct predictions.
func (m *Model) gradient(rows []int32, n int) (float64, int) {
	loss, correct := m.pass(m.data.X, m.data.Y, rows, n, true)
	inv := 1 / float64(n)
	for p := range m.grad {
		m.grad[p] *= inv
	}
	return float64(loss*inv) + m.penalties(m.grad), correct
}

// Name returns "cpu/f64".
func (m *Model) Name() string { return "cpu/f64" }

// checkGrad records the first non-finite component of m.grad as a bad
// value at the current point (gdgpu.Sample: a gradient component at x_t
// is BadStep t), as the GPU's kernels do, rather than a step later when
// the update writes it.
func (m *Model) checkGrad() {
	for i, v := range m.grad {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			m.opt.flag(m.opt.t, i)
			return
		}
	}
}

// SumDepth is the longest chain of additions behind a gradient component
// or a sample's loss (gdgpu.SumDepther): the features and intercept of z,
// softmax's sum of its K exponentials (every dl/dz_k and the loss divide
// by or take the log of it), the rows of one block (the whole set when it
// is smaller), the blocks.
func (m *Model) SumDepth() int {
	n := max(m.data.Rows, m.data.ValRows)
	return m.data.Cols + 1 + normDepth(m.info, m.outputs) + min(m.blockRows, n) + (n+m.blockRows-1)/m.blockRows
}

// normDepth is the additions of softmax's normaliser Σ_k exp(z_k - max):
// K - 1 for a model whose loss sums over its outputs
// (ModelInfo.SumsOutputs), 0 for the others.
func normDepth(info gdgpu.ModelInfo, k int) int {
	if !info.SumsOutputs {
		return 0
	}
	return k - 1
}

// SetOrder takes the sample order of an epoch (gdgpu.Orderer).
func (m *Model) SetOrder(epoch int, order []int32) error {
	if m.closed {
		return ErrClosed
	}
	if len(order) != m.data.Rows {
		return fmt.Errorf("cpu: SetOrder: %d rows in the order, the training set has %d", len(order), m.data.Rows)
	}
	for _, v := range order {
		// Step indexes the data with these: refuse, as the GPU does,
		// rather than panic there.
		if v < 0 || int(v) >= m.data.Rows {
			return fmt.Errorf("cpu: SetOrder: row %d is not in the training set of %d rows", v, m.data.Rows)
		}
	}
	copy(m.order, order)
	m.epoch = epoch
	return nil
}

// Load sets the parameters and resets the optimizer (see Backend.Load).
func (m *Model) Load(x []float64) error {
	m.pending = m.pending[:0]
	return m.opt.Load(x)
}

// Step runs len(lr) steps on the batches Batch gives for the steps, from
// the order of the epoch SetOrder gave last. With record, the sample at
// the point before the first step is recorded first.
func (m *Model) Step(lr []float64, record bool) error {
	if m.closed {
		return ErrClosed
	}
	if record {
		m.record()
	}
	if m.opt.lb != nil {
		// L-BFGS evaluates its closure, the full batch (Job.Validate
		// refuses mini-batches), as often as a step needs.
		for _, r := range lr {
			m.opt.lbfgsStep(r, false)
		}
		return nil
	}
	b, _ := gdgpu.Batches(m.job.BatchSize, m.data.Rows)
	for _, r := range lr {
		e, lo, hi := gdgpu.Batch(m.opt.t, b, m.data.Rows)
		if b < m.data.Rows && e != m.epoch {
			return fmt.Errorf("cpu: step %d is in epoch %d, the order given is epoch %d's", m.opt.t, e, m.epoch)
		}
		m.gradient(m.order[lo:hi], hi-lo)
		m.checkGrad()
		if err := m.opt.ApplyGradient(m.grad, r); err != nil {
			return err
		}
	}
	return nil
}

// Record records a sample at the current point.
func (m *Model) Record() error {
	if m.closed {
		return ErrClosed
	}
	m.record()
	return nil
}

// record appends the sample of the current point: the objective and its
// gradient norm over the whole training set, the accuracy, and the
// validation loss and accuracy.
func (m *Model) record() {
	n := m.data.Rows
	loss, correct := m.gradient(nil, n)
	m.checkGrad()
	s := gdgpu.Sample{Step: m.opt.t, Loss: loss, GradNorm: math.Sqrt(sumSq(m.grad))}
	m.figures(&s, correct)
	if o := m.opt; o.badStep >= 0 {
		s.NonFinite, s.BadStep, s.BadIndex = true, o.badStep, o.badIndex
	}
	m.pending = append(m.pending, s)
}

// figures fills a sample's accuracy, from the training rows' correct
// predictions, and its validation loss and accuracy, at the current
// parameters.
func (m *Model) figures(s *gdgpu.Sample, correct int) {
	if m.data.Classes > 0 {
		s.Accuracy = float64(correct) / float64(m.data.Rows)
	}
	if vn := m.data.ValRows; vn > 0 {
		vl, vc := m.pass(m.data.ValX, m.data.ValY, nil, vn, false)
		s.ValLoss = vl / float64(vn)
		if m.data.Classes > 0 {
			s.ValAccuracy = float64(vc) / float64(vn)
		}
	}
}

// at is the full-batch objective at x (gonum's Problem.Func and Grad for
// Minimize): x becomes the parameters, and with g the gradient goes there
// too. The bits are a sample's at x.
func (m *Model) at(g, x []float64) float64 {
	copy(m.opt.x, x)
	n := m.data.Rows
	if g == nil {
		loss, _ := m.pass(m.data.X, m.data.Y, nil, n, false)
		return float64(loss*(1/float64(n))) + m.penalties(nil)
	}
	loss, _ := m.gradient(nil, n)
	copy(g, m.grad)
	return loss
}

// sampleFigures fills s's accuracy and validation figures at x (see
// figures), for Minimize's samples.
func (m *Model) sampleFigures(s *gdgpu.Sample, x []float64) {
	copy(m.opt.x, x)
	_, correct := m.pass(m.data.X, m.data.Y, nil, m.data.Rows, false)
	m.figures(s, correct)
}

// Counts gives L-BFGS's n_iter and func_evals since Load (gdgpu.Counter);
// 0, 0 for the other rules.
func (m *Model) Counts() (iterations, evaluations int) { return m.opt.Counts() }

// Samples delivers the recorded samples (all ready when recorded).
func (m *Model) Samples(dst []gdgpu.Sample, wait bool) ([]gdgpu.Sample, error) {
	if m.closed {
		return dst, ErrClosed
	}
	dst = append(dst, m.pending...)
	m.pending = m.pending[:0]
	return dst, nil
}

// Params copies the parameters into dst.
func (m *Model) Params(dst []float64) error { return m.opt.Params(dst) }

// Snapshot copies the complete state into s.
func (m *Model) Snapshot(s *gdgpu.State) error { return m.opt.Snapshot(s) }

// Restore replaces the complete state with s and drops pending samples.
func (m *Model) Restore(s *gdgpu.State) error {
	m.pending = m.pending[:0]
	return m.opt.Restore(s)
}

// Keep copies the state to slot k.
func (m *Model) Keep(k int) error { return m.opt.Keep(k) }

// Revert restores slot k and drops pending samples.
func (m *Model) Revert(k int) error {
	m.pending = m.pending[:0]
	return m.opt.Revert(k)
}

// StepCount returns the optimizer steps run since Load.
func (m *Model) StepCount() int { return m.opt.t }

// Close stops the workers and releases the buffers.
func (m *Model) Close() error {
	if !m.closed {
		for w := 1; w < m.workers; w++ {
			close(m.start[w])
		}
		for _, teams := range m.teams {
			for _, t := range teams {
				t.Close()
			}
		}
		m.closed = true
	}
	return m.opt.Close()
}

// errNotModel is returned by ModelLoss and ModelGrad for a job that is
// not a model on data.
var errNotModel = errors.New("cpu: not a model on data")

// ModelLoss returns a model job's objective at x over the whole training
// set (mean loss plus penalties, docs/models.md), in float64.
func ModelLoss(job *gdgpu.Job, x []float64) (float64, error) {
	m, err := oneShot(job, x)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	l, _ := m.gradient(nil, m.data.Rows)
	return l, nil
}

// ModelGrad writes a model job's objective gradient at x over the whole
// training set into dst (len Dim).
func ModelGrad(job *gdgpu.Job, dst, x []float64) error {
	m, err := oneShot(job, x)
	if err != nil {
		return err
	}
	defer m.Close()
	m.gradient(nil, m.data.Rows)
	copy(dst, m.grad)
	return nil
}

// oneShot builds a model backend at x for one evaluation.
func oneShot(job *gdgpu.Job, x []float64) (*Model, error) {
	if !gdgpu.IsModel(job.Problem) {
		return nil, errNotModel
	}
	if err := job.Validate(); err != nil {
		return nil, fmt.Errorf("cpu: %w", err)
	}
	if len(x) != job.Dim {
		return nil, fmt.Errorf("cpu: %d values for a model of %d parameters", len(x), job.Dim)
	}
	m, err := newModel(job)
	if err != nil {
		return nil, err
	}
	copy(m.opt.x, x)
	return m, nil
}

// modelTooBig refuses a model job that would not fit in host memory.
func modelTooBig(job *gdgpu.Job) error {
	if need, free := modelHostBytes(job), sysmem.Free(); free.Bytes > 0 && need > free.Bytes {
		return fmt.Errorf("cpu: %w: the model needs %d MiB of host memory beside its data, but %d MiB is available (%s)",
			ErrTooBig, need>>20, free.Bytes>>20, free.Source)
	}
	return nil
}

// RegressionCost returns the linear model's per-sample cost l(r) and its
// derivative dl/dr at the residual r = z - y, for loss mse, mae, huber
// (with delta) or logcosh: docs/models.md's table, the same code the
// backend runs (gdgpu.RegressionCost.CPU). It is what `gdgpu costs` draws.
func RegressionCost(loss string, delta, r float64) (l, dl float64, err error) {
	c, ok := gdgpu.LookupRegressionCost(loss)
	if !ok {
		return 0, 0, fmt.Errorf("cpu: unknown regression loss %q", loss)
	}
	var z, dz, y [1]float64
	z[0] = r
	l, _ = c.CPU(0, z[:], dz[:], y[:], delta)
	return l, dz[0], nil
}
