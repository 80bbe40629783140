package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/testcases"
)

// limitMemory makes sysmem.Free report a memory cgroup's allowance of
// limit (memory.max's text) for the rest of the test.
func limitMemory(t *testing.T, limit string) {
	t.Helper()
	testcases.FakeMemory(t, map[string]string{
		"proc/self/cgroup":             "0::/\n",
		"sys/fs/cgroup/memory.max":     limit,
		"sys/fs/cgroup/memory.current": "0\n",
	})
}

// TestReadersRefuseWhatDoesNotFit: a .npy matrix whose float32 payload
// exceeds the free memory is refused from its header, before allocating;
// a CSV whose values outgrow it is refused at the line where they do,
// naming it; both name the limit's source.
func TestReadersRefuseWhatDoesNotFit(t *testing.T) {
	dir := t.TempDir()
	npyPath := filepath.Join(dir, "m.npy")
	const rows, cols = 600, 600 // 1.4 MiB as float32
	vals := make([]float64, rows*cols)
	if err := os.WriteFile(npyPath, npyMatrix("<f4", "(600, 600)", false, vals), 0o644); err != nil {
		t.Fatal(err)
	}
	var csv bytes.Buffer
	csv.WriteString("a,b,c,d,y\n")
	for range 300000 { // 1.2M feature values
		csv.WriteString("1,2,3,4,5\n")
	}
	csvPath := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csvPath, csv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	limitMemory(t, "1048576\n") // 1 MiB
	if _, _, _, err := ReadNpyMatrix(npyPath); err == nil || !strings.Contains(err.Error(), "needs 2 MiB as float32, but 1 MiB") || !strings.Contains(err.Error(), "memory.max") {
		t.Errorf("ReadNpyMatrix = %v", err)
	}
	if _, err := ReadCSV(csvPath, CSVOptions{Target: "y"}); err == nil || !strings.Contains(err.Error(), "outgrows the free memory") || !strings.Contains(err.Error(), "d.csv:") {
		t.Errorf("ReadCSV = %v", err)
	}
	limitMemory(t, "max\n")
	if _, _, _, err := ReadNpyMatrix(npyPath); err != nil {
		t.Errorf("without a limit: %v", err)
	}
	if _, err := ReadCSV(csvPath, CSVOptions{Target: "y"}); err != nil {
		t.Errorf("without a limit: %v", err)
	}
}
