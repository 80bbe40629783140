package engine

import (
	"errors"
	"fmt"
	"image"
	"strings"
	"unsafe"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// Screen draws an RGBA picture in an adopted window's framebuffer
// (AdoptCurrent): one texture, and a triangle that covers a viewport. It
// is the window's drawing, the one GL work outside the engine's own
// kernels, kept here so that every GL call stays in this package and on
// the Context's thread. Its GL objects are made on the first Upload.
//
// A Screen is not safe for concurrent use; Close it before its Context.
type Screen struct {
	c              *Context
	prog, vao, tex uint32
	tw, th         int
}

// NewScreen returns a Screen that draws with c.
func (c *Context) NewScreen() *Screen { return &Screen{c: c} }

const screenVS = `#version 430 core
out vec2 uv;
const vec2 pos[3] = vec2[3](vec2(-1.0, -1.0), vec2(3.0, -1.0), vec2(-1.0, 3.0));
void main() {
	gl_Position = vec4(pos[gl_VertexID], 0.0, 1.0);
	uv = (pos[gl_VertexID] + 1.0) * 0.5;
	uv.y = 1.0 - uv.y; // the picture's row 0 is its top
}
`

const screenFS = `#version 430 core
in vec2 uv;
out vec4 color;
uniform sampler2D pic;
void main() { color = texture(pic, uv); }
`

// init makes the program, vertex array and texture once. On the GL thread.
func (s *Screen) init() error {
	if s.prog != 0 {
		return nil
	}
	vs, err := compileScreenShader(gl.VERTEX_SHADER, screenVS)
	if err != nil {
		return err
	}
	defer gl.DeleteShader(vs)
	fs, err := compileScreenShader(gl.FRAGMENT_SHADER, screenFS)
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
		log := screenLog(p, true)
		gl.DeleteProgram(p)
		return fmt.Errorf("engine: linking the window's blit program: %s", log)
	}
	s.prog = p
	gl.GenVertexArrays(1, &s.vao) // core profile: a draw needs a vertex array, even an empty one
	gl.GenTextures(1, &s.tex)
	gl.BindTexture(gl.TEXTURE_2D, s.tex)
	// Nearest: the picture is drawn at the framebuffer's size, pixel for pixel.
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE)
	gl.TexParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE)
	return nil
}

// Upload puts pic in the Screen's texture, to be drawn by the next Draws.
func (s *Screen) Upload(pic *image.RGBA) error {
	if pic == nil || pic.Rect.Empty() {
		return errors.New("engine: uploading the picture: it is empty")
	}
	return s.c.do(func() error {
		if err := s.init(); err != nil {
			return err
		}
		w, h := pic.Rect.Dx(), pic.Rect.Dy()
		gl.BindTexture(gl.TEXTURE_2D, s.tex)
		gl.PixelStorei(gl.UNPACK_ALIGNMENT, 1)
		gl.PixelStorei(gl.UNPACK_ROW_LENGTH, int32(pic.Stride/4))
		if w != s.tw || h != s.th {
			gl.TexImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, int32(w), int32(h), 0, gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pic.Pix[0]))
			s.tw, s.th = w, h
		} else {
			gl.TexSubImage2D(gl.TEXTURE_2D, 0, 0, 0, int32(w), int32(h), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pic.Pix[0]))
		}
		gl.PixelStorei(gl.UNPACK_ROW_LENGTH, 0)
		return screenCheck("uploading the picture")
	})
}

