package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gdgpu/gdgpu/data"
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

// sameFile reports whether a and b name one file: where both exist, the
// same file after following links; else the same path once the links of
// their folders are followed (d1/x and d2/x with d2 a link to d1).
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(sa, sb)
	}
	return resolved(a) == resolved(b)
}

// resolved is path made absolute with its folder's links followed (the
// folder as it is, when that fails), and the file itself followed too
// where it is a link.
func resolved(path string) string {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		return abs(p)
	}
	dir, base := filepath.Split(abs(path))
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	return filepath.Join(dir, base)
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

// prepareOutputs settles run's outputs before the run starts: an output
// that is a symbolic link is written through it (its path becomes the
// link's target, for every output alike; the atomic writers would replace
// the link itself otherwise); one that exists must be a regular file whose
// owner may write it (a read-only file is a marker gdgpu respects, root or
// not); and every output's folder must take a new file. Nothing is
// created or truncated here.
func prepareOutputs(s *setup) error {
	outs := []struct {
		what string
		path *string
	}{{"--out", &s.out}, {"--log", &s.log}}
	if s.ckpt != nil {
		outs = append(outs, struct {
			what string
			path *string
		}{"--checkpoint", &s.ckpt.path})
	}
	for _, o := range outs {
		if *o.path == "" {
			continue
		}
		if st, err := os.Lstat(*o.path); err == nil && st.Mode()&os.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(*o.path)
			if err != nil {
				return usagef("%s %s is a symbolic link that leads nowhere (%v)", o.what, *o.path, unwrapPath(err))
			}
			*o.path = target
		}
		if err := checkOutput(o.what, *o.path); err != nil {
			return err
		}
	}
	if s.out != "" && s.model != nil {
		if err := checkOutput("--out's model card", s.out+".json"); err != nil {
			return err
		}
	}
	return nil
}

// checkOutput refuses an output path that exists and is not a regular file
// the owner may write, or whose folder does not take a new file.
func checkOutput(what, path string) error {
	if st, err := os.Stat(path); err == nil {
		switch m := st.Mode(); {
		case m.IsDir():
			return usagef("%s %s is a folder", what, path)
		case !m.IsRegular():
			return usagef("%s %s is not a regular file but a %s: gdgpu writes regular files only (leave %s out to write nothing)", what, path, data.FileKind(m), what)
		case m.Perm()&0o200 == 0:
			return usagef("%s %s is read-only (mode %04o): gdgpu does not replace it; make it writable or give another path", what, path, m.Perm())
		}
	}
	if err := checkWritable(what, path); err != nil {
		return usagef("%v", err)
	}
	return nil
}
