//go:build window

package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
	"github.com/go-gl/glfw/v3.3/glfw"
	"github.com/spf13/cobra"

	"github.com/gdgpu/gdgpu"
	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/viewer"
)

// GLFW must be called from the main thread: keep main's goroutine on it.
func init() { runtime.LockOSThread() }

// windowTest lets the Xvfb test end the window by itself: once every race
// has finished and the finished picture is on screen, it saves the window's
// back buffer (glReadPixels) to shot and the picture it uploaded to
// shot + ".want.png", then quits, as q would.
// With restarts > 0 it first presses r that many times, each once the
// races have finished, saving each finished picture at shot + ".run-N.png".
var windowTest struct {
	shot     string
	restarts int
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

// live runs a view's races in the background, each in its own driver
// loop, handing out steps frame by frame: every frame gives each race
// stepsPerFrame steps, and its Issued hook waits when they are spent.
type live struct {
	setups []*setup
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
	l.races = make([]*viewer.Race, len(l.setups))
	l.budget = make([]int, len(l.setups))
	for k, s := range l.setups {
		// The start point is there before the first frame draws the race.
		r := viewer.NewRace(&s.job, s.raceName, l.x0)
		l.races[k] = r
		l.budget[k] = spf
	}
	l.mu.Unlock()
	for k, s := range l.setups {
		job := s.job // each run gets its own copy: restarts begin afresh
		d, err := newDevice(s.device, &job, s.gpu, l.ec)
		if err != nil {
			l.halt()
			return err
		}
		l.wg.Add(1)
		go l.run(ctx, k, &job, d)
	}
	return nil
}

// run is race k's driver loop: its Issued hook waits when the race's
// steps for this frame are spent.
func (l *live) run(ctx context.Context, k int, job *gdgpu.Job, d *device) {
	defer l.wg.Done()
	defer d.close()
	l.mu.Lock()
	r := l.races[k]
	l.mu.Unlock()
	prev := 0
	_, err := r.Run(ctx, job, d.b, viewer.RaceHooks{Lock: &l.mu, Issued: func(done int) {
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
			l.err = err
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

// runWindow opens a GLFW window whose EGL context the engine adopts, and
// runs the races live in it. Keys: space pauses, + and - double and halve
// the steps per frame, r restarts, s saves the picture as a PNG in the
// current folder, q or Esc quits.
func runWindow(cmd *cobra.Command, setups []*setup, v *viewFlags, box []float64, w, h int, stdout io.Writer) (err error) {
	runtime.LockOSThread() // every GLFW call on this one thread
	defer runtime.UnlockOSThread()
	const headless = "a display is needed; headless, use --png or --frames"
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
			err = failure(fmt.Errorf("gdgpu: the window: %v (%s)", ge, headless))
		}
	}()
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return failure(fmt.Errorf("gdgpu: the window: DISPLAY is not set (%s)", headless))
	}
	if err := glfw.Init(); err != nil {
		return failure(fmt.Errorf("gdgpu: the window: %w (%s)", err, headless))
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
	// runView has checked the name.
	theme, _ := viewTheme(v.theme, true)
	job := &setups[0].job
	win, err := glfw.CreateWindow(2*w, h, "gdgpu view: "+job.Problem, nil, nil)
	if err != nil {
		return failure(fmt.Errorf("gdgpu: the window: %w", err))
	}
	defer win.Destroy()
	win.MakeContextCurrent()
	ec, err := engine.AdoptCurrent(engine.Options{}) // the window's GPU: --gpu does not apply
	if err != nil {
		return failure(err)
	}
	glfw.DetachCurrentContext() // GLFW's record: the context now lives on the engine's thread
	defer ec.Close()
	if err := ec.SwapInterval(1); err != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "gdgpu: %v (drawing unsynchronised)\n", err)
	}

	l := &live{setups: setups, ec: ec, x0: setups[0].start()}
	l.cond = sync.NewCond(&l.mu)
	for _, s := range setups {
		s.x0 = l.x0
	}
	spf := max(1, v.every)
	graceful.Store(true) // the window polls ctx each frame and closes cleanly
	if err := l.start(cmd.Context(), spf); err != nil {
		return err
	}
	defer l.halt()

	var (
		saved      = 0
		restarted  = 0 // by windowTest
		bl         blitter
		sc         *viewer.Scene
		pic        *image.RGBA
		scale      = 1 // HiDPI: framebuffer pixels per picture pixel
		lastRender time.Time
		renderCost time.Duration // what the last render took
	)
	defer ec.Do(func() error { bl.delete(); return nil })
	ctl := &controls{spf: spf, minSPF: spf}
	win.SetKeyCallback(func(_ *glfw.Window, key glfw.Key, _ int, action glfw.Action, _ glfw.ModifierKey) {
		if action == glfw.Press {
			ctl.key(key)
		}
	})
	// + and - as typed, whatever the keyboard layout puts them on.
	win.SetCharCallback(func(_ *glfw.Window, ch rune) { ctl.char(ch) })
	win.SetFramebufferSizeCallback(func(*glfw.Window, int, int) { ctl.dirty = true })

	ctl.dirty = true
	for !win.ShouldClose() && !ctl.quit {
		if ctl.restart {
			ctl.restart, ctl.dirty, sc = false, true, nil
			l.halt()
			if err := l.start(cmd.Context(), ctl.spf); err != nil {
				return err
			}
		}
		if cmd.Context().Err() != nil { // SIGINT, SIGTERM
			break
		}
		races, done, err := l.snapshot()
		if err != nil {
			return failure(err)
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
			if sc, err = viewer.LiveScene(sc, job, races, box, pw, ph, theme, landscapeFunc(job, landscapeEngine(setups[0], ec))); err != nil {
				return failure(err)
			}
			if pic, err = sc.Render(math.MaxInt); err != nil {
				return failure(err)
			}
			lastRender, ctl.dirty = time.Now(), false
			renderCost = lastRender.Sub(began)
			if err := ec.Do(func() error { return bl.upload(pic) }); err != nil {
				return failure(err)
			}
		}
		shot := windowTest.shot != "" && done && pic != nil && !ctl.dirty && sc.Finished()
		if shot && restarted < windowTest.restarts {
			restarted++
			if err := viewer.WritePNG(fmt.Sprintf("%s.run-%d.png", windowTest.shot, restarted), pic); err != nil {
				return failure(err)
			}
			shot, ctl.restart = false, true
		}
		var pixels []byte
		if err := ec.Do(func() error {
			if err := bl.draw(fbw, fbh, scale); err != nil {
				return err
			}
			if shot {
				pixels = make([]byte, 4*fbw*fbh)
				gl.PixelStorei(gl.PACK_ALIGNMENT, 1)
				gl.ReadPixels(0, 0, int32(fbw), int32(fbh), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pixels[0]))
			}
			return nil
		}); err != nil {
			return failure(err)
		}
		if err := ec.SwapBuffers(); err != nil {
			return failure(err)
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
			name, err := nextSaveName(".", &saved)
			if err == nil {
				err = viewer.WritePNG(name, pic)
			}
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "gdgpu: %v\n", err)
			} else {
				fmt.Fprintf(stdout, "saved %s\n", name)
			}
		}
		if shot {
			if err := saveShot(windowTest.shot, pixels, fbw, fbh, pic); err != nil {
				return failure(err)
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
	races, _, _ := l.snapshot()
	for _, r := range races {
		fmt.Fprintln(stdout, r.Label())
	}
	return nil
}

// controls is the window's state that keys change.
type controls struct {
	spf     int  // steps each race takes per frame
	minSPF  int  // the least spf: --every, the driver's batch
	paused  bool // no steps are handed out
	restart bool // start every race again (taken by the frame loop)
	save    bool // save the picture (taken by the frame loop)
	quit    bool
	dirty   bool // the picture must be drawn again
}

// maxStepsPerFrame bounds +: beyond it a frame would take seconds on llvmpipe.
const maxStepsPerFrame = 1 << 16

// key applies a pressed key: space pauses and resumes, r restarts, s saves,
// q and Esc quit.
func (c *controls) key(k glfw.Key) {
	switch k {
	case glfw.KeySpace:
		c.paused, c.dirty = !c.paused, true
	case glfw.KeyR:
		c.restart = true
	case glfw.KeyS:
		c.save = true
	case glfw.KeyQ, glfw.KeyEscape:
		c.quit = true
	}
	// The keypad's + and - arrive as characters too (char): handling their
	// keys here as well would double or halve twice.
}

// char applies a typed character: + and - double and halve the steps per
// frame, within [minSPF (at least 1), maxStepsPerFrame].
func (c *controls) char(ch rune) {
	switch ch {
	case '+':
		c.spf = min(c.spf*2, max(maxStepsPerFrame, c.minSPF))
	case '-':
		c.spf = max(c.spf/2, c.minSPF, 1)
	}
}

// saveShot writes the read-back framebuffer (rows bottom first) as a PNG at
// path, and the picture that was uploaded at path + ".want.png".
func saveShot(path string, pixels []byte, w, h int, pic *image.RGBA) error {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(img.Pix[y*img.Stride:y*img.Stride+4*w], pixels[(h-1-y)*4*w:(h-y)*4*w])
	}
	if err := viewer.WritePNG(path, img); err != nil {
		return err
	}
	return viewer.WritePNG(path+".want.png", pic)
}

