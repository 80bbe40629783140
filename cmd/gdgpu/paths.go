package main

import (
	"errors"
	"strings"

	"github.com/gdgpu/gdgpu/rundir"
)

// checkPaths refuses (exit 2), before any file is touched, an output that
// names the same file as an input or as another output (rundir.CheckPaths);
// each path's What is its flag.
func checkPaths(inputs, outputs []rundir.Path) error {
	return pathError(rundir.CheckPaths(inputs, outputs))
}

// runPaths lists run's inputs and outputs: the job file, --init, the
// model's data files and --resume; --out (and a model's card beside it),
// --log and --checkpoint. --resume and --checkpoint carry the same what
// where the checkpoint goes on to the file it resumed from.
func runPaths(args []string, f *jobFlags, s *setup) (inputs, outputs []rundir.Path) {
	if len(args) > 0 {
		inputs = append(inputs, rundir.Path{What: "the job file", Path: args[0]})
	}
	inputs = append(inputs, rundir.Path{What: "--init", Path: f.init}, rundir.Path{What: "--data", Path: f.model.data})
	if strings.HasSuffix(strings.ToLower(f.model.target), ".npy") {
		inputs = append(inputs, rundir.Path{What: "--target", Path: f.model.target})
	}
	outputs = append(outputs, rundir.Path{What: "--out", Path: s.out})
	if s.out != "" && s.model != nil {
		outputs = append(outputs, rundir.Path{What: "--out's model card", Path: s.out + ".json"})
	}
	outputs = append(outputs, rundir.Path{What: "--log", Path: s.log})
	if c := s.ckpt; c != nil {
		ck := "--checkpoint"
		if c.resume != "" && rundir.SameFile(c.resume, c.path) {
			ck = "--resume" // resumed and checkpointed to the same file, by design
		}
		inputs = append(inputs, rundir.Path{What: "--resume", Path: c.resume})
		outputs = append(outputs, rundir.Path{What: ck, Path: c.path})
	}
	return inputs, outputs
}

// checkWritable reports whether a file can be created in path's folder
// (rundir.CheckWritable), in the command line's words.
func checkWritable(what, path string) error {
	if err := rundir.CheckWritable(what, path); err != nil {
		return cliPathError{err}
	}
	return nil
}

// prepareOutputs settles run's outputs before the run starts: an output
// that is a symbolic link is written through it (its path becomes the
// link's target, for every output alike), and each must be a regular file
// its owner may write, in a folder that takes a new file
// (rundir.FollowOutput). Nothing is created or truncated here.
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
		p, err := rundir.FollowOutput(o.what, *o.path)
		if err != nil {
			return pathError(err)
		}
		*o.path = p
	}
	if s.out != "" && s.model != nil {
		return checkOutput("--out's model card", s.out+".json")
	}
	return nil
}

// checkOutput refuses (exit 2) an output path that exists and is not a
// regular file the owner may write, or whose folder does not take a new
// file (rundir.CheckOutput).
func checkOutput(what, path string) error {
	return pathError(rundir.CheckOutput(what, path))
}

// pathError is a rundir refusal of a path as a usage error (exit 2).
func pathError(err error) error {
	if err == nil {
		return nil
	}
	return usagef("%v", cliPathError{err})
}

// cliPathError is a rundir error in the command line's words: its message
// without the package's prefix (its paths are named by their flags
// already), and what to do about it.
type cliPathError struct{ err error }

func (e cliPathError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "rundir: ")
	var clash *rundir.ClashError
	var out *rundir.OutputError
	switch {
	case errors.As(e.err, &clash):
		msg += "; give another path"
	case errors.As(e.err, &out) && out.Reason == rundir.NotRegular:
		msg += ": gdgpu writes regular files only (leave " + out.What + " out to write nothing)"
	case errors.As(e.err, &out) && out.Reason == rundir.ReadOnly:
		msg += ": gdgpu does not replace it; make it writable or give another path"
	}
	return msg
}

func (e cliPathError) Unwrap() error { return e.err }
