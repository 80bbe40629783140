//go:build linux && amd64 && !purego

package expr

import (
	"golang.org/x/sys/cpu"
	"golang.org/x/sys/unix"
)

// jitExec reports whether compiled loops can run here: linux/amd64
// with AVX.
var jitExec = cpu.X86.HasAVX

// mapCode copies code into memory of its own and makes that executable
// and read-only (never writable and executable at once). It fails where
// the system refuses executable mappings (a hardened kernel, SELinux's
// execmem); the interpreter then runs everything.
func mapCode(code []byte) ([]byte, error) {
	size := (len(code) + unix.Getpagesize() - 1) &^ (unix.Getpagesize() - 1)
	mem, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, err
	}
	copy(mem, code)
	if err := unix.Mprotect(mem, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	return mem, nil
}

// unmapCode releases mapCode's memory (an Objective's cleanup).
func unmapCode(mem []byte) { unix.Munmap(mem) }

// jitCall calls the compiled loop at code with its argument block in
// RDI (jit_exec_amd64.s). The loop touches no Go stack but its return
// address, and no register Go reserves (R14, R15, X15, RBP, RSP).
//
//go:noescape
func jitCall(code uintptr, args *jitArgs)
