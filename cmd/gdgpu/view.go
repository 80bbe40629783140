package main

import (
	"errors"
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

func runView(cmd *cobra.Command, f *jobFlags, v *viewFlags, stdout io.Writer) error {
	// First of all flags, as before the races moved into package viewer
	// (whose RaceRequest.Build checks it again, after the others).
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
	req, err := f.request(cmd)
	if err != nil {
		return err
	}
	if f.gpu < 0 {
		return usagef("--gpu %d must be >= 0", f.gpu)
	}
	rr := viewer.RaceRequest{Job: req, Racers: specs, Every: v.every, Width: w, Height: h, Bounds: box}
	built, err := rr.Build()
	if err != nil {
		return viewUsage(err, v)
	}
	if err := f.checkOutputs(); err != nil {
		return err
	}
	if f.out != "" || f.log != "" {
		return usagef("view writes no --out or --log; it writes --png, --frames or a window")
	}
	if afterLoad != nil {
		afterLoad()
	}
	racers := window.NewRacers(built, f.device == "cpu")
	if v.png == "" && v.frames == "" {
		return runWindow(cmd, racers, built[0].Start, v, box, w, h, stdout)
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

	// --init's values, or the job's start point.
	start := built[0].Start
	if start == nil {
		start = built[0].Job.StartPoint()
	}
	theme, _ := viewTheme(v.theme, false) // checked above
	pic, err := window.RunPicture(cmd.Context(), racers, window.PictureOptions{
		Width: w, Height: h, Theme: theme, Bounds: box,
		Start:   start,
		GL:      glOptions(f.gpu),
		Started: func() { graceful.Store(true) }, // the races stop at a step boundary and the picture is drawn
	})
	if err != nil {
		return raceError(err, racers)
	}
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
	for _, r := range pic.Races {
		fmt.Fprintln(stdout, r.Label())
	}
	if v.png != "" {
		fmt.Fprintf(stdout, "wrote %s: %dx%d, %s\n", v.png, 2*w, h, pic.Scene.Where(fieldFlag))
	}
	if v.frames != "" {
		fmt.Fprintf(stdout, "wrote %d frames to %s: frame-00000.png ... frame-%05d.png, one per %d steps\n", nframes, v.frames, nframes-1, v.every)
	}
	for _, r := range pic.Races {
		if r.Result.Status == gdgpu.Interrupted {
			return exitCode(exitInterrupted) // the picture shows the races so far; the stop is still a stop
		}
	}
	return nil
}

// viewUsage is the usage error for a refusal of package viewer's, in
// flags.
func viewUsage(err error, v *viewFlags) error {
	msg := inFlags(err, fieldFlag)
	// The panels' minimum quotes --size as typed (640X480 too): the
	// library writes the numbers it read.
	if fe := (*gdgpu.FieldError)(nil); errors.As(err, &fe) && len(fe.Fields) > 0 && fe.Fields[0] == "RaceRequest.Width" {
		if rest, ok := strings.CutPrefix(msg, "viewer: --size "); ok {
			if _, tail, ok := strings.Cut(rest, ":"); ok {
				msg = "viewer: --size " + v.size + ":" + tail
			}
		}
	}
	// The library's package prefix, or cpu.CheckMinimize's: the command
	// line's message has its own.
	msg = strings.TrimPrefix(msg, "viewer: ")
	return usagef("%s", strings.TrimPrefix(msg, "cpu: "))
}

// raceSpecs reads --race, or the --optimizer list.
func raceSpecs(cmd *cobra.Command, f *jobFlags, v *viewFlags) ([]viewer.RacerSpec, error) {
	if len(v.races) == 0 {
		specs, err := viewer.ParseRacers(f.optimizer)
		if err != nil {
			return nil, viewUsage(err, v)
		}
		return specs, nil
	}
	if cmd.Flags().Changed("optimizer") {
		return nil, usagef("--race and --optimizer both name the racers; give --race per racer")
	}
	specs := make([]viewer.RacerSpec, len(v.races))
	for i, r := range v.races {
		rs, err := viewer.ParseRacer(r)
		if err != nil {
			return nil, viewUsage(err, v)
		}
		specs[i] = rs
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
