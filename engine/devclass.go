package engine

import (
	"fmt"
	"slices"
	"strings"
)

// DeviceClass is what the engine assumes of a family of devices: the
// workgroup size of the problem kernels (the fused step, its evaluation,
// gradient and reduction passes) and whether the fused step loads and
// stores vectors. Open chooses one from GL_VENDOR and GL_RENDERER
// (Options.DeviceClass forces one by name); Info.Class names it.
type DeviceClass struct {
	// Name identifies the class (Info.Class, Options.DeviceClass).
	Name string
	// LocalSize is the workgroup size: a power of two, at most 1024.
	LocalSize int
	// VectorBytes is the width of the fused step's vector loads and
	// stores in bytes (16: vec4 in float32, dvec2 in float64), or 0 for
	// scalar ones.
	VectorBytes int
	// Measured says whether the choice was measured on such a device;
	// the NVIDIA, AMD and Intel entries are not yet (no GPU has run
	// gdgpu), and say so in Why.
	Measured bool
	// Why is the reason for the choice, for docs and `gdgpu info`.
	Why string

	// match reports whether GL_VENDOR and GL_RENDERER (lower case), and
	// the software flag, belong to the class.
	match func(vendor, renderer string, software bool) bool
}

// nvidiaDatacenter names the GL_RENDERER substrings of NVIDIA's datacenter
// parts (Hopper and Ampere, and the Ada and Blackwell server cards), whose
// HBM makes the step's bandwidth the whole story.
var nvidiaDatacenter = []string{"h100", "h200", "h800", "h20", "gh200", "a100", "a800", "a30", "a40", "a10", "a16", "l40", "l4", "b100", "b200", "gb200"}

// vectorUnmeasured says why a GPU class keeps the scalar step for now.
const vectorUnmeasured = " The vector path stays off until measured: as built it evaluates in the scalar order and updates with a quarter of the invocations behind two barriers, and ran 2-6x slower on llvmpipe; Options.VectorWidth forces it, and gpu-check.sh's bench-vector decides."

// deviceClasses is the table, in match order: the first class that matches
// is chosen, and the last matches every device.
var deviceClasses = []DeviceClass{
	{
		Name: "software", LocalSize: 256, VectorBytes: 0, Measured: true,
		Why: "Mesa's llvmpipe runs invocations in SIMD lanes already; scalar loads keep every result and golden as measured, " +
			"and 256 is what every figure so far was measured with",
		match: func(_, _ string, software bool) bool { return software },
	},
	{
		Name: "nvidia-datacenter", LocalSize: 256, VectorBytes: 0,
		Why: "unmeasured until a GPU run: 8 warps of 32 per group, 8 groups resident per multiprocessor of 2048 threads (Hopper, Ampere); " +
			"16-byte loads (LDG.128) would quarter the memory instructions of a bandwidth-bound step." + vectorUnmeasured,
		match: func(vendor, renderer string, _ bool) bool {
			if !strings.Contains(vendor, "nvidia") {
				return false
			}
			for _, w := range strings.FieldsFunc(renderer, func(r rune) bool { return r == ' ' || r == '/' || r == '-' }) {
				for _, p := range nvidiaDatacenter {
					if w == p {
						return true
					}
				}
			}
			return false
		},
	},
	{
		Name: "nvidia", LocalSize: 256, VectorBytes: 0,
		Why: "unmeasured until a GPU run: consumer and workstation NVIDIA parts (GeForce, RTX, Quadro) have the same warps and " +
			"128-bit loads as the datacenter ones, with 1536 threads per multiprocessor (6 groups of 256)." + vectorUnmeasured,
		match: func(vendor, _ string, _ bool) bool { return strings.Contains(vendor, "nvidia") },
	},
	{
		Name: "amd", LocalSize: 256, VectorBytes: 0,
		Why: "unmeasured: four 64-wide waves (or eight of 32 on RDNA) per group; dwordx4 loads are the widest a lane issues." + vectorUnmeasured,
		match: func(vendor, renderer string, _ bool) bool {
			return strings.Contains(vendor, "amd") || strings.Contains(vendor, "ati technologies") || strings.Contains(renderer, "radeon")
		},
	},
	{
		Name: "intel", LocalSize: 256, VectorBytes: 0,
		Why: "unmeasured: Intel's compiler runs a group in SIMD8 to SIMD32 threads of one sub-slice, where 128 invocations may keep " +
			"the register file from spilling, but a smaller group regroups the sums and halves the tolerance's N limit, so it keeps 256 " +
			"until a GPU run measures 128 (Options.LocalSize forces it); block loads of 16 bytes." + vectorUnmeasured,
		match: func(vendor, _ string, _ bool) bool { return strings.Contains(vendor, "intel") },
	},
	{
		Name: "other", LocalSize: 256, VectorBytes: 0,
		Why:   "unmeasured: an unknown device gets the sizes every kernel was written and tested with",
		match: func(string, string, bool) bool { return true },
	},
}

// DeviceClasses returns the device-class table in match order (a copy).
func DeviceClasses() []DeviceClass {
	return append([]DeviceClass(nil), deviceClasses...)
}

// classify returns the class of a device: the one named by force, or the
// first whose match accepts vendor and renderer.
func classify(vendor, renderer string, software bool, force string) (DeviceClass, error) {
	if force != "" {
		for _, c := range deviceClasses {
			if c.Name == force {
				return c, nil
			}
		}
		names := make([]string, len(deviceClasses))
		for i, c := range deviceClasses {
			names[i] = c.Name
		}
		return DeviceClass{}, fmt.Errorf("engine: unknown device class %q (the classes are %s)", force, strings.Join(names, ", "))
	}
	v, r := strings.ToLower(vendor), strings.ToLower(renderer)
	for _, c := range deviceClasses {
		if c.match(v, r, software) {
			return c, nil
		}
	}
	return deviceClasses[len(deviceClasses)-1], nil // unreachable: the last matches all
}

// applyClass sets in's Class, LocalSize and VectorBytes from the device's
// class and the options that force them, within the device's limits.
func applyClass(in *Info, opts Options) error {
	c, err := classify(in.Vendor, in.Renderer, in.Software, opts.DeviceClass)
	if err != nil {
		return err
	}
	size := c.LocalSize
	if opts.LocalSize > 0 {
		size = opts.LocalSize
	}
	limit := min(max(in.MaxWorkGroupSize[0], 1), max(in.MaxInvocations, 1))
	if size&(size-1) != 0 || size < 32 || size > limit {
		return fmt.Errorf("engine: workgroup size %d is not a power of two from 32 to the device's %d", size, limit)
	}
	switch opts.VectorWidth {
	case 0, 1, 2, 4:
	default:
		return fmt.Errorf("engine: vector width %d is not 0 (the device class's), 1 (scalar), 2 or 4", opts.VectorWidth)
	}
	if opts.GEMMBlock != 0 && !slices.Contains(gemmBlocks[:], opts.GEMMBlock) {
		return fmt.Errorf("engine: GEMM block %d is not 0 (chosen by shape) or one of %v", opts.GEMMBlock, gemmBlocks)
	}
	in.Class, in.LocalSize, in.VectorBytes = c.Name, size, c.VectorBytes
	return nil
}

// vectorWidth is the elements of one vector load of the fused step for
// elements of elem bytes: Options.VectorWidth, else the class's width, 1
// meaning scalar.
func (c *Context) vectorWidth(elem int) int {
	if c.opts.VectorWidth > 0 {
		return c.opts.VectorWidth
	}
	return max(c.info.VectorBytes/elem, 1)
}
