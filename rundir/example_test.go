package rundir_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gdgpu/gdgpu/rundir"
)

// Take a run folder and check a run's paths before writing anything: an
// output that is an input under another name (here through ../) is
// refused, naming both as the caller calls them, and no folder is left
// behind; once the paths pass, Create makes the folder and locks it.
func Example() {
	base, err := os.MkdirTemp("", "rundir-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(base)
	start := filepath.Join(base, "start.npy")
	if err := os.WriteFile(start, []byte("x"), 0o644); err != nil {
		log.Fatal(err)
	}
	dir := filepath.Join(base, "run1")
	inputs := []rundir.Path{{What: "start point", Path: start}}

	for _, params := range []string{filepath.Join(dir, "..", "start.npy"), filepath.Join(dir, rundir.ParamsFile)} {
		// An existing folder is locked at once (refused if another run
		// holds it or filled it); a missing one is not made yet.
		unlock, err := rundir.Claim(dir)
		if err != nil {
			log.Fatal(err)
		}
		outputs := []rundir.Path{{What: "log", Path: filepath.Join(dir, rundir.LogFile)}, {What: "parameters", Path: params}}
		var clash *rundir.ClashError
		if err := rundir.CheckPaths(inputs, outputs); errors.As(err, &clash) {
			_, statErr := os.Stat(dir)
			fmt.Println(clash.Output.What, "is", clash.Other.What+"; folder made:", statErr == nil)
			continue
		}
		if unlock == nil {
			if unlock, err = rundir.Create(dir); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Println("running in", filepath.Base(dir))
		unlock()
	}
	// Output:
	// parameters is start point; folder made: false
	// running in run1
}
