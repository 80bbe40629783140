package gdgpu

import (
	"fmt"
	"regexp"
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
	NameFields(format, func(f string) string {
		if !slices.Contains(e.Fields, f) {
			e.Fields = append(e.Fields, f)
		}
		return f
	})
	return e
}

// fieldMark matches a field's mark without its braces: Type.Name, the
// name a Go identifier or a hyperparameter's (weight-decay). Other text
// in braces ({0,1}, x_{i+1}) is text.
var fieldMark = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9-]*$`)

// Format writes the message with name(field) for each field it names.
func (e *FieldError) Format(name func(field string) string) string {
	// A name is text, not format: a % in it is written as is.
	return fmt.Sprintf(NameFields(e.format, func(f string) string {
		return strings.ReplaceAll(name(f), "%", "%%")
	}), e.args...)
}

// NameFields writes text with name(field) in place of each {Type.Name}
// mark it holds: the descriptors' texts (a problem's or a schedule's
// Summary) name the fields they speak of as FieldError does, and a front
// end writes its own names for them (the command line's list, its
// flags). Braces around anything else ({0,1}, x_{i+1}) stay as they are.
func NameFields(text string, name func(field string) string) string {
	var b strings.Builder
	rest := text
	for {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		if f := rest[i+1 : i+j]; fieldMark.MatchString(f) {
			b.WriteString(name(f))
		} else {
			b.WriteString(rest[i : i+j+1])
		}
		rest = rest[i+j+1:]
	}
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
