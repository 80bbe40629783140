package rundir

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestCheckPaths: an output that is an input, by path, through ../, a
// symbolic or hard link, or a linked folder (the output not yet there),
// is refused naming both; so is an output named twice. An output listed
// as its own input under the same What (a resumed checkpoint) and empty
// paths pass.
func TestCheckPaths(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, f := range []string{"in.npy", "other.npy"} {
		if err := os.WriteFile(p(f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, err := range []error{
		os.Mkdir(p("sub"), 0o755),
		os.MkdirAll(p("else/deep"), 0o755),
		os.Symlink(p("else/deep"), p("deeplink")),
		os.Symlink(p("in.npy"), p("link.npy")),
		os.Link(p("in.npy"), p("hard.npy")),
		os.Symlink(p("sub"), p("linkdir")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	in := Path{"--init", p("in.npy")}
	for _, tc := range []struct {
		name    string
		inputs  []Path
		outputs []Path
		clash   *ClashError // nil: no refusal
	}{
		{"distinct", []Path{in}, []Path{{"--out", p("out.npy")}, {"--log", p("log.csv")}}, nil},
		{"empty paths", []Path{{"--init", ""}}, []Path{{"--out", ""}, {"--log", ""}}, nil},
		{"same path", []Path{in}, []Path{{"--out", p("in.npy")}},
			&ClashError{Path{"--out", p("in.npy")}, in, true}},
		{"through ../", []Path{in}, []Path{{"--out", p("sub/../in.npy")}},
			&ClashError{Path{"--out", p("sub/../in.npy")}, in, true}},
		{"relative and absolute", []Path{{"--data", "./x.csv"}}, []Path{{"--out", "x.csv"}},
			&ClashError{Path{"--out", "x.csv"}, Path{"--data", "./x.csv"}, true}},
		{"symbolic link", []Path{in}, []Path{{"--out", p("link.npy")}},
			&ClashError{Path{"--out", p("link.npy")}, in, true}},
		{"hard link", []Path{in}, []Path{{"--out", p("hard.npy")}},
			&ClashError{Path{"--out", p("hard.npy")}, in, true}},
		{"linked folder, output not there yet", nil, []Path{{"--out", p("sub/new.npy")}, {"--log", p("linkdir/new.npy")}},
			&ClashError{Path{"--log", p("linkdir/new.npy")}, Path{"--out", p("sub/new.npy")}, false}},
		// Written out, not Joined: Join would clean the ../ away as text.
		// deeplink/.. is else, not dir.
		{"../ after a linked folder", nil, []Path{{"--out", dir + "/deeplink/../new.npy"}, {"--log", p("else/new.npy")}},
			&ClashError{Path{"--log", p("else/new.npy")}, Path{"--out", dir + "/deeplink/../new.npy"}, false}},
		{"../ after a linked folder, another file", nil, []Path{{"--out", dir + "/deeplink/../new.npy"}, {"--log", p("new.npy")}}, nil},
		{"two outputs", nil, []Path{{"--out", p("o.npy")}, {"--log", p("o.npy")}},
			&ClashError{Path{"--log", p("o.npy")}, Path{"--out", p("o.npy")}, false}},
		{"resumed checkpoint", []Path{{"--resume", p("other.npy")}}, []Path{{"--resume", p("other.npy")}}, nil},
	} {
		err := CheckPaths(tc.inputs, tc.outputs)
		if tc.clash == nil {
			if err != nil {
				t.Errorf("%s: %v, want no refusal", tc.name, err)
			}
			continue
		}
		var ce *ClashError
		if !errors.As(err, &ce) || *ce != *tc.clash {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.clash)
		}
	}
}

// TestCheckOutput: an output that is a folder, a fifo or read-only, or
// whose folder is missing, is refused with its Reason; a regular file,
// a new one, and a link followed to its target pass; a link that leads
// nowhere is refused. Nothing is created.
func TestCheckOutput(t *testing.T) {
	dir := t.TempDir()
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, err := range []error{
		os.WriteFile(p("file.npy"), nil, 0o644),
		os.WriteFile(p("ro.npy"), nil, 0o444),
		syscall.Mkfifo(p("fifo"), 0o644),
		os.Mkdir(p("sub"), 0o755),
		os.MkdirAll(p("else/deep"), 0o755),
		os.Symlink(p("else/deep"), p("deeplink")),
		os.Symlink(p("file.npy"), p("link.npy")),
		os.Symlink(p("nowhere"), p("dangling.npy")),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	before, _ := os.ReadDir(dir)
	for _, tc := range []struct {
		name   string
		path   string
		reason Reason // 0: accepted
		follow string // FollowOutput's path, where accepted
	}{
		{"regular file", p("file.npy"), 0, p("file.npy")},
		{"new file", p("new.npy"), 0, p("new.npy")},
		{"link", p("link.npy"), 0, p("file.npy")},
		{"folder", p("sub"), IsFolder, ""},
		{"fifo", p("fifo"), NotRegular, ""},
		{"read-only", p("ro.npy"), ReadOnly, ""},
		{"missing folder", p("none/x.npy"), Unwritable, ""},
		{"dangling link", p("dangling.npy"), Dangling, ""},
	} {
		got, err := FollowOutput("--out", tc.path)
		var oe *OutputError
		switch {
		case tc.reason == 0 && (err != nil || got != tc.follow):
			t.Errorf("%s: %q, %v, want %q accepted", tc.name, got, err, tc.follow)
		case tc.reason != 0 && (!errors.As(err, &oe) || oe.Reason != tc.reason || oe.What != "--out" || oe.Path != tc.path):
			t.Errorf("%s: %v, want reason %d for --out %s", tc.name, err, tc.reason, tc.path)
		}
		if tc.reason == Dangling {
			continue // CheckOutput takes the link as a new file's path
		}
		if err := CheckOutput("--out", tc.path); (err == nil) != (tc.reason == 0) {
			t.Errorf("%s: CheckOutput: %v", tc.name, err)
		}
	}
	if after, _ := os.ReadDir(dir); len(after) != len(before) {
		t.Errorf("the checks left files: %v, had %v", after, before)
	}
}
