package engine

import (
	"fmt"
	"math"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// program is one user's handle on a compiled compute program: the
// kernel's name, the buffers it touches, and the values this user gave its
// uniforms. Programs are shared through the Context's cache (progcache.go),
// so the handle, not the GL program, owns the uniform values: see claim.
type program struct {
	l    *linked
	name string
	// vals are this handle's uniform values, by l.slots index, as raw bits;
	// a slot beyond len(vals) has never been set by this handle and holds
	// its link-time value for it.
	vals []uint64
	programFlags
}

// programFlags say which buffers a step-shaped kernel reads and writes
// beyond x and partials.
type programFlags struct {
	update   bool // writes xout and the optimizer state
	usesGrad bool // reads or writes the stored gradient
}

// uniformKind is a uniform's type, which says which glProgramUniform*
// writes it.
type uniformKind uint8

const (
	uniformUint uniformKind = iota
	uniformInt
	uniformFloat
	uniformDouble
)

// uniformSlot is a uniform some handle of a linked program has set.
type uniformSlot struct {
	loc  int32
	kind uniformKind
	init uint64 // its value after linking, restored for handles that never set it
}

// ShaderError is a compute shader that failed to compile or link: it carries
// the shader's name, the driver's info log and the line-numbered source.
type ShaderError struct {
	Name   string // kernel name, e.g. "step(rosenbrock,adam,f32)"
	Stage  string // "compile" or "link"
	Log    string // the driver's info log
	Source string // the assembled source
}

// Error gives the log, then the source with line numbers so the log's line
// references can be followed.
func (e *ShaderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "engine: shader %s failed to %s:\n%s\n--- source ---\n", e.Name, e.Stage, strings.TrimSpace(e.Log))
	for i, line := range strings.Split(strings.TrimRight(e.Source, "\n"), "\n") {
		fmt.Fprintf(&b, "%4d  %s\n", i+1, line)
	}
	return b.String()
}

// compileProgram compiles and links a compute shader, counting the
// attempt in c.progs.compiles. Nothing is leaked on failure, and the debug
// messages the failure raised are dropped: the ShaderError carries the
// same log. Kernels come through c.program, which compiles only what its
// cache lacks. On the GL thread.
func (c *Context) compileProgram(name, src string) (id uint32, err error) {
	c.progs.compiles++
	defer func() {
		if err != nil {
			c.mu.Lock()
			c.debug = nil
			c.mu.Unlock()
		}
	}()
	sh := gl.CreateShader(gl.COMPUTE_SHADER)
	if sh == 0 {
		return 0, fmt.Errorf("engine: glCreateShader failed for %s: %s", name, glErrorName(gl.GetError()))
	}
	defer gl.DeleteShader(sh) // flagged for deletion; freed once detached from the program
	csrc, free := gl.Strs(withBindings(src) + "\x00")
	gl.ShaderSource(sh, 1, csrc, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == gl.FALSE {
		return 0, &ShaderError{Name: name, Stage: "compile", Log: shaderLog(sh, false), Source: src}
	}
	id = gl.CreateProgram()
	gl.AttachShader(id, sh)
	gl.LinkProgram(id)
	gl.DetachShader(id, sh)
	gl.GetProgramiv(id, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		log := shaderLog(id, true)
		gl.DeleteProgram(id)
		return 0, &ShaderError{Name: name, Stage: "link", Log: log, Source: src}
	}
	return id, nil
}

func shaderLog(id uint32, isProgram bool) string {
	var n int32
	if isProgram {
		gl.GetProgramiv(id, gl.INFO_LOG_LENGTH, &n)
	} else {
		gl.GetShaderiv(id, gl.INFO_LOG_LENGTH, &n)
	}
	if n <= 1 {
		return "(empty info log)"
	}
	buf := make([]byte, n)
	if isProgram {
		gl.GetProgramInfoLog(id, n, nil, &buf[0])
	} else {
		gl.GetShaderInfoLog(id, n, nil, &buf[0])
	}
	return strings.TrimRight(string(buf), "\x00")
}

// use makes p the current program, with p's uniform values. Before a
// dispatch, after p's uniforms are set or p.use is called, no other handle
// may be used or set. On the GL thread.
func (p *program) use() {
	p.claim()
	gl.UseProgram(p.l.id)
}

// claim makes the GL program hold p's uniform values, if another handle
// set it last: every uniform any handle has set is written again, with p's
// value or, where p never set it, the value linking gave it. So each
// handle sees exactly what a program of its own would hold, and a program
// used by one handle (the common case: one backend per job) is written
// only once.
func (p *program) claim() {
	l := p.l
	if l.owner == p {
		return
	}
	for i := range l.slots {
		l.write(i, p.val(i))
	}
	l.owner = p
}

// val is p's value of slot i.
func (p *program) val(i int) uint64 {
	if i < len(p.vals) {
		return p.vals[i]
	}
	return p.l.slots[i].init
}

// set gives uniform name the value bits (of type kind) for p and writes it
// to the program. A uniform the compiler dropped (location -1) is
// ignored, as glProgramUniform ignores it.
func (p *program) set(name string, kind uniformKind, bits uint64) {
	p.claim()
	l := p.l
	loc := l.loc(name)
	if loc < 0 {
		return
	}
	i := l.slot(loc, kind)
	for len(p.vals) <= i {
		p.vals = append(p.vals, l.slots[len(p.vals)].init)
	}
	p.vals[i] = bits
	l.write(i, bits)
}

// setUint, setInt, setFloat and setDouble set a uniform of p's (see set).
func (p *program) setUint(name string, v uint32) { p.set(name, uniformUint, uint64(v)) }

func (p *program) setInt(name string, v int32) { p.set(name, uniformInt, uint64(uint32(v))) }

func (p *program) setFloat(name string, v float32) {
	p.set(name, uniformFloat, uint64(math.Float32bits(v)))
}

func (p *program) setDouble(name string, v float64) { p.set(name, uniformDouble, math.Float64bits(v)) }

// release gives p's program back to the cache; safe on nil and twice.
func (p *program) release() {
	if p == nil || p.l == nil {
		return
	}
	l := p.l
	p.l = nil
	if l.owner == p {
		l.owner = nil
	}
	l.cache.unref(l)
}
