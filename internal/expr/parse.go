// Package expr compiles an objective typed as an expression (gdgpu's
// --objective) into its loss and symbolic gradient: a float64 evaluator
// for the CPU and GLSL for the engine's objective contract, both from the
// same tree. The root package wraps the result into a gdgpu.Problem
// (gdgpu.ParseObjective); README.md and docs/objectives.md give the
// language.
package expr

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error is a refusal of the source text: what is wrong and where, with the
// line of source and a caret under the column.
type Error struct {
	Src string
	Pos int // byte offset of the offending token in Src
	Msg string
}

func (e *Error) Error() string {
	line, col := e.Src, e.Pos
	// One line holds the caret: the source's line around Pos.
	start := strings.LastIndexByte(e.Src[:min(e.Pos, len(e.Src))], '\n') + 1
	if end := strings.IndexByte(e.Src[start:], '\n'); end >= 0 {
		line = e.Src[start : start+end]
	} else {
		line = e.Src[start:]
	}
	col = e.Pos - start
	return fmt.Sprintf("column %d: %s\n  %s\n  %s^", col+1, e.Msg, line, strings.Repeat(" ", col))
}

// tok is one token.
type tok struct {
	kind byte // 'n' number, 'a' identifier, 'x' end, or the operator's byte
	text string
	num  float64
	pos  int
}

func lex(src string) ([]tok, error) {
	var ts []tok
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			v, err := strconv.ParseFloat(src[i:j], 64)
			if errors.Is(err, strconv.ErrRange) {
				return nil, &Error{src, i, fmt.Sprintf("%s is out of float64's range", src[i:j])}
			}
			if err != nil {
				return nil, &Error{src, i, fmt.Sprintf("%q is not a number", src[i:j])}
			}
			ts = append(ts, tok{kind: 'n', text: src[i:j], num: v, pos: i})
			i = j
		case c == '_' || c < 128 && unicode.IsLetter(rune(c)):
			j := i
			for j < len(src) && (src[j] == '_' || src[j] < 128 && (unicode.IsLetter(rune(src[j])) || unicode.IsDigit(rune(src[j])))) {
				j++
			}
			ts = append(ts, tok{kind: 'a', text: src[i:j], pos: i})
			i = j
		case strings.IndexByte("+-*/^()[],;=", c) >= 0:
			ts = append(ts, tok{kind: c, text: string(c), pos: i})
			i++
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			return nil, &Error{src, i, fmt.Sprintf("unexpected character %q", string(r))}
		}
	}
	return append(ts, tok{kind: 'x', text: "end of input", pos: len(src)}), nil
}

// node is the parse tree.
type node struct {
	op   string // "num", "name", "x", "call", "+", "-", "*", "/", "^", "neg"
	num  float64
	name string // a name's, a call's function
	k    int    // x[i+k]
	args []*node
	pos  int
}

// parser is a recursive-descent parser over the tokens.
type parser struct {
	src string
	ts  []tok
	p   int
}

func (ps *parser) peek() tok { return ps.ts[ps.p] }
func (ps *parser) next() tok { t := ps.ts[ps.p]; ps.p++; return t }

func (ps *parser) errAt(t tok, format string, a ...any) error {
	return &Error{ps.src, t.pos, fmt.Sprintf(format, a...)}
}

func (ps *parser) expect(kind byte, what string) (tok, error) {
	t := ps.next()
	if t.kind != kind {
		return t, ps.errAt(t, "expected %s, found %s", what, describe(t))
	}
	return t, nil
}

func describe(t tok) string {
	if t.kind == 'x' {
		return "the end of the expression"
	}
	return fmt.Sprintf("%q", t.text)
}

// def is a definition "name = expr;".
type def struct {
	name string
	body *node
	pos  int
}

// parseProgram parses "name = expr; ... expr".
func parseProgram(src string) ([]def, *node, error) {
	ts, err := lex(src)
	if err != nil {
		return nil, nil, err
	}
	ps := &parser{src: src, ts: ts}
	var defs []def
	for ps.peek().kind == 'a' && ps.ts[ps.p+1].kind == '=' {
		name := ps.next()
		ps.next() // '='
		body, err := ps.expr()
		if err != nil {
			return nil, nil, err
		}
		if _, err := ps.expect(';', `";" after the definition of `+name.text); err != nil {
			return nil, nil, err
		}
		defs = append(defs, def{name.text, body, name.pos})
	}
	if ps.peek().kind == 'x' {
		return nil, nil, ps.errAt(ps.peek(), "no expression to minimise after the definitions")
	}
	e, err := ps.expr()
	if err != nil {
		return nil, nil, err
	}
	if ps.peek().kind == ';' {
		ps.next()
	}
	if t := ps.peek(); t.kind != 'x' {
		if t.kind == '=' {
			return nil, nil, ps.errAt(t, `"=" defines a name only before the expression, as "name = expr;"`)
		}
		return nil, nil, ps.errAt(t, "unexpected %s after the expression", describe(t))
	}
	return defs, e, nil
}

