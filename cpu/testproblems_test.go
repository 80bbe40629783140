package cpu

import "github.com/gdgpu/gdgpu/internal/testproblems"

// The tests' tables over gdgpu.Problems cover a problem written as a
// library user writes one (internal/testproblems), besides the built-ins.
func init() { testproblems.Register() }
