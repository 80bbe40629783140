package viewer

import (
	"fmt"
	"image"
	"image/draw"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"gonum.org/v1/gonum/mat"
)

// Projection is the result of Project: each trajectory's points in the
// plane of the two principal directions, and the fraction of the points'
// variance each direction explains.
type Projection struct {
	Paths     [][][2]float64
	Explained [2]float64
}

// Project projects N-D trajectories (every point of every trajectory of
// the same length N) onto the first two principal directions of all their
// points pooled, centred at the points' mean, so that every trajectory is
// drawn in the same plane.
//
// It eigendecomposes the n x n Gram matrix of the centred points (n the
// number of points) rather than the N x N covariance: a view has a few
// hundred points of up to millions of parameters, and the coordinates
// along the k-th direction are sqrt(lambda_k) u_k, with (lambda_k, u_k) the
// Gram matrix's eigenpairs, so the N-vector directions are never formed.
// Each direction's sign is chosen so that the first trajectory ends at a
// larger coordinate than it starts (or, when it does not move along it,
// so that the largest coordinate is positive), so the picture does not
// flip between runs.
func Project(trajs [][][]float64) (Projection, error) {
	return ProjectFit(trajs, nil)
}

// ProjectFit is Project with the plane (the mean, the directions, the
// fractions explained and their signs) fitted to the trajectories marked
// in fit only (nil, or none marked: all of them); the others are projected
// onto it, each point's coordinate along direction k its dot product with
// d_k = X^T u_k / sqrt(lambda_k) (X the fitted points, centred), which
// costs n N per direction. gdgpu view leaves a diverged run out of the
// fit: its points run off to 1e13 and would take the whole variance,
// shrinking every other path to a dot.
func ProjectFit(trajs [][][]float64, fit []bool) (Projection, error) {
	var pr Projection
	n, dim := 0, -1
	for _, t := range trajs {
		for _, p := range t {
			if dim < 0 {
				dim = len(p)
			}
			if len(p) != dim {
				return pr, fmt.Errorf("viewer: Project: points of %d and %d values", dim, len(p))
			}
			if !finite(p...) {
				return pr, fmt.Errorf("viewer: Project: a trajectory point is not finite")
			}
			n++
		}
	}
	if n == 0 || dim < 1 {
		return pr, fmt.Errorf("viewer: Project: no points")
	}
	if fit != nil && len(fit) != len(trajs) {
		return pr, fmt.Errorf("viewer: Project: %d fit marks for %d trajectories", len(fit), len(trajs))
	}
	fitted := func(k int) bool { return fit == nil || fit[k] }
	nf := 0
	for k, t := range trajs {
		if fitted(k) {
			nf += len(t)
		}
	}
	if nf == 0 { // none marked, or only empty ones: fit them all
		fitted = func(int) bool { return true }
		nf = n
	}
	mean := make([]float64, dim)
	for k, t := range trajs {
		if !fitted(k) {
			continue
		}
		for _, p := range t {
			for i, v := range p {
				mean[i] += v
			}
		}
	}
	for i := range mean {
		mean[i] /= float64(nf)
	}
	x := mat.NewDense(nf, dim, nil)
	r := 0
	for k, t := range trajs {
		if !fitted(k) {
			continue
		}
		for _, p := range t {
			row := x.RawRowView(r)
			for i, v := range p {
				row[i] = v - mean[i]
			}
			r++
		}
	}
	var g mat.SymDense
	g.SymOuterK(1, x)
	fc := make([][2]float64, nf) // the fitted points' coordinates
	var dirs [2][]float64        // the directions, when a trajectory is not fitted
	if nf > 1 {
		var eig mat.EigenSym
		if !eig.Factorize(&g, true) {
			return pr, fmt.Errorf("viewer: Project: the eigendecomposition did not converge")
		}
		vals := eig.Values(nil) // ascending
		var vecs mat.Dense
		eig.VectorsTo(&vecs)
		total := 0.0
		for _, v := range vals {
			total += math.Max(v, 0)
		}
		for k := 0; k < 2 && k < nf; k++ {
			j := nf - 1 - k
			lam := math.Max(vals[j], 0)
			if total > 0 {
				pr.Explained[k] = lam / total
			}
			s := math.Sqrt(lam)
			for i := 0; i < nf; i++ {
				fc[i][k] = s * vecs.At(i, j)
			}
			if nf < n && s > 0 {
				d := make([]float64, dim)
				for i := 0; i < nf; i++ {
					ui := vecs.At(i, j) / s
					for c, v := range x.RawRowView(i) {
						d[c] += ui * v
					}
				}
				dirs[k] = d
			}
		}
	}
	coords := make([][][2]float64, len(trajs))
	r = 0
	for k, t := range trajs {
		if fitted(k) {
			coords[k] = fc[r : r+len(t) : r+len(t)]
			r += len(t)
			continue
		}
		coords[k] = make([][2]float64, len(t))
		for i, p := range t {
			for a, d := range dirs {
				if d == nil {
					continue
				}
				dot := 0.0
				for c, v := range p {
					dot += (v - mean[c]) * d[c]
				}
				coords[k][i][a] = dot
			}
		}
	}
	// Signs: see Project's doc comment; the first fitted trajectory decides.
	first := -1
	for k, t := range trajs {
		if fitted(k) && len(t) > 0 {
			first = k
			break
		}
	}
	for a := 0; a < 2; a++ {
		flip := false
		if t := coords[first]; len(t) > 1 && math.Abs(t[len(t)-1][a]-t[0][a]) > 1e-12*(1+math.Abs(t[0][a])) {
			flip = t[len(t)-1][a] < t[0][a]
		} else {
			big := 0.0
			for _, c := range fc {
				if math.Abs(c[a]) > math.Abs(big) {
					big = c[a]
				}
			}
			flip = big < 0
		}
		if flip {
			for _, t := range coords {
				for i := range t {
					t[i][a] = -t[i][a]
				}
			}
		}
	}
	pr.Paths = coords
	return pr, nil
}

