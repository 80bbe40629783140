// Package shaders holds gdgpu's GLSL compute shader sources, embedded in the
// binary. A kernel is assembled from a preamble (version and defines), the
// shared declarations, one objective, one optimizer and a main body; see
// Assemble. Package engine compiles them.
package shaders

import (
	"embed"
	"fmt"
	"sort"
	"strings"
)

//go:embed *.glsl
var files embed.FS

// Source returns the embedded file name (e.g. "adam.glsl").
func Source(name string) (string, error) {
	b, err := files.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("shaders: no shader %q", name)
	}
	return string(b), nil
}

// Names lists the embedded files.
func Names() []string {
	ents, _ := files.ReadDir(".")
	var n []string
	for _, e := range ents {
		n = append(n, e.Name())
	}
	return n
}

// Assemble builds one compute shader: "#version 430 core", a #define for each
// entry of defines (sorted, so the same inputs give the same text), then the
// named files in order.
func Assemble(defines map[string]string, parts ...string) (string, error) {
	texts := make([]string, len(parts))
	for i, p := range parts {
		src, err := Source(p)
		if err != nil {
			return "", err
		}
		texts[i] = src
	}
	return AssembleText(defines, texts...), nil
}

// AssembleText is Assemble of GLSL texts rather than embedded files (a
// user's objective among them); each text ends with a newline in the
// result.
func AssembleText(defines map[string]string, texts ...string) string {
	var b strings.Builder
	b.WriteString("#version 430 core\n")
	keys := make([]string, 0, len(defines))
	for k := range defines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "#define %s %s\n", k, defines[k])
	}
	for _, src := range texts {
		b.WriteString(src)
		if !strings.HasSuffix(src, "\n") {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