// blitter draws an RGBA picture over the whole framebuffer: one texture,
// and a triangle that covers the viewport. Its methods run on the GL
// thread (engine.Context.Do).
type blitter struct {
	prog, vao, tex uint32
	tw, th         int
}

const blitVS = `#version 430 core
out vec2 uv;
const vec2 pos[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
void main() {
	gl_Position = vec4(pos[gl_VertexID], 0.0, 1.0);
	uv = (pos[gl_VertexID] + 1.0) * 0.5;
	uv.y = 1.0 - uv.y; // the picture's row 0 is its top
}
`

const blitFS = `#version 430 core
in vec2 uv;
out vec4 color;
uniform sampler2D pic;
void main() { color = texture(pic, uv); }
`

func (b *blitter) init() error {
	if b.prog != 0 {
		return nil
	}
	vs, err := compileShader(gl.VERTEX_SHADER, blitVS)
	if err != nil {
		return err
	}
	defer gl.DeleteShader(vs)
	fs, err := compileShader(gl.FRAGMENT_SHADER, blitFS)
	if err != nil {
		return err
	}
	defer gl.DeleteShader(fs)
	p := gl.CreateProgram()
	gl.AttachShader(p, vs)
	gl.AttachShader(p, fs)
	gl.LinkProgram(p)
	var ok int32
	gl.GetProgramiv(p, gl.LINK_STATUS, &ok)
	if ok == 0 {
		log := programLog(p)
		gl.DeleteProgram(p)
		return fmt.Errorf("gdgpu: linking the window's blit program: %s", log)
	}
	b.prog = p
	gl.GenVertexArrays(1, &b.vao) // core profile: a draw needs a vertex array, even an empty one
	gl.GenTextures(1, &b.tex)
	gl.BindTexture(gl.TEXTURE_2D, b.tex)
	// Nearest: the picture is drawn at the framebuffer's size, pixel for pixel.
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)
	return nil
}

