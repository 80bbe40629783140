package engine

import "fmt"

// Device is one entry of EGL's device list, as Devices describes it.
type Device struct {
	Index    int    `json:"index"`    // the index Options.GPU (--gpu) takes
	DRMNode  string `json:"drm_node"` // DRM device file, "" when none
	Software bool   `json:"software"` // Mesa's software device (llvmpipe), not a GPU
	CUDA     int    `json:"cuda"`     // CUDA device ordinal (EGL_NV_device_cuda), -1 when unknown
	Info     *Info  `json:"info"`     // the device's GL context; nil when none could be made
	Err      string `json:"error"`    // why no context could be made, "" when one was
	// Error is Err's error, for a caller that reads more than its text
	// (a *gdgpu.FieldError names fields the command line writes as flags).
	Error error `json:"-"`
}

// Devices lists every EGL device, in the order Options.GPU indexes them,
// with a GL context opened on each in turn to read its description and
// limits (a device where that fails says why in Err). It returns an error
// only when EGL cannot list devices at all.
func Devices() ([]Device, error) {
	th := newThread()
	var devs []eglDevice
	var err error
	th.call(func() { devs, err = eglDevices() })
	th.stop()
	if err != nil {
		return nil, fmt.Errorf("engine: listing EGL devices: %w", err)
	}
	out := make([]Device, len(devs))
	for i, d := range devs {
		out[i] = Device{Index: i, DRMNode: d.drm, Software: d.software, CUDA: d.cuda}
		c, err := Open(Options{GPU: i, Software: SoftwareAllow, deviceOnly: true})
		if err != nil {
			out[i].Err, out[i].Error = err.Error(), err
			continue
		}
		in := c.Info()
		out[i].Info = &in
		if err := c.Close(); err != nil {
			out[i].Err, out[i].Error = err.Error(), err
		}
	}
	return out, nil
}
