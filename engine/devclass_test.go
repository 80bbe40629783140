package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gdgpu/gdgpu"
)

// TestClassify: GL_VENDOR and GL_RENDERER strings of each family choose
// its class, and a forced name wins.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		vendor, renderer string
		software         bool
		force, want      string
	}{
		{"Mesa", "llvmpipe (LLVM 15.0.6, 256 bits)", true, "", "software"},
		{"NVIDIA Corporation", "NVIDIA H100 80GB HBM3/PCIe/SSE2", false, "", "nvidia-datacenter"},
		{"NVIDIA Corporation", "NVIDIA H200/PCIe/SSE2", false, "", "nvidia-datacenter"},
		{"NVIDIA Corporation", "NVIDIA A100-SXM4-80GB/PCIe/SSE2", false, "", "nvidia-datacenter"},
		{"NVIDIA Corporation", "NVIDIA GeForce RTX 4090/PCIe/SSE2", false, "", "nvidia"},
		{"NVIDIA Corporation", "NVIDIA RTX A4000/PCIe/SSE2", false, "", "nvidia"},
		{"AMD", "AMD Radeon RX 7900 XTX (radeonsi, navi31, LLVM 15.0.7, DRM 3.54)", false, "", "amd"},
		{"ATI Technologies Inc.", "AMD Radeon Pro W6800", false, "", "amd"},
		{"Intel", "Mesa Intel(R) Arc(tm) A770 Graphics (DG2)", false, "", "intel"},
		{"Imagination", "PowerVR", false, "", "other"},
		{"Mesa", "llvmpipe (LLVM 15.0.6, 256 bits)", true, "nvidia-datacenter", "nvidia-datacenter"},
	} {
		c, err := classify(tc.vendor, tc.renderer, tc.software, tc.force)
		if err != nil || c.Name != tc.want {
			t.Errorf("classify(%q, %q, %v, %q) = %q, %v; want %q", tc.vendor, tc.renderer, tc.software, tc.force, c.Name, err, tc.want)
		}
	}
	if _, err := classify("Mesa", "llvmpipe", true, "nvidia-hopper"); err == nil || !strings.HasPrefix(err.Error(), "engine: unknown device class") {
		t.Errorf("an unknown forced class: %v", err)
	}
}

// TestDeviceClassTable: every class's workgroup size is a power of two
// from 32 to 1024 and its vector width 0 or 16 bytes, and every class
// gives its reason; the last matches any device.
func TestDeviceClassTable(t *testing.T) {
	cs := DeviceClasses()
	for _, c := range cs {
		if c.LocalSize < 32 || c.LocalSize > 1024 || c.LocalSize&(c.LocalSize-1) != 0 {
			t.Errorf("%s: workgroup size %d", c.Name, c.LocalSize)
		}
		if c.VectorBytes != 0 && c.VectorBytes != 16 {
			t.Errorf("%s: vector bytes %d", c.Name, c.VectorBytes)
		}
		if c.Why == "" || !c.Measured && !strings.HasPrefix(c.Why, "unmeasured") {
			t.Errorf("%s: the reason %q must say whether it was measured", c.Name, c.Why)
		}
	}
	if last := cs[len(cs)-1]; !last.match("", "", false) {
		t.Errorf("the last class %s does not match every device", last.Name)
	}
}

// TestOpenRefusesClassOptions: Open refuses a workgroup size that is not a
// power of two within the device's limit, a vector width other than
// 0, 1, 2, 4 and an unknown class.
func TestOpenRefusesClassOptions(t *testing.T) {
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{LocalSize: 100}, "engine: workgroup size 100 is not a power of two"},
		{Options{LocalSize: 16}, "engine: workgroup size 16 is not a power of two"},
		{Options{LocalSize: 1 << 16}, "engine: workgroup size 65536 is not a power of two"},
		{Options{VectorWidth: 3}, "engine: vector width 3 is not"},
		{Options{DeviceClass: "gpu"}, `engine: unknown device class "gpu"`},
	} {
		opts := tc.opts
		applyTestDevice(&opts)
		c, err := Open(opts)
		if err == nil {
			c.Close()
			t.Errorf("%+v: opened", tc.opts)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", tc.opts, err, tc.want)
		}
	}
}

// TestWorkgroupSizes forces each device class of the table, and workgroup
// sizes from 32 to the device's limit, on this device: the reduction
// trees (wgsum.glsl, reduce.glsl, the pre-pass) must sum correctly for
// every size, so each trajectory agrees with the CPU within the parity
// bounds, and runs twice to the same bits.
func TestWorkgroupSizes(t *testing.T) {
	var opts []Options
	for _, c := range DeviceClasses() {
		opts = append(opts, Options{DeviceClass: c.Name, ChunkElems: 512})
	}
	for _, s := range []int{32, 64, 512, 1024} {
		opts = append(opts, Options{LocalSize: s, ChunkElems: 512})
	}
	for _, o := range opts {
		c := openTest(t, o)
		if c.Info().LocalSize > c.Info().MaxInvocations {
			t.Fatalf("local size %d above the device's %d", c.Info().LocalSize, c.Info().MaxInvocations)
		}
		for _, prec := range []gdgpu.Precision{gdgpu.F32, gdgpu.F64} {
			for _, problem := range []string{"rosenbrock", "ackley"} {
				name := fmt.Sprintf("class=%s,local=%d,%s,%s", c.Info().Class, c.Info().LocalSize, prec, problem)
				t.Run(name, func(t *testing.T) {
					job := newJob(problem, "adam", 3001, prec)
					job.Steps, job.LogEvery = 12, 3
					job.RandomStart, job.Seed = true, 7
					checkTrajectory(t, c, &job)
					first, _, _ := stepRun(t, c, &job, job.Optimizer.LR)
					again, _, _ := stepRun(t, c, &job, job.Optimizer.LR)
					sameRun(t, "run-to-run", again, first)
				})
			}
		}
	}
}

// stepRun steps job on c (cacheSteps steps, a sample every third) and
// returns its samples, parameters and state vectors, and its backend.
func stepRun(t *testing.T, c *Context, job *gdgpu.Job, lr float64) (cacheRun, [][]float64, *Backend) {
	t.Helper()
	b := newBackend(t, c, job)
	startCacheRun(t, b, job)
	for s := 0; s < cacheSteps; s++ {
		stepCacheRun(t, b, lr, s)
	}
	r := finishCacheRun(t, b, job)
	var state [][]float64
	for _, name := range b.names {
		v := make([]float64, job.Dim)
		if err := b.StateVector(name, v); err != nil {
			t.Fatal(err)
		}
		state = append(state, v)
	}
	return r, state, b
}
