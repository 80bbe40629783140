package viewer_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
)

// TestParseRacer: a racer's text gives its optimizer and its settings in
// order, switches as 1 and 0; each refusal quotes the text and names
// RacerSpec.Text.
func TestParseRacer(t *testing.T) {
	for _, tc := range []struct {
		text string
		want viewer.RacerSpec
		err  string // "": no error; else the message
	}{
		{"adam", viewer.RacerSpec{Optimizer: "adam", Text: "adam"}, ""},
		{" sgd  lr=0.01 momentum=0.9 nesterov=true ", viewer.RacerSpec{Optimizer: "sgd", Text: " sgd  lr=0.01 momentum=0.9 nesterov=true ",
			Settings: []viewer.Setting{{"lr", 0.01}, {"momentum", 0.9}, {"nesterov", 1}}}, ""},
		{"adam --lr=1e-2 amsgrad=false", viewer.RacerSpec{Optimizer: "adam", Text: "adam --lr=1e-2 amsgrad=false",
			Settings: []viewer.Setting{{"lr", 0.01}, {"amsgrad", 0}}}, ""},
		{"sgd beta1=0.9", viewer.RacerSpec{Optimizer: "sgd", Text: "sgd beta1=0.9", Settings: []viewer.Setting{{"beta1", 0.9}}}, ""}, // Build's to refuse
		{"", viewer.RacerSpec{}, `viewer: RacerSpec.Text "": give an optimizer, then key=value settings`},
		{"  ", viewer.RacerSpec{}, `viewer: RacerSpec.Text "  ": give an optimizer, then key=value settings`},
		{"adma lr=0.1", viewer.RacerSpec{}, `viewer: RacerSpec.Text "adma lr=0.1": optimizer "adma" is unknown (`},
		{"sgd lr", viewer.RacerSpec{}, `viewer: RacerSpec.Text "sgd lr": "lr" is not key=value`},
		{"sgd =3", viewer.RacerSpec{}, `viewer: RacerSpec.Text "sgd =3": "=3" is not key=value`},
		{"adam lr=0.1 --lr=0.2", viewer.RacerSpec{}, `viewer: RacerSpec.Text "adam lr=0.1 --lr=0.2": lr is given twice`},
		{"adam lr=fast", viewer.RacerSpec{}, `viewer: RacerSpec.Text "adam lr=fast": lr=fast is not a finite number (or true/false)`},
		{"adam lr=NaN", viewer.RacerSpec{}, `viewer: RacerSpec.Text "adam lr=NaN": lr=NaN is not a finite number (or true/false)`},
		{"adam lr=-Inf", viewer.RacerSpec{}, `viewer: RacerSpec.Text "adam lr=-Inf": lr=-Inf is not a finite number (or true/false)`},
	} {
		got, err := viewer.ParseRacer(tc.text)
		if tc.err != "" {
			var fe *gdgpu.FieldError
			if err == nil || !strings.HasPrefix(err.Error(), tc.err) || !errors.As(err, &fe) || fe.Fields[0] != "RacerSpec.Text" {
				t.Errorf("ParseRacer(%q): %v, want a FieldError of RacerSpec.Text starting %q", tc.text, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseRacer(%q) = %+v, %v; want %+v", tc.text, got, err, tc.want)
		}
	}
}

// TestParseRacers: a comma list gives one racer per distinct name, blanks
// dropped; an empty or repeated name is refused, naming Optimizer.Name.
func TestParseRacers(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []string // the optimizers; nil: refused
	}{
		{"adam", []string{"adam"}},
		{" adam , sgd ", []string{"adam", "sgd"}},
		{"adam,nope", []string{"adam", "nope"}}, // Build's to refuse
		{"adam,adam", nil},
		{"adam,,sgd", nil},
		{"", nil},
	} {
		got, err := viewer.ParseRacers(tc.list)
		if tc.want == nil {
			var fe *gdgpu.FieldError
			want := `viewer: Optimizer.Name "` + tc.list + `": give distinct optimizer names separated by commas`
			if err == nil || err.Error() != want || !errors.As(err, &fe) {
				t.Errorf("ParseRacers(%q): %v, want %q", tc.list, err, want)
			}
			continue
		}
		var names []string
		for _, rs := range got {
			names = append(names, rs.Optimizer)
			if rs.Text != "" || rs.Settings != nil {
				t.Errorf("ParseRacers(%q): %+v has a text or settings", tc.list, rs)
			}
		}
		if err != nil || !reflect.DeepEqual(names, tc.want) {
			t.Errorf("ParseRacers(%q) = %v, %v; want %v", tc.list, names, err, tc.want)
		}
	}
}

// raceRequest is a race of himmelblau on the CPU, 100 steps sampled every
// 5, in 640x480 panels, of the racers texts give.
func raceRequest(t *testing.T, texts ...string) viewer.RaceRequest {
	t.Helper()
	job := gdgpu.NewJobRequest()
	job.Problem, job.Device, job.Steps, job.Purpose = "himmelblau", "cpu", 100, gdgpu.PurposeRace
	r := viewer.RaceRequest{Job: job, Every: 5, Width: 640, Height: 480}
	for _, s := range texts {
		rs, err := viewer.ParseRacer(s)
		if err != nil {
			t.Fatal(err)
		}
		r.Racers = append(r.Racers, rs)
	}
	return r
}

// TestRaceRequestBuild: each racer's job is the shared request with its
// optimizer and its own settings, sampled every Every steps, named by its
// settings but lr.
func TestRaceRequestBuild(t *testing.T) {
	r := raceRequest(t, "adam lr=0.1", "sgd lr=0.01 momentum=0.9 nesterov=true", "adam lr=0.01", "gonum-lbfgs")
	built, err := r.Build()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, opt string
		lr        float64
	}{{"adam", "adam", 0.1}, {"sgd momentum=0.9 nesterov=1", "sgd", 0.01}, {"adam", "adam", 0.01}, {"gonum-lbfgs", "gonum-lbfgs", 0}}
	if len(built) != len(want) {
		t.Fatalf("%d racers built, want %d", len(built), len(want))
	}
	for i, b := range built {
		w := want[i]
		if b.Name != w.name || b.Job.Optimizer.Name != w.opt || b.Job.Optimizer.LR != w.lr || b.Job.LogEvery != 5 ||
			b.Job.Problem != "himmelblau" || b.Job.Steps != 100 || b.Start != nil || b.Data != nil {
			t.Errorf("racer %d: %q %s lr %g every %d on %s for %d steps; want %q %s lr %g every 5 on himmelblau for 100 steps",
				i, b.Name, b.Job.Optimizer.Name, b.Job.Optimizer.LR, b.Job.LogEvery, b.Job.Problem, b.Job.Steps, w.name, w.opt, w.lr)
		}
	}
	if m := built[1].Job.Optimizer; m.Get("momentum") != 0.9 || m.Get("nesterov") != 1 {
		t.Errorf("sgd's own settings: momentum %g nesterov %g, want 0.9 and 1", m.Get("momentum"), m.Get("nesterov"))
	}
}

