package viewer_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"gonum.org/v1/plot/vg"

	"github.com/gdgpu/gdgpu/viewer"
)

// Draw two run logs' losses on a log scale, as gdgpu plot does.
func ExampleReadSeries() {
	dir, err := os.MkdirTemp("", "series")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	logs := map[string]string{
		"sgd.csv":  "step,loss,grad_norm,lr,elapsed_s\n0,50,10,0.1,0\n10,20,6,0.1,0.01\n20,9,4,0.1,0.02\n",
		"adam.csv": "step,loss,grad_norm,lr,elapsed_s\n0,50,10,0.1,0\n10,3,2,0.1,0.01\n20,NaN,NaN,0.1,0.02\n",
	}
	var lines []viewer.Line
	for _, name := range []string{"sgd.csv", "adam.csv"} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(logs[name]), 0o644); err != nil {
			log.Fatal(err)
		}
		xy, skipped, err := viewer.ReadSeries(path, "step", "loss", true)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %v, %d skipped\n", name, xy, skipped.Rows)
		lines = append(lines, viewer.Line{Label: name, XY: xy})
	}
	p, err := viewer.LineFigure(lines, "loss against step", "step", "loss", true)
	if err != nil {
		log.Fatal(err)
	}
	w, err := p.WriterTo(16*vg.Centimeter, 10*vg.Centimeter, "svg")
	if err != nil {
		log.Fatal(err)
	}
	var svg bytes.Buffer
	if _, err := w.WriteTo(&svg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(bytes.Contains(svg.Bytes(), []byte("loss (log scale)")))
	// Output:
	// sgd.csv: [{0 50} {10 20} {20 9}], 0 skipped
	// adam.csv: [{0 50} {10 3}], 1 skipped
	// true
}

// Draw the regression costs and their derivatives side by side, as gdgpu
// costs does.
func ExampleCostPanels() {
	ps, err := viewer.CostPanels(1, 3)
	if err != nil {
		log.Fatal(err)
	}
	c, err := viewer.RowFigure(ps[:], 22*vg.Centimeter, 10*vg.Centimeter, "svg")
	if err != nil {
		log.Fatal(err)
	}
	var svg bytes.Buffer
	if _, err := c.WriteTo(&svg); err != nil {
		log.Fatal(err)
	}
	fmt.Println(ps[0].Title.Text, "|", ps[1].Title.Text)
	fmt.Println(bytes.Contains(svg.Bytes(), []byte("huber (delta 1)")))
	// Output:
	// cost l(r) | derivative dl/dr
	// true
}
