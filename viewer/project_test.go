package viewer

import (
	"image"
	"math"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
)

// TestProjectKnownPlane: points on a known plane in R^5 (spanned by two
// orthogonal directions, with more spread along the first) project to
// their coordinates in that plane, up to the documented signs, with all
// the variance explained by the two directions.
func TestProjectKnownPlane(t *testing.T) {
	u := []float64{1, 1, 0, 0, 0}
	v := []float64{0, 0, 1, -1, 1}
	nu, nv := math.Sqrt(2), math.Sqrt(3)
	c := []float64{7, -3, 2, 5, 1} // an offset: Project centres the points
	var a, b []float64
	var traj [][]float64
	for i := 0; i < 20; i++ {
		s := float64(i) - 9.5    // along u, spread 5.8
		r := 2 * math.Cos(0.7*s) // even in s: uncorrelated with it
		p := make([]float64, 5)
		for j := range p {
			p[j] = c[j] + s*u[j]/nu + r*v[j]/nv
		}
		traj = append(traj, p)
		a, b = append(a, s), append(b, r)
	}
	pr, err := Project([][][]float64{traj})
	if err != nil {
		t.Fatal(err)
	}
	if e := pr.Explained[0] + pr.Explained[1]; math.Abs(e-1) > 1e-12 {
		t.Errorf("explained %v, want a sum of 1", pr.Explained)
	}
	mb := 0.0
	for _, x := range b {
		mb += x / float64(len(b))
	}
	// The path runs towards +s, so the first coordinate is s itself (mean
	// 0). It ends where it starts along v, so the second's sign makes the
	// largest coordinate positive.
	sign, big := 1.0, 0.0
	for _, x := range b {
		if math.Abs(x-mb) > math.Abs(big) {
			big = x - mb
		}
	}
	if big < 0 {
		sign = -1
	}
	for i, q := range pr.Paths[0] {
		if math.Abs(q[0]-a[i]) > 1e-9 || math.Abs(q[1]-sign*(b[i]-mb)) > 1e-9 {
			t.Fatalf("point %d: %v, want (%g, %g)", i, q, a[i], sign*(b[i]-mb))
		}
	}
}

func TestProjectErrors(t *testing.T) {
	if _, err := Project(nil); err == nil || !strings.HasPrefix(err.Error(), "viewer: ") {
		t.Errorf("no points: %v", err)
	}
	if _, err := Project([][][]float64{{{1, 2, 3}, {1, 2}}}); err == nil {
		t.Error("ragged points: no error")
	}
	if _, err := Project([][][]float64{{{1, math.NaN(), 3}}}); err == nil {
		t.Error("NaN point: no error")
	}
	// A single point projects to the origin without failing.
	pr, err := Project([][][]float64{{{1, 2, 3}}})
	if err != nil || pr.Paths[0][0] != [2]float64{} {
		t.Errorf("one point: %v, %v", pr, err)
	}
}

