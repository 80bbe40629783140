package gdgpu

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/shaders"
)

func TestNewDataLabels(t *testing.T) {
	x := []float32{1, 2, 3, 4}
	for _, c := range []struct {
		name, model string
		y           []float32
		classes     int
		want        []float32 // converted targets; nil: refused
		err         string
	}{
		{"linear any", "linear", []float32{0.5, -7}, 0, []float32{0.5, -7}, ""},
		{"logistic 01", "logistic", []float32{0, 1}, 0, []float32{0, 1}, ""},
		{"logistic from pm1", "logistic", []float32{-1, 1}, 0, []float32{0, 1}, ""},
		{"hinge from 01", "hinge", []float32{0, 1}, 0, []float32{-1, 1}, ""},
		{"perceptron pm1", "perceptron", []float32{1, -1}, 0, []float32{1, -1}, ""},
		{"binary 2", "logistic", []float32{0, 2}, 0, nil, "row 1: label 2"},
		{"binary mixed", "hinge", []float32{0, -1}, 0, nil, "mixes"},
		{"softmax", "softmax", []float32{2, 0}, 0, []float32{2, 0}, ""},
		{"softmax one class", "softmax", []float32{0, 0}, 0, nil, "at least 2 classes"},
		{"softmax fraction", "softmax", []float32{0, 1.5}, 3, nil, "row 1: label 1.5"},
		{"softmax beyond classes", "softmax", []float32{0, 3}, 3, nil, "row 1: label 3"},
		{"softmax beyond int", "softmax", []float32{0, 1e19}, 3, nil, "row 1: label 1e+19"},
		{"softmax beyond int, classes from labels", "softmax", []float32{1, 1e19}, 0, nil, "row 1: label 1e+19"},
		{"not a model", "rosenbrock", []float32{0, 1}, 0, nil, "not a model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := NewData(c.model, x, c.y, 2, 2, nil, nil, 0, c.classes)
			if c.want == nil {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one naming %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Y, c.want) {
				t.Errorf("targets %v, want %v", d.Y, c.want)
			}
		})
	}
	if d, _ := NewData("softmax", x, []float32{0, 1}, 2, 2, nil, nil, 0, 0); d.Outputs() != 2 || ModelDim(d, true) != 6 {
		t.Errorf("softmax on two classes: %d outputs, %d parameters; want 2 and 6", d.Outputs(), ModelDim(d, true))
	}
	if d, _ := NewData("logistic", x, []float32{0, 1}, 2, 2, nil, nil, 0, 0); d.Outputs() != 1 {
		t.Errorf("logistic: %d outputs, want 1", d.Outputs())
	}
	if _, err := NewData("linear", []float32{1, float32(nan())}, []float32{1}, 1, 2, nil, nil, 0, 0); err == nil || !strings.Contains(err.Error(), "training features: value 1") {
		t.Errorf("a NaN feature: %v", err)
	}
}

func nan() float64 { var z float64; return z / z }

// TestEpochOrder: the full batch is the identity; a shuffled epoch is a
// permutation, the same for the same (seed, epoch), different across
// epochs and seeds.
func TestEpochOrder(t *testing.T) {
	a, b := make([]int32, 100), make([]int32, 100)
	EpochOrder(a, 1, 0, 100)
	for i, v := range a {
		if v != int32(i) {
			t.Fatalf("full batch: order[%d] = %d", i, v)
		}
	}
	EpochOrder(a, 1, 3, 10)
	EpochOrder(b, 1, 3, 10)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed and epoch gave two orders")
	}
	s := slices.Clone(a)
	slices.Sort(s)
	for i, v := range s {
		if v != int32(i) {
			t.Fatalf("not a permutation: %v", a)
		}
	}
	EpochOrder(b, 1, 4, 10)
	if slices.Equal(a, b) {
		t.Error("epochs 3 and 4 have the same order")
	}
	EpochOrder(b, 2, 3, 10)
	if slices.Equal(a, b) {
		t.Error("seeds 1 and 2 have the same order")
	}
}

func TestBatch(t *testing.T) {
	for _, c := range []struct{ t, b, n, epoch, lo, hi int }{
		{0, 7, 50, 0, 0, 7}, {6, 7, 50, 0, 42, 49}, {7, 7, 50, 0, 49, 50}, {8, 7, 50, 1, 0, 7},
		{5, 50, 50, 5, 0, 50}, {3, 1, 2, 1, 1, 2},
	} {
		e, lo, hi := Batch(c.t, c.b, c.n)
		if e != c.epoch || lo != c.lo || hi != c.hi {
			t.Errorf("Batch(%d, %d, %d) = %d, %d, %d; want %d, %d, %d", c.t, c.b, c.n, e, lo, hi, c.epoch, c.lo, c.hi)
		}
	}
	if b, per := Batches(0, 10); b != 10 || per != 1 {
		t.Errorf("Batches(0, 10) = %d, %d", b, per)
	}
	if b, per := Batches(3, 10); b != 3 || per != 4 {
		t.Errorf("Batches(3, 10) = %d, %d", b, per)
	}
}

