package data

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"github.com/gdgpu/gdgpu/internal/sysmem"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Dataset is a dense design matrix in row-major float32 (the GPU's payload)
// with a target vector.
type Dataset struct {
	Features []string  // the feature columns' names, in the order of X's columns
	Target   string    // the target column's name
	X        []float32 // Rows x Cols, row-major: X[i*Cols+j] is sample i, feature j
	Y        []float32 // Rows targets
	Rows     int
	Cols     int
	// Classes holds the distinct target values of a classification
	// dataset, sorted; nil for regression. For Binary it is the label
	// encoding, {0, 1} or {-1, 1}, even if only one of the two occurs.
	Classes []float64
	// ClassNames, for a target column of names ("setosa", "yes"/"no"),
	// holds the names in sorted order: name k is class k (Classes is then
	// 0..K-1, or {0, 1} for Binary). nil for numeric labels.
	ClassNames []string

	// TrueW and TrueB are the weights and intercept a synthetic regression
	// dataset was generated with (y = X·TrueW + TrueB + noise); nil and 0
	// otherwise.
	TrueW []float64
	TrueB float64
}

// LabelKind says which target values a model needs; ReadCSV refuses others.
type LabelKind int

const (
	// Regression accepts any finite value within float32's range.
	Regression LabelKind = iota
	// Binary accepts {0, 1} or {-1, 1}, one encoding per file; the
	// Dataset's Classes says which.
	Binary
	// Multiclass accepts non-negative integers up to MaxClassLabel.
	Multiclass
)

// MaxClassLabel is the largest label Multiclass accepts: a softmax model
// has one output per class, so a stray 1e9 must not size a model.
const MaxClassLabel = 65535

func (k LabelKind) String() string {
	switch k {
	case Regression:
		return "regression"
	case Binary:
		return "binary"
	case Multiclass:
		return "multiclass"
	}
	return fmt.Sprintf("LabelKind(%d)", int(k))
}

// CSVOptions selects the columns ReadCSV reads and the labels it accepts.
type CSVOptions struct {
	Target   string    // the target column's name; required
	Features []string  // the feature columns, in this order; nil: every column but the target, in file order
	Labels   LabelKind // which target values are accepted
	// TargetOptional reads a file without the target column (data to
	// predict on): Y is then nil and Target "". Features must be given.
	TargetOptional bool
}

// CSVError is a refusal of a CSV file's contents. Line and Column are
// 1-based (Column counts fields, not bytes); they are 0 and Name is empty
// where the problem has no cell (an empty file, a missing column).
type CSVError struct {
	File    string
	Line    int
	Column  int
	Name    string // the column's header name
	Problem string
}

// Error returns "data: FILE:LINE: column N "NAME": PROBLEM", leaving out the
// parts that do not apply.
func (e *CSVError) Error() string {
	var b strings.Builder
	b.WriteString("data: ")
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Column > 0 {
		fmt.Fprintf(&b, "column %d", e.Column)
		if e.Name != "" {
			fmt.Fprintf(&b, " %q", e.Name)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// ReadCSV reads a comma-separated file with a header line into a Dataset.
//
// The file is streamed: records are parsed one at a time by encoding/csv
// and appended to the float32 slices, so memory is about the float32
// payload. Quoted fields (commas and newlines inside quotes) and Windows
// line endings are handled by encoding/csv; a UTF-8 byte-order mark at the
// start is stripped. Header names and cells are trimmed of surrounding
// spaces and tabs. Columns not selected by Features are not parsed (they
// may hold text) but every row must still have as many fields as the header.
//
// It refuses, with the file, line, column number and column name where they
// apply: an empty file; a header without rows; an empty or duplicate header
// name; a header that is not UTF-8; a missing target column; Features naming
// a column twice, a missing column or the target; a row with too few or too
// many fields; a cell that is empty or not a number; NaN and infinities in
// any spelling ParseFloat accepts ("nan", "inf", "Infinity", "+Inf", ...);
// a value beyond float32's range (|v| > math.MaxFloat32; values below its
// smallest subnormal round to 0 as float32 conversion does); a target
// outside the set opt.Labels accepts; and a file with NUL bytes (not text).
// Errors start with "data: "; content errors are *CSVError.
func ReadCSV(path string, opt CSVOptions) (*Dataset, error) {
	if err := CheckRegular(path); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("data: %s is a directory", path)
	}
	return readCSV(path, f, opt)
}

// nulError is what nulReader returns on the first NUL byte.
type nulError struct{ line int }

func (e *nulError) Error() string { return "NUL byte" }

// nulReader passes bytes through and fails at the first NUL byte, counting
// lines so that the refusal can say where it is.
type nulReader struct {
	r    io.Reader
	line int // 1-based line of the next byte
	err  *nulError
}

func (n *nulReader) Read(p []byte) (int, error) {
	if n.err != nil { // sticky: bufio.Reader hands an error out only once
		return 0, n.err
	}
	k, err := n.r.Read(p)
	if i := bytes.IndexByte(p[:k], 0); i >= 0 {
		n.line += bytes.Count(p[:i], []byte{'\n'})
		n.err = &nulError{line: n.line}
		return 0, n.err
	}
	n.line += bytes.Count(p[:k], []byte{'\n'})
	return k, err
}

func readCSV(path string, r io.Reader, opt CSVOptions) (*Dataset, error) {
	name := filepath.Base(path)
	fail := func(line, col int, cname, format string, args ...any) error {
		return &CSVError{File: name, Line: line, Column: col, Name: cname, Problem: fmt.Sprintf(format, args...)}
	}
	switch opt.Labels {
	case Regression, Binary, Multiclass:
	default:
		return nil, fmt.Errorf("data: unknown label kind %d", int(opt.Labels))
	}
	if strings.TrimSpace(opt.Target) == "" {
		return nil, fmt.Errorf("data: %s: no target column given", name)
	}

	br := bufio.NewReaderSize(&nulReader{r: r, line: 1}, 1<<16)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // ragged rows are refused below, with a better message
	cr.ReuseRecord = true
	readErr := func(err error) error {
		var ne *nulError
		if errors.As(err, &ne) {
			return fail(ne.line, 0, "", "NUL byte: not a UTF-8 text file")
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return fail(pe.Line, 0, "", "%v (byte %d of the line)", pe.Err, pe.Column)
		}
		return fmt.Errorf("data: reading %s: %w", name, err)
	}

	header, err := cr.Read()
	if err == io.EOF {
		return nil, fail(0, 0, "", "empty file: want a header line and rows")
	}
	if err != nil {
		return nil, readErr(err)
	}
	hline, _ := cr.FieldPos(0)
	names := make([]string, len(header))
	index := make(map[string]int, len(header))
	for j, h := range header {
		h = strings.Trim(h, " \t")
		if !utf8.ValidString(h) {
			return nil, fail(hline, j+1, "", "header name %q is not UTF-8", h)
		}
		if h == "" {
			return nil, fail(hline, j+1, "", "empty header name")
		}
		if k, dup := index[h]; dup {
			return nil, fail(hline, j+1, h, "duplicate header name (also column %d)", k+1)
		}
		index[h] = j
		names[j] = h
	}

	target := strings.Trim(opt.Target, " \t")
	tcol, ok := index[target]
	if !ok && opt.TargetOptional && opt.Features != nil {
		tcol, target = -1, ""
	} else if !ok {
		return nil, fail(hline, 0, "", "no target column %q in the header (%s)", target, strings.Join(names, ", "))
	}
	var fcols []int
	if opt.Features == nil {
		for j := range names {
			if j != tcol {
				fcols = append(fcols, j)
			}
		}
		if len(fcols) == 0 {
			return nil, fail(hline, 0, "", "no feature columns: the header has only the target %q", target)
		}
	} else {
		if len(opt.Features) == 0 {
			return nil, fmt.Errorf("data: %s: empty feature list", name)
		}
		seen := make(map[string]bool, len(opt.Features))
		for _, fn := range opt.Features {
			fn = strings.Trim(fn, " \t")
			j, ok := index[fn]
			switch {
			case seen[fn]:
				return nil, fail(hline, 0, "", "feature %q named twice", fn)
			case !ok:
				return nil, fail(hline, 0, "", "no feature column %q in the header (%s)", fn, strings.Join(names, ", "))
			case j == tcol:
				return nil, fail(hline, j+1, fn, "the target column cannot also be a feature")
			}
			seen[fn] = true
			fcols = append(fcols, j)
		}
	}

	d := &Dataset{Target: target, Cols: len(fcols)}
	for _, j := range fcols {
		d.Features = append(d.Features, names[j])
	}
	// Binary: which encoding, and where it was first seen.
	var binZero, binNeg int // line of the first 0 / -1 label, 0 if none yet
	classes := map[float64]bool{}
	// A classifier's labels may be names: the first row decides, and the
	// names are numbered in order of appearance until the end sorts them.
	named, firstNumeric := false, 0 // firstNumeric: line of the first numeric label
	nameIndex := map[string]int{}
	var nameOrder []string

	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			if len(rec) < len(names) {
				return nil, fail(line, len(rec)+1, names[len(rec)], "row has %d fields, the header has %d: too few", len(rec), len(names))
			}
			return nil, fail(line, len(names)+1, "", "row has %d fields, the header has %d: too many", len(rec), len(names))
		}
		cell := func(j int) (float64, error) {
			l, _ := cr.FieldPos(j)
			v, problem := parseCell(rec[j])
			if problem != "" {
				return 0, fail(l, j+1, names[j], "%s", problem)
			}
			return v, nil
		}
		for _, j := range fcols {
			v, err := cell(j)
			if err != nil {
				return nil, err
			}
			if len(d.X) == cap(d.X) && len(d.X) >= 1<<20 {
				// The next append grows the array: refuse a file whose
				// values outgrow the free memory (the growth copies, so
				// the old and new arrays are both held), rather than be
				// killed by the kernel part-way.
				if free := sysmem.Free(); free.Bytes > 0 && int64(len(d.X))*4*3 > free.Bytes {
					return nil, fail(line, j+1, names[j], "the data set outgrows the free memory here: %d values (%d MiB as float32) read, %d MiB is available (%s)",
						len(d.X), int64(len(d.X))*4>>20, free.Bytes>>20, free.Source)
				}
			}
			d.X = append(d.X, float32(v))
		}
		if tcol < 0 {
			d.Rows++
			continue
		}
		yl, _ := cr.FieldPos(tcol)
		if opt.Labels != Regression {
			raw := strings.Trim(rec[tcol], " \t")
			_, problem := parseCell(raw)
			if d.Rows == 0 && strings.HasSuffix(problem, "is not a number") {
				named = true // NaN, inf or a number past float32 stays refused below
			}
			if named {
				if raw == "" {
					return nil, fail(yl, tcol+1, target, "empty class name")
				}
				if !utf8.ValidString(raw) {
					return nil, fail(yl, tcol+1, target, "class name %s is not UTF-8", quoteCell(raw))
				}
				k, ok := nameIndex[raw]
				if !ok {
					if len(nameOrder) > MaxClassLabel {
						return nil, fail(yl, tcol+1, target, "more than %d class names", MaxClassLabel+1)
					}
					k = len(nameOrder)
					nameIndex[raw] = k
					nameOrder = append(nameOrder, raw)
				}
				d.Y = append(d.Y, float32(k))
				d.Rows++
				continue
			}
			if problem != "" && firstNumeric > 0 && strings.HasSuffix(problem, "is not a number") {
				return nil, fail(yl, tcol+1, target, "class label %s is a name, but line %d's is a number: the labels must be all numbers or all names", quoteCell(raw), firstNumeric)
			}
			if firstNumeric == 0 {
				firstNumeric = yl
			}
		}
		y, err := cell(tcol)
		if err != nil {
			return nil, err
		}
		switch opt.Labels {
		case Binary:
			switch y {
			case 1:
			case 0:
				if binNeg > 0 {
					return nil, fail(yl, tcol+1, target, "binary label 0, but line %d has -1: labels must be {0,1} or {-1,1}", binNeg)
				}
				if binZero == 0 {
					binZero = yl
				}
			case -1:
				if binZero > 0 {
					return nil, fail(yl, tcol+1, target, "binary label -1, but line %d has 0: labels must be {0,1} or {-1,1}", binZero)
				}
				if binNeg == 0 {
					binNeg = yl
				}
			default:
				return nil, fail(yl, tcol+1, target, "binary label %v: want {0,1} or {-1,1}", y)
			}
		case Multiclass:
			if y < 0 || y != math.Trunc(y) || y > MaxClassLabel {
				return nil, fail(yl, tcol+1, target, "class label %q: want an integer in [0, %d]", strings.Trim(rec[tcol], " \t"), MaxClassLabel)
			}
			classes[y] = true
		}
		d.Y = append(d.Y, float32(y))
		d.Rows++
	}
	if d.Rows == 0 {
		return nil, fail(hline, 0, "", "header only: no data rows")
	}
	if named {
		return d, d.nameClasses(nameOrder, opt.Labels, func(format string, a ...any) error { return fail(0, tcol+1, target, format, a...) })
	}
	if tcol < 0 {
		return d, nil
	}
	switch opt.Labels {
	case Binary:
		if binNeg > 0 {
			d.Classes = []float64{-1, 1}
		} else {
			d.Classes = []float64{0, 1}
		}
	case Multiclass:
		for c := range classes {
			d.Classes = append(d.Classes, c)
		}
		slices.Sort(d.Classes)
	}
	return d, nil
}

// nameClasses numbers the class names in sorted order (Y held their order
// of appearance): Multiclass takes 0..K-1, Binary exactly two names as
// {0, 1}.
func (d *Dataset) nameClasses(order []string, kind LabelKind, fail func(string, ...any) error) error {
	sorted := slices.Clone(order)
	slices.Sort(sorted)
	if kind == Binary && len(sorted) != 2 {
		return fail("binary labels must be two names, found %d: %s", len(sorted), strings.Join(sorted[:min(len(sorted), 10)], ", "))
	}
	rank := make([]float32, len(order))
	for i, name := range order {
		k, _ := slices.BinarySearch(sorted, name)
		rank[i] = float32(k)
	}
	for i, v := range d.Y {
		d.Y[i] = rank[int(v)]
	}
	d.ClassNames = sorted
	d.Classes = make([]float64, len(sorted))
	for k := range d.Classes {
		d.Classes[k] = float64(k)
	}
	return nil
}

// parseCell parses one numeric cell as float64, checked to fit float32;
// problem is non-empty when it is refused.
func parseCell(s string) (v float64, problem string) {
	s = strings.Trim(s, " \t")
	if s == "" {
		return 0, "empty cell"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Sprintf("%s is not a number", quoteCell(s))
	}
	if math.IsNaN(f) {
		return 0, fmt.Sprintf("%s: NaN is not allowed", quoteCell(s))
	}
	if math.IsInf(f, 0) {
		if err != nil { // overflowed float64
			return 0, fmt.Sprintf("%s overflows float32", quoteCell(s))
		}
		return 0, fmt.Sprintf("%s: infinity is not allowed", quoteCell(s))
	}
	if math.Abs(f) > math.MaxFloat32 {
		return 0, fmt.Sprintf("%s overflows float32 (|v| > %g)", quoteCell(s), math.MaxFloat32)
	}
	return f, ""
}

// quoteCell quotes a cell for a message, cut to 40 bytes.
func quoteCell(s string) string {
	if len(s) > 40 {
		return strconv.Quote(s[:40]) + "..."
	}
	return strconv.Quote(s)
}
