// Package sysmem reads how much host memory is available, so that jobs
// too big for the machine are refused before they allocate: the CPU
// backend's vectors, and a software GL renderer's buffers, live there.
package sysmem

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// Path is the Linux file ReadMeminfo reads by default.
const Path = "/proc/meminfo"

// Available returns Free's bytes: MemAvailable or the memory cgroup's
// remaining allowance, whichever is smaller, or 0 when both are unknown
// (callers then let the allocation decide).
func Available() int64 { return Free().Bytes }

// ReadMeminfo reads MemAvailable and MemTotal (bytes) from a
// /proc/meminfo file. A missing file is unknown: zeros and no error.
func ReadMeminfo(path string) (avail, total int64, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("sysmem: %w", err)
	}
	defer f.Close()
	return ParseMeminfo(f)
}

// ParseMeminfo parses /proc/meminfo's "Name:   value kB" lines for
// MemAvailable (Linux 3.14 and later) and MemTotal, in bytes. MemAvailable
// missing is an error: MemFree alone would understate what can be had.
func ParseMeminfo(r io.Reader) (avail, total int64, err error) {
	var haveAvail bool
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != "MemAvailable" && name != "MemTotal" {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, 0, fmt.Errorf("sysmem: meminfo line %d: %q is not \"%s: N kB\"", line, sc.Text(), name)
		}
		v, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || v < 0 || v > 1<<53 {
			return 0, 0, fmt.Errorf("sysmem: meminfo line %d: bad %s value %q", line, name, fields[0])
		}
		if name == "MemTotal" {
			total = v << 10
		} else {
			avail, haveAvail = v<<10, true
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("sysmem: reading meminfo: %w", err)
	}
	if !haveAvail {
		return 0, 0, errors.New("sysmem: meminfo has no MemAvailable line")
	}
	return avail, total, nil
}
