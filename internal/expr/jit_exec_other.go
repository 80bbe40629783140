//go:build !linux || !amd64 || purego

package expr

import "errors"

// jitExec is false here: the interpreter runs every program.
var jitExec = false

func mapCode(code []byte) ([]byte, error) { return nil, errors.New("expr: no JIT here") }

func unmapCode(mem []byte) {}

func jitCall(code uintptr, args *jitArgs) { panic("expr: jitCall without a JIT") }
