package jobfile

import (
	"fmt"
	"strconv"
	"strings"
)

// Kind is the kind of value a setting takes, which decides the TOML
// values File.Text accepts for it and the text it renders them as.
type Kind int

const (
	String   Kind = iota // a string, as is
	Int                  // an integer
	Uint                 // an integer >= 0
	Float                // a number: a float, or an integer
	Bool                 // true or false
	Duration             // a duration string such as "90s" (the setting parses it)
	IntList              // an array of integers ("100,200"), or a comma-separated string as is
	// Features is a model's feature columns: a count (with synthetic
	// data), an array of column names ("a,b"), or a comma-separated string.
	Features
)

// text renders v as the text a setting of kind k parses, or says what k
// expects.
func (k Kind) text(v any) (string, error) {
	bad := func(want string) (string, error) {
		return "", fmt.Errorf("expected %s, got %s", want, TypeName(v))
	}
	switch k {
	case Int, Uint:
		want := "an integer"
		if k == Uint {
			want = "an integer >= 0"
		}
		if s, ok := v.(string); ok && k == Uint {
			// TOML's integers are int64, so Encode writes a value above
			// math.MaxInt64 (a seed) as a string of its digits.
			n, err := strconv.ParseUint(s, 10, 64)
			if err != nil {
				return bad(want)
			}
			// In base 10: the setting may parse "010" as octal.
			return strconv.FormatUint(n, 10), nil
		}
		n, ok := v.(int64)
		if !ok {
			return bad(want)
		}
		if k == Uint && n < 0 {
			return "", fmt.Errorf("expected %s, got %d", want, n)
		}
		return strconv.FormatInt(n, 10), nil
	case Float:
		switch n := v.(type) {
		case float64:
			return strconv.FormatFloat(n, 'g', -1, 64), nil
		case int64:
			return strconv.FormatInt(n, 10), nil
		}
		return bad("a number")
	case Bool:
		b, ok := v.(bool)
		if !ok {
			return bad("true or false")
		}
		return strconv.FormatBool(b), nil
	case Duration:
		s, ok := v.(string)
		if !ok {
			return bad(`a duration string such as "90s" or "5m"`)
		}
		return s, nil
	case IntList:
		switch a := v.(type) {
		case string:
			return a, nil
		case []any:
			parts := make([]string, len(a))
			for i, e := range a {
				n, ok := e.(int64)
				if !ok {
					return "", fmt.Errorf("expected an array of integers, got %s at index %d", TypeName(e), i)
				}
				parts[i] = strconv.FormatInt(n, 10)
			}
			return strings.Join(parts, ","), nil
		}
		return bad(`an array of integers or a comma-separated string such as "100,200"`)
	case Features:
		switch a := v.(type) {
		case int64:
			return strconv.FormatInt(a, 10), nil
		case []any:
			parts := make([]string, len(a))
			for i, e := range a {
				s, ok := e.(string)
				if !ok {
					return "", fmt.Errorf("expected an array of column names, got %s at index %d", TypeName(e), i)
				}
				parts[i] = s
			}
			return strings.Join(parts, ","), nil
		}
	}
	// String, Features' string, and any kind added later: its text.
	s, ok := v.(string)
	if !ok {
		return bad("a string")
	}
	return s, nil
}
