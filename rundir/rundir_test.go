package rundir

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// holdEnv names the folder a helper process (this test binary, run again)
// locks and holds until its stdin closes.
const holdEnv = "RUNDIR_TEST_HOLD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		unlock, err := Lock(dir)
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n') // until the test lets go
		unlock()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// holdLock starts a process that takes dir's lock and holds it until
// release is called; kill ends it without releasing (the kernel does).
func holdLock(t *testing.T, dir string) (pid int, release, kill func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper did not take the lock: %q", line)
	}
	done := false
	release = func() {
		if !done {
			done = true
			stdin.Close()
			cmd.Wait()
		}
	}
	kill = func() {
		if !done {
			done = true
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
		}
	}
	t.Cleanup(kill)
	return cmd.Process.Pid, release, kill
}

// TestLockHeldByAnotherProcess: a folder another process holds is refused
// with an *InUseError naming its pid, and nothing is written there; once
// it lets go (releasing, or killed, which leaves its lock file), the
// folder takes the lock, and unlocking removes the lock file.
func TestLockHeldByAnotherProcess(t *testing.T) {
	for _, tc := range []struct {
		name     string
		killed   bool
		leftover bool // the lock file is still there after the holder ends
	}{
		{"released", false, false},
		{"killed", true, true},
	} {
		dir := t.TempDir()
		pid, release, kill := holdLock(t, dir)
		_, err := Lock(dir)
		var inUse *InUseError
		if !errors.As(err, &inUse) || inUse.PID != strconv.Itoa(pid) || inUse.Dir != dir {
			t.Fatalf("%s: Lock of a held folder: %v, want an *InUseError naming pid %d", tc.name, err, pid)
		}
		if _, err := LockEmpty(dir); !errors.As(err, &inUse) {
			t.Errorf("%s: LockEmpty of a held folder: %v, want an *InUseError", tc.name, err)
		}
		if tc.killed {
			kill()
		} else {
			release()
		}
		if _, err := os.Stat(filepath.Join(dir, LockFile)); (err == nil) != tc.leftover {
			t.Errorf("%s: the lock file is there: %v, want %v", tc.name, err == nil, tc.leftover)
		}
		unlock, err := LockEmpty(dir) // a killed run's lock file does not fill the folder
		if err != nil {
			t.Fatalf("%s: after the holder ended: %v", tc.name, err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, LockFile))
		if string(b) != fmt.Sprintf("%d\n", os.Getpid()) {
			t.Errorf("%s: the lock file holds %q, want this pid", tc.name, b)
		}
		unlock()
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%s: unlock left %v", tc.name, ents)
		}
	}
}

// TestEmpty: a folder is empty but for a job file, a lock file and a
// stopped run's temporary files; LockEmpty refuses any other, naming the
// file, and lets go of the lock it took.
func TestEmpty(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []string
		bad   string // the file named, "" for an empty folder
	}{
		{"nothing", nil, ""},
		{"job file and lock", []string{JobFile, LockFile}, ""},
		{"temporary files", []string{".params.npy.check123", ".log.csv.tmp9"}, ""},
		{"a log", []string{JobFile, LogFile}, LogFile},
		{"any file", []string{"notes.txt"}, "notes.txt"},
		{"a hidden file", []string{".hidden"}, ".hidden"},
	} {
		dir := t.TempDir()
		for _, f := range tc.files {
			if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		err := Empty(dir)
		unlock, lerr := LockEmpty(dir)
		var ne *NotEmptyError
		if tc.bad == "" {
			if err != nil || lerr != nil {
				t.Errorf("%s: %v, %v, want an empty folder", tc.name, err, lerr)
			} else {
				unlock()
			}
			continue
		}
		if !errors.As(err, &ne) || ne.Name != tc.bad || !errors.As(lerr, &ne) {
			t.Errorf("%s: %v, %v, want a *NotEmptyError naming %s", tc.name, err, lerr, tc.bad)
		}
		if unlock2, err := Lock(dir); err != nil {
			t.Errorf("%s: the refusal kept the lock: %v", tc.name, err)
		} else {
			unlock2()
		}
	}
	var re *Error
	if err := Empty(filepath.Join(t.TempDir(), "missing")); !errors.As(err, &re) || re.Op != "read" {
		t.Errorf("a missing folder: %v, want an *Error with Op read", err)
	}
	if _, err := Lock(filepath.Join(t.TempDir(), "missing")); !errors.As(err, &re) || re.Op != "lock" {
		t.Errorf("locking a missing folder: %v, want an *Error with Op lock", err)
	}
}

// TestClaimCreate: Claim takes an existing empty folder, refuses a file
// or a filled folder, and creates nothing where the folder is missing;
// Create makes it (parents too) and takes it, judging it again.
func TestClaimCreate(t *testing.T) {
	base := t.TempDir()
	p := func(name string) string { return filepath.Join(base, name) }
	for _, err := range []error{
		os.Mkdir(p("empty"), 0o755),
		os.Mkdir(p("full"), 0o755),
		os.WriteFile(p("full/log.csv"), nil, 0o644),
		os.WriteFile(p("file"), nil, 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var notFolder *NotFolderError
	var notEmpty *NotEmptyError
	var op *Error
	for _, tc := range []struct {
		name      string
		dir       string
		claimed   bool // Claim returns an unlock
		claimErr  any  // nil, or a pointer to the error type wanted
		createErr any
		createOp  string
	}{
		{"missing", p("new/run"), false, nil, nil, ""},
		{"empty folder", p("empty"), true, nil, nil, ""},
		{"filled folder", p("full"), false, &notEmpty, &notEmpty, ""},
		{"a file", p("file"), false, &notFolder, &op, "create"},
		{"under a file", p("file/run"), false, &op, &op, "create"},
	} {
		unlock, err := Claim(tc.dir)
		switch {
		case tc.claimErr == nil && err != nil, tc.claimErr != nil && !errors.As(err, tc.claimErr):
			t.Errorf("%s: Claim: %v", tc.name, err)
		case (unlock != nil) != tc.claimed:
			t.Errorf("%s: Claim took the folder: %v, want %v", tc.name, unlock != nil, tc.claimed)
		}
		if unlock != nil {
			unlock()
		}
		if tc.name == "missing" {
			if _, err := os.Stat(p("new")); err == nil {
				t.Errorf("%s: Claim created the folder", tc.name)
			}
		}
		unlock, err = Create(tc.dir)
		switch {
		case tc.createErr == nil && err != nil, tc.createErr != nil && !errors.As(err, tc.createErr):
			t.Errorf("%s: Create: %v", tc.name, err)
		case tc.createOp != "" && op.Op != tc.createOp:
			t.Errorf("%s: Create: %v, want Op %s", tc.name, err, tc.createOp)
		}
		if unlock != nil {
			unlock()
		}
	}
	if st, err := os.Stat(p("new/run")); err != nil || !st.IsDir() {
		t.Errorf("Create did not make the folder: %v", err)
	}
}

// TestNoDir: an empty folder name is refused by Lock, Claim and Create,
// which take nothing and create nothing.
func TestNoDir(t *testing.T) {
	for name, f := range map[string]func(string) (func(), error){"Lock": Lock, "Claim": Claim, "Create": Create} {
		unlock, err := f("")
		if !errors.Is(err, ErrNoDir) || unlock != nil {
			t.Errorf("%s(\"\"): %v, unlock %v; want ErrNoDir", name, err, unlock != nil)
		}
	}
}
