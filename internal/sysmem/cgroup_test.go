package sysmem

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot writes files under a temporary root and points Root at it.
func fakeRoot(t *testing.T, files map[string]string) {
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
	saved := Root
	Root = root
	t.Cleanup(func() { Root = saved })
}

const meminfo1G = "MemTotal: 4194304 kB\nMemAvailable: 1048576 kB\n"

func TestFreeTakesTheCgroupLimit(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
		src   string
	}{
		{"meminfo alone", map[string]string{"proc/meminfo": meminfo1G}, 1 << 30, "MemAvailable"},
		{"v2 limit below", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "0::/job\n",
			"sys/fs/cgroup/job/memory.max": "104857600\n", "sys/fs/cgroup/job/memory.current": "41943040\n",
		}, 60 << 20, "memory.max less memory.current in /sys/fs/cgroup/job"},
		{"v2 at the namespace root", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "0::/host/side/path\n",
			"sys/fs/cgroup/memory.max": "104857600\n", "sys/fs/cgroup/memory.current": "0\n",
		}, 100 << 20, "memory.max"},
		{"v2 max", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "0::/job\n", "sys/fs/cgroup/job/memory.max": "max\n",
		}, 1 << 30, "MemAvailable"},
		{"v1 limit below", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "4:memory:/ci\n1:cpu:/\n",
			"sys/fs/cgroup/memory/ci/memory.limit_in_bytes": "209715200\n", "sys/fs/cgroup/memory/ci/memory.usage_in_bytes": "104857600\n",
		}, 100 << 20, "memory.limit_in_bytes"},
		{"v1 unlimited", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 1 << 30, "MemAvailable"},
		{"cgroup alone", map[string]string{
			"proc/self/cgroup": "0::/\n", "sys/fs/cgroup/memory.max": "1048576\n", "sys/fs/cgroup/memory.current": "4096\n",
		}, 1<<20 - 4096, "memory.max"},
		{"nothing", map[string]string{}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fakeRoot(t, tc.files)
			l := Free()
			if l.Bytes != tc.want || !strings.Contains(l.Source, tc.src) {
				t.Errorf("Free() = %+v, want %d bytes from %q", l, tc.want, tc.src)
			}
			if Available() != l.Bytes {
				t.Errorf("Available() = %d, Free() %d", Available(), l.Bytes)
			}
		})
	}
}