func (ps *parser) expr() (*node, error) {
	l, err := ps.term()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == '+' || ps.peek().kind == '-' {
		op := ps.next()
		r, err := ps.term()
		if err != nil {
			return nil, err
		}
		l = &node{op: op.text, args: []*node{l, r}, pos: op.pos}
	}
	return l, nil
}

func (ps *parser) term() (*node, error) {
	l, err := ps.unary()
	if err != nil {
		return nil, err
	}
	for ps.peek().kind == '*' || ps.peek().kind == '/' {
		op := ps.next()
		r, err := ps.unary()
		if err != nil {
			return nil, err
		}
		l = &node{op: op.text, args: []*node{l, r}, pos: op.pos}
	}
	return l, nil
}

// unary: -a^b is -(a^b), as in mathematics.
func (ps *parser) unary() (*node, error) {
	if t := ps.peek(); t.kind == '-' || t.kind == '+' {
		ps.next()
		a, err := ps.unary()
		if err != nil {
			return nil, err
		}
		if t.kind == '+' {
			return a, nil
		}
		return &node{op: "neg", args: []*node{a}, pos: t.pos}, nil
	}
	return ps.power()
}

// power is right-associative: a^b^c = a^(b^c); a^-b is allowed.
func (ps *parser) power() (*node, error) {
	b, err := ps.primary()
	if err != nil {
		return nil, err
	}
	if t := ps.peek(); t.kind == '^' {
		ps.next()
		e, err := ps.unary()
		if err != nil {
			return nil, err
		}
		return &node{op: "^", args: []*node{b, e}, pos: t.pos}, nil
	}
	return b, nil
}

func (ps *parser) primary() (*node, error) {
	t := ps.next()
	switch t.kind {
	case 'n':
		return &node{op: "num", num: t.num, pos: t.pos}, nil
	case '(':
		e, err := ps.expr()
		if err != nil {
			return nil, err
		}
		if _, err := ps.expect(')', `")"`); err != nil {
			return nil, err
		}
		return e, nil
	case 'a':
		if t.text == "x" {
			return ps.index(t)
		}
		if ps.peek().kind == '(' {
			ps.next()
			var args []*node
			if ps.peek().kind != ')' {
				for {
					a, err := ps.expr()
					if err != nil {
						return nil, err
					}
					args = append(args, a)
					if ps.peek().kind != ',' {
						break
					}
					ps.next()
				}
			}
			if _, err := ps.expect(')', `")" or ","`); err != nil {
				return nil, err
			}
			return &node{op: "call", name: t.text, args: args, pos: t.pos}, nil
		}
		return &node{op: "name", name: t.text, pos: t.pos}, nil
	}
	return nil, ps.errAt(t, "expected a number, a name, x[...] or \"(\", found %s", describe(t))
}

// index parses [i], [i+k] or [i-k] after x.
func (ps *parser) index(x tok) (*node, error) {
	if ps.peek().kind != '[' {
		return nil, ps.errAt(x, "x is the whole vector: write x[i], x[i+1] or x[i-1] inside sum(...), mean(...) or prod(...)")
	}
	ps.next()
	it := ps.next()
	if it.kind != 'a' || it.text != "i" {
		return nil, ps.errAt(it, "an index is i, i+k or i-k with a whole number k, found %s", describe(it))
	}
	k := 0
	if s := ps.peek(); s.kind == '+' || s.kind == '-' {
		ps.next()
		nt := ps.next()
		if nt.kind != 'n' || strings.ContainsAny(nt.text, ".eE") || nt.num > 1e6 {
			return nil, ps.errAt(nt, "the offset in x[i%s...] must be a whole number, found %s", s.text, describe(nt))
		}
		k = int(nt.num)
		if s.kind == '-' {
			k = -k
		}
	}
	if _, err := ps.expect(']', `"]"`); err != nil {
		return nil, err
	}
	return &node{op: "x", k: k, pos: x.pos}, nil
}
