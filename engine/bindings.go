package engine

import (
	"fmt"
	"sort"
	"strings"
)

// bindingDefines names every SSBO binding point as the shaders see it:
// compileProgram defines each as BIND_<NAME> in every kernel, so that a
// binding number is written once, in the Go constants, and shaders/*.glsl
// say layout(binding = BIND_XIN) and so on.
var bindingDefines = map[string]uint32{
	"BIND_XIN":          bindXIn,
	"BIND_XOUT":         bindXOut, // landscape.glsl's Land too
	"BIND_S0":           stateBindings[0],
	"BIND_S1":           stateBindings[1],
	"BIND_S2":           stateBindings[2],
	"BIND_COEF":         bindCoef,
	"BIND_PARTIALS":     bindPartials,
	"BIND_RING":         bindRing,
	"BIND_GRAD":         bindGrad,
	"BIND_CLIP_SCALE":   bindScale,
	"BIND_FLAGS":        bindFlags,
	"BIND_FLAG_RING":    bindFlagRing,
	"BIND_GLOB":         bindGlob,
	"BIND_PRE_PARTIALS": bindPrePart,
	"BIND_DATA_X":       bindDataX,
	"BIND_DATA_Y":       bindDataY,
	"BIND_ORDER":        bindOrder,
	"BIND_DZ":           bindDZ,
	"BIND_GPART":        bindGPart,
}

// bindingPreamble is the #define lines of bindingDefines, in name order.
var bindingPreamble = func() string {
	names := make([]string, 0, len(bindingDefines))
	for n := range bindingDefines {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "#define %s %d\n", n, bindingDefines[n])
	}
	return b.String()
}()

// withBindings puts the binding defines after src's #version line (first,
// as GLSL requires), then "#line 2", so that the compiler's log numbers
// the lines as src does (ShaderError prints src, numbered); a source
// without a #version line gets them first, then "#line 1".
func withBindings(src string) string {
	if strings.HasPrefix(src, "#version") {
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			return src[:i+1] + bindingPreamble + "#line 2\n" + src[i+1:]
		}
	}
	return bindingPreamble + "#line 1\n" + src
}
