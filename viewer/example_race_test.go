package viewer_test

import (
	"fmt"
	"log"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
)

// Race three optimizers on Himmelblau's function, each with its own
// settings over the ones they share, as gdgpu view --race does: Build
// makes each racer's job (window.RunPicture or window.Run race them).
func ExampleRaceRequest_Build() {
	job := gdgpu.NewJobRequest()
	job.Problem, job.Device, job.Steps, job.Purpose = "himmelblau", "cpu", 300, gdgpu.PurposeRace
	r := viewer.RaceRequest{Job: job, Every: 10, Width: 640, Height: 480}
	for _, text := range []string{"adam lr=0.1", "sgd lr=0.01 momentum=0.9", "gonum-lbfgs"} {
		rs, err := viewer.ParseRacer(text)
		if err != nil {
			log.Fatal(err)
		}
		r.Racers = append(r.Racers, rs)
	}
	built, err := r.Build()
	if err != nil {
		log.Fatal(err)
	}
	for _, b := range built {
		fmt.Printf("%s: %s lr %g, sampled every %d steps\n", b.Name, b.Job.Optimizer.Name, b.Job.Optimizer.LR, b.Job.LogEvery)
	}

	// A setting the racer's optimizer does not take is refused, naming
	// the racer as it was written.
	rs, _ := viewer.ParseRacer("sgd beta1=0.9")
	r.Racers = append(r.Racers, rs)
	_, err = r.Build()
	fmt.Println(err)
	// Output:
	// adam: adam lr 0.1, sampled every 10 steps
	// sgd momentum=0.9: sgd lr 0.01, sampled every 10 steps
	// gonum-lbfgs: gonum-lbfgs lr 0, sampled every 10 steps
	// viewer: RacerSpec.Text "sgd beta1=0.9": sgd does not take beta1 (it takes Optimizer.lr, Optimizer.momentum, Optimizer.dampening, Optimizer.weight-decay, Optimizer.nesterov, Optimizer.maximize)
}