// modelJob is a valid logistic job on four rows.
func modelJob(t *testing.T) Job {
	d, err := NewData("logistic", []float32{1, 2, 3, 4, 5, 6, 7, 8}, []float32{0, 1, 1, 0}, 4, 2, nil, nil, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	j := NewJob()
	j.Problem, j.Data, j.Dim = "logistic", d, ModelDim(d, true)
	return j
}

func TestValidateModel(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"no data", func(j *Job) { j.Data = nil }, "needs data"},
		{"dim", func(j *Job) { j.Dim = 2 }, "Job.Dim 2 does not match"},
		{"loss on logistic", func(j *Job) { j.Loss = "mae" }, "Job.Loss mae applies to the linear model only"},
		{"delta", func(j *Job) { j.Delta = 0 }, "Job.Delta 0"},
		{"l1", func(j *Job) { j.L1 = -1 }, "Job.L1 -1"},
		{"l2", func(j *Job) { j.L2 = nan() }, "Job.L2 NaN"},
		{"batch", func(j *Job) { j.BatchSize = -2 }, "Job.BatchSize -2"},
	} {
		j := modelJob(t)
		c.edit(&j)
		err := j.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || !errors.Is(err, ErrInvalidJob) {
			t.Errorf("%s: %v, want an ErrInvalidJob naming %q", c.name, err, c.want)
		}
	}
	j := modelJob(t)
	if err := j.Validate(); err != nil {
		t.Fatal(err)
	}
}

// TestCheckpointModelCompatible: a model's checkpoint resumes only on the
// same data, loss settings, batch size and seed, with a consistent cursor.
func TestCheckpointModelCompatible(t *testing.T) {
	j := modelJob(t)
	j.BatchSize = 3
	cp := Checkpoint{Job: j, Driver: DriverState{Step: 5, Epoch: 2, Batch: 1}}
	cp.Job.DataHash = j.Data.Hash
	if err := cp.Compatible(&j); err != nil {
		t.Fatal(err)
	}
	other := modelJob(t)
	other.BatchSize = 3
	other.Data, _ = NewData("logistic", []float32{1, 2, 3, 4, 5, 6, 7, 9}, []float32{0, 1, 1, 0}, 4, 2, nil, nil, 0, 0)
	for _, c := range []struct {
		name string
		job  Job
		cp   func(*Checkpoint)
		want string
	}{
		{"other data", other, nil, "data (SHA-256"},
		{"seed", func() Job { k := j; k.Seed = 9; return k }(), nil, "seed (the batch order)"},
		{"batch", func() Job { k := j; k.BatchSize = 2; return k }(), nil, "batch-size 3 in the checkpoint, 2 in the job"},
		{"l2", func() Job { k := j; k.L2 = 0.5; return k }(), nil, "l2 0 in the checkpoint, 0.5"},
		{"cursor", j, func(c *Checkpoint) { c.Driver.Batch = 0 }, "data cursor"},
	} {
		c2 := cp
		if c.cp != nil {
			c.cp(&c2)
		}
		err := c2.Compatible(&c.job)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestModelDescriptors(t *testing.T) {
	// Every model and cost has its CPU kernel and its GLSL (embedded files
	// defining model_loss.glsl's rowLoss, or cost), a classifier its
	// prediction, a regression none; a model's kernel takes runs of rows
	// as one row at a time would (the CPU backend cuts its blocks into
	// runs).
	for _, c := range RegressionCosts() {
		src, err := shaders.Source(c.GPU)
		if c.CPU == nil || err != nil || !strings.Contains(src, "real cost(real r, out real dl)") {
			t.Errorf("cost %s: needs a CPU kernel and a GLSL file defining cost, has %q (%v)", c.Name, c.GPU, err)
		}
	}
	if !slices.Equal(Losses, []string{"mse", "mae", "huber", "logcosh"}) {
		t.Errorf("Losses = %v", Losses)
	}
	for _, info := range Models() {
		jobs := []Job{{Problem: info.Name, Delta: 0.7}}
		if info.Costs {
			jobs = nil
			for _, l := range Losses {
				jobs = append(jobs, Job{Problem: info.Name, Loss: l, Delta: 0.7})
			}
		}
		for _, job := range jobs {
			t.Run(info.Name+"/"+job.Loss, func(t *testing.T) {
				if info.CPU == nil || info.CPU(&job) == nil {
					t.Fatal("needs a CPU kernel")
				}
				// Only a network (Net) may lack GLSL: the engine refuses
				// such a model, saying it runs on the CPU only.
				if info.GPU == nil && info.Net == nil || info.GPU != nil && len(info.GPU(&job)) == 0 {
					t.Fatal("needs GLSL files")
				}
				if info.GPU != nil {
					files := info.GPU(&job)
					for _, f := range files {
						if _, err := shaders.Source(f); err != nil {
							t.Error(err)
						}
					}
					if src, _ := shaders.Source(files[len(files)-1]); !strings.Contains(src, "real rowLoss(inout real z[K], real y, out real correct)") {
						t.Errorf("%s does not define rowLoss", files[len(files)-1])
					}
				}
				if info.Classifier != (info.Predict != nil) || (info.Probabilities != nil && !info.Classifier) {
					t.Errorf("a classifier needs its Predict (and a regression none, nor Probabilities)")
				}
				k, rows := 1, 5
				if info.PerClass() {
					k = 3
				}
				z := make([]float64, rows*k)
				y := make([]float64, rows)
				for i := range z {
					z[i] = math.Sin(float64(3*i + 1))
				}
				for i := range y {
					y[i] = float64(i % 2)
					if info.Labels == "{-1,1}" && y[i] == 0 {
						y[i] = -1
					}
				}
				kern := info.CPU(&job)
				dz := make([]float64, len(z))
				all, allC := kern(0.25, z, dz, y, job.Delta)
				one, oneC := 0.25, 0
				dz1 := make([]float64, len(z))
				for i := range y {
					var c int
					one, c = kern(one, z[i*k:(i+1)*k], dz1[i*k:(i+1)*k], y[i:i+1], job.Delta)
					oneC += c
				}
				if all != one || allC != oneC || !slices.Equal(dz, dz1) {
					t.Errorf("a run gives %v, %d correct, dl/dz %v; row by row %v, %d, %v", all, allC, dz, one, oneC, dz1)
				}
				if allC != 0 && !info.Classifier {
					t.Errorf("a regression counts %d correct", allC)
				}
			})
		}
	}
}
