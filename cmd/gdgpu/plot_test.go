package main

import (
	"encoding/xml"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/viewer"
)

// plotLogs writes two CPU run logs on the quadratic, SGD and Adam, and
// returns their paths.
func plotLogs(t *testing.T, dir string) (sgd, adam string) {
	t.Helper()
	sgd, adam = filepath.Join(dir, "sgd.csv"), filepath.Join(dir, "adam.csv")
	for _, r := range []struct{ opt, lr, log string }{{"sgd", "0.01", sgd}, {"adam", "0.05", adam}} {
		code, stdout, stderr := gdgpuRun(t, "run", "--device", "cpu", "--problem", "quadratic", "--dim", "100",
			"--optimizer", r.opt, "--lr", r.lr, "--steps", "200", "--log-every", "5", "--log", r.log)
		if code != 0 {
			t.Fatalf("run %s: exit %d\n%s%s", r.opt, code, stdout, stderr)
		}
	}
	return sgd, adam
}

func TestPlotPNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	sgd, adam := plotLogs(t, dir)

	pngPath := filepath.Join(dir, "loss.png")
	code, stdout, stderr := gdgpuRun(t, "plot", sgd, adam, "-o", pngPath, "--width", "6in", "--height", "4in")
	if code != 0 {
		t.Fatalf("plot png: exit %d\n%s%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr: %q", stderr)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	// 6in x 4in at gonum's default 96 dpi.
	if b := img.Bounds(); b.Dx() != 576 || b.Dy() != 384 {
		t.Errorf("PNG is %dx%d, want 576x384", b.Dx(), b.Dy())
	}
	// The light theme: a white page (gonum's default background), the
	// corners and most of the picture white or nearly.
	bd := img.Bounds()
	light := 0
	for y := bd.Min.Y; y < bd.Max.Y; y++ {
		for x := bd.Min.X; x < bd.Max.X; x++ {
			if c := color.GrayModel.Convert(img.At(x, y)).(color.Gray); c.Y >= 240 {
				light++
			}
		}
	}
	for _, p := range []image.Point{bd.Min, {bd.Max.X - 1, bd.Min.Y}, {bd.Min.X, bd.Max.Y - 1}, bd.Max.Sub(image.Pt(1, 1))} {
		if c := color.RGBAModel.Convert(img.At(p.X, p.Y)).(color.RGBA); c != (color.RGBA{255, 255, 255, 255}) {
			t.Errorf("corner %v is %v, want white", p, c)
		}
	}
	if light < bd.Dx()*bd.Dy()*3/4 {
		t.Errorf("%d of %d pixels are light (grey >= 240), want three quarters at least", light, bd.Dx()*bd.Dy())
	}
	distinct, line0, line1 := countColors(img, viewer.Palette[0], viewer.Palette[1])
	if distinct < 5 {
		t.Errorf("PNG has %d distinct colours: blank?", distinct)
	}
	// Lines are 2pt wide, so each curve (and its legend swatch) has many
	// pixels of exactly its colour.
	if line0 < 100 || line1 < 100 {
		t.Errorf("line colours: %d pixels of the first, %d of the second; want >= 100 each", line0, line1)
	}

	svgPath := filepath.Join(dir, "loss.svg")
	code, stdout, stderr = gdgpuRun(t, "plot", sgd, adam, "-o", svgPath, "--labels", "SGD-run,Adam-run", "--x", "elapsed_s")
	if code != 0 {
		t.Fatalf("plot svg: exit %d\n%s%s", code, stdout, stderr)
	}
	b, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(strings.NewReader(string(b)))
	var text strings.Builder
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse as XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Local
			}
		case xml.CharData:
			text.Write(tok)
		}
	}
	if root != "svg" {
		t.Errorf("SVG root element %q", root)
	}
	for _, want := range []string{"SGD-run", "Adam-run", "elapsed_s", "loss"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("SVG text lacks %q", want)
		}
	}
	// No temporary files left behind by the atomic writes.
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// countColors returns the number of distinct colours in img and how many
// pixels are exactly c0 and c1.
func countColors(img image.Image, c0, c1 color.Color) (distinct, n0, n1 int) {
	seen := map[color.RGBA]bool{}
	want0 := color.RGBAModel.Convert(c0).(color.RGBA)
	want1 := color.RGBAModel.Convert(c1).(color.RGBA)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			seen[c] = true
			switch c {
			case want0:
				n0++
			case want1:
				n1++
			}
		}
	}
	return len(seen), n0, n1
}

func TestPlotDivergedRowsSkipped(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "diverged.csv")
	body := "step,loss,grad_norm,lr,elapsed_s\n0,50,10,0.1,0\n1,80,12,0.1,0.001\n2,NaN,NaN,0.1,0.002\n3,+Inf,NaN,0.1,0.003\n"
	if err := os.WriteFile(log, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "d.png")
	code, stdout, stderr := gdgpuRun(t, "plot", log, "-o", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "skipped 2 rows") || !strings.Contains(stderr, "line 4") {
		t.Errorf("warning: %q", stderr)
	}
	if _, err := os.Stat(out); err != nil {
		t.Error(err)
	}
}

func TestPlotBadInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const hdr = "step,loss,grad_norm,lr,elapsed_s\n"
	good := write("good.csv", hdr+"0,50,10,0.1,0\n1,40,9,0.1,0.001\n")
	nolr := write("nolr.csv", "step,loss\n0,1\n")
	text := write("text.csv", hdr+"0,50,10,0.1,0\n1,abc,9,0.1,0.001\n")
	short := write("short.csv", hdr+"0,50,10\n")
	empty := write("empty.csv", "")
	header := write("header.csv", hdr)
	zero := write("zero.csv", hdr+"0,50,10,0.1,0\n1,0,9,0.1,0.001\n")
	neg := write("neg.csv", hdr+"0,50,10,0.1,0\n1,-2,9,0.1,0.001\n")
	zeros := write("zeros.csv", hdr+"0,0,10,0.1,0\n1,0,9,0.1,0.001\n")
	allNaN := write("nan.csv", hdr+"0,NaN,10,0.1,0\n")
	badX := write("badx.csv", hdr+"0,50,10,0.1,0\nNaN,40,9,0.1,0.001\n")
	png := filepath.Join(dir, "out.png")
	missing := filepath.Join(dir, "missing.csv")
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"missing file", []string{missing, "-o", png}, []string{"missing.csv"}},
		{"missing column", []string{nolr, "--y", "lr", "-o", png}, []string{"nolr.csv:1", `"lr"`}},
		{"non-numeric cell", []string{good, text, "-o", png}, []string{"text.csv:3", "column loss", `"abc"`}},
		{"short row", []string{short, "-o", png}, []string{"short.csv:2", "3 fields"}},
		{"empty file", []string{empty, "-o", png}, []string{"empty.csv", "empty"}},
		{"header only", []string{header, "-o", png}, []string{"header.csv", "no rows"}},
		{"negative on log scale", []string{neg, "-o", png}, []string{"neg.csv:3", "--log-y=false"}},
		{"only zeros on log scale", []string{zeros, "-o", png}, []string{"zeros.csv", "every loss is 0", "--log-y=false"}},
		{"all NaN", []string{allNaN, "-o", png}, []string{"nan.csv", "NaN"}},
		{"NaN step", []string{badX, "-o", png}, []string{"badx.csv:3", "column step"}},
		{"labels mismatch", []string{good, good, "--labels", "a,b,c", "-o", png}, []string{"--labels", "3 labels for 2 files"}},
		{"unknown extension", []string{good, "-o", filepath.Join(dir, "out.gif")}, []string{"out.gif", `".gif"`}},
		{"no extension", []string{good, "-o", filepath.Join(dir, "out")}, []string{"unknown extension"}},
		{"no -o", []string{good}, []string{"out"}},
		{"no files", []string{"-o", png}, []string{"arg"}},
		{"bad --y", []string{good, "--y", "step", "-o", png}, []string{"--y", "step"}},
		{"bad --x", []string{good, "--x", "loss", "-o", png}, []string{"--x", "loss"}},
		{"bad --width", []string{good, "--width", "wide", "-o", png}, []string{"--width", "wide"}},
		{"zero --height", []string{good, "--height", "0cm", "-o", png}, []string{"--height"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := gdgpuRun(t, append([]string{"plot"}, c.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s%s", code, stdout, stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q: %q", w, stderr)
				}
			}
			if _, err := os.Stat(png); err == nil {
				t.Errorf("%s written despite the error", png)
			}
		})
	}
	// The same good log plots fine, so the cases above fail for their reason.
	if code, stdout, stderr := gdgpuRun(t, "plot", good, "-o", png); code != 0 {
		t.Fatalf("good log: exit %d\n%s%s", code, stdout, stderr)
	}
	// A loss that reaches exactly 0 keeps the log scale: drawn at its floor.
	if code, stdout, stderr := gdgpuRun(t, "plot", zero, "-o", filepath.Join(dir, "zero.png")); code != 0 {
		t.Fatalf("zero loss on a log scale: exit %d\n%s%s", code, stdout, stderr)
	}
	// With --log-y=false the zero loss plots.
	if code, stdout, stderr := gdgpuRun(t, "plot", zero, "--log-y=false", "-o", filepath.Join(dir, "lin.svg")); code != 0 {
		t.Fatalf("--log-y=false: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestPlotWriteFailure(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("step,loss,grad_norm,lr,elapsed_s\n0,50,10,0.1,0\n1,40,9,0.1,0.001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder that exists but takes no file (even for root): the write
	// fails, a runtime error.
	code, stdout, stderr := gdgpuRun(t, "plot", good, "-o", "/proc/loss.png")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\n%s%s", code, exitFailure, stdout, stderr)
	}
	if !strings.Contains(stderr, "loss.png") {
		t.Errorf("stderr: %q", stderr)
	}
	// A folder that does not exist is bad input, refused before the logs
	// are read (exit 2, as run's --out).
	out := filepath.Join(dir, "no-such-dir", "loss.png")
	if code, _, stderr := gdgpuRun(t, "plot", good, "-o", out); code != exitUsage || !strings.Contains(stderr, "does not exist") {
		t.Errorf("missing folder: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
}

// TestPlotNamesRunFolder: a run folder's log.csv is named after its
// folder in the legend.
func TestPlotNamesRunFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "adam-run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(dir, runDirLog)
	if err := os.WriteFile(log, []byte("step,loss,grad_norm,lr,elapsed_s\n0,50,10,0.1,0\n1,40,9,0.1,0.001\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	svg := filepath.Join(t.TempDir(), "p.svg")
	if code, _, stderr := gdgpuRun(t, "plot", log, "-o", svg); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "adam-run") {
		t.Errorf("the legend does not name the folder (%v)", err)
	}
}
