package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/viewer"
	"github.com/gdgpu/gdgpu/viewer/window"
)

// viewFlags are view's own flags, beside the job flags.
type viewFlags struct {
	races  []string // --race specs: "OPTIMIZER key=value ..."
	png    string
	frames string
	every  int
	bounds string
	size   string
	theme  string // "", light or dark
}

func newViewCmd(stdout, stderr io.Writer) *cobra.Command {
	var f *jobFlags
	v := &viewFlags{}
	cmd := &cobra.Command{
		Use:   "view [--png FILE] [--frames DIR] [flags]",
		Short: "draw descents: landscape or projected path, and loss curves, into a PNG, PNG frames, or a live window",
		Long: `Run one or more descents from the same start and draw them: on the left
the landscape of a two-parameter problem (a 2-D function, or an N-D one
with --dim 2) seen from above, coloured by log(f - fmin) with viridis,
with each trajectory; for more parameters, and for models on data, the
trajectories projected on their first two principal directions. On the right, the loss and the
gradient norm against the step on log scales, with a status line per
optimizer (step, loss, lr, steps/s, status).
--optimizer a,b,c races several optimizers, each on its own backend and in
its own colour, with the same flags. --race 'OPTIMIZER key=value ...', given
once per racer instead, gives each its own hyperparameters: --race 'adam
lr=0.1' --race 'sgd lr=0.01 momentum=0.9' (the keys are the optimizer's
flags without dashes; other flags apply to every racer). gonum's CPU-only
methods (gonum-lbfgs, gonum-bfgs, gonum-cg, gonum-gd) race with --device cpu. Parameters, loss and gradient norm are sampled every
--every steps (--log-every does not apply). The landscape is evaluated on the
GPU (ackley and griewank on the CPU) over --bounds, or the trajectories'
extent plus a margin. --size is each panel's size: the picture is twice
as wide.

--png FILE writes the final picture; --frames DIR writes one picture per
--every steps, frame-00000.png, frame-00001.png, ... (drawn once the runs
end, so that every frame has the same bounds). Without either, view opens
a live window, in a binary built with it (make view: bin/gdgpu-view).
--theme light|dark picks the panels' colours: light (white plots, dark
text) is the default for --png and --frames, dark for the window.`,
		Example: `  gdgpu view --problem himmelblau --optimizer adam,sgd,rmsprop --lr 0.02 --steps 500 --png view.png
  gdgpu view --problem rosenbrock --dim 50 --optimizer adam,sgd --lr 1e-3 --steps 2000 --every 20 --png nd.png
  gdgpu view --problem beale --optimizer adam --lr 0.05 --steps 400 --frames frames --every 10
  gdgpu view --problem himmelblau --race 'adam lr=0.1' --race 'sgd lr=0.01 momentum=0.9' --race 'adam lr=0.01' --png race.png
  gdgpu view --problem rosenbrock --dim 2 --device cpu --race gonum-lbfgs --race 'adam lr=0.02' --steps 300 --png r.png`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runView(cmd, f, v, stdout)
		},
	}
	f = addJobFlags(cmd)
	fs := cmd.Flags()
	// view writes pictures and samples every --every steps: the job
	// flags for outputs and the log cadence do not apply, so --help does
	// not list them (given anyway, they are refused).
	for _, name := range []string{"out", "log", "log-every"} {
		_ = fs.MarkHidden(name)
	}
	fs.StringArrayVar(&v.races, "race", nil, "a racer with its own settings, 'OPTIMIZER key=value ...' (keys: its flags without dashes, e.g. 'sgd lr=0.01 momentum=0.9'); repeat per racer, instead of --optimizer")
	fs.StringVar(&v.png, "png", "", "write the final picture to this PNG file")
	fs.StringVar(&v.frames, "frames", "", "write a PNG frame every --every steps into this folder (created if missing)")
	fs.IntVar(&v.every, "every", 5, "sample the trajectory and the loss every K steps (and write a frame)")
	fs.StringVar(&v.bounds, "bounds", "", "landscape box x0,x1,y0,y1 (default: the trajectories' extent plus a margin)")
	fs.StringVar(&v.theme, "theme", "", "the panels' colours, light or dark (default light for --png and --frames, dark for the window)")
	fs.StringVar(&v.size, "size", "640x480", "each panel's size WxH in pixels (the picture is 2W x H; at least 208 wide and 149 high, more with more optimizers or a projection)")
	return cmd
}

// maxViewValues caps the parameter values an N-D view keeps (every point
// of every trajectory, for the projection): 2^24 float64s, 128 MiB.
const maxViewValues = 1 << 24

