package rundir_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gdgpu/gdgpu/rundir"
)

// Claim a run folder and check a run's paths before writing anything: an
// output that is an input under another name (here through ../) is
// refused, naming both as the caller calls them.
func Example() {
	base, err := os.MkdirTemp("", "rundir-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "run1")
	if err := os.Mkdir(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	unlock, err := rundir.LockEmpty(dir) // refused if another run holds it or filled it
	if err != nil {
		log.Fatal(err)
	}
	defer unlock()

	start := filepath.Join(base, "start.npy")
	if err := os.WriteFile(start, []byte("x"), 0o644); err != nil {
		log.Fatal(err)
	}
	inputs := []rundir.Path{{What: "start point", Path: start}}
	outputs := []rundir.Path{
		{What: "log", Path: filepath.Join(dir, rundir.LogFile)},
		{What: "parameters", Path: filepath.Join(dir, "..", "start.npy")},
	}
	err = rundir.CheckPaths(inputs, outputs)
	var ce *rundir.ClashError
	if errors.As(err, &ce) {
		fmt.Println(ce.Output.What, "is", ce.Other.What)
	}
	fmt.Println(rundir.CheckOutput("log", outputs[0].Path))
	// Output:
	// parameters is start point
	// <nil>
}