// upload puts pic in the texture.
func (b *blitter) upload(pic *image.RGBA) error {
	if err := b.init(); err != nil {
		return err
	}
	w, h := pic.Rect.Dx(), pic.Rect.Dy()
	gl.BindTexture(gl.TEXTURE_2D, b.tex)
	gl.PixelStorei(gl.UNPACK_ALIGNMENT, 1)
	gl.PixelStorei(gl.UNPACK_ROW_LENGTH, int32(pic.Stride/4))
	if w != b.tw || h != b.th {
		gl.TexImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, int32(w), int32(h), 0, gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pic.Pix[0]))
		b.tw, b.th = w, h
	} else {
		gl.TexSubImage2D(gl.TEXTURE_2D, 0, 0, 0, int32(w), int32(h), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pic.Pix[0]))
	}
	gl.PixelStorei(gl.UNPACK_ROW_LENGTH, 0)
	return glCheck("uploading the picture")
}

// draw clears the fbw x fbh framebuffer and draws the texture in it, at
// blitViewport's place for the scale.
func (b *blitter) draw(fbw, fbh, scale int) error {
	gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
	gl.Viewport(0, 0, int32(fbw), int32(fbh))
	gl.ClearColor(0.17, 0.17, 0.2, 1)
	gl.Clear(gl.COLOR_BUFFER_BIT)
	if b.tw == 0 {
		return nil
	}
	x, y, w, h := blitViewport(fbw, fbh, b.tw, b.th, scale)
	gl.Viewport(int32(x), int32(y), int32(w), int32(h))
	gl.UseProgram(b.prog)
	gl.ActiveTexture(gl.TEXTURE0)
	gl.BindTexture(gl.TEXTURE_2D, b.tex)
	gl.Uniform1i(gl.GetUniformLocation(b.prog, gl.Str("pic\x00")), 0)
	gl.BindVertexArray(b.vao)
	gl.DrawArrays(gl.TRIANGLES, 0, 3)
	gl.BindVertexArray(0)
	gl.UseProgram(0)
	return glCheck("drawing the picture")
}