func runView(cmd *cobra.Command, f *jobFlags, v *viewFlags, stdout io.Writer) error {
	if v.every < 1 {
		return usagef("--every %d must be >= 1", v.every)
	}
	if cmd.Flags().Changed("log-every") {
		return usagef("view samples every --every steps; --log-every does not apply")
	}
	w, h, err := parseSize(v.size)
	if err != nil {
		return err
	}
	if _, err := viewTheme(v.theme, false); err != nil {
		return err
	}
	var box []float64
	if v.bounds != "" {
		if box, err = parseBounds(v.bounds); err != nil {
			return err
		}
	}
	specs, err := raceSpecs(cmd, f, v)
	if err != nil {
		return err
	}
	// One setup per racer: build validates each with the same flags, then
	// the racer's own settings apply.
	seen := map[string]bool{}
	var setups []*setup
	for _, rs := range specs {
		if info, ok := gdgpu.LookupOptimizer(rs.name); ok && info.CPUOnly && f.device != "cpu" {
			return usagef("%s: %s is a CPU-only gonum method: it races with --device cpu", rs.flag, rs.name)
		}
		all := f.optimizer
		f.optimizer = rs.name
		s, err := f.build(cmd)
		f.optimizer = all
		if err != nil {
			return err
		}
		desc := rs.name
		for _, kv := range rs.set {
			if !s.job.Optimizer.Takes(kv.key) {
				return usagef("%s: %s does not take %s (it takes %s)", rs.flag, rs.name, kv.key, takes(rs.name))
			}
			s.job.Optimizer.Set(kv.key, kv.val)
			if kv.key != "lr" {
				desc += " " + kv.key + "=" + strconv.FormatFloat(kv.val, 'g', -1, 64)
			}
		}
		if err := s.job.Validate(); err != nil {
			return usagef("%s: %s", rs.flag, strings.TrimPrefix(inFlags(err, fieldFlag), "gdgpu: "))
		}
		if key := fmt.Sprintf("%s lr %g", desc, s.job.Optimizer.LR); seen[key] {
			return usagef("%s: the racer %q is given twice", rs.flag, key)
		} else {
			seen[key] = true
		}
		if s.job.Dim < 2 {
			return usagef("view draws problems of two parameters or more; %s has --dim %d", s.job.Problem, s.job.Dim)
		}
		s.job.LogEvery = v.every
		s.raceName = desc
		setups = append(setups, s)
	}
	if f.out != "" || f.log != "" {
		return usagef("view writes no --out or --log; it writes --png, --frames or a window")
	}
	job := &setups[0].job
	if mw, mh := viewer.MinPanel(len(setups), viewer.Projected(job)); w < mw || h < mh {
		return usagef("--size %s: with %d optimizers each panel must be at least %dx%d", v.size, len(setups), mw, mh)
	}
	if viewer.Projected(job) {
		if box != nil {
			return usagef("--bounds: %s has %d parameters; it is drawn projected, without a landscape", job.Problem, job.Dim)
		}
		points := int64(job.Steps/v.every + 2)
		if total := int64(job.Dim) * points * int64(len(setups)); total > maxViewValues {
			return usagef("view keeps every sampled point of an N-D trajectory: %d parameters x %d points x %d optimizers is over %d values; raise --every, or lower --dim or --steps",
				job.Dim, points, len(setups), maxViewValues)
		}
	}
	if v.png == "" && v.frames == "" {
		return runWindow(cmd, setups, v, box, w, h, stdout)
	}
	if v.frames != "" {
		if err := os.MkdirAll(v.frames, 0o755); err != nil {
			return usagef("--frames %s: cannot create the folder: %v", v.frames, err)
		}
	}
	// After --frames' folder is made: --png may go into it.
	if v.png != "" {
		dir := filepath.Dir(v.png)
		if st, err := os.Stat(dir); err != nil {
			return usagef("--png %s: folder %s does not exist", v.png, dir)
		} else if !st.IsDir() {
			return usagef("--png %s: %s is not a folder", v.png, dir)
		}
		if st, err := os.Stat(v.png); err == nil && st.IsDir() {
			return usagef("--png %s is a folder; give a file name", v.png)
		}
	}

	theme, _ := viewTheme(v.theme, false) // checked above
	pic, err := window.RunPicture(cmd.Context(), racers(setups), window.PictureOptions{
		Width: w, Height: h, Theme: theme, Bounds: box,
		Start:   setups[0].start(), // --init's values, or the job's start point
		GL:      glOptions(setups[0].gpu),
		Started: func() { graceful.Store(true) }, // the races stop at a step boundary and the picture is drawn
	})
	if err != nil {
		return raceError(err, setups)
	}
	sc, races := pic.Scene, pic.Races
	nframes := 0
	if v.frames != "" {
		if nframes, err = pic.WriteFrames(v.frames, v.every); err != nil {
			return failure(err)
		}
	}
	if v.png != "" {
		if err := pic.WritePNG(v.png); err != nil {
			return failure(err)
		}
	}
	for _, r := range races {
		fmt.Fprintln(stdout, r.Label())
	}
	if v.png != "" {
		fmt.Fprintf(stdout, "wrote %s: %dx%d, %s\n", v.png, 2*w, h, sceneWhere(job, sc))
	}
	if v.frames != "" {
		fmt.Fprintf(stdout, "wrote %d frames to %s: frame-00000.png ... frame-%05d.png, one per %d steps\n", nframes, v.frames, nframes-1, v.every)
	}
	for _, r := range races {
		if r.Result.Status == gdgpu.Interrupted {
			return exitCode(exitInterrupted) // the picture shows the races so far; the stop is still a stop
		}
	}
	return nil
}

