package viewer

import (
	"fmt"
	"image"
)

// DiffStats is what Diff found: how many pixels differ by more than the
// tolerance in some channel, out of how many, the largest channel
// difference seen anywhere, and the most differing pixels found in any
// ClusterSize x ClusterSize window. Rounding noise scatters single pixels
// (Clustered stays 1 or 2), while a material change (a glyph, a mark, a
// moved line) differs in a compact patch, however few pixels it has.
type DiffStats struct {
	Differing, Total int
	MaxDelta         int
	Clustered        int
}

// ClusterSize is the side of the window DiffStats.Clustered counts in.
const ClusterSize = 8

// Fraction is Differing / Total (0 for an empty image).
func (d DiffStats) Fraction() float64 {
	if d.Total == 0 {
		return 0
	}
	return float64(d.Differing) / float64(d.Total)
}

// Diff compares two pictures pixel by pixel, in 8-bit RGBA: a pixel
// differs when any channel differs by more than tol. Pictures of
// different sizes are an error, not a difference, so a layout change is
// never mistaken for a small drift.
func Diff(a, b image.Image, tol int) (DiffStats, error) {
	var d DiffStats
	ra, rb := a.Bounds(), b.Bounds()
	if ra.Dx() != rb.Dx() || ra.Dy() != rb.Dy() {
		return d, fmt.Errorf("viewer: comparing a %dx%d picture with a %dx%d one", ra.Dx(), ra.Dy(), rb.Dx(), rb.Dy())
	}
	d.Total = ra.Dx() * ra.Dy()
	// sum[(y+1)*(w+1)+x+1] counts the differing pixels above and left of
	// (x, y), inclusive: any window's count in four look-ups.
	w := ra.Dx()
	sum := make([]int32, (ra.Dy()+1)*(w+1))
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			ca := rgba8(a.At(ra.Min.X+x, ra.Min.Y+y))
			cb := rgba8(b.At(rb.Min.X+x, rb.Min.Y+y))
			worst := 0
			for i := range ca {
				worst = max(worst, abs(ca[i]-cb[i]))
			}
			d.MaxDelta = max(d.MaxDelta, worst)
			v := int32(0)
			if worst > tol {
				d.Differing++
				v = 1
			}
			sum[(y+1)*(w+1)+x+1] = v + sum[y*(w+1)+x+1] + sum[(y+1)*(w+1)+x] - sum[y*(w+1)+x]
		}
	}
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < w; x++ {
			x1, y1 := min(x+ClusterSize, w), min(y+ClusterSize, ra.Dy())
			n := sum[y1*(w+1)+x1] - sum[y*(w+1)+x1] - sum[y1*(w+1)+x] + sum[y*(w+1)+x]
			d.Clustered = max(d.Clustered, int(n))
		}
	}
	return d, nil
}

func rgba8(c interface{ RGBA() (r, g, b, a uint32) }) [4]int {
	r, g, b, a := c.RGBA()
	return [4]int{int(r >> 8), int(g >> 8), int(b >> 8), int(a >> 8)}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
