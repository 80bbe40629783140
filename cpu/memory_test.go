package cpu

import (
	"errors"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu/internal/testcases"
)

// TestCgroupLimitRefusesJob: a job that fits the machine's MemAvailable but
// not its memory cgroup's allowance is refused before allocating, naming
// the cgroup's files: in a container the kernel's OOM killer would end it
// (and maybe others) instead.
func TestCgroupLimitRefusesJob(t *testing.T) {
	testcases.FakeMemory(t, map[string]string{
		"proc/meminfo":                     "MemTotal: 4194304 kB\nMemAvailable: 4194304 kB\n",
		"proc/self/cgroup":                 "0::/job\n",
		"sys/fs/cgroup/job/memory.max":     "67108864\n", // 64 MiB
		"sys/fs/cgroup/job/memory.current": "0\n",
	})
	job := problemJob("rosenbrock", 1<<20, 1) // Adam: x, exp_avg, exp_avg_sq and two kept copies of each, 9 x 8 MiB = 72 MiB against 64
	job.Optimizer = adamOpt(1e-3, 0.9, 0.999, 1e-8, 0)
	_, err := New(job)
	if !errors.Is(err, ErrTooBig) || !strings.Contains(err.Error(), "memory.max less memory.current") {
		t.Fatalf("New = %v, want ErrTooBig naming the cgroup", err)
	}
	small := problemJob("rosenbrock", 1<<16, 1)
	b, err := New(small)
	if err != nil {
		t.Fatalf("a job within the cgroup's allowance: %v", err)
	}
	b.Close()
}
