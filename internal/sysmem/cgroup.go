package sysmem

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Root is the filesystem root under which /proc and /sys/fs/cgroup are
// read: "/" but in tests, which point it at a folder of fake files to
// inject a limit through the same code that reads a real one.
var Root = "/"

// Limit is how much host memory the process may still take, and the files
// that say so.
type Limit struct {
	Bytes  int64  // 0: unknown
	Source string // for messages, e.g. "MemAvailable in /proc/meminfo"
}

// Free returns the smaller of /proc/meminfo's MemAvailable and what the
// process's memory cgroup still allows (its limit less its usage: cgroup
// v2's memory.max and memory.current, v1's memory.limit_in_bytes and
// memory.usage_in_bytes), so that a job in a container is refused rather
// than killed by the OOM killer of a limit the machine's figure does not
// show. Bytes is 0 when neither is known.
func Free() Limit {
	var l Limit
	if a, _, err := ReadMeminfo(filepath.Join(Root, Path)); err == nil && a > 0 {
		l = Limit{a, "MemAvailable in " + Path}
	}
	if c, src := cgroupFree(); c > 0 && (l.Bytes == 0 || c < l.Bytes) {
		l = Limit{c, src}
	}
	return l
}

// cgroupFree is the process's memory cgroup's limit less its usage, and
// the files read; 0 when there is no limit or it cannot be read.
func cgroupFree() (int64, string) {
	f, err := os.Open(filepath.Join(Root, "/proc/self/cgroup"))
	if err != nil {
		return 0, ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "hierarchy-ID:controllers:path": v2 is "0::/path", v1 names
		// "memory" among its controllers.
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		var dirs []string
		var limitFile, usageFile string
		switch {
		case parts[0] == "0" && parts[1] == "":
			limitFile, usageFile = "memory.max", "memory.current"
			dirs = []string{filepath.Join("/sys/fs/cgroup", parts[2]), "/sys/fs/cgroup"}
		case hasController(parts[1], "memory"):
			limitFile, usageFile = "memory.limit_in_bytes", "memory.usage_in_bytes"
			dirs = []string{filepath.Join("/sys/fs/cgroup/memory", parts[2]), "/sys/fs/cgroup/memory"}
		default:
			continue
		}
		// A container sees its own cgroup at the root of its namespace,
		// under a path /proc/self/cgroup names from the host's side.
		for _, d := range dirs {
			limit, ok := readBytes(filepath.Join(Root, d, limitFile))
			if !ok {
				continue
			}
			usage, _ := readBytes(filepath.Join(Root, d, usageFile))
			if limit <= 0 || limit >= 1<<62 { // "max", or v1's page-rounded MaxInt64: no limit
				return 0, ""
			}
			return max(limit-usage, 1), "the memory cgroup's " + limitFile + " less " + usageFile + " in " + d
		}
	}
	return 0, ""
}

func hasController(list, name string) bool {
	for _, c := range strings.Split(list, ",") {
		if c == name {
			return true
		}
	}
	return false
}

// readBytes reads a cgroup file holding a byte count or "max" (-1).
func readBytes(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	s := strings.TrimSpace(string(b))
	if s == "max" {
		return -1, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}
