package jobfile_test

import (
	"fmt"
	"log"
	"os"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/jobfile"
)

// Read a job file's keys in order, and render each value as the text of
// the setting it is for.
func ExampleParse() {
	doc := []byte(`# a job
problem = "rosenbrock"
lr = 1e-3
lr-milestones = [100, 200]
time-limit = "90s"
`)
	kinds := map[string]jobfile.Kind{"lr": jobfile.Float, "lr-milestones": jobfile.IntList, "time-limit": jobfile.Duration}
	f, err := jobfile.Parse("job.toml", doc)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range f.Entries {
		s, err := f.Text(e, kinds[e.Key]) // String where the map has none
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("line %d: %s = %s\n", e.Line, e.Key, s)
	}
	// A value of the wrong kind is refused where it is.
	_, err = f.Text(f.Entries[0], jobfile.Int)
	fmt.Println(err)
	// Output:
	// line 2: problem = rosenbrock
	// line 3: lr = 0.001
	// line 4: lr-milestones = 100,200
	// line 5: time-limit = 90s
	// jobfile: job file job.toml line 2: key "problem": expected an integer, got a string
}

// Write the effective job of a run: every key with its final value.
func ExampleEncode() {
	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps = "quadratic", 1000, 300
	job.Optimizer, _ = gdgpu.DefaultOptimizer("sgd")
	job.Optimizer.LR = 0.1
	os.Stdout.Write(jobfile.Encode(&job, jobfile.Settings{Device: "cpu"}))
	// Output:
	// problem = 'quadratic'
	// dim = 1000
	// cond = 1
	// optimizer = 'sgd'
	// lr = 0.1
	// momentum = 0
	// dampening = 0
	// weight-decay = 0
	// nesterov = false
	// maximize = false
	// steps = 300
	// log-every = 100
	// device = 'cpu'
	// gpu = 0
	// grad-tol = 0
	// func-tol = 0
	// func-window = 5
	// time-limit = '0s'
	// clip-grad-norm = 0
	// clip-grad-value = 0
	// schedule = 'constant'
	// warmup-steps = 0
	// warmup-sequential = false
}
