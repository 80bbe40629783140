// Package data reads and writes gdgpu's data: parameter vectors as NumPy
// .npy files (one-dimensional float32 or float64 arrays, so that numpy.load
// reads what gdgpu writes and gdgpu reads what numpy.save writes), datasets
// from CSV files and 2-D .npy matrices (ReadCSV, ReadNpyMatrix), seeded
// synthetic datasets (Synthetic) and their standardization.
//
// Reading goes through codeberg.org/sbinet/npyio, after ReadVector has
// checked what the library trusts: the prefix, the header length, the dtype,
// the shape and that the file holds exactly the bytes the shape promises, so
// that a damaged or hostile file gives an error instead of a panic or an
// allocation of the size its header claims. Writing emits a version 1.0
// header aligned to 64 bytes, as the format specification asks (npyio v0.14.0
// writes version 2.0 headers that are not aligned), followed by the
// little-endian data.
package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"
)

// Magic is the 6-byte prefix of every .npy file.
var Magic = [6]byte{0x93, 'N', 'U', 'M', 'P', 'Y'}

// HeaderAlign is the alignment, in bytes, of the data that follows a .npy
// header written by WriteVector: the specification asks that magic, version,
// header length and header together take a multiple of 64 bytes.
const HeaderAlign = 64

// maxHeaderLen bounds the header length ReadVector accepts. numpy.load
// refuses headers over 10000 bytes unless told otherwise; a 1-D float header
// takes well under 200.
const maxHeaderLen = 1 << 16

// FormatError says what is wrong with the contents of a file that
// ReadVector refused (as opposed to a failure to open or read it).
type FormatError struct {
	File    string // the file's name as given to ReadVector
	Problem string // what is wrong, e.g. "dtype '<i8' is not float32 or float64"
}

// Error returns "data: FILE: PROBLEM".
func (e *FormatError) Error() string { return "data: " + e.File + ": " + e.Problem }

// ReadVector reads a one-dimensional float32 ('<f4', '>f4') or float64
// ('<f8', '>f8') .npy file into float64 values. float32 values convert
// exactly. It refuses other dtypes, 0-D and multi-dimensional shapes, and
// files whose size does not match their shape (truncated, or with trailing
// bytes). fortran_order is accepted either way: for one dimension both
// orders are the same layout. Errors start with "data: " and name the file.
func ReadVector(path string) ([]float64, error) {
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
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("data: %s is not a regular file", path)
	}
	return decode(path, bufio.NewReaderSize(f, 1<<16), st.Size())
}

// decode reads a .npy vector of size bytes from r; name is used in errors.
func decode(name string, r io.Reader, size int64) (x []float64, err error) {
	bad := func(format string, args ...any) error {
		return &FormatError{File: name, Problem: fmt.Sprintf(format, args...)}
	}
	// The prefix: magic, version, header length. Checked here so that the
	// library never allocates a header of a length the file cannot hold.
	var pre [12]byte
	if size < 10 {
		return nil, bad("file is %d bytes, shorter than a .npy prefix", size)
	}
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return nil, fmt.Errorf("data: %s: reading the header: %w", name, err)
	}
	if !bytes.Equal(pre[:6], Magic[:]) {
		return nil, bad("missing the \\x93NUMPY magic")
	}
	major, minor := pre[6], pre[7]
	var plen int
	var hlen int64
	switch major {
	case 1:
		plen = 10
		hlen = int64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		if size < 12 {
			return nil, bad("file is %d bytes, shorter than a version 2 prefix", size)
		}
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return nil, fmt.Errorf("data: %s: reading the header: %w", name, err)
		}
		plen = 12
		hlen = int64(binary.LittleEndian.Uint32(pre[8:12]))
	default:
		return nil, bad("format version %d.%d is not supported (want 1.0 or 2.0)", major, minor)
	}
	if hlen > maxHeaderLen {
		return nil, bad("header length %d exceeds %d bytes", hlen, maxHeaderLen)
	}
	if int64(plen)+hlen > size {
		return nil, bad("truncated: header of %d bytes but the file has %d", hlen, size-int64(plen))
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, fmt.Errorf("data: %s: reading the header: %w", name, err)
	}
	if hlen == 0 || hdr[hlen-1] != '\n' {
		return nil, bad("header does not end with a newline")
	}

	if err := checkHeaderDict(hdr); err != nil {
		return nil, bad("%v", err)
	}
	// The library parses the header and reads the data; it may panic on
	// input it does not expect, which becomes an error here.
	phase := "header " + quoteShort(hdr)
	defer func() {
		if p := recover(); p != nil {
			x, err = nil, bad("malformed %s (npyio: %v)", phase, p)
		}
	}()
	rr, err := npy.NewReader(io.MultiReader(bytes.NewReader(pre[:plen]), bytes.NewReader(hdr), r))
	if err != nil {
		return nil, bad("%v", err)
	}
	h := rr.Header
	esize, err := floatSize(h.Descr.Type)
	if err != nil {
		return nil, bad("%v", err)
	}
	switch len(h.Descr.Shape) {
	case 1:
	case 0:
		return nil, bad("shape () is a 0-D scalar, want a 1-D vector")
	default:
		return nil, bad("shape %s has %d dimensions, want 1", shapeString(h.Descr.Shape), len(h.Descr.Shape))
	}
	n := h.Descr.Shape[0]
	if n < 0 {
		return nil, bad("negative length %d in shape", n)
	}
	avail := size - int64(plen) - hlen
	if int64(n) > avail/int64(esize) {
		return nil, bad("truncated: shape (%d,) of %d-byte values needs more than the %d data bytes in the file", n, esize, avail)
	}
	if want := int64(n) * int64(esize); want < avail {
		return nil, bad("%d bytes follow the %d values of shape (%d,)", avail-want, n, n)
	}

	phase = "data"
	x = make([]float64, n)
	if n == 0 {
		return x, nil
	}
	if esize == 4 {
		v := make([]float32, n)
		if err := rr.Read(&v); err != nil {
			return nil, fmt.Errorf("data: %s: reading %d float32 values: %w", name, n, err)
		}
		for i, f := range v {
			x[i] = float64(f)
		}
		return x, nil
	}
	if err := rr.Read(&x); err != nil {
		return nil, fmt.Errorf("data: %s: reading %d float64 values: %w", name, n, err)
	}
	return x, nil
}

