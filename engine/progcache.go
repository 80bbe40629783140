package engine

import (
	"math"
	"slices"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// The program cache: a Context compiles each assembled source once, so a
// second backend of a job (view's races, compare's), a window's restart or
// a landscape drawn again links nothing new. Programs are shared, but the
// uniforms a backend sets once for its job (n, the clip values, the
// hyperparameters) and those it sets per dispatch live in the GL program,
// which two backends of different jobs would overwrite for each other.
// Each backend therefore holds its own handle (program), which keeps its
// uniform values, and the GL program remembers which handle wrote it last:
// a handle used after another writes its values again first (claim). That
// costs nothing while one backend uses a program, and one
// glProgramUniform per uniform the kernel has when backends alternate,
// against a per-backend uniform buffer, which would change every shader's
// declarations and bind a buffer per dispatch for the same effect.
//
// A failed compile or link is not cached: the same source is compiled
// again, and its ShaderError reported again, by every caller.

// maxIdlePrograms is how many programs no handle uses the cache keeps, the
// most recently released first, for a restart or the next job: a program
// is a few hundred kilobytes of driver memory.
const maxIdlePrograms = 64

// linked is one linked GL program, shared by the handles of every kernel
// assembled from the same source.
type linked struct {
	id       uint32
	key      string // the assembled source
	cache    *programCache
	refs     int              // handles holding it
	uniforms map[string]int32 // locations looked up so far
	slots    []uniformSlot    // every uniform a handle has set
	owner    *program         // the handle whose values the GL program holds, or nil
}

// programCache is a Context's programs by source. It is used on the GL
// thread only.
type programCache struct {
	byKey    map[string]*linked
	idle     []*linked // unused programs kept, oldest first
	compiles int       // compileProgram calls, failed ones too (tests count them)
}

// program returns a handle on the program compiled from src (assembled
// source, without the binding defines, which are the same in every
// kernel), compiling it only when the cache has none. name is the kernel's,
// for its ShaderError. On the GL thread.
func (c *Context) program(name, src string) (*program, error) {
	pc := &c.progs
	l := pc.byKey[src]
	if l == nil {
		id, err := c.compileProgram(name, src)
		if err != nil {
			return nil, err
		}
		l = &linked{id: id, key: src, cache: pc, uniforms: map[string]int32{}}
		if pc.byKey == nil {
			pc.byKey = map[string]*linked{}
		}
		pc.byKey[src] = l
	}
	if l.refs == 0 {
		if i := slices.Index(pc.idle, l); i >= 0 {
			pc.idle = slices.Delete(pc.idle, i, i+1)
		}
	}
	l.refs++
	return &program{l: l, name: name}, nil
}

// unref drops a handle's reference to l, keeping l among the idle
// programs when it was the last, and deleting the oldest idle program
// beyond maxIdlePrograms.
func (pc *programCache) unref(l *linked) {
	l.refs--
	if l.refs > 0 {
		return
	}
	pc.idle = append(pc.idle, l)
	if len(pc.idle) > maxIdlePrograms {
		pc.drop(pc.idle[0])
		pc.idle = pc.idle[1:]
	}
}

// drop deletes l's GL program and forgets it.
func (pc *programCache) drop(l *linked) {
	gl.DeleteProgram(l.id)
	l.id = 0
	delete(pc.byKey, l.key)
}

// deleteAll deletes every program, used or not (Context.Close: backends
// are closed first, and a handle left over must not keep one alive).
func (pc *programCache) deleteAll() {
	for _, l := range pc.byKey {
		pc.drop(l)
	}
	pc.idle = nil
}

// live is the number of GL programs the cache holds, and how many of
// them no handle uses.
func (pc *programCache) live() (all, idle int) { return len(pc.byKey), len(pc.idle) }

// loc returns a uniform's location, -1 if the compiler dropped it (unused),
// which glProgramUniform* ignores by definition.
func (l *linked) loc(name string) int32 {
	if loc, ok := l.uniforms[name]; ok {
		return loc
	}
	loc := gl.GetUniformLocation(l.id, gl.Str(name+"\x00"))
	l.uniforms[name] = loc
	return loc
}

// slot returns the index of the uniform at loc among l's slots, adding it
// with the value linking gave it (read back, as no handle has written it
// yet) when it is new.
func (l *linked) slot(loc int32, kind uniformKind) int {
	for i := range l.slots {
		if l.slots[i].loc == loc {
			return i
		}
	}
	var init uint64
	switch kind {
	case uniformUint:
		var v uint32
		gl.GetUniformuiv(l.id, loc, &v)
		init = uint64(v)
	case uniformInt:
		var v int32
		gl.GetUniformiv(l.id, loc, &v)
		init = uint64(uint32(v))
	case uniformFloat:
		var v float32
		gl.GetUniformfv(l.id, loc, &v)
		init = uint64(math.Float32bits(v))
	case uniformDouble:
		var v float64
		gl.GetUniformdv(l.id, loc, &v)
		init = math.Float64bits(v)
	}
	l.slots = append(l.slots, uniformSlot{loc: loc, kind: kind, init: init})
	return len(l.slots) - 1
}

// write sets slot i of the GL program to bits.
func (l *linked) write(i int, bits uint64) {
	s := l.slots[i]
	switch s.kind {
	case uniformUint:
		gl.ProgramUniform1ui(l.id, s.loc, uint32(bits))
	case uniformInt:
		gl.ProgramUniform1i(l.id, s.loc, int32(uint32(bits)))
	case uniformFloat:
		gl.ProgramUniform1f(l.id, s.loc, math.Float32frombits(uint32(bits)))
	case uniformDouble:
		gl.ProgramUniform1d(l.id, s.loc, math.Float64frombits(bits))
	}
}
