package window

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// PictureOptions set up RunPicture. The zero value of each field is its
// default.
type PictureOptions struct {
	// Width and Height are each panel's size in pixels: the picture is
	// 2*Width x Height. Default 640 x 480.
	Width, Height int
	// Theme colours the panels; the zero Theme is viewer.Light (pictures
	// are read on pages, which are white).
	Theme viewer.Theme
	// Bounds is the landscape's box x0, x1, y0, y1; nil: the
	// trajectories' extent plus a margin.
	Bounds []float64
	// Start is every race's start point; nil: the first racer's
	// Job.StartPoint().
	Start []float64
	// GL opens the GL context the GPU racers run on, which also
	// evaluates the landscape when the first racer is one of them.
	GL engine.Options
	// Started, when set, is called once the GL context is open and the
	// races are about to start: from then on, cancelling RunPicture's
	// context stops the race running at its next step boundary, and the
	// picture shows the races so far.
	Started func()
}

// Picture is a race that has ended, drawn as gdgpu view --png and --frames
// draw it: every race ran to its end from the same start, and the scene's
// box (or projection) holds their whole trajectories.
type Picture struct {
	// Races are the racers' recorded runs, in their order.
	Races []*viewer.Race
	// Scene draws the picture at any step (Scene.Render).
	Scene *viewer.Scene
	// Last is the last step a race reached: Scene.Render(Last) is the
	// final picture.
	Last int
}

// check refuses options no picture can use; zero fields take their
// defaults later.
func (o *PictureOptions) check(racers []Racer) error {
	if len(racers) == 0 {
		return errors.New("window: no racers")
	}
	if o.Width < 0 || o.Height < 0 {
		return gdgpu.FieldErrorf("panel size {PictureOptions.Width} x {PictureOptions.Height} %dx%d: want positive sides", o.Width, o.Height).In("window")
	}
	if b := o.Bounds; b != nil && (len(b) != 4 || !(b[1] > b[0]) || !(b[3] > b[2])) {
		return gdgpu.FieldErrorf("{PictureOptions.Bounds} %v: want x0 < x1 and y0 < y1", b).In("window")
	}
	return nil
}

// RunPicture runs the racers one after the other, each on its own backend
// (device.OpenOn: the CPU's, or the GPU's on one GL context opened with
// o.GL when a racer runs there), and prepares their picture: no window
// and no display are needed. Its errors: the options' refusal, the GL
// context's (engine.Open), a *RaceError when a race cannot be opened (a
// job too big for its device matches cpu.ErrTooBig or engine.ErrTooBig)
// or fails, and the scene's.
func RunPicture(ctx context.Context, racers []Racer, o PictureOptions) (*Picture, error) {
	if err := o.check(racers); err != nil {
		return nil, err
	}
	w, h, theme := panel(o.Width, o.Height, o.Theme, viewer.Light)
	var ec *engine.Context
	for _, r := range racers {
		if !r.CPU {
			var err error
			if ec, err = engine.Open(o.GL); err != nil {
				return nil, err
			}
			defer ec.Close()
			break
		}
	}
	job := &racers[0].Job
	x0 := o.Start
	if x0 == nil {
		x0 = job.StartPoint()
	}
	if o.Started != nil {
		o.Started()
	}
	p := &Picture{Races: make([]*viewer.Race, len(racers))}
	for k := range racers {
		p.Races[k] = viewer.NewRace(&racers[k].Job, racers[k].Name, x0)
		if err := runRace(ctx, &racers[k], ec, p.Races[k]); err != nil {
			return nil, &RaceError{Race: k, Err: err}
		}
		p.Last = max(p.Last, p.Races[k].Result.StatusStep)
	}
	var err error
	if p.Scene, err = viewer.NewScene(job, p.Races, o.Bounds, w, h, theme, Landscape(job, landscapeEngine(&racers[0], ec))); err != nil {
		return nil, err
	}
	return p, nil
}

// runRace runs r's job into race on its own backend: the CPU's, or one on
// ec.
func runRace(ctx context.Context, r *Racer, ec *engine.Context, race *viewer.Race) error {
	if r.CPU {
		ec = nil // device.OpenOn: the CPU backend
	}
	job := r.Job // a copy: the racer stays as given
	d, err := device.OpenOn(ec, &job)
	if err != nil {
		return err
	}
	defer d.Close()
	_, err = race.Run(ctx, &job, d.Backend, viewer.RaceHooks{})
	return err
}

// WritePNG writes the final picture to path.
func (p *Picture) WritePNG(path string) error {
	img, err := p.Scene.Render(p.Last)
	if err != nil {
		return err
	}
	return viewer.WritePNG(path, img)
}

// WriteFrames writes one picture per every steps into dir, which must
// exist: frame j, dir/frame-0000j.png, shows everything up to step
// j*every, and the last one the whole races (WritePNG's picture). It
// returns how many it wrote.
func (p *Picture) WriteFrames(dir string, every int) (int, error) {
	if every < 1 {
		return 0, gdgpu.FieldErrorf("{WriteFrames.every} %d must be >= 1", every).In("window")
	}
	n := 0
	for j := 0; ; j++ {
		upto := min(j*every, p.Last)
		img, err := p.Scene.Render(upto)
		if err != nil {
			return n, err
		}
		if err := viewer.WritePNG(filepath.Join(dir, fmt.Sprintf("frame-%05d.png", j)), img); err != nil {
			return n, err
		}
		n++
		if upto == p.Last {
			return n, nil
		}
	}
}
