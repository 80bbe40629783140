//go:build amd64 && !purego && !amd64.v3

package expr

import "github.com/gdgpu/gdgpu/internal/kern"

// trigAVX is trig_amd64.s's math.Sin (math.Cos with cos) of a[e] into
// d[e], four lanes at a time, for e up to n (a multiple of 4) or up to the
// first group of four with a lane it leaves to math (NaN, ±Inf, |x| >=
// 1<<29); it returns how many it wrote. It is math/sin.go's arithmetic,
// so the bits are math's; GOAMD64 v3 and above are left out because the
// compiler fuses math/sin.go's x*y+z into FMA there (trig_other.go).
//
//go:noescape
func trigAVX(cos bool, d, a *float64, n int) int

// blockTrig writes math.Sin(a[e]) (math.Cos with cos) into d[e] for a
// prefix of d, with AVX, and returns its length: a multiple of 4, short
// of len(d)&^3 only at a group of four that holds a lane the kernel
// leaves to math (run then takes that element with math and goes on); 0
// without AVX. len(a) >= len(d); d may be a.
func blockTrig(cos bool, d, a []float64) int {
	n := len(d) &^ 3
	if !kern.UseAVX || n == 0 {
		return 0
	}
	_ = a[n-1] // the kernel reads n
	return trigAVX(cos, &d[0], &a[0], n)
}
