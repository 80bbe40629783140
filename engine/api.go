package engine

// Options configure Open. The zero value is the default.
type Options struct {
	// GPU selects the EGL device by index (--gpu); 0 is the first.
	GPU int
	// Debug asks for a debug context and turns every error-severity debug
	// message into an error returned by the next call. Tests set it.
	Debug bool
	// ChunkElems, when positive, caps the elements bound to one SSBO range,
	// below what GL_MAX_SHADER_STORAGE_BLOCK_SIZE allows; tests use it to
	// exercise the chunked path on small vectors. It is rounded down to a
	// multiple of the binding alignment. For a model on data it also caps
	// a data chunk (rows times features, at least the alignment's rows)
	// and the batch positions of one pass (model.go).
	ChunkElems int
	// Groups, when positive, caps the workgroups of one dispatch (each
	// grid-strides over its share). The default is 1024 on a GPU, enough
	// to fill the largest, and 4 per CPU thread on a software renderer,
	// where every workgroup costs a fixed start-up and its barriers.
	Groups int
	// MaxElemsPerDispatch caps the elements one kernel dispatch covers, so
	// that no single GPU submission runs long enough to trip a display
	// watchdog: a step over a larger vector is split into several
	// dispatches (as ChunkElems splits it), and glFlush between groups of
	// dispatches of at most this many elements submits them separately.
	// 0 is the default, 1<<24 on every device (see limits.go); negative
	// removes the cap, leaving only GL_MAX_SHADER_STORAGE_BLOCK_SIZE.
	MaxElemsPerDispatch int
}

// Info describes the context's device and the limits that matter to gdgpu.
type Info struct {
	Platform          string   // how the context was made, e.g. "EGL device 0 (EGL_EXT_device_drm)"
	Vendor            string   // GL_VENDOR
	Renderer          string   // GL_RENDERER
	Version           string   // GL_VERSION
	GLSL              string   // GL_SHADING_LANGUAGE_VERSION
	MaxWorkGroupCount [3]int   // GL_MAX_COMPUTE_WORK_GROUP_COUNT
	MaxWorkGroupSize  [3]int   // GL_MAX_COMPUTE_WORK_GROUP_SIZE
	MaxInvocations    int      // GL_MAX_COMPUTE_WORK_GROUP_INVOCATIONS
	MaxSharedMemory   int      // GL_MAX_COMPUTE_SHARED_MEMORY_SIZE, bytes
	MaxSSBOBlockSize  int64    // GL_MAX_SHADER_STORAGE_BLOCK_SIZE, bytes
	SSBOAlignment     int      // GL_SHADER_STORAGE_BUFFER_OFFSET_ALIGNMENT, bytes
	FP64              bool     // GLSL double is available (GL 4.0 core / ARB_gpu_shader_fp64)
	Subgroups         bool     // GL_KHR_shader_subgroup is present
	MemoryKiB         int64    // total GPU memory from GL_NVX_gpu_memory_info, 0 if unknown (NewBackend's check also reads GL_ATI_meminfo and /proc/meminfo)
	Extensions        []string // every GL extension
}
