package engine

import (
	"fmt"
	"strings"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// program is a linked compute program with its uniform locations.
type program struct {
	id       uint32
	name     string
	uniforms map[string]int32
	programFlags
}

// programFlags say which buffers a step-shaped kernel reads and writes
// beyond x and partials.
type programFlags struct {
	update   bool // writes xout and the optimizer state
	usesGrad bool // reads or writes the stored gradient
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

// compileProgram compiles and links a compute shader. Nothing is leaked on
// failure, and the debug messages the failure raised are dropped: the
// ShaderError carries the same log. On the GL thread.
func (c *Context) compileProgram(name, src string) (p *program, err error) {
	defer func() {
		if err != nil {
			c.mu.Lock()
			c.debug = nil
			c.mu.Unlock()
		}
	}()
	sh := gl.CreateShader(gl.COMPUTE_SHADER)
	if sh == 0 {
		return nil, fmt.Errorf("engine: glCreateShader failed for %s: %s", name, glErrorName(gl.GetError()))
	}
	defer gl.DeleteShader(sh) // flagged for deletion; freed once detached from the program
	csrc, free := gl.Strs(withBindings(src) + "\x00")
	gl.ShaderSource(sh, 1, csrc, nil)
	free()
	gl.CompileShader(sh)
	var ok int32
	gl.GetShaderiv(sh, gl.COMPILE_STATUS, &ok)
	if ok == gl.FALSE {
		return nil, &ShaderError{Name: name, Stage: "compile", Log: shaderLog(sh, false), Source: src}
	}
	id := gl.CreateProgram()
	gl.AttachShader(id, sh)
	gl.LinkProgram(id)
	gl.DetachShader(id, sh)
	gl.GetProgramiv(id, gl.LINK_STATUS, &ok)
	if ok == gl.FALSE {
		log := shaderLog(id, true)
		gl.DeleteProgram(id)
		return nil, &ShaderError{Name: name, Stage: "link", Log: log, Source: src}
	}
	return &program{id: id, name: name, uniforms: map[string]int32{}}, nil
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

// loc returns a uniform's location, -1 if the compiler dropped it (unused),
// which glUniform* ignores by definition.
func (p *program) loc(name string) int32 {
	if l, ok := p.uniforms[name]; ok {
		return l
	}
	l := gl.GetUniformLocation(p.id, gl.Str(name+"\x00"))
	p.uniforms[name] = l
	return l
}

func (p *program) delete() {
	if p != nil && p.id != 0 {
		gl.DeleteProgram(p.id)
		p.id = 0
	}
}