// Draw clears the fbw x fbh default framebuffer and draws the uploaded
// picture over the viewport at (glViewport's coordinates, from the
// framebuffer's bottom left; nearest filtering). Before the first Upload
// it only clears.
func (s *Screen) Draw(fbw, fbh int, at image.Rectangle) error {
	return s.c.do(func() error {
		gl.BindFramebuffer(gl.FRAMEBUFFER, 0)
		gl.Viewport(0, 0, int32(fbw), int32(fbh))
		gl.ClearColor(0.17, 0.17, 0.2, 1)
		gl.Clear(gl.COLOR_BUFFER_BIT)
		if s.tw == 0 {
			return nil
		}
		gl.Viewport(int32(at.Min.X), int32(at.Min.Y), int32(at.Dx()), int32(at.Dy()))
		gl.UseProgram(s.prog)
		gl.ActiveTexture(gl.TEXTURE0)
		gl.BindTexture(gl.TEXTURE_2D, s.tex)
		gl.Uniform1i(gl.GetUniformLocation(s.prog, gl.Str("pic\x00")), 0)
		gl.BindVertexArray(s.vao)
		gl.DrawArrays(gl.TRIANGLES, 0, 3)
		gl.BindVertexArray(0)
		gl.UseProgram(0)
		return screenCheck("drawing the picture")
	})
}

// Read reads the default framebuffer's w x h pixels back (glReadPixels,
// before the buffers are swapped: what Draw drew), rows top first as an
// image's.
func (s *Screen) Read(w, h int) (*image.RGBA, error) {
	if w < 1 || h < 1 {
		return nil, fmt.Errorf("engine: reading the picture back: %d x %d pixels", w, h)
	}
	pixels := make([]byte, 4*w*h)
	if err := s.c.do(func() error {
		gl.PixelStorei(gl.PACK_ALIGNMENT, 1)
		gl.ReadPixels(0, 0, int32(w), int32(h), gl.RGBA, gl.UNSIGNED_BYTE, unsafe.Pointer(&pixels[0]))
		return nil
	}); err != nil {
		return nil, err
	}
	// GL's rows start at the bottom.
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		copy(img.Pix[y*img.Stride:y*img.Stride+4*w], pixels[(h-1-y)*4*w:(h-y)*4*w])
	}
	return img, nil
}

// Close deletes the Screen's GL objects; it is idempotent.
func (s *Screen) Close() error {
	return s.c.do(func() error {
		if s.prog != 0 {
			gl.DeleteProgram(s.prog)
			gl.DeleteVertexArrays(1, &s.vao)
			gl.DeleteTextures(1, &s.tex)
			s.prog, s.tw, s.th = 0, 0, 0
		}
		return nil
	})
}

// compileScreenShader compiles one of the Screen's two shaders; nothing
// is leaked on failure. On the GL thread.
func compileScreenShader(kind uint32, src string) (uint32, error) {
	s := gl.CreateShader(kind)
	cs, free := gl.Strs(src + "\x00")
	defer free()
	gl.ShaderSource(s, 1, cs, nil)
	gl.CompileShader(s)
	var ok int32
	gl.GetShaderiv(s, gl.COMPILE_STATUS, &ok)
	if ok == 0 {
		log := screenLog(s, false)
		gl.DeleteShader(s)
		return 0, fmt.Errorf("engine: compiling the window's shader: %s\n%s", log, src)
	}
	return s, nil
}

// screenLog is a shader's or program's info log as the window's messages
// have always given it (shaderLog words an empty log for the kernels').
func screenLog(id uint32, isProgram bool) string {
	var n int32
	if isProgram {
		gl.GetProgramiv(id, gl.INFO_LOG_LENGTH, &n)
	} else {
		gl.GetShaderiv(id, gl.INFO_LOG_LENGTH, &n)
	}
	log := make([]byte, n+1)
	if isProgram {
		gl.GetProgramInfoLog(id, n, nil, &log[0])
	} else {
		gl.GetShaderInfoLog(id, n, nil, &log[0])
	}
	return strings.TrimRight(string(log), "\x00")
}

// screenCheck reports a pending GL error of the Screen's work: the window
// draws without Options.Debug, so do does not check for it.
func screenCheck(what string) error {
	if code := gl.GetError(); code != gl.NO_ERROR {
		return fmt.Errorf("engine: %s: GL error 0x%x", what, code)
	}
	return nil
}
