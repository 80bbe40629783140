// Package imgtest holds the picture checks that the tests of the viewer's
// window and of the command's view share.
package imgtest

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"
)

// DecodePNG reads the PNG at path, failing the test when it cannot.
func DecodePNG(t testing.TB, path string) image.Image {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// CountColour counts the pixels of r in img whose colour is c (alpha
// aside, at 8 bits a channel).
func CountColour(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if uint8(cr>>8) == c.R && uint8(cg>>8) == c.G && uint8(cb>>8) == c.B {
				n++
			}
		}
	}
	return n
}
