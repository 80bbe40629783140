package main

import (
	"context"
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
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// viewFlags are view's own flags, beside the job flags.
type viewFlags struct {
	png    string
	every  int
	bounds string
	size   string
}

func newViewCmd(stdout, stderr io.Writer) *cobra.Command {
	var f *jobFlags
	v := &viewFlags{}
	cmd := &cobra.Command{
		Use:   "view --png FILE [flags]",
		Short: "draw a 2-D problem's landscape with descent paths into a PNG",
		Long: `Run one or more descents on a two-parameter problem (a 2-D function, or an
N-D one with --dim 2) and draw the landscape seen from above, coloured by
log(f - fmin) with viridis, with each trajectory and a legend, into a PNG.
--optimizer a,b,c races several optimizers from the same start, each on
its own backend and in its own colour. The trajectory is sampled every
--every steps; the landscape is evaluated on the GPU (ackley and griewank
on the CPU) over --bounds, or the trajectories' extent plus a margin.

Only --png is built: the live window is not.`,
		Example: `  gdgpu view --problem himmelblau --optimizer adam,sgd,rmsprop --lr 0.02 --steps 500 --png view.png`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runView(cmd, f, v, stdout)
		},
	}
	f = addJobFlags(cmd)
	fs := cmd.Flags()
	fs.StringVar(&v.png, "png", "", "write the picture to this PNG file (required: the live window is not built yet)")
	fs.IntVar(&v.every, "every", 5, "sample the trajectory every K steps")
	fs.StringVar(&v.bounds, "bounds", "", "landscape box x0,x1,y0,y1 (default: the trajectories' extent plus a margin)")
	fs.StringVar(&v.size, "size", "800x600", "image size WxH in pixels")
	return cmd
}

// race is one optimizer's run in a view.
type race struct {
	name   string
	lr     float64
	points [][2]float64
	res    gdgpu.Result
}

func runView(cmd *cobra.Command, f *jobFlags, v *viewFlags, stdout io.Writer) error {
	if v.png == "" {
		return usagef("the live window is not built yet; use --png FILE")
	}
	if v.every < 1 {
		return usagef("--every %d must be >= 1", v.every)
	}
	w, h, err := parseSize(v.size)
	if err != nil {
		return err
	}
	var box []float64
	if v.bounds != "" {
		if box, err = parseBounds(v.bounds); err != nil {
			return err
		}
	}
	if dir := filepath.Dir(v.png); dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("--png %s: folder %s does not exist", v.png, dir)
		}
	}
	// One setup per optimizer: build validates each with the same flags.
	names := strings.Split(f.optimizer, ",")
	seen := map[string]bool{}
	var setups []*setup
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			return usagef("--optimizer %q: give distinct optimizer names separated by commas", f.optimizer)
		}
		seen[name] = true
		f.optimizer = name
		s, err := f.build(cmd)
		f.optimizer = strings.Join(names, ",")
		if err != nil {
			return err
		}
		if info, _ := gdgpu.LookupOptimizer(s.job.Optimizer.Name); info.CPUOnly {
			return usagef("--optimizer %s: view races the step-based optimizers only", name)
		}
		if s.job.Dim != 2 {
			return usagef("view draws two-parameter problems only; %s has --dim %d (give --dim 2 for an N-D problem)", s.job.Problem, s.job.Dim)
		}
		setups = append(setups, s)
	}
	if f.out != "" || f.log != "" {
		return usagef("view writes no --out or --log; it writes --png")
	}

	var ec *engine.Context
	if setups[0].device == "gpu" {
		if ec, err = openGL(setups[0].gpu); err != nil {
			return err
		}
		defer ec.Close()
	}
	x0 := setups[0].start()
	var races []race
	for _, s := range setups {
		s.x0 = x0
		r, err := runRace(cmd.Context(), s, ec)
		if err != nil {
			return err
		}
		races = append(races, r)
	}

	if box == nil {
		box = extent(races)
	}
	job := &setups[0].job
	land := make([]float64, w*h)
	where := "cpu/f64"
	if ec != nil {
		err = ec.Landscape(job, box[0], box[1], box[2], box[3], w, h, land)
		where = "gpu/" + job.Precision.String()
	}
	if ec == nil || errors.Is(err, engine.ErrLandscapePrepass) {
		err, where = nil, "cpu/f64"
		cpuLandscape(job, box, w, h, land)
	}
	if err != nil {
		return failure(err)
	}
	paths := make([]viewer.Path, len(races))
	for k, r := range races {
		label := fmt.Sprintf("%s lr %g: f %.4g (%s)", r.name, r.lr, r.res.Final.Loss, r.res.Status)
		paths[k] = viewer.Path{Points: r.points, Color: viewer.Palette[k%len(viewer.Palette)], Label: label}
	}
	if err := viewer.RenderPNG(v.png, land, w, h, box[0], box[1], box[2], box[3], paths); err != nil {
		return failure(err)
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p.Label)
	}
	fmt.Fprintf(stdout, "wrote %s: %dx%d, %s on [%g, %g] x [%g, %g], landscape on %s\n",
		v.png, w, h, job.Problem, box[0], box[1], box[2], box[3], where)
	return nil
}

