package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGenerated checks that the checked-in eval_amd64.s is the
// generator's output for the checked-in eval.go: regenerate it with go
// generate in internal/expr after changing either.
func TestGenerated(t *testing.T) {
	src, err := os.ReadFile("../../eval.go")
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../eval_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("eval_amd64.s is not genasm's output (run go generate in internal/expr): line %d is %q, want %q", i+1, gl, wl)
		}
	}
}

// TestVopOrder checks that generate refuses a table out of step with
// eval.go's vop constants.
func TestVopOrder(t *testing.T) {
	src, err := os.ReadFile("../../eval.go")
	if err != nil {
		t.Fatal(err)
	}
	codes, err := vops(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want int
	}{{"vConst", 0}, {"vAdd", 4}, {"vSq", 17}} {
		if codes[c.name] != c.want {
			t.Errorf("%s = %d, want %d", c.name, codes[c.name], c.want)
		}
	}
	// A vop inserted before vSq moves it, and the generator must say so
	// rather than emit loops under the wrong codes.
	moved := bytes.Replace(src, []byte("\tvNeg\n"), []byte("\tvNeg\n\tvNew\n"), 1)
	if bytes.Equal(moved, src) {
		t.Fatal("eval.go has no vNeg line to insert after")
	}
	if _, err := generate(moved); err == nil {
		t.Error("generate accepted eval.go with a vop between vNeg and vSq")
	}
}
