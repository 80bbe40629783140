package gradcheck_test

import (
	"fmt"

	"github.com/gdgpu/gdgpu/gradcheck"
)

// Check a model's gradient as gdgpu gradcheck --problem softmax --device
// cpu does: the request's Build makes the job (its seeded synthetic data
// and penalties), Check draws the points. With Device "gpu", a program
// opens the job's GPU backend (device.Open) and gives it as Options.GPU.
func ExampleRequest_Build() {
	r := gradcheck.NewRequest()
	r.Problem, r.Device = "softmax", "cpu"
	r.Given = func(field string) bool { return field == "Job.Problem" }
	job, err := r.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := gradcheck.Check(job, gradcheck.Options{Points: r.Points, Seed: r.Seed})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(job.Problem, job.Dim, rep.Points, rep.OK())

	r.Problem, r.Dim = "softmax", 5
	r.Given = func(field string) bool { return field == "Job.Dim" }
	_, err = r.Build()
	fmt.Println(err)
	// Output:
	// softmax 18 5 true
	// gradcheck: Job.Dim does not apply to Job.Problem softmax: the parameter count follows from the data
}