// runRace runs s's job on its own backend (ec's, or the CPU's when ec is
// nil), recording the parameters at the start, every --every steps (the
// log points: the driver's batches end there) and at the end.
func runRace(ctx context.Context, s *setup, ec *engine.Context) (race, error) {
	r := race{name: s.job.Optimizer.Name, lr: s.job.Optimizer.LR}
	d, err := newDevice(s.device, &s.job, s.gpu, ec)
	if err != nil {
		return r, err
	}
	defer d.close()
	every := s.job.LogEvery
	s.job.LogEvery = max(1, every)
	p := make([]float64, 2)
	add := func() error {
		if err := d.b.Params(p); err != nil {
			return err
		}
		r.points = append(r.points, [2]float64{p[0], p[1]})
		return nil
	}
	r.points = append(r.points, [2]float64{s.x0[0], s.x0[1]})
	var hookErr error
	last := 0
	hooks := gdgpu.Hooks{Issued: func(done int) {
		if hookErr == nil && done%s.job.LogEvery == 0 && done > last {
			last = done
			hookErr = add()
		}
	}}
	res, err := gdgpu.Run(ctx, &s.job, d.b, s.x0, hooks)
	if err == nil {
		err = hookErr
	}
	if err != nil {
		return r, failure(err)
	}
	if res.StatusStep != last {
		if err := add(); err != nil {
			return r, failure(err)
		}
	}
	r.res = res
	return r, nil
}

// extent is the box around every finite trajectory point with a 15% margin
// on each side (at least 0.5 wide).
func extent(races []race) []float64 {
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, r := range races {
		for _, p := range r.points {
			if math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.IsInf(p[0], 0) || math.IsInf(p[1], 0) {
				continue
			}
			for i := range p {
				lo[i], hi[i] = math.Min(lo[i], p[i]), math.Max(hi[i], p[i])
			}
		}
	}
	box := make([]float64, 4)
	for i := range lo {
		span := math.Max(hi[i]-lo[i], 0.5)
		mid := (lo[i] + hi[i]) / 2
		box[2*i], box[2*i+1] = mid-0.65*span, mid+0.65*span
	}
	return box
}

// cpuLandscape fills land with cpu.Loss on the grid Landscape uses.
func cpuLandscape(job *gdgpu.Job, box []float64, w, h int, land []float64) {
	dx, dy := (box[1]-box[0])/float64(w-1), (box[3]-box[2])/float64(h-1)
	x := make([]float64, 2)
	for py := 0; py < h; py++ {
		for px := 0; px < w; px++ {
			x[0], x[1] = box[0]+float64(px)*dx, box[2]+float64(py)*dy
			land[py*w+px] = cpu.Loss(job, x)
		}
	}
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
	return v, nil
}
