package sysmem

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseMeminfo(t *testing.T) {
	const linux = `MemTotal:       24558636 kB
MemFree:         1234567 kB
MemAvailable:   24183964 kB
Buffers:          123456 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`
	for _, tc := range []struct {
		name, text   string
		avail, total int64
		err          string
	}{
		{name: "linux", text: linux, avail: 24183964 << 10, total: 24558636 << 10},
		{name: "no total", text: "MemAvailable: 1024 kB\n", avail: 1 << 20},
		{name: "no trailing newline", text: "MemAvailable: 2 kB", avail: 2048},
		{name: "old kernel", text: "MemTotal: 1000 kB\nMemFree: 500 kB\n", err: "no MemAvailable"},
		{name: "empty", text: "", err: "no MemAvailable"},
		{name: "not a number", text: "MemAvailable: lots kB\n", err: "line 1: bad MemAvailable value"},
		{name: "negative", text: "MemTotal: 5 kB\nMemAvailable: -5 kB\n", err: "line 2: bad MemAvailable"},
		{name: "overflow", text: "MemAvailable: 99999999999999999999 kB\n", err: "bad MemAvailable"},
		{name: "other unit", text: "MemAvailable: 5 MB\n", err: "is not"},
		{name: "no unit", text: "MemAvailable: 5\n", err: "is not"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			avail, total, err := ParseMeminfo(strings.NewReader(tc.text))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || avail != tc.avail || total != tc.total {
				t.Fatalf("got %d, %d, %v; want %d, %d", avail, total, err, tc.avail, tc.total)
			}
		})
	}
}

func TestReadMeminfo(t *testing.T) {
	dir := t.TempDir()
	if a, tot, err := ReadMeminfo(filepath.Join(dir, "missing")); a != 0 || tot != 0 || err != nil {
		t.Errorf("missing file: got %d, %d, %v; want unknown (0, 0, nil)", a, tot, err)
	}
	p := filepath.Join(dir, "meminfo")
	if err := os.WriteFile(p, []byte("MemTotal: 8 kB\nMemAvailable: 4 kB\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if a, tot, err := ReadMeminfo(p); a != 4096 || tot != 8192 || err != nil {
		t.Errorf("got %d, %d, %v; want 4096, 8192", a, tot, err)
	}
	if _, _, err := ReadMeminfo(dir); err == nil { // a folder: reading fails
		t.Error("reading a folder as meminfo succeeded")
	}
}