// raceSpec is one racer: an optimizer and its own settings.
type raceSpec struct {
	flag string // how the racer was given, for messages
	name string
	set  []struct {
		key string
		val float64
	}
}

// raceSpecs reads --race, or the --optimizer list.
func raceSpecs(cmd *cobra.Command, f *jobFlags, v *viewFlags) ([]raceSpec, error) {
	if len(v.races) == 0 {
		var specs []raceSpec
		seen := map[string]bool{}
		for _, name := range strings.Split(f.optimizer, ",") {
			name = strings.TrimSpace(name)
			if name == "" || seen[name] {
				return nil, usagef("--optimizer %q: give distinct optimizer names separated by commas", f.optimizer)
			}
			seen[name] = true
			specs = append(specs, raceSpec{flag: "--optimizer " + name, name: name})
		}
		return specs, nil
	}
	if cmd.Flags().Changed("optimizer") {
		return nil, usagef("--race and --optimizer both name the racers; give --race per racer")
	}
	var specs []raceSpec
	for _, r := range v.races {
		fields := strings.Fields(r)
		flag := fmt.Sprintf("--race %q", r)
		if len(fields) == 0 {
			return nil, usagef("%s: give an optimizer, then key=value settings", flag)
		}
		rs := raceSpec{flag: flag, name: fields[0]}
		if _, ok := gdgpu.LookupOptimizer(rs.name); !ok {
			return nil, usagef("%s: optimizer %q is unknown (%s)", flag, rs.name, gdgpu.KnownOptimizers(rs.name))
		}
		keys := map[string]bool{}
		for _, kv := range fields[1:] {
			key, val, ok := strings.Cut(kv, "=")
			if !ok || key == "" {
				return nil, usagef("%s: %q is not key=value", flag, kv)
			}
			key = strings.TrimPrefix(key, "--")
			if keys[key] {
				return nil, usagef("%s: %s is given twice", flag, key)
			}
			keys[key] = true
			x, err := strconv.ParseFloat(val, 64)
			if b, berr := strconv.ParseBool(val); berr == nil {
				x, err = map[bool]float64{true: 1, false: 0}[b], nil
			}
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, usagef("%s: %s=%s is not a finite number (or true/false)", flag, key, val)
			}
			rs.set = append(rs.set, struct {
				key string
				val float64
			}{key, x})
		}
		specs = append(specs, rs)
	}
	return specs, nil
}

func parseSize(s string) (int, int, error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || w < 64 || h < 64 || w > 8192 || h > 8192 {
		return 0, 0, usagef("--size %q: want WxH with each side in [64, 8192], e.g. 800x600", s)
	}
	return w, h, nil
}

func parseBounds(s string) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, usagef("--bounds %q: want x0,x1,y0,y1", s)
	}
	v := make([]float64, 4)
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, usagef("--bounds %q: %q is not a finite number", s, p)
		}
		v[i] = x
	}
	if !(v[1] > v[0]) || !(v[3] > v[2]) {
		return nil, usagef("--bounds %q: want x0 < x1 and y0 < y1", s)
	}
	if math.IsInf(v[1]-v[0], 0) || math.IsInf(v[3]-v[2], 0) {
		return nil, usagef("--bounds %q: the box's width and height must be finite numbers", s)
	}
	return v, nil
}

// viewTheme is the theme --theme names: light or dark, and when it is
// not given, dark for the window and light for pictures written to files
// (they are read on pages, which are white).
func viewTheme(name string, window bool) (viewer.Theme, error) {
	switch name {
	case "light":
		return viewer.Light, nil
	case "dark":
		return viewer.Dark, nil
	case "":
		if window {
			return viewer.Dark, nil
		}
		return viewer.Light, nil
	}
	return viewer.Theme{}, usagef("--theme %q: want light or dark", name)
}