// TestRaceRequestRefusals: each refusal is a FieldError naming its field
// first, with the racer's text (or optimizer) where it is about a racer.
func TestRaceRequestRefusals(t *testing.T) {
	minW, minH := viewer.MinPanel(2, false)
	for _, tc := range []struct {
		name   string
		edit   func(r *viewer.RaceRequest)
		racers []string
		field  string // the refusal's first field
		msg    string // its message, Go names
	}{
		{"every", func(r *viewer.RaceRequest) { r.Every = 0 }, []string{"adam"},
			"RaceRequest.Every", "viewer: RaceRequest.Every 0 must be >= 1"},
		{"no racer", nil, nil,
			"RaceRequest.Racers", "viewer: RaceRequest.Racers: give one racer or more"},
		{"CPU-only on the GPU", func(r *viewer.RaceRequest) { r.Job.Device = "gpu" }, []string{"adam", "gonum-lbfgs"},
			"RacerSpec.Text", `viewer: RacerSpec.Text "gonum-lbfgs": gonum-lbfgs is a CPU-only gonum method: it races with JobRequest.Device cpu`},
		{"CPU-only on the GPU, by name", func(r *viewer.RaceRequest) {
			r.Job.Device = "gpu"
			r.Racers = []viewer.RacerSpec{{Optimizer: "gonum-bfgs"}}
		}, nil,
			"Optimizer.Name", `viewer: Optimizer.Name gonum-bfgs: gonum-bfgs is a CPU-only gonum method: it races with JobRequest.Device cpu`},
		{"setting not taken", nil, []string{"sgd beta1=0.9"},
			"RacerSpec.Text", `viewer: RacerSpec.Text "sgd beta1=0.9": sgd does not take beta1 (it takes Optimizer.lr, Optimizer.momentum, Optimizer.dampening, Optimizer.weight-decay, Optimizer.nesterov, Optimizer.maximize)`},
		{"out of range", nil, []string{"sgd momentum=-1"},
			"RacerSpec.Text", `viewer: RacerSpec.Text "sgd momentum=-1": gdgpu: invalid job: Optimizer.momentum -1 is out of range [0, +Inf)`},
		{"twice", nil, []string{"adam lr=0.1", "sgd", "adam --lr=0.10"},
			"RacerSpec.Text", `viewer: RacerSpec.Text "adam --lr=0.10": the racer "adam lr 0.1" is given twice`},
		{"twice by name", func(r *viewer.RaceRequest) {
			r.Racers = []viewer.RacerSpec{{Optimizer: "adam"}, {Optimizer: "adam", Settings: []viewer.Setting{{"lr", 0.001}}}}
		}, nil,
			"Optimizer.Name", `viewer: Optimizer.Name adam: the racer "adam lr 0.001" is given twice`},
		{"twice in another order", nil, []string{"adam beta1=0.8 beta2=0.9", "adam beta2=0.9 beta1=0.8"},
			"RacerSpec.Text", `viewer: RacerSpec.Text "adam beta2=0.9 beta1=0.8": the racer "adam beta2=0.9 beta1=0.8 lr 0.001" is given twice`},
		{"twice with a default given", nil, []string{"sgd momentum=0", "sgd"},
			"RacerSpec.Text", `viewer: RacerSpec.Text "sgd": the racer "sgd lr 0.001" is given twice`},
		{"one parameter", func(r *viewer.RaceRequest) {
			r.Job.Problem, r.Job.Dim, r.Job.Given = "quadratic", 1, func(f string) bool { return f == "Job.Dim" }
		}, []string{"adam"},
			"Job.Dim", "viewer: view draws problems of two parameters or more; quadratic has Job.Dim 1"},
		{"panel too small", func(r *viewer.RaceRequest) { r.Width, r.Height = 64, 64 }, []string{"adam", "sgd"},
			"RaceRequest.Width", fmt.Sprintf("viewer: RaceRequest.Width 64x64: with 2 optimizers each panel must be at least %dx%d", minW, minH)},
		{"bounds projected", func(r *viewer.RaceRequest) {
			r.Job.Problem, r.Job.Dim, r.Job.Given = "rosenbrock", 3, func(f string) bool { return f == "Job.Dim" }
			r.Bounds = []float64{0, 1, 0, 1}
		}, []string{"adam"},
			"RaceRequest.Bounds", "viewer: RaceRequest.Bounds: rosenbrock has 3 parameters; it is drawn projected, without a landscape"},
		{"too many values", func(r *viewer.RaceRequest) {
			r.Job.Problem, r.Job.Dim, r.Job.Given = "rosenbrock", 1000, func(f string) bool { return f == "Job.Dim" }
			r.Job.Steps, r.Every = 100000, 1
		}, []string{"adam", "sgd"},
			"RaceRequest.Every", "viewer: view keeps every sampled point of an N-D trajectory: 1000 parameters x 100002 points x 2 optimizers is over 16777216 values; raise RaceRequest.Every, or lower Job.Dim or Job.Steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := raceRequest(t, tc.racers...)
			if tc.edit != nil {
				tc.edit(&r)
			}
			_, err := r.Build()
			var fe *gdgpu.FieldError
			if err == nil || !errors.As(err, &fe) {
				t.Fatalf("Build: %v, want a FieldError", err)
			}
			if fe.Fields[0] != tc.field || err.Error() != tc.msg {
				t.Errorf("Build: %v naming %v\nwant %s naming %s first", err, fe.Fields, tc.msg, tc.field)
			}
		})
	}
}