func (b *blitter) delete() {
	if b.prog != 0 {
		gl.DeleteProgram(b.prog)
		gl.DeleteVertexArrays(1, &b.vao)
		gl.DeleteTextures(1, &b.tex)
		b.prog = 0
	}
}

func compileShader(kind uint32, src string) (uint32, error) {
	s := gl.CreateShader(kind)
	cs, free := gl.Strs(src + "\x00")
	defer free()
	gl.ShaderSource(s, 1, cs, nil)
	gl.CompileShader(s)
	var ok int32
	gl.GetShaderiv(s, gl.COMPILE_STATUS, &ok)
	if ok == 0 {
		var n int32
		gl.GetShaderiv(s, gl.INFO_LOG_LENGTH, &n)
		log := make([]byte, n+1)
		gl.GetShaderInfoLog(s, n, nil, &log[0])
		gl.DeleteShader(s)
		return 0, fmt.Errorf("gdgpu: compiling the window's shader: %s\n%s", strings.TrimRight(string(log), "\x00"), src)
	}
	return s, nil
}

func programLog(p uint32) string {
	var n int32
	gl.GetProgramiv(p, gl.INFO_LOG_LENGTH, &n)
	log := make([]byte, n+1)
	gl.GetProgramInfoLog(p, n, nil, &log[0])
	return strings.TrimRight(string(log), "\x00")
}

func glCheck(what string) error {
	if code := gl.GetError(); code != gl.NO_ERROR {
		return fmt.Errorf("gdgpu: %s: GL error 0x%x", what, code)
	}
	return nil
}

// blitViewport is where a tw x th picture is drawn in a fbw x fbh
// framebuffer (x and y from its bottom left, as glViewport takes them):
// magnified scale times (nearest: each picture pixel a scale x scale
// block) at the top left, or, where that does not fit (a window smaller
// than the least the panels are drawn at), as large as fits with the
// picture's aspect.
func blitViewport(fbw, fbh, tw, th, scale int) (x, y, w, h int) {
	s := max(scale, 1)
	w, h = tw*s, th*s
	if w > fbw || h > fbh {
		f := math.Min(float64(fbw)/float64(tw), float64(fbh)/float64(th))
		w, h = min(int(float64(tw)*f+0.5), fbw), min(int(float64(th)*f+0.5), fbh)
	}
	return 0, fbh - h, w, h
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
			return "", fmt.Errorf("saving the picture: %w", err) // printed after "gdgpu: "
		}
	}
}