// TestCurvesScales: a loss that reaches 0 keeps the log scale, its zeros
// on a floor a decade below the smallest positive value; a negative value
// makes the scale linear; all zeros are linear too; bad series are
// errors, not panics.
func TestCurvesScales(t *testing.T) {
	if a := valueAxis([]float64{1e-3, 10, math.NaN()}); !a.log || a.lo != -3 || a.hi != 1 || a.zeros {
		t.Errorf("positive values: %+v, want log decades -3..1", a)
	}
	if a := valueAxis([]float64{1e-3, 0, 10}); !a.log || !a.zeros || a.lo != -4 || a.hi != 1 || a.t(0) != 0 || math.Abs(a.t(1e-4)) > 1e-12 {
		t.Errorf("values reaching 0: %+v, want log decades -4..1 with 0 at the floor", a)
	}
	if a := valueAxis([]float64{0, 0}); a.log {
		t.Errorf("all zeros: %+v, want a linear axis", a)
	}
	if a := valueAxis([]float64{-1.5, 0, 2}); a.log || a.lo > -1.5 || a.hi < 2 {
		t.Errorf("signed values: %+v, want a linear axis spanning them", a)
	}
	vals, labels := axis{log: true, lo: -2, hi: 1}.ticks(10)
	if len(vals) != 4 || labels[0] != "1e-2" || labels[3] != "1e1" {
		t.Errorf("log ticks %v %v", vals, labels)
	}
	s := Series{Label: "x", Color: Palette[0], Steps: []int{0, 1, 2}, Loss: []float64{1, 0, 0}, GradNorm: []float64{1, 0.5, 0.1}}
	if _, err := RenderCurves(400, 300, []Series{s}, Dark); err != nil {
		t.Fatal(err)
	}
	s.Loss = s.Loss[:2]
	if _, err := RenderCurves(400, 300, []Series{s}, Dark); err == nil || !strings.HasPrefix(err.Error(), "viewer: ") {
		t.Errorf("short loss: %v", err)
	}
	if _, err := RenderCurves(50, 50, nil, Dark); err == nil {
		t.Error("tiny panel: no error")
	}
	if _, err := RenderProjection(400, 300, nil, "a", "b", []float64{1, 0, 0, 1}, Dark); err == nil {
		t.Error("empty box: no error")
	}
	if _, err := Diff(image.NewRGBA(image.Rect(0, 0, 2, 2)), image.NewRGBA(image.Rect(0, 0, 3, 2)), 0); err == nil {
		t.Error("Diff of different sizes: no error")
	}
	if got := StatusLine("sgd", 10, 0.5, math.NaN(), 99.6, "running"); got != "sgd: step 10  loss 0.5  lr -  100 steps/s  running" {
		t.Errorf("StatusLine: %q", got)
	}
}

// TestCurvesExtremeLinearValues: a linear axis over values of a large
// magnitude (a constant -1e17, where lo-1 == lo and a tick step of 1 does
// not move the tick; or values at float64's limits, whose range
// overflows) has a few distinct finite ticks and a finite scale, and the
// curve is drawn.
func TestCurvesExtremeLinearValues(t *testing.T) {
	for _, vals := range [][]float64{{-1e17}, {-1e17, -1e17 + 16}, {-1e308, 1e308}, {-math.MaxFloat64, math.MaxFloat64}, {-3e38, -2.4e38, 0}} {
		a := valueAxis(vals)
		if a.log || !finite(a.lo, a.hi) || !(a.hi > a.lo) {
			t.Errorf("%g: axis %+v, want a finite linear one", vals, a)
			continue
		}
		ticks, labels := a.ticks(6)
		if len(ticks) < 2 || len(ticks) > 7 {
			t.Errorf("%g: %d ticks %v, want 2 to 7", vals, len(ticks), labels)
		}
		for i, v := range ticks {
			if !finite(v) || (i > 0 && !(v > ticks[i-1])) {
				t.Errorf("%g: ticks %v, want finite and increasing", vals, ticks)
				break
			}
		}
		for _, v := range vals {
			if u := a.t(v); !(u >= 0 && u <= 1) {
				t.Errorf("%g: %g maps to %g, outside the plot", vals, v, u)
			}
		}
		steps := make([]int, len(vals))
		for i := range steps {
			steps[i] = 10 * i
		}
		s := Series{Label: "x", Color: Palette[0], Steps: steps, Loss: vals, GradNorm: vals}
		img, err := RenderCurves(400, 300, []Series{s}, Dark)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for y := 40; y < 300; y++ { // below the status line
			for x := leftMargin; x < 400; x++ {
				if img.RGBAAt(x, y) == Palette[0] {
					n++
				}
			}
		}
		if n == 0 {
			t.Errorf("%g: no curve drawn", vals)
		}
	}
}

