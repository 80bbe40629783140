package jobfile_test

import (
	"errors"
	"fmt"
	"log"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/jobfile"
)

// TestDecodeBuildsTheJob: for every job shape of the encode tests, made
// runnable (real data, a valid objective, no start file), Encode, Parse,
// Decode and JobRequest.Build give the job back, every field equal.
func TestDecodeBuildsTheJob(t *testing.T) {
	iris, err := filepath.Abs(filepath.Join("..", "data", "testdata", "iris.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for name, js := range encodeJobs(t) {
		t.Run(name, func(t *testing.T) {
			want, set := js.job, js.set
			switch name {
			case "gpu":
				set.Init = ""        // a start file of its own: TestDecodeSettings
				want.LossTarget = -1 // a run's target is finite
			case "objective":
				want.Objective, want.ClipValue = `sum((x[i] - 1)^2)`, 0 // one clipping at most
			case "linear":
				want.DataSpec.File, want.DataSpec.Features = iris, []string{"sepal_length", "sepal_width"}
			case "gonum":
				want.Schedule.Warmup = 0 // a gonum method takes no schedule: Entries writes none
			}
			if want.Data != nil {
				ld, err := gdgpu.LoadData(want.Problem, want.DataSpec, want.Seed)
				if err != nil {
					t.Fatal(err)
				}
				want.Data = ld.Data
				if want.Dim, err = gdgpu.ModelParams(&want); err != nil {
					t.Fatal(err)
				}
			}
			if err := want.Validate(); err != nil {
				t.Fatal(err)
			}
			text := jobfile.Encode(&want, set)
			f, err := jobfile.Parse(name+".toml", text)
			if err != nil {
				t.Fatal(err)
			}
			r, gotSet, err := jobfile.Decode(f)
			if err != nil {
				t.Fatal(err)
			}
			if gotSet != set {
				t.Errorf("settings %+v, want %+v", gotSet, set)
			}
			b, err := r.Build()
			if err != nil {
				t.Fatalf("%v\n%s", err, text)
			}
			if got := b.Job; !reflect.DeepEqual(got, want) {
				t.Errorf("built\n%+v\nwant\n%+v\nfrom\n%s", got, want, text)
			}
		})
	}
}

// TestDecodeSettings: the settings that are no Job field read back.
func TestDecodeSettings(t *testing.T) {
	js := encodeJobs(t)["gpu"]
	f, err := jobfile.Parse("job.toml", jobfile.Encode(&js.job, js.set))
	if err != nil {
		t.Fatal(err)
	}
	r, set, err := jobfile.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if set != js.set || r.InitFile != js.set.Init || r.Device != "gpu" || !r.Given("JobRequest.InitFile") {
		t.Errorf("settings %+v, InitFile %q, Device %q; want %+v", set, r.InitFile, r.Device, js.set)
	}
}

// TestDecodeRefusals: a key Decode does not know, or a value of the
// wrong kind, is refused where it stands.
func TestDecodeRefusals(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"problem = 'rosenbrock'\nlearning-rate = 0.1\n", `job file job.toml line 2: key "learning-rate": no job key has this name`},
		{"lr = 'fast'\n", `line 1: key "lr": expected a number, got a string`},
		{"amsgrad = 1\n", `line 1: key "amsgrad": expected true or false`},
		{"lr-milestones = '10,x'\n", `line 1: key "lr-milestones": strconv.Atoi`},
		{"time-limit = '5 minutes'\n", `line 1: key "time-limit": time: unknown unit`},
		{"seed = -1\n", `line 1: key "seed": expected an integer >= 0`},
		// As gdgpu run job.toml: no blanks in a list, no negative GPU.
		{"hidden = '4, 2'\n", `line 1: key "hidden": strconv.Atoi: parsing " 2": invalid syntax`},
		{"lr-milestones = [1, 2]\nhidden = ' 4'\n", `line 2: key "hidden": strconv.Atoi: parsing " 4"`},
		{"gpu = -5\n", `line 1: key "gpu": -5 must be >= 0`},
	} {
		f, err := jobfile.Parse("job.toml", []byte(tc.doc))
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = jobfile.Decode(f)
		var je *jobfile.Error
		if !errors.As(err, &je) || je.Line == 0 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want a *jobfile.Error with %q", tc.doc, err, tc.want)
		}
	}
}

// TestKeyKinds: every key Entries writes is one Decode reads, with a
// Kind that takes the value written.
func TestKeyKinds(t *testing.T) {
	kinds := jobfile.KeyKinds()
	for name, js := range encodeJobs(t) {
		f, err := jobfile.Parse(name+".toml", jobfile.Encode(&js.job, js.set))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range f.Entries {
			k, ok := kinds[e.Key]
			if !ok {
				t.Errorf("%s: Entries writes %q, which Decode does not read", name, e.Key)
				continue
			}
			if _, err := f.Text(e, k); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
}

// Read a job file into a job: Decode gives the request, Build fills the
// defaults (torch's betas, cosine's half period the run's length) and
// checks it.
func ExampleDecode() {
	doc := []byte(`problem = "quadratic"
dim = 1000
lr = 0.05
steps = 300
schedule = "cosine"
device = "cpu"
`)
	f, err := jobfile.Parse("job.toml", doc)
	if err != nil {
		log.Fatal(err)
	}
	r, set, err := jobfile.Decode(f)
	if err != nil {
		log.Fatal(err)
	}
	b, err := r.Build()
	if err != nil {
		log.Fatal(err)
	}
	j := b.Job
	fmt.Println(set.Device, j.Problem, j.Dim, j.Optimizer.Name, j.Optimizer.LR, j.Optimizer.Beta2, j.Schedule.Kind, j.Schedule.TMax)
	// Output:
	// cpu quadratic 1000 adam 0.05 0.999 cosine 300
}
