package runlog_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/runlog"
)

// Log a run's samples as gdgpu run --log does, then read a column back.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "runlog")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "log.csv")

	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "quadratic", 100, 30, 10
	b, err := cpu.New(&job)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	l, err := runlog.Create(path, &job)
	if err != nil {
		log.Fatal(err)
	}
	_, err = gdgpu.Run(context.Background(), &job, b, job.StartPoint(), gdgpu.Hooks{
		Sample: func(s gdgpu.Sample, lr float64, elapsed time.Duration) { l.Row(s, lr, elapsed) },
	})
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		log.Fatal(err)
	}

	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	t, err := runlog.ReadColumns(f, path, "step", "lr")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(t.Values)
	// Output:
	// [[0 0.001] [10 0.001] [20 0.001] [30 0.001]]
}

// Log a run through its hooks as gdgpu run --log does: the file is made
// at the first sample, so a run refused at its start (here a start point
// that is not finite) leaves the log of the run before it as it was.
func ExampleRecorder() {
	dir, err := os.MkdirTemp("", "runlog")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "log.csv")

	job := gdgpu.NewJob()
	job.Problem, job.Dim, job.Steps, job.LogEvery = "quadratic", 100, 30, 10
	run := func(x0 []float64) {
		b, err := cpu.New(&job)
		if err != nil {
			log.Fatal(err)
		}
		defer b.Close()
		rec := runlog.NewRecorder(path, &job)
		_, err = gdgpu.Run(context.Background(), &job, b, x0, gdgpu.Hooks{Sample: rec.Sample})
		rows, lerr := rec.Close(err == nil)
		fmt.Println("run:", err != nil, "rows:", rows, lerr)
	}
	run(job.StartPoint())
	bad := job.StartPoint()
	bad[0] = math.Inf(1)
	run(bad)

	b, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.Count(string(b), "\n"), "lines:", strings.SplitN(string(b), "\n", 2)[0])
	// Output:
	// run: false rows: 4 <nil>
	// run: true rows: 0 <nil>
	// 5 lines: step,loss,grad_norm,lr,elapsed_s
}