// TestCurvesLonePointVisible: a series with a single finite value in a
// plot (a run that diverged before its second sample: NaN after the
// start) is drawn as a dot as thick as the lines, not as one pixel.
func TestCurvesLonePointVisible(t *testing.T) {
	s := Series{Label: "sgd", Color: Palette[2], Steps: []int{0, 5}, Loss: []float64{24, math.NaN()}, GradNorm: []float64{200, math.NaN()}}
	other := Series{Label: "adam", Color: Palette[0], Steps: []int{0, 5, 10}, Loss: []float64{24, 3, 1}, GradNorm: []float64{200, 30, 10}}
	img, err := RenderCurves(400, 300, []Series{s, other}, Dark)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for y := plotPad + 2*lineH + 4; y < 300; y++ { // below the status lines
		for x := leftMargin; x < 400; x++ {
			if img.RGBAAt(x, y) == s.Color {
				n++
			}
		}
	}
	if n < 2*9 {
		t.Errorf("the lone loss and gradient-norm points cover %d pixels, want two 3x3 dots", n)
	}
}

// TestCurvesStatusFits: a status line wider than the panel keeps its
// last word, the run's status, in view (at 320 pixels the line ran off
// the panel before it).
func TestCurvesStatusFits(t *testing.T) {
	s := Series{Label: "rmsprop", Color: Palette[0], Steps: []int{0, 10}, Loss: []float64{3, 1}, GradNorm: []float64{2, 1}}
	draw := func(status string) *image.RGBA {
		s.Status = StatusLine("rmsprop", 100000, 1.234567e-12, 0.001, 123456, status)
		img, err := RenderCurves(320, 240, []Series{s}, Dark)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	a, b := draw("StepLimit"), draw("Diverged")
	row := image.Rect(0, 0, 320, plotPad+lineH)
	d, err := Diff(a.SubImage(row), b.SubImage(row), 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Differing == 0 {
		t.Error("the status line shows the same pixels for StepLimit and Diverged: its status is cut off")
	}
	if got := fitText(basicfont.Face7x13, "a: step 1  loss 2  Diverged", 1000); got != "a: step 1  loss 2  Diverged" {
		t.Errorf("a line that fits: %q", got)
	}
	if got := fitText(basicfont.Face7x13, "rmsprop: step 100000  loss 1.235e-12  lr 0.001  123456 steps/s  Diverged", 300); !strings.HasSuffix(got, " Diverged") || font.MeasureString(basicfont.Face7x13, got).Ceil() > 300 {
		t.Errorf("a line too wide: %q (%d pixels), want at most 300 ending in its status", got, font.MeasureString(basicfont.Face7x13, got).Ceil())
	}
}

// TestProjectFitLeavesOut: the plane is fitted to the trajectories marked
// fit; another (a diverged run's points, far out) is projected onto it
// rather than tilting it towards itself, and the fractions explained are
// those of the fitted points.
func TestProjectFitLeavesOut(t *testing.T) {
	u := []float64{1, 0, 0, 0}
	v := []float64{0, 1, 0, 0}
	var fitted, far [][]float64
	for i := 0; i < 10; i++ {
		s := float64(i) - 4.5
		r := math.Cos(0.7 * s) // even in s: uncorrelated with it
		p := make([]float64, 4)
		for j := range p {
			p[j] = 3*s*u[j] + r*v[j]
		}
		fitted = append(fitted, p)
	}
	// Off along the third axis (which the fitted points do not use) by
	// 1e13, and 2 along u.
	for i := 0; i < 5; i++ {
		far = append(far, []float64{2, 0, 1e12 * float64(i*i), 0})
	}
	pr, err := ProjectFit([][][]float64{fitted, far}, []bool{true, false})
	if err != nil {
		t.Fatal(err)
	}
	if e := pr.Explained[0] + pr.Explained[1]; math.Abs(e-1) > 1e-12 {
		t.Errorf("explained %v, want the fitted points' variance, all in the plane", pr.Explained)
	}
	// The fitted points' mean is 0 along u and mv along v: a far point's
	// coordinates are (2, -mv), up to the sign of v, whatever its third.
	mv := 0.0
	for _, p := range fitted {
		mv += p[1] / float64(len(fitted))
	}
	for i, q := range pr.Paths[1] {
		if math.Abs(q[0]-2) > 1e-9 || math.Abs(math.Abs(q[1])-math.Abs(mv)) > 1e-9 {
			t.Errorf("far point %d: %v, want (2, +-%g): the plane's coordinates of (2, 0, %g, 0)", i, q, mv, far[i][2])
		}
	}
	for i, q := range pr.Paths[0] {
		if math.Abs(q[0]-3*(float64(i)-4.5)) > 1e-9 {
			t.Errorf("fitted point %d: %v, want %g along the first direction", i, q, 3*(float64(i)-4.5))
		}
	}
}

// TestProjectionTickLabelsInside: the axes' tick labels are drawn whole:
// the horizontal axis's last one, at the plot's right edge ("6e+13"), is
// moved inside the panel, and a vertical one wider than the margin
// ("-1.5e-07") widens the margin, rather than being cut.
func TestProjectionTickLabelsInside(t *testing.T) {
	const w, h = 640, 480
	box := []float64{-4e12, 4.7e13, -1.6e-7, 1.6e-7}
	img, err := RenderProjection(w, h, nil, "", "", box, Dark)
	if err != nil {
		t.Fatal(err)
	}
	face := basicfont.Face7x13
	pixels := func(labels []string) int {
		n := 0
		for _, l := range labels {
			one := image.NewRGBA(image.Rect(0, 0, 100, 20))
			text(one, face, 2, 14, Dark.Text, l)
			for i := 3; i < len(one.Pix); i += 4 {
				if one.Pix[i] != 0 {
					n++
				}
			}
		}
		return n
	}
	count := func(r image.Rectangle) int {
		n := 0
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if img.RGBAAt(x, y) == Dark.Text {
					n++
				}
			}
		}
		return n
	}
	// The plot's rectangle, as RenderProjection lays it out.
	plot := image.Rect(leftMargin, plotPad+lineH, w-plotPad-4, h-plotGap-lineH)
	// The last horizontal label, alone in the panel's last 60 columns.
	_, xl := projAxis(box[0], box[1]).ticks(max(plot.Dx()/80, 2))
	last := xl[len(xl)-1]
	if got, want := count(image.Rect(w-60, plot.Max.Y+1, w, plot.Max.Y+lineH+2)), pixels([]string{last}); got != want {
		t.Errorf("tick label %q: %d pixels drawn, want %d: it is cut", last, got, want)
	}
	// The second vertical label, alone in the margin around its tick.
	ay := projAxis(box[2], box[3])
	yv, yl := ay.ticks(max(plot.Dy()/40, 2))
	yi := int(math.Round(float64(plot.Max.Y-1) - ay.t(yv[1])*float64(plot.Dy()-1)))
	// The margin widens for it (labelMargin); the plot begins after.
	if got, want := count(image.Rect(0, yi-11, labelMargin(face, yl), yi+6)), pixels(yl[1:2]); got != want {
		t.Errorf("tick label %q: %d pixels drawn, want %d: it is cut", yl[1], got, want)
	}
}

// TestLogTicksAligned: a log axis thinned to a few labels labels round
// decades (multiples of its spacing, 1e-10 and 1e0 over 1e-14..1e2), not
// whichever decades follow the bottom one (1e-14, 1e-8, 1e-2).
func TestLogTicksAligned(t *testing.T) {
	for _, tc := range []struct {
		lo, hi   float64
		maxTicks int
		want     string
	}{
		{-14, 2, 3, "1e-10 1e0"},
		{-13, 4, 4, "1e-10 1e-5 1e0"},
		{-2, 1, 10, "1e-2 1e-1 1e0 1e1"},
		{-5, 2, 3, "1e-3 1e0"},
	} {
		_, labels := axis{log: true, lo: tc.lo, hi: tc.hi}.ticks(tc.maxTicks)
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("1e%g..1e%g, %d ticks: %q, want %q", tc.lo, tc.hi, tc.maxTicks, got, tc.want)
		}
	}
}
