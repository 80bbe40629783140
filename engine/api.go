package engine

// Options configure Open. The zero value is the default.
type Options struct {
	// GPU selects the EGL device by index (--gpu); 0 is the first.
	GPU int
	// Software says whether a software renderer (Mesa's llvmpipe) may
	// serve the context; see SoftwarePolicy.
	Software SoftwarePolicy
	// Debug asks for a debug context and turns every error-severity debug
	// message into an error returned by the next call. Tests set it.
	Debug bool
	// DebugLog, with Debug, receives the debug context's other messages
	// (performance, portability, undefined behaviour; low and medium
	// severity, notifications left out), which are logged, not failed.
	// It is called on the GL thread, synchronously with the GL call that
	// raised the message.
	DebugLog func(msg string)
	// ChunkElems, when positive, caps the elements bound to one SSBO range,
	// below what GL_MAX_SHADER_STORAGE_BLOCK_SIZE allows; tests use it to
	// exercise the chunked path on small vectors. It is rounded down to a
	// multiple of the binding alignment (and of the vector width on the
	// fused step's vector path, VectorWidth). For a model on data it also caps
	// a data chunk (rows times features, at least the alignment's rows)
	// and the batch positions of one pass (model.go).
	ChunkElems int
	// Groups, when positive, caps the workgroups of one dispatch (each
	// grid-strides over its share). The default on a GPU fills its
	// multiprocessors where the driver reports them
	// (GL_NV_shader_thread_group: twice their resident warps in groups of
	// 256), else 1024, enough for the largest; on a software renderer it
	// is 4 per CPU thread, where every workgroup costs a fixed start-up
	// and its barriers.
	Groups int
	// MaxElemsPerDispatch caps the elements one kernel dispatch covers, so
	// that no single GPU submission runs long enough to trip a display
	// watchdog: a step over a larger vector is split into several
	// dispatches (as ChunkElems splits it), and glFlush between groups of
	// dispatches of at most this many elements submits them separately.
	// 0 is the default, 1<<24 on every device (see limits.go); negative
	// removes the cap, leaving only GL_MAX_SHADER_STORAGE_BLOCK_SIZE.
	MaxElemsPerDispatch int

	// CopyReadBack reads the sample rings with glGetBufferSubData, from a
	// staging copy of each slot (an L-BFGS closure's own slot, read just
	// after its wait, from the ring), instead of through a persistent mapping,
	// where the driver has persistent mapping (GL 4.4 or
	// GL_ARB_buffer_storage); tests set it to cover both paths, which
	// give the same samples.
	CopyReadBack bool

	// DeviceClass, when not empty, forces the device class by name (see
	// DeviceClasses) instead of the one GL_VENDOR and GL_RENDERER choose,
	// so that tests run each class's sizes on any device.
	DeviceClass string
	// LocalSize, when positive, forces the workgroup size of the problem
	// kernels (a power of two from 32 to the device's limit) instead of
	// the device class's.
	LocalSize int
	// VectorWidth chooses the fused step's loads and stores of the
	// optimizer state and the new parameters: 0 the device class's (scalar
	// in every class until a GPU measures the vector path), 1 scalar, 2 or 4 elements a vector (vec4 or
	// dvec2 are 16 bytes). Both paths give the same bits (step.glsl).
	VectorWidth int
	// GEMMBlock, when positive, forces the mlp's GEMMs (shaders/gemm.glsl)
	// to compute GEMMBlock x GEMMBlock outputs an invocation (one of
	// GEMMBlocks()) instead of the block chosen by each product's shape
	// (gemmKernels.pick); the output layer fused with its head always
	// runs 2 x 2. Every block gives the same bits: each element is one
	// running sum of fma() in the same order (gemm.glsl's precise
	// accumulators).
	GEMMBlock int

	// deviceOnly makes Open try EGL device GPU alone, without the
	// surfaceless and default-display fallbacks (Devices).
	deviceOnly bool
}

// SoftwarePolicy says when Open accepts a software renderer.
type SoftwarePolicy int

const (
	// SoftwareAuto, the default, accepts a software renderer as the
	// fallback of a machine without a GPU, and refuses it when a device
	// was asked for by index (GPU > 0: with glvnd, Mesa's software device
	// follows the GPUs in EGL's list, so a wrong index would silently run
	// on the CPU) or when the machine has an NVIDIA GPU (/dev/nvidia0:
	// a software context there means NVIDIA's EGL vendor is missing, or
	// the GPU is in MIG mode, which has no graphics).
	SoftwareAuto SoftwarePolicy = iota
	// SoftwareAllow accepts a software renderer anywhere.
	SoftwareAllow
	// SoftwareRefuse accepts only hardware: tests and scripts that must
	// measure a GPU use it.
	SoftwareRefuse
)

// Info describes the context's device and the limits that matter to gdgpu.
type Info struct {
	Platform          string   `json:"platform"`             // how the context was made, e.g. "EGL device 0 (EGL_EXT_device_drm)"
	Vendor            string   `json:"vendor"`               // GL_VENDOR
	Renderer          string   `json:"renderer"`             // GL_RENDERER
	Version           string   `json:"version"`              // GL_VERSION
	GLSL              string   `json:"glsl"`                 // GL_SHADING_LANGUAGE_VERSION
	MaxWorkGroupCount [3]int   `json:"max_work_group_count"` // GL_MAX_COMPUTE_WORK_GROUP_COUNT
	MaxWorkGroupSize  [3]int   `json:"max_work_group_size"`  // GL_MAX_COMPUTE_WORK_GROUP_SIZE
	MaxInvocations    int      `json:"max_invocations"`      // GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS
	MaxSharedMemory   int      `json:"max_shared_memory"`    // GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, bytes
	MaxSSBOBlockSize  int64    `json:"max_ssbo_block_size"`  // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, bytes
	SSBOAlignment     int      `json:"ssbo_alignment"`       // GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, bytes
	FP64              bool     `json:"fp64"`                 // GLSL double is available (GL 4.0 core / ARB_gpu_shader_fp64)
	Subgroups         bool     `json:"subgroups"`            // GL_KHR_shader_subgroup is present
	MemoryKiB         int64    `json:"memory_kib"`           // total GPU memory from GL_NVX_gpu_memory_info, 0 if unknown (NewBackend's check also reads GL_ATI_meminfo and /proc/meminfo)
	Extensions        []string `json:"extensions"`           // every GL extension
	Software          bool     `json:"software"`             // the renderer is software (llvmpipe, softpipe, swrast)
	// The GPU's multiprocessors, from GL_NV_shader_thread_group (0 where
	// the driver does not say): the dispatch grid is sized to fill them.
	SMCount    int  `json:"sm_count"`
	WarpSize   int  `json:"warp_size"`
	WarpsPerSM int  `json:"warps_per_sm"`
	Robust     bool `json:"robust"` // the context is robust and lost on a GPU reset (waits then fail instead of hanging)
	// The device class chosen (devclass.go), and what it gives: the
	// problem kernels' workgroup size (Options.LocalSize when set) and the
	// fused step's vector width in bytes (0: scalar). Options.VectorWidth,
	// which counts elements and so depends on the precision, overrides the
	// width per backend and is not shown here.
	Class       string `json:"class"`
	LocalSize   int    `json:"local_size"`
	VectorBytes int    `json:"vector_bytes"`
}