// TestRaceRequestSharedRefusals: a refusal of the shared request is
// JobRequest.Build's own, and an invalid racer's wraps ErrInvalidJob.
func TestRaceRequestSharedRefusals(t *testing.T) {
	r := raceRequest(t, "adam")
	r.Job.Problem = "nosuch"
	if _, err := r.Build(); err == nil || !strings.HasPrefix(err.Error(), `gdgpu: Job.Problem "nosuch" is unknown`) {
		t.Errorf("an unknown problem: %v, want JobRequest.Build's refusal", err)
	}
	r = raceRequest(t, "adam lr=-1")
	if _, err := r.Build(); !errors.Is(err, gdgpu.ErrInvalidJob) {
		t.Errorf("lr -1: %v, want ErrInvalidJob", err)
	}
}

// TestRacerSettingRefusalAsBuild: a racer's setting its optimizer does not
// take is refused naming what it takes as JobRequest.Build refuses the
// hyperparameter, for every optimizer (one with none included).
func TestRacerSettingRefusalAsBuild(t *testing.T) {
	for _, name := range gdgpu.OptimizerNames() {
		r := raceRequest(t, name+" nosuch=1")
		_, raceErr := r.Build()
		req := gdgpu.NewJobRequest()
		req.Problem, req.Device, req.Optimizer, req.Hyper = "himmelblau", "cpu", name, map[string]float64{"nosuch": 1}
		_, buildErr := req.Build()
		if raceErr == nil || buildErr == nil {
			t.Fatalf("%s: race %v, Build %v: want both refused", name, raceErr, buildErr)
		}
		tail := func(err error) string { return err.Error()[strings.LastIndex(err.Error(), " ("):] }
		if got, want := tail(raceErr), tail(buildErr); got != want || !strings.HasPrefix(want, " (it takes ") {
			t.Errorf("%s: the racer's refusal ends %q, Build's %q", name, got, want)
		}
	}
}
