package testcases

import (
	"math"
	"math/rand/v2"
)

// Specials are the values the vector kernels must treat exactly as the
// scalar loops do: signed zeros, subnormals, the normal range's ends,
// values whose squares overflow or underflow, infinities, and NaNs with
// distinct payloads and signs (quiet and signalling), so that an operation
// meeting two NaNs shows which operand's NaN it returned.
var Specials = []float64{
	0, math.Copysign(0, -1),
	5e-324, -5e-324, 2.2250738585072009e-308, -1e-310,
	2.2250738585072014e-308, -2.2250738585072014e-308,
	1e-200, -1e-170, 1e160, -1e200,
	math.MaxFloat64, -math.MaxFloat64,
	1, -1, 0.5,
	math.Inf(1), math.Inf(-1),
	math.Float64frombits(0x7ff8000000000001), math.Float64frombits(0xfff8000000000002),
	math.Float64frombits(0x7ff0000000000003), math.Float64frombits(0xfff4000000000004),
	math.NaN(),
}

// VecInput fills v with random values across the exponent range, a
// special one in about one element of five, and NaNs carrying tag (which
// input they came from) in their payload.
func VecInput(r *rand.Rand, v []float64, tag uint64) {
	for i := range v {
		switch {
		case r.IntN(5) == 0:
			s := Specials[r.IntN(len(Specials))]
			if s != s { // a NaN: give it this input's tag too
				s = math.Float64frombits(math.Float64bits(s) | tag<<40)
			}
			v[i] = s
		default:
			v[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(21)-10))
		}
	}
}

// FirstBitDiff reports the first index at which a and b differ in any bit, or -1.
func FirstBitDiff(a, b []float64) int {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return i
		}
	}
	return -1
}