// RenderProjection draws 2-D paths (the coordinates Project gives) on a
// plain plot, w x h pixels, over the paths' extent plus a margin, with
// labelled axes named xlabel and ylabel, each path's start (open square)
// and end (filled disc) marked as on the landscape, and the legend. box,
// when not nil, is the extent x0,x1,y0,y1 to frame (plus the same margin) instead of the paths
// extent, so the frames of a growing trajectory keep their axes. th gives
// the background, grid and text colours.
func RenderProjection(w, h int, paths []Path, xlabel, ylabel string, box []float64, th Theme) (*image.RGBA, error) {
	if w < 4*leftMargin || h < 4*leftMargin {
		return nil, fmt.Errorf("viewer: a %dx%d projection panel is too small", w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(th.Panel), image.Point{}, draw.Src)
	lo := [2]float64{math.Inf(1), math.Inf(1)}
	hi := [2]float64{math.Inf(-1), math.Inf(-1)}
	for _, p := range paths {
		for _, q := range p.Points {
			if finite(q[0], q[1]) {
				for i := range q {
					lo[i], hi[i] = math.Min(lo[i], q[i]), math.Max(hi[i], q[i])
				}
			}
		}
	}
	if box != nil {
		if len(box) != 4 || !finite(box...) || !(box[1] > box[0]) || !(box[3] > box[2]) {
			return nil, fmt.Errorf("viewer: projection box %v: want finite x0 < x1, y0 < y1", box)
		}
		lo, hi = [2]float64{box[0], box[2]}, [2]float64{box[1], box[3]}
	}
	var ax [2]axis
	for i := range ax {
		ax[i] = projAxis(lo[i], hi[i])
	}
	face := basicfont.Face7x13
	r := image.Rect(leftMargin, plotPad+lineH, w-plotPad-4, h-plotGap-lineH)
	// A tick label wider than the margin ("-1.5e-07") widens it.
	_, yl := ax[1].ticks(max(r.Dy()/40, 2))
	r.Min.X = labelMargin(face, yl)
	draw.Draw(img, r, image.NewUniform(th.Plot), image.Point{}, draw.Src)
	frame(img, r, th.Grid)
	toPix := func(q [2]float64) (float64, float64) {
		return float64(r.Min.X) + ax[0].t(q[0])*float64(r.Dx()-1), float64(r.Max.Y-1) - ax[1].t(q[1])*float64(r.Dy()-1)
	}
	vals, labels := ax[1].ticks(max(r.Dy()/40, 2))
	for i, v := range vals {
		_, y := toPix([2]float64{0, v})
		yi := int(math.Round(y))
		for x := r.Min.X; x < r.Max.X; x++ {
			set(img, x, yi, th.Grid)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, r.Min.X-4-lw, yi+4, th.Text, labels[i])
	}
	vals, labels = ax[0].ticks(max(r.Dx()/80, 2))
	for i, v := range vals {
		x, _ := toPix([2]float64{v, 0})
		xi := int(math.Round(x))
		for y := r.Min.Y; y < r.Max.Y; y++ {
			set(img, xi, y, th.Grid)
		}
		lw := font.MeasureString(face, labels[i]).Ceil()
		text(img, face, min(max(xi-lw/2, 1), w-1-lw), r.Max.Y+13, th.Text, labels[i]) // whole, inside the panel
	}
	text(img, face, r.Min.X, r.Max.Y+13+lineH, th.Text, xlabel)
	text(img, face, r.Min.X, r.Min.Y-4, th.Text, ylabel)
	sub := img.SubImage(r).(*image.RGBA)
	// Cased in the plot's own background: crossing paths part, and the
	// grid stops short of them.
	drawPaths(sub, ax[0].lo, ax[0].hi, ax[1].lo, ax[1].hi, paths, th.Plot)
	legend(sub, paths, th.Plot, th.Text)
	return img, nil
}

// projAxis is a projection axis framing [lo, hi] (none when lo > hi:
// [-1, 1]) with a margin of 8% on each side, rounded out to its ticks.
func projAxis(lo, hi float64) axis {
	if lo > hi {
		lo, hi = -1, 1
	}
	span := math.Max(hi-lo, 1e-12*math.Max(1, math.Abs(lo)))
	st := niceStep(1.16 * span / 4)
	return axis{lo: math.Floor((lo-0.08*span)/st) * st, hi: math.Ceil((hi+0.08*span)/st) * st}
}

// SideBySide places b to the right of a, top-aligned, on th's panel
// background.
func SideBySide(a, b *image.RGBA, th Theme) *image.RGBA {
	w := a.Rect.Dx() + b.Rect.Dx()
	h := max(a.Rect.Dy(), b.Rect.Dy())
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(th.Panel), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, a.Rect.Dx(), a.Rect.Dy()), a, a.Rect.Min, draw.Src)
	draw.Draw(img, image.Rect(a.Rect.Dx(), 0, w, b.Rect.Dy()), b, b.Rect.Min, draw.Src)
	return img
}

// WritePNG writes img to path atomically: a temporary file in the same
// folder, renamed over path once complete, so a reader (or a crash) never
// sees half a picture.
func WritePNG(path string, img image.Image) error {
	return writeAtomic(path, img)
}
