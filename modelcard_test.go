package gdgpu

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gdgpu/gdgpu/data"
)

// FuzzModelCard: ReadModel refuses what it cannot use
// without panicking, and what it accepts agrees with the parameters.
func FuzzModelCard(f *testing.F) {
	f.Add([]byte(`{"model":"softmax","features":["a","b"],"target":"y","classes":[0,1,2],"outputs":3,"intercept":true}`))
	f.Add([]byte(`{"model":"linear","features":["a"],"target":"y","outputs":1,"intercept":false,"standardize_mean":[1],"standardize_std":[0]}`))
	f.Add([]byte(`{"model":"logistic","features":["a","b"],"classes":[0,1],"class_names":["no","yes"],"outputs":1,"intercept":true}`))
	dir := f.TempDir()
	params := filepath.Join(dir, "w.npy")
	if err := data.WriteVector(params, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, "f8"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, card []byte) {
		if err := os.WriteFile(params+".json", card, 0o644); err != nil {
			t.Fatal(err)
		}
		c, w, err := ReadModel(params)
		if err != nil {
			return
		}
		p := len(c.Features)
		if c.Intercept {
			p++
		}
		if len(w) != c.Outputs*p {
			t.Fatalf("accepted %d parameters for %d outputs x %d", len(w), c.Outputs, p)
		}
	})
}
