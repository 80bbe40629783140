//go:build window

package window

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/device"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// GLFW must be called from the main thread: keep main's goroutine on it.
func init() { runtime.LockOSThread() }

// windowTest lets the Xvfb tests end the window by itself: once every
// race has finished and the finished picture is on screen, it saves the
// window's back buffer (glReadPixels) to shot and the picture it uploaded
// to shot + ".want.png", then quits, as q would.
// With restarts > 0 it first presses r that many times, each once the
// races have finished, saving each finished picture at shot + ".run-N.png".
// With save it presses s on the frame it reads back.
var windowTest struct {
	shot     string
	restarts int
	save     bool
}

// live runs the races in the background, each in its own driver loop,
// handing out steps frame by frame: every frame gives each race
// stepsPerFrame steps, and its Issued hook waits when they are spent.
type live struct {
	racers []Racer
	ec     *engine.Context
	x0     []float64

	mu     sync.Mutex
	cond   *sync.Cond
	races  []*viewer.Race
	budget []int // steps each race may still issue before waiting for a frame
	stop   bool  // set to end the races: waiting hooks return at once
	err    error // the first race's failure
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// start launches a fresh set of races from x0.
func (l *live) start(parent context.Context, spf int) error {
	ctx, cancel := context.WithCancel(parent)
	l.mu.Lock()
	l.stop, l.err, l.cancel = false, nil, cancel
	l.races = make([]*viewer.Race, len(l.racers))
	l.budget = make([]int, len(l.racers))
	for k := range l.racers {
		// The start point is there before the first frame draws the race.
		r := viewer.NewRace(&l.racers[k].Job, l.racers[k].Name, l.x0)
		l.races[k] = r
		l.budget[k] = spf
	}
	l.mu.Unlock()
	for k := range l.racers {
		job := l.racers[k].Job // each run gets its own copy: restarts begin afresh
		ec := l.ec
		if l.racers[k].CPU {
			ec = nil // device.OpenOn: the CPU backend
		}
		d, err := device.OpenOn(ec, &job)
		if err != nil {
			l.halt()
			return &RaceError{Race: k, Err: err}
		}
		l.wg.Add(1)
		go l.run(ctx, k, &job, d.Backend)
	}
	return nil
}

// run is race k's driver loop: its Issued hook waits when the race's
// steps for this frame are spent.
func (l *live) run(ctx context.Context, k int, job *gdgpu.Job, b gdgpu.Backend) {
	defer l.wg.Done()
	defer b.Close()
	l.mu.Lock()
	r := l.races[k]
	l.mu.Unlock()
	prev := 0
	_, err := r.Run(ctx, job, b, viewer.RaceHooks{Lock: &l.mu, Issued: func(done int) {
		l.mu.Lock()
		l.budget[k] -= done - prev
		prev = done
		for l.budget[k] <= 0 && !l.stop {
			l.cond.Wait()
		}
		l.mu.Unlock()
	}})
	if err != nil {
		l.mu.Lock()
		if l.err == nil && !l.stop {
			l.err = &RaceError{Race: k, Err: err}
		}
		l.mu.Unlock()
	}
}

// grant gives every race spf more steps (not accumulated: a race slower
// than the frames just runs flat out).
func (l *live) grant(spf int) {
	l.mu.Lock()
	for k := range l.budget {
		l.budget[k] = spf
	}
	l.mu.Unlock()
	l.cond.Broadcast()
}

// halt ends the races and waits for them.
func (l *live) halt() {
	l.mu.Lock()
	l.stop = true
	if l.cancel != nil {
		l.cancel()
	}
	l.mu.Unlock()
	l.cond.Broadcast()
	l.wg.Wait()
}

// snapshot copies the races' state for drawing: Race.Run only appends to
// the slices, or moves to new arrays when it drops points, so their
// headers taken under the lock stay valid (viewer.RaceHooks).
func (l *live) snapshot() (races []*viewer.Race, done bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	done = true
	for _, r := range l.races {
		c := *r
		races = append(races, &c)
		done = done && r.Done
	}
	return races, done, l.err
}

// keyAction is the action of a pressed key. The keypad's + and - are not
// keys here: they arrive as characters too (controls.char), and handling
// them twice would double or halve twice.
func keyAction(k glfw.Key) action {
	switch k {
	case glfw.KeySpace:
		return pause
	case glfw.KeyR:
		return restart
	case glfw.KeyS:
		return save
	case glfw.KeyQ, glfw.KeyEscape:
		return quit
	}
	return noAction
}

// Run opens a GLFW window whose EGL context the engine adopts, races the
// racers in it from the same start until the window is closed (q, Esc,
// the window's close button) or ctx is cancelled, and returns the races
// as they ended. It must be called from the program's main goroutine,
// which this package keeps on the main OS thread (GLFW's rule).
//
// Its errors: a *Error when the window cannot be opened (Headless: no
// display), a *RaceError when a race cannot be opened or fails, the
// engine's when the context cannot be adopted or drawn with.
func Run(ctx context.Context, racers []Racer, o Options) (races []*viewer.Race, err error) {
	if err := o.check(racers); err != nil {
		return nil, err
	}
	runtime.LockOSThread() // every GLFW call on this one thread
	defer runtime.UnlockOSThread()
	// GLFW's go binding logs a platform error of glfwInit (no display, or
	// one that does not answer) and returns nil; every later call then
	// panics with a *glfw.Error. That panic is this error. (The defers
	// below, registered later, have run by then: the races are halted.)
	defer func() {
		if r := recover(); r != nil {
			ge, ok := r.(*glfw.Error)
			if !ok {
				panic(r)
			}
			races, err = nil, &Error{Err: ge, Headless: true}
		}
	}()
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil, &Error{Err: errors.New("DISPLAY is not set"), Headless: true}
	}
	if err := glfw.Init(); err != nil {
		return nil, &Error{Err: err, Headless: true}
	}
	defer glfw.Terminate()
	glfw.WindowHint(glfw.ContextCreationAPI, glfw.EGLContextAPI)
	glfw.WindowHint(glfw.ClientAPI, glfw.OpenGLAPI)
	glfw.WindowHint(glfw.ContextVersionMajor, 4)
	glfw.WindowHint(glfw.ContextVersionMinor, 3)
	glfw.WindowHint(glfw.OpenGLProfile, glfw.OpenGLCoreProfile)
	glfw.WindowHint(glfw.OpenGLForwardCompatible, glfw.True)
	glfw.WindowHint(glfw.Resizable, glfw.True)
	glfw.WindowHint(glfw.ScaleToMonitor, glfw.True) // HiDPI: the window grows with the monitor's scale
	w, h, theme := panel(o.Width, o.Height, o.Theme, viewer.Dark)
	job := &racers[0].Job
	win, err := glfw.CreateWindow(2*w, h, "gdgpu view: "+job.Problem, nil, nil)
	if err != nil {
		return nil, &Error{Err: err}
	}
	defer win.Destroy()
	win.MakeContextCurrent()
	ec, err := engine.AdoptCurrent(engine.Options{}) // the window's own GPU
	if err != nil {
		return nil, err
	}
	glfw.DetachCurrentContext() // GLFW's record: the context now lives on the engine's thread
	defer ec.Close()
	if err := ec.SwapInterval(1); err != nil && o.Warn != nil {
		o.Warn(fmt.Errorf("%w (drawing unsynchronised)", err))
	}

	l := &live{racers: racers, ec: ec, x0: o.Start}
	if l.x0 == nil {
		l.x0 = job.StartPoint()
	}
	l.cond = sync.NewCond(&l.mu)
	spf := o.StepsPerFrame
	if spf == 0 {
		spf = max(1, job.LogEvery)
	}
	if o.Started != nil {
		o.Started()
	}
	if err := l.start(ctx, spf); err != nil {
		return nil, err
	}
	defer l.halt()

	var (
		saved      = 0
		restarted  = 0 // by windowTest
		sc         *viewer.Scene
		pic        *image.RGBA
		scale      = 1 // HiDPI: framebuffer pixels per picture pixel
		lastRender time.Time
		renderCost time.Duration // what the last render took
		land       = Landscape(job, landscapeEngine(&racers[0], ec))
		saveDir    = o.SaveDir
	)
	if saveDir == "" {
		saveDir = "."
	}
	screen := ec.NewScreen()
	defer screen.Close()
	ctl := &controls{spf: spf, minSPF: spf}
	win.SetKeyCallback(func(_ *glfw.Window, key glfw.Key, _ int, act glfw.Action, _ glfw.ModifierKey) {
		if act == glfw.Press {
			ctl.key(keyAction(key))
		}
	})
	win.SetCharCallback(func(_ *glfw.Window, ch rune) { ctl.char(ch) })
	win.SetFramebufferSizeCallback(func(*glfw.Window, int, int) { ctl.dirty = true })

	ctl.dirty = true
	for !win.ShouldClose() && !ctl.quit {
		if ctl.restart {
			ctl.restart, ctl.dirty, sc = false, true, nil
			l.halt()
			if err := l.start(ctx, ctl.spf); err != nil {
				return nil, err
			}
		}
		if ctx.Err() != nil { // the caller's cancel: SIGINT, SIGTERM in gdgpu
			break
		}
		races, done, err := l.snapshot()
		if err != nil {
			return nil, err
		}
		fbw, fbh := win.GetFramebufferSize()
		// Redraw the picture on a change, and at most every renderGap
		// while something runs; a finished picture stays as it is.
		settled := done && sc != nil && sc.Finished()
		if fbw > 0 && fbh > 0 && (ctl.dirty || !ctl.paused && !settled && time.Since(lastRender) >= renderGap(renderCost)) {
			began := time.Now()
			// One panel per half of the framebuffer, in its pixels over
			// the HiDPI scale (drawn magnified by it), within what the
			// panels can hold.
			winw, _ := win.GetSize()
			scale = pixelScale(fbw, winw)
			pw, ph := livePanel(fbw/scale, fbh/scale, len(races), viewer.Projected(job))
			if sc, err = viewer.LiveScene(sc, job, races, o.Bounds, pw, ph, theme, land); err != nil {
				return nil, err
			}
			if pic, err = sc.Render(math.MaxInt); err != nil {
				return nil, err
			}
			lastRender, ctl.dirty = time.Now(), false
			renderCost = lastRender.Sub(began)
			if err := screen.Upload(pic); err != nil {
				return nil, err
			}
		}
		shot := windowTest.shot != "" && done && pic != nil && !ctl.dirty && sc.Finished()
		if shot && restarted < windowTest.restarts {
			restarted++
			if err := viewer.WritePNG(fmt.Sprintf("%s.run-%d.png", windowTest.shot, restarted), pic); err != nil {
				return nil, err
			}
			shot, ctl.restart = false, true
		}
		if shot && windowTest.save {
			ctl.key(save)
		}
		var at image.Rectangle
		if pic != nil {
			at = blitViewport(fbw, fbh, pic.Rect.Dx(), pic.Rect.Dy(), scale)
		}
		if err := screen.Draw(fbw, fbh, at); err != nil {
			return nil, err
		}
		var back *image.RGBA
		if shot {
			if back, err = screen.Read(fbw, fbh); err != nil {
				return nil, err
			}
		}
		if err := ec.SwapBuffers(); err != nil {
			return nil, err
		}
		state := fmt.Sprintf("%d steps/frame", ctl.spf)
		if ctl.paused {
			state = "paused"
		} else if done {
			state = "done"
		}
		win.SetTitle(fmt.Sprintf("gdgpu view: %s (%s; space, +/-, r, s, q)", job.Problem, state))
		if ctl.save && pic != nil {
			ctl.save = false
			name, err := nextSaveName(saveDir, &saved)
			if err == nil {
				err = viewer.WritePNG(name, pic)
			}
			if o.Saved != nil {
				o.Saved(name, err)
			}
		}
		if shot {
			if err := viewer.WritePNG(windowTest.shot, back); err != nil {
				return nil, err
			}
			if err := viewer.WritePNG(windowTest.shot+".want.png", pic); err != nil {
				return nil, err
			}
			win.SetShouldClose(true)
		}
		if ctl.paused || done {
			glfw.WaitEventsTimeout(renderEvery.Seconds())
		} else {
			l.grant(ctl.spf)
			glfw.PollEvents()
		}
	}
	races, _, _ = l.snapshot()
	return races, nil
}
