package gdgpu

import (
	"fmt"
	"slices"
	"strings"
)

// A FieldError is a value gdgpu refuses: a field of a Job or of a
// DataSpec, or what a file it names holds. Its message names the fields
// it is about in braces, as {DataSpec.Samples}: Error writes each as that
// Go name, and Format lets a front end write its own for them (the
// command line writes its flags, --samples), so the library never names
// a flag and a user still reads the one they typed.
type FieldError struct {
	// Fields are the fields the message names, in order of first mention:
	// a struct's field as Type.Field (Job.Dim, DataSpec.File), an
	// optimizer's hyperparameter by its name (Optimizer.weight-decay), a
	// function's argument (ReadModel.path), or what to call instead
	// (cpu.Open, engine.Devices).
	Fields []string

	format string // the message's format, {Field} where a field is named
	args   []any
	err    error  // the error the message reports (%w), if any
	pkg    string // the package whose refusal it is: "gdgpu" unless In says
}

// FieldErrorf makes a FieldError, formatting args as fmt.Sprintf does;
// the fields are the {Type.Field} marks of format (never of args, which
// may hold braces of their own). A %w reports its error as %v does, and
// Unwrap returns it. Backends use it for their refusals too.
func FieldErrorf(format string, args ...any) *FieldError {
	e := &FieldError{format: format, args: args, pkg: "gdgpu"}
	if strings.Contains(format, "%w") {
		e.format = strings.ReplaceAll(format, "%w", "%v")
		for _, a := range args {
			if err, ok := a.(error); ok {
				e.err = err
				break
			}
		}
	}
	rest := format
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			panic("gdgpu: FieldErrorf: unclosed { in " + format)
		}
		if f := rest[i+1 : i+j]; !slices.Contains(e.Fields, f) {
			e.Fields = append(e.Fields, f)
		}
		rest = rest[i+j+1:]
	}
	return e
}

// Format writes the message with name(field) for each field it names.
func (e *FieldError) Format(name func(field string) string) string {
	var b strings.Builder
	rest := e.format
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		b.WriteString(rest[:i])
		// The name is text, not format: a % in it is written as is.
		b.WriteString(strings.ReplaceAll(name(rest[i+1:i+j]), "%", "%%"))
		rest = rest[i+j+1:]
	}
	return fmt.Sprintf(b.String(), e.args...)
}

// In makes e the refusal of package pkg ("engine", "cpu"): Error prefixes
// its message with pkg rather than "gdgpu" (with "", with nothing: for a
// message that starts with a wrapped error's, prefixed already).
func (e *FieldError) In(pkg string) *FieldError {
	e.pkg = pkg
	return e
}

// Unwrap returns the error the message reports, if any.
func (e *FieldError) Unwrap() error { return e.err }

// Error writes the message with the fields' Go names.
func (e *FieldError) Error() string {
	if e.pkg == "" { // the message is a wrapped error's, prefixed already
		return e.Format(func(f string) string { return f })
	}
	return e.pkg + ": " + e.Format(func(f string) string { return f })
}

// wrapped is a sentinel error (ErrInvalidJob, ErrCheckpointMismatch) and
// its reason, both of which errors.Is and errors.As find.
type wrapped struct{ sentinel, err error }

func (e *wrapped) Error() string {
	// The reason may carry the package prefix already; the message has it
	// once.
	return e.sentinel.Error() + ": " + strings.TrimPrefix(e.err.Error(), "gdgpu: ")
}

func (e *wrapped) Unwrap() []error { return []error{e.sentinel, e.err} }
