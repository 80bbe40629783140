package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"github.com/gdgpu/gdgpu/internal/sysmem"
	"io"
	"math"
	"os"
	"path/filepath"

	"codeberg.org/sbinet/npyio/npy"
)

// ReadNpyMatrix reads a two-dimensional float32 or float64 .npy file in C
// (row-major) order into row-major float32, streaming the data in blocks so
// that memory is the float32 result (a float64 file is never held whole as
// float64). It refuses other dtypes and dimensions, Fortran order, a file
// whose size does not match its shape, NaN and infinities, and float64
// values beyond float32's range, naming the file and the element's row and
// column (0-based, as numpy indexes). Errors start with "data: ".
func ReadNpyMatrix(path string) (x []float32, rows, cols int, err error) {
	if err := CheckRegular(path); err != nil {
		return nil, 0, 0, fmt.Errorf("data: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, 0, fmt.Errorf("data: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, 0, 0, fmt.Errorf("data: %s is not a regular file", path)
	}
	return decodeMatrix(filepath.Base(path), bufio.NewReaderSize(f, 1<<16), st.Size())
}

func decodeMatrix(name string, r io.Reader, size int64) (x []float32, rows, cols int, err error) {
	bad := func(format string, args ...any) error {
		return &FormatError{File: name, Problem: fmt.Sprintf(format, args...)}
	}
	var pre [12]byte
	if size < 10 {
		return nil, 0, 0, bad("file is %d bytes, shorter than a .npy prefix", size)
	}
	if _, err := io.ReadFull(r, pre[:10]); err != nil {
		return nil, 0, 0, fmt.Errorf("data: %s: reading the header: %w", name, err)
	}
	if !bytes.Equal(pre[:6], Magic[:]) {
		return nil, 0, 0, bad("missing the \\x93NUMPY magic")
	}
	var plen int
	var hlen int64
	switch pre[6] {
	case 1:
		plen, hlen = 10, int64(binary.LittleEndian.Uint16(pre[8:10]))
	case 2:
		if size < 12 {
			return nil, 0, 0, bad("file is %d bytes, shorter than a version 2 prefix", size)
		}
		if _, err := io.ReadFull(r, pre[10:12]); err != nil {
			return nil, 0, 0, fmt.Errorf("data: %s: reading the header: %w", name, err)
		}
		plen, hlen = 12, int64(binary.LittleEndian.Uint32(pre[8:12]))
	default:
		return nil, 0, 0, bad("format version %d.%d is not supported (want 1.0 or 2.0)", pre[6], pre[7])
	}
	if hlen > maxHeaderLen {
		return nil, 0, 0, bad("header length %d exceeds %d bytes", hlen, maxHeaderLen)
	}
	if int64(plen)+hlen > size {
		return nil, 0, 0, bad("truncated: header of %d bytes but the file has %d", hlen, size-int64(plen))
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, 0, 0, fmt.Errorf("data: %s: reading the header: %w", name, err)
	}
	if hlen == 0 || hdr[hlen-1] != '\n' {
		return nil, 0, 0, bad("header does not end with a newline")
	}
	if err := checkHeaderDict(hdr); err != nil {
		return nil, 0, 0, bad("%v", err)
	}
	// npyio parses the header only (the data is read below); it may panic
	// on input it does not expect.
	h, err := func() (h npy.Header, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("malformed header %s (npyio: %v)", quoteShort(hdr), p)
			}
		}()
		rr, err := npy.NewReader(io.MultiReader(bytes.NewReader(pre[:plen]), bytes.NewReader(hdr)))
		if err != nil {
			return h, err
		}
		return rr.Header, nil
	}()
	if err != nil {
		return nil, 0, 0, bad("%v", err)
	}
	esize, err := floatSize(h.Descr.Type)
	if err != nil {
		return nil, 0, 0, bad("%v", err)
	}
	var order binary.ByteOrder = binary.LittleEndian
	if t := h.Descr.Type; len(t) > 1 && (t[0] == '\'' || t[0] == '"') && t[1] == '>' || len(t) > 0 && t[0] == '>' {
		order = binary.BigEndian
	}
	if len(h.Descr.Shape) != 2 {
		return nil, 0, 0, bad("shape %s has %d dimensions, want 2 (rows, cols)", shapeString(h.Descr.Shape), len(h.Descr.Shape))
	}
	rows, cols = h.Descr.Shape[0], h.Descr.Shape[1]
	if rows < 0 || cols < 0 {
		return nil, 0, 0, bad("negative dimension in shape %s", shapeString(h.Descr.Shape))
	}
	if h.Descr.Fortran && rows > 1 && cols > 1 {
		return nil, 0, 0, bad("fortran_order is True: want a C-order (row-major) array, e.g. numpy.ascontiguousarray")
	}
	avail := size - int64(plen) - hlen
	if cols > 0 && int64(rows) > avail/int64(esize)/int64(cols) {
		return nil, 0, 0, bad("truncated: shape %s of %d-byte values needs more than the %d data bytes in the file", shapeString(h.Descr.Shape), esize, avail)
	}
	n := rows * cols
	if want := int64(n) * int64(esize); want != avail {
		return nil, 0, 0, bad("%d bytes follow the %d values of shape %s", avail-want, n, shapeString(h.Descr.Shape))
	}

	if free := sysmem.Free(); free.Bytes > 0 && int64(n)*4 > free.Bytes {
		return nil, 0, 0, bad("shape %s needs %d MiB as float32, but %d MiB of memory is available (%s)",
			shapeString(h.Descr.Shape), (int64(n)*4+1<<20-1)>>20, free.Bytes>>20, free.Source)
	}
	x = make([]float32, n)
	buf := make([]byte, 1<<16)
	per := len(buf) / esize
	for i := 0; i < n; i += per {
		k := min(per, n-i)
		b := buf[:k*esize]
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, 0, 0, fmt.Errorf("data: %s: reading values: %w", name, err)
		}
		for e := 0; e < k; e++ {
			var v float64
			if esize == 4 {
				v = float64(math.Float32frombits(order.Uint32(b[4*e:])))
			} else {
				v = math.Float64frombits(order.Uint64(b[8*e:]))
			}
			at := i + e
			switch {
			case math.IsNaN(v):
				return nil, 0, 0, bad("element [%d, %d] is NaN", at/cols, at%cols)
			case math.IsInf(v, 0):
				return nil, 0, 0, bad("element [%d, %d] is %v", at/cols, at%cols, v)
			case math.Abs(v) > math.MaxFloat32:
				return nil, 0, 0, bad("element [%d, %d] = %g overflows float32", at/cols, at%cols, v)
			}
			x[at] = float32(v)
		}
	}
	return x, rows, cols, nil
}
