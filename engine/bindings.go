package engine

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// bindingDefines names every SSBO binding point, and the StepScalars
// uniform block's (a numbering of its own), as the shaders see them:
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
	"BIND_LB_A":         bindLBA,
	"BIND_LB_B":         bindLBB,
	"BIND_LB_C":         bindLBC,
	"BIND_LB_OUT":       bindLBOut,
	"BIND_LB_SC":        bindLBSc,
	"BIND_GEMM_A":       bindGemmA,
	"BIND_GEMM_B":       bindGemmB,
	"BIND_GEMM_C":       bindGemmC,
	"BIND_GEMM_E":       bindGemmE,
	"BIND_STEP_SCALARS": bindStepScalars,
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

// withBindings puts the binding defines after src's #version line (the
// first directive, as GLSL requires; comments and blank lines may come
// before it), then a #line directive, so that the compiler's log numbers
// the lines as src does (ShaderError prints src, numbered); a source
// without a #version line gets them first, then "#line 1".
func withBindings(src string) string {
	at := 0 // the offset of the line being looked at
	for line := 1; at < len(src); line++ {
		end := strings.IndexByte(src[at:], '\n')
		if end < 0 {
			break // a #version with nothing after it is not a shader
		}
		if strings.HasPrefix(strings.TrimSpace(src[at:at+end]), "#version") {
			next := at + end + 1
			return src[:next] + bindingPreamble + "#line " + strconv.Itoa(line+1) + "\n" + src[next:]
		}
		at += end + 1
	}
	return bindingPreamble + "#line 1\n" + src
}
