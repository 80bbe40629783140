package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gdgpu/gdgpu/jobfile"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// A job file (package jobfile) is a TOML file whose keys are the long
// flag names of the command that reads it. Each key is applied through the
// command's FlagSet, as if it had been given on the command line, unless
// the flag itself was given there: flags override the file. The flag
// table stays the one list of what a job is; build checks the values
// either way.

// jobFile is a parsed job file and which of its keys set their flags.
type jobFile struct {
	*jobfile.File
	// applied[i]: Entries[i] set its flag (the command line did not give it).
	applied []bool
}

// readJobFile reads and parses the job file at path. Every error names
// the path.
func readJobFile(path string) (*jobFile, error) {
	f, err := jobfile.Read(path)
	if err != nil {
		return nil, err
	}
	return newJobFile(f), nil
}

// newJobFile is f with none of its keys applied yet.
func newJobFile(f *jobfile.File) *jobFile {
	return &jobFile{File: f, applied: make([]bool, len(f.Entries))}
}

// jobFileError is a usage error with the message of err, a
// *jobfile.Error, without the package prefix and with flags for the fields
// it names.
func jobFileError(err error) error {
	return usagef("%s", strings.TrimPrefix(inFlags(err, fieldFlag), "jobfile: "))
}

// flagKind is the kind of job-file value fl takes.
func flagKind(fl *pflag.Flag) jobfile.Kind {
	switch fl.Value.Type() {
	case "int", "int64":
		return jobfile.Int
	case "uint", "uint64":
		return jobfile.Uint
	case "float64", "float32":
		return jobfile.Float
	case "bool":
		return jobfile.Bool
	case "duration":
		return jobfile.Duration
	case "intSlice":
		return jobfile.IntList
	}
	if fl.Name == "features" {
		return jobfile.Features
	}
	return jobfile.String // and any flag type added later: its text
}

// apply sets cmd's flags from jf, skipping those given on the command
// line. A key that is no flag of cmd, a value of the wrong type and a
// value the flag refuses are usage errors naming the key, file and line.
func (jf *jobFile) apply(cmd *cobra.Command) error {
	fs := cmd.Flags()
	for i, e := range jf.Entries {
		where := fmt.Sprintf("job file %s line %d", jf.Path, e.Line)
		fl := fs.Lookup(e.Key)
		if fl == nil || e.Key == "help" {
			if cmd.Name() == "compare" && newRunCmd(io.Discard, io.Discard).Flags().Lookup(e.Key) != nil {
				return usagef("%s: key %q is a flag of gdgpu run that compare does not take", where, e.Key)
			}
			return usagef("%s: unknown key %q (keys are the long flag names of gdgpu %s; gdgpu %s --help lists them)",
				where, e.Key, cmd.Name(), cmd.Name())
		}
		if fs.Changed(e.Key) {
			continue // the command line wins
		}
		s, err := jf.Text(e, flagKind(fl))
		if err != nil {
			return jobFileError(err)
		}
		if err := fs.Set(e.Key, s); err != nil {
			return jobFileError(jf.KeyError(e, err))
		}
		jf.applied[i] = true
	}
	return nil
}

// loadJobFile applies the job file at path, if any, to cmd's flags. It
// returns the file (nil without one), whose annotate places later errors.
func loadJobFile(cmd *cobra.Command, args []string) (*jobFile, error) {
	if len(args) == 0 {
		return nil, nil
	}
	jf, err := readJobFile(args[0])
	if err != nil {
		return nil, jobFileError(err)
	}
	return jf, jf.apply(cmd)
}

// annotate adds to a usage error that names a flag the job file set (and
// the command line did not) the file and line of its key, so that a value
// the job's checks refuse later ("--lr NaN is out of range") is found in
// the file. Other errors, and a nil jf, pass through.
func (jf *jobFile) annotate(err error) error {
	var ee *exitError
	if jf == nil || !errors.As(err, &ee) || ee.code != exitUsage || ee.err == nil {
		return err
	}
	msg := ee.err.Error()
	for i, e := range jf.Entries {
		if jf.applied[i] && strings.Contains(msg, "--"+e.Key+" ") {
			return usagef("%s (job file %s line %d, key %q)", msg, jf.Path, e.Line, e.Key)
		}
	}
	return err
}
