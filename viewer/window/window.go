// Package window is gdgpu's live view: a GLFW window that races
// optimizers, each in its own gdgpu.Run driver loop, and draws them as
// package viewer draws a picture (the landscape or projection beside the
// loss curves), frame by frame while they run.
//
// The window needs GLFW, which links X11, so Run opens it only in a binary
// built with -tags window (with egl: -tags egl,window); without the tag Run
// returns ErrNotBuilt, and the binary needs no X11. One GL context does
// both jobs: GLFW makes the window with an EGL context, engine.AdoptCurrent
// takes it over, the GPU races step on it and an engine.Screen draws the
// picture with it.
//
// RunPicture runs the same races without a window, for the picture gdgpu
// view writes to files (Picture.WritePNG, Picture.WriteFrames); it needs
// neither the tag nor a display.
//
// Keys: space pauses and resumes; + and - double and halve the steps per
// frame; r restarts every race from the start; s saves the picture as
// gdgpu-view-NNN.png in Options.SaveDir; q, Esc or closing the window
// ends Run, as cancelling its context does.
package window

import (
	"errors"
	"fmt"
	"image"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/cpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// Racer is one optimizer's run the window races.
type Racer struct {
	// Job is the run, validated (Job.Validate); its LogEvery is how often
	// the race's parameters and samples are recorded and drawn. Each start
	// (and each restart, r) runs a copy of it.
	Job gdgpu.Job
	// Name is the race's legend name; "" names it by its optimizer.
	Name string
	// CPU runs the race on the CPU backend in float64 (cpu.Open) rather
	// than on the window's GL context. The first racer's CPU also decides
	// where the landscape is evaluated (Landscape).
	CPU bool
}

// NewRacers are the racers viewer.RaceRequest.Build made, each named by
// its optimizer and own settings, on the CPU backend when cpu is set
// (the request's JobRequest.Device "cpu").
func NewRacers(built []viewer.BuiltRacer, cpu bool) []Racer {
	rs := make([]Racer, len(built))
	for k, b := range built {
		rs[k] = Racer{Job: b.Job, Name: b.Name, CPU: cpu}
	}
	return rs
}

// Options set up the window. The zero value of each field is its default.
type Options struct {
	// Width and Height are each panel's size in pixels: the window opens
	// 2*Width x Height (in points: GLFW scales it to the monitor). A
	// resized window draws its panels at its new size. Default 640 x 480.
	Width, Height int
	// Theme colours the panels; the zero Theme is viewer.Dark.
	Theme viewer.Theme
	// Bounds is the landscape's box x0, x1, y0, y1; nil: the
	// trajectories' extent plus a margin, grown as the paths leave it.
	Bounds []float64
	// StepsPerFrame is how many steps each race takes per frame at the
	// start, and the least that - halves it to; default the first racer's
	// Job.LogEvery (the driver issues that many steps at a time, so a
	// frame cannot take fewer).
	StepsPerFrame int
	// Start is every race's start point; nil: the first racer's
	// Job.StartPoint().
	Start []float64
	// SaveDir is the folder s saves pictures in; "" is the current one.
	SaveDir string

	// Started, when set, is called once the window is open and the races
	// are about to start: from then on, cancelling Run's context ends the
	// window cleanly at its next frame.
	Started func()
	// Saved, when set, is called after s with the picture's path, or with
	// the error that kept it from being saved.
	Saved func(path string, err error)
	// Warn, when set, receives what the window works around rather than
	// fails on (a swap interval the driver refuses: drawing then goes
	// unsynchronised).
	Warn func(err error)
}

// Default panel size.
const (
	DefaultWidth  = 640
	DefaultHeight = 480
)

// panel returns the panel size w x h and the theme, with DefaultWidth,
// DefaultHeight and def for those left zero: Run's and RunPicture's
// defaults, whose themes differ (dark on a screen, light on paper).
func panel(w, h int, theme, def viewer.Theme) (int, int, viewer.Theme) {
	if w == 0 {
		w = DefaultWidth
	}
	if h == 0 {
		h = DefaultHeight
	}
	if theme == (viewer.Theme{}) {
		theme = def
	}
	return w, h, theme
}

// ErrNotBuilt is Run's error in a binary built without -tags window.
var ErrNotBuilt = errors.New("window: built without the live window (-tags window)")

// Error is a failure of the window itself, of GLFW or of its display,
// rather than of a race or the engine.
type Error struct {
	Err error
	// Headless says there is no display to open a window on: drawing to
	// files (viewer.Scene.Render, viewer.WritePNG) needs none.
	Headless bool
}

// Error says what failed.
func (e *Error) Error() string { return "window: " + e.Err.Error() }

// Unwrap returns what failed.
func (e *Error) Unwrap() error { return e.Err }

// RaceError is a race's failure: opening its backend (cpu.ErrTooBig and
// engine.ErrTooBig among them) or running it. Its message is the
// failure's own.
type RaceError struct {
	Race int // the index of its Racer
	Err  error
}

// Error is the failure's message.
func (e *RaceError) Error() string { return e.Err.Error() }

// Unwrap returns the failure.
func (e *RaceError) Unwrap() error { return e.Err }

// check refuses options no window can use; zero fields take their
// defaults later.
func (o *Options) check(racers []Racer) error {
	if len(racers) == 0 {
		return errors.New("window: no racers")
	}
	if o.Width < 0 || o.Height < 0 {
		return gdgpu.FieldErrorf("panel size {Options.Width} x {Options.Height} %dx%d: want positive sides", o.Width, o.Height).In("window")
	}
	if o.StepsPerFrame < 0 {
		return gdgpu.FieldErrorf("{Options.StepsPerFrame} %d must be >= 0 (0: the first racer's log interval)", o.StepsPerFrame).In("window")
	}
	if b := o.Bounds; b != nil && (len(b) != 4 || !(b[1] > b[0]) || !(b[3] > b[2])) {
		return gdgpu.FieldErrorf("{Options.Bounds} %v: want x0 < x1 and y0 < y1", b).In("window")
	}
	return nil
}

// Landscape evaluates job's landscape on ec's GPU, or on the CPU in
// float64 (cpu.Loss) when ec is nil or the objective needs a pre-pass
// (engine.ErrLandscapePrepass). The window passes nil for a CPU race,
// whose picture would otherwise differ from the one a file gets.
func Landscape(job *gdgpu.Job, ec *engine.Context) viewer.LandscapeFunc {
	return func(box []float64, w, h int, land []float64) (string, error) {
		if ec != nil {
			err := ec.Landscape(job, box[0], box[1], box[2], box[3], w, h, land)
			if err == nil {
				return "gpu/" + job.Precision.String(), nil
			}
			if !errors.Is(err, engine.ErrLandscapePrepass) {
				return "", err
			}
		}
		cpuLandscape(job, box, w, h, land)
		return "cpu/f64", nil
	}
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

// landscapeEngine is the engine the window's landscape is evaluated on:
// ec for a GPU race, none (cpu.Loss in float64) for a CPU one, whose
// context would otherwise evaluate it in the job's precision and draw
// another picture than a file's.
func landscapeEngine(r *Racer, ec *engine.Context) *engine.Context {
	if r.CPU {
		return nil
	}
	return ec
}

// The picture is re-rendered (on the CPU) at most this often while the
// races run; frames in between only redraw the texture, so the descent
// gets most of the time.
const renderEvery = 100 * time.Millisecond

// renderGap is how long after a render that took cost the next one may
// start while the races run: renderEvery, or four times the cost when
// that is more. Rendering blocks the frame loop, which hands out the
// races' steps, so a render of seconds (the projection of a large N-D
// view: its Gram matrix costs n^2 N) would otherwise stall the descent
// every frame; this way it keeps at least 80% of the time.
func renderGap(cost time.Duration) time.Duration { return max(renderEvery, 4*cost) }

// action is what a key asks of the window.
type action int

const (
	noAction action = iota
	pause           // space: pause or resume
	restart         // r
	save            // s
	quit            // q, Esc
)

// controls is the window's state that keys change.
type controls struct {
	spf     int  // steps each race takes per frame
	minSPF  int  // the least spf: the driver's batch
	paused  bool // no steps are handed out
	restart bool // start every race again (taken by the frame loop)
	save    bool // save the picture (taken by the frame loop)
	quit    bool
	dirty   bool // the picture must be drawn again
}

// maxStepsPerFrame bounds +: beyond it a frame would take seconds on llvmpipe.
const maxStepsPerFrame = 1 << 16

// key applies a pressed key's action.
func (c *controls) key(a action) {
	switch a {
	case pause:
		c.paused, c.dirty = !c.paused, true
	case restart:
		c.restart = true
	case save:
		c.save = true
	case quit:
		c.quit = true
	}
}

// char applies a typed character: + and - double and halve the steps per
// frame, within [minSPF (at least 1), maxStepsPerFrame]. They are taken
// as typed, whatever the keyboard layout puts them on (the keypad's
// arrive as characters too).
func (c *controls) char(ch rune) {
	switch ch {
	case '+':
		c.spf = min(c.spf*2, max(maxStepsPerFrame, c.minSPF))
	case '-':
		c.spf = max(c.spf/2, c.minSPF, 1)
	}
}

// blitViewport is where a tw x th picture is drawn in a fbw x fbh
// framebuffer (from its bottom left, as glViewport takes it): magnified
// scale times (nearest: each picture pixel a scale x scale block) at the
// top left, or, where that does not fit (a window smaller than the least
// the panels are drawn at), as large as fits with the picture's aspect.
func blitViewport(fbw, fbh, tw, th, scale int) image.Rectangle {
	s := max(scale, 1)
	w, h := tw*s, th*s
	if w > fbw || h > fbh {
		f := math.Min(float64(fbw)/float64(tw), float64(fbh)/float64(th))
		w, h = min(int(float64(tw)*f+0.5), fbw), min(int(float64(th)*f+0.5), fbh)
	}
	return image.Rect(0, fbh-h, w, fbh)
}

// pixelScale is the window's HiDPI scale, framebuffer pixels per point
// (fbw over the window's width winw in points), rounded, at least 1. The
// picture is rendered at the framebuffer's size divided by it and drawn
// magnified: basicfont's 7x13 bitmap text then keeps its size in points
// instead of shrinking to half on a 2x screen.
func pixelScale(fbw, winw int) int {
	if fbw <= 0 || winw <= 0 {
		return 1
	}
	return max(1, int(math.Round(float64(fbw)/float64(winw))))
}

// livePanel is the size of each panel the window renders for a fbw x fbh
// framebuffer with n races: half its width and its height, or the least
// the panels can be drawn at (viewer.MinPanel) when the window is
// smaller; the picture is then scaled down to the window.
func livePanel(fbw, fbh, n int, projection bool) (int, int) {
	mw, mh := viewer.MinPanel(n, projection)
	return max(fbw/2, mw), max(fbh, mh)
}

// nextSaveName is the path s saves the picture at: dir's first
// gdgpu-view-NNN.png after number *n that does not exist yet, so a
// session never overwrites an earlier one's pictures; *n becomes its
// number.
func nextSaveName(dir string, n *int) (string, error) {
	for {
		*n++
		name := filepath.Join(dir, fmt.Sprintf("gdgpu-view-%03d.png", *n))
		if _, err := os.Lstat(name); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		} else if err != nil {
			return "", fmt.Errorf("window: saving the picture: %w", err)
		}
	}
}