// floatSize checks a header's descr (as npyio reports it, quoted) and
// returns the element size: 4 or 8.
func floatSize(descr string) (int, error) {
	d := strings.TrimSpace(descr)
	if len(d) >= 2 && (d[0] == '\'' || d[0] == '"') && d[len(d)-1] == d[0] {
		d = d[1 : len(d)-1]
	}
	t := d
	if t != "" && strings.ContainsRune("<>=|", rune(t[0])) {
		t = t[1:]
	}
	switch t {
	case "f4":
		return 4, nil
	case "f8":
		return 8, nil
	}
	return 0, fmt.Errorf("dtype %s is not float32 or float64", descr)
}

// quoteShort quotes a header for an error message, cut to 80 bytes.
// headerDict is the grammar of the header numpy writes: a Python dict of
// the keys descr (a quoted string, or a bracketed list for a structured
// dtype), fortran_order (True or False) and shape (a tuple of
// non-negative integers of at most 18 digits), with an optional trailing
// comma and spaces to the newline. npyio's own parser accepts more and
// says less (`strconv.Atoi: parsing ")"`, a recovered slice-bounds panic,
// "(3, }" read as the shape ()); a header is checked against this first.
var headerDict = func() *regexp.Regexp {
	key := func(k string) string { return `['"]` + k + `['"]\s*:\s*` }
	kv := `(?:` + key("descr") + `(?:'[^'\n]*'|"[^"\n]*"|\[[^\n]*\])` +
		`|` + key("fortran_order") + `(?:True|False)` +
		`|` + key("shape") + `\((?:\s*\d{1,18}\s*,)*(?:\s*\d{1,18}\s*)?\))`
	return regexp.MustCompile(`^\{\s*` + kv + `(?:\s*,\s*` + kv + `)*\s*,?\s*\}\s*$`)
}()

// checkHeaderDict refuses a header that is not numpy's dict of descr,
// fortran_order and shape, each once.
func checkHeaderDict(hdr []byte) error {
	want := "want numpy's {'descr': ..., 'fortran_order': True|False, 'shape': (...), }"
	if !headerDict.Match(hdr) {
		return fmt.Errorf("malformed header %s: %s", quoteShort(hdr), want)
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if n := strings.Count(string(hdr), "'"+k+"'") + strings.Count(string(hdr), `"`+k+`"`); n != 1 {
			return fmt.Errorf("malformed header %s: key %q appears %d times; %s", quoteShort(hdr), k, n, want)
		}
	}
	return nil
}

func quoteShort(b []byte) string {
	if len(b) > 80 {
		return strconv.Quote(string(b[:80])) + "..."
	}
	return strconv.Quote(string(b))
}

func shapeString(shape []int) string {
	s := make([]string, len(shape))
	for i, v := range shape {
		s[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "(" + s[0] + ",)"
	}
	return "(" + strings.Join(s, ", ") + ")"
}

// Header returns the complete version 1.0 .npy header (magic, version,
// length and the padded dictionary) for a little-endian vector of n values
// of dtype "f4" or "f8". Its length is a multiple of HeaderAlign.
func Header(dtype string, n int) ([]byte, error) {
	if dtype != "f4" && dtype != "f8" {
		return nil, fmt.Errorf("data: dtype %q is not f4 or f8", dtype)
	}
	if n < 0 {
		return nil, fmt.Errorf("data: negative length %d", n)
	}
	dict := fmt.Sprintf("{'descr': '<%s', 'fortran_order': False, 'shape': (%d,), }", dtype, n)
	const plen = 10 // magic, major, minor, uint16 header length
	total := plen + len(dict) + 1
	pad := (HeaderAlign - total%HeaderAlign) % HeaderAlign
	hlen := len(dict) + pad + 1
	b := make([]byte, 0, plen+hlen)
	b = append(b, Magic[:]...)
	b = append(b, 1, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(hlen))
	b = append(b, dict...)
	b = append(b, bytes.Repeat([]byte{' '}, pad)...)
	b = append(b, '\n')
	return b, nil
}

// WriteVector writes x to path as a one-dimensional little-endian .npy
// array of dtype "f4" (float32, rounded to nearest; values beyond float32's
// range become ±Inf, as numpy's astype does) or "f8" (float64, exact).
// The file is written atomically: to a temporary file in the same folder,
// synced, then renamed over path, so a reader never sees a partial file and
// a failed write leaves any previous file in place.
func WriteVector(path string, x []float64, dtype string) (err error) {
	hdr, err := Header(dtype, len(x))
	if err != nil {
		return err
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("data: writing %s: %w", path, err)
	}
	var buf [8]byte
	for _, v := range x {
		var b []byte
		if dtype == "f4" {
			binary.LittleEndian.PutUint32(buf[:4], math.Float32bits(float32(v)))
			b = buf[:4]
		} else {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(v))
			b = buf[:]
		}
		if _, err := w.Write(b); err != nil {
			return fmt.Errorf("data: writing %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("data: writing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("data: syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("data: closing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	// Make the rename itself durable; a failure here loses nothing written.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
