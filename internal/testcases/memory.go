package testcases

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gdgpu/gdgpu/internal/sysmem"
)

// FakeMemory writes files (paths relative to a root: "proc/meminfo",
// "proc/self/cgroup", "sys/fs/cgroup/memory.max", ...) under a temporary
// root and points sysmem.Root at it for the rest of the test, so that a
// limit is injected through the code that reads a real one.
func FakeMemory(t testing.TB, files map[string]string) {
	t.Helper()
	root := t.TempDir()
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	saved := sysmem.Root
	sysmem.Root = root
	t.Cleanup(func() { sysmem.Root = saved })
}
