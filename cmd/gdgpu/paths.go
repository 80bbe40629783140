package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// namedPath is a file a command reads or writes, and the flag that names it.
type namedPath struct{ what, path string }

// checkPaths refuses, before any file is touched, an output that names the
// same file as an input or as another output: the same path, or the same
// file through a symbolic or hard link (compared by device and inode where
// the file exists). An output that names its own input on purpose (the
// checkpoint --resume continues, which --checkpoint then replaces
// atomically) is listed in both with the same what and allowed.
func checkPaths(inputs, outputs []namedPath) error {
	for i, o := range outputs {
		if o.path == "" {
			continue
		}
		for _, in := range inputs {
			if in.path != "" && in.what != o.what && sameFile(o.path, in.path) {
				return usagef("%s %s is also %s %s (the same file): an output never replaces an input; give another path", o.what, o.path, in.what, in.path)
			}
		}
		for _, p := range outputs[:i] {
			if p.path != "" && sameFile(o.path, p.path) {
				return usagef("%s %s and %s %s name the same file: one output would destroy the other; give another path", p.what, p.path, o.what, o.path)
			}
		}
	}
	return nil
}

// sameFile reports whether a and b name one file: the same absolute,
// cleaned path, or, where both exist, the same file after following links.
func sameFile(a, b string) bool {
	if abs(a) == abs(b) {
		return true
	}
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// abs is path made absolute and cleaned (path itself if that fails).
func abs(path string) string {
	p, err := filepath.Abs(path)
	if err != nil {
		return filepath.Clean(path)
	}
	return p
}

// runPaths lists run's inputs and outputs: the job file, --init, the
// model's data files and --resume; --out (and a model's card beside it),
// --log and --checkpoint. --resume and --checkpoint carry the same what
// where the checkpoint goes on to the file it resumed from.
func runPaths(args []string, f *jobFlags, s *setup) (inputs, outputs []namedPath) {
	if len(args) > 0 {
		inputs = append(inputs, namedPath{"the job file", args[0]})
	}
	inputs = append(inputs, namedPath{"--init", f.init}, namedPath{"--data", f.model.data})
	if strings.HasSuffix(strings.ToLower(f.model.target), ".npy") {
		inputs = append(inputs, namedPath{"--target", f.model.target})
	}
	outputs = append(outputs, namedPath{"--out", s.out})
	if s.out != "" && s.model != nil {
		outputs = append(outputs, namedPath{"--out's model card", s.out + ".json"})
	}
	outputs = append(outputs, namedPath{"--log", s.log})
	if c := s.ckpt; c != nil {
		ck := "--checkpoint"
		if c.resume != "" && sameFile(c.resume, c.path) {
			ck = "--resume" // resumed and checkpointed to the same file, by design
		}
		inputs = append(inputs, namedPath{"--resume", c.resume})
		outputs = append(outputs, namedPath{ck, c.path})
	}
	return inputs, outputs
}

// checkWritable reports whether a file can be created in path's folder,
// by creating and removing a temporary one there: path itself is not
// touched.
func checkWritable(what, path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".check*")
	if err != nil {
		return fmt.Errorf("%s %s: cannot write in folder %s: %w", what, path, dir, unwrapPath(err))
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
