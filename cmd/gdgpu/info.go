package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/gdgpu/gdgpu/engine"
	"github.com/gdgpu/gdgpu/internal/sysmem"
	"github.com/spf13/cobra"
)

func newInfoCmd(stdout io.Writer) *cobra.Command {
	var gpu int
	var exts, devices, asJSON bool
	cmd := &cobra.Command{
		Use:   "info [flags]",
		Short: "describe the GL context and the limits that matter to gdgpu",
		Long: `Open the headless GL context gdgpu would use and print its platform, vendor,
renderer, versions and the limits that matter: work-group count and size,
invocations, shared memory, SSBO block size and alignment, fp64, subgroups,
memory, and whether the context is robust (lost, not hung, on a GPU reset).
Exit 3, with every attempt listed, when no context can be made.

--devices lists every EGL device instead, in the order --gpu numbers them,
with its DRM node, CUDA ordinal (where NVIDIA's EGL says it), whether it is
Mesa's software renderer, and the same description read from a context
made on it (or why none could be made). With glvnd, Mesa's devices follow
the GPUs in that list. --json prints the same as JSON.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gpu < 0 {
				return usagef("--gpu %d must be >= 0", gpu)
			}
			if devices {
				if cmd.Flags().Changed("gpu") {
					return usagef("--gpu and --devices do not go together: --devices lists every device")
				}
				devs, err := engine.Devices()
				if err != nil {
					return failure(err)
				}
				for i, d := range devs {
					if d.Error != nil { // in the command's words: its flags
						devs[i].Err = inFlags(d.Error, fieldFlag)
					}
				}
				if asJSON {
					return printJSON(stdout, devs)
				}
				printDevices(stdout, devs, exts)
				return nil
			}
			ec, err := openGL(gpu)
			if err != nil {
				return err
			}
			in := ec.Info()
			if err := ec.Close(); err != nil {
				return failure(err)
			}
			if asJSON {
				return printJSON(stdout, in)
			}
			printInfo(stdout, in, exts)
			return nil
		},
	}
	cmd.Flags().IntVar(&gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	cmd.Flags().BoolVar(&exts, "extensions", false, "also list every GL extension")
	cmd.Flags().BoolVar(&devices, "devices", false, "list every EGL device, each described from a context of its own")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON (every extension included) instead of text")
	return cmd
}

// printDevices prints Devices' list: a heading per device, then its
// description or why no context could be made on it.
func printDevices(w io.Writer, devs []engine.Device, exts bool) {
	if len(devs) == 0 {
		fmt.Fprintln(w, "no EGL devices")
	}
	for i, d := range devs {
		if i > 0 {
			fmt.Fprintln(w)
		}
		var what []string
		if d.Software {
			what = append(what, "Mesa software renderer, not a GPU")
		}
		if d.DRMNode != "" {
			what = append(what, d.DRMNode)
		}
		if d.CUDA >= 0 {
			what = append(what, fmt.Sprintf("CUDA device %d", d.CUDA))
		}
		if len(what) == 0 {
			what = append(what, "no DRM node")
		}
		fmt.Fprintf(w, "device %d (--gpu %d): %s\n", d.Index, d.Index, strings.Join(what, ", "))
		if d.Info != nil {
			printInfo(&indent{w: w}, *d.Info, exts)
		}
		if d.Err != "" {
			fmt.Fprintf(w, "  no context: %s\n", strings.ReplaceAll(d.Err, "\n", "\n  "))
		}
	}
}

// indent prefixes every line written through it with two spaces.
type indent struct {
	w   io.Writer
	mid bool // within a line
}

func (in *indent) Write(p []byte) (int, error) {
	var b []byte
	for _, c := range p {
		if !in.mid {
			b = append(b, ' ', ' ')
		}
		b = append(b, c)
		in.mid = c != '\n'
	}
	if _, err := in.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d bytes (%d GiB)", n, n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d bytes (%d MiB)", n, n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d bytes (%d KiB)", n, n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func printInfo(w io.Writer, in engine.Info, exts bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s:\t%v\n", k, v) }
	row("platform", in.Platform)
	row("vendor", in.Vendor)
	row("renderer", in.Renderer)
	row("version", in.Version)
	row("GLSL", in.GLSL)
	c, s := in.MaxWorkGroupCount, in.MaxWorkGroupSize
	row("work-group count", fmt.Sprintf("%d x %d x %d", c[0], c[1], c[2]))
	row("work-group size", fmt.Sprintf("%d x %d x %d", s[0], s[1], s[2]))
	row("invocations", in.MaxInvocations)
	row("shared memory", bytesString(int64(in.MaxSharedMemory)))
	row("SSBO block size", bytesString(in.MaxSSBOBlockSize))
	row("SSBO alignment", bytesString(int64(in.SSBOAlignment)))
	row("fp64", yesNo(in.FP64))
	row("subgroups", yesNo(in.Subgroups))
	if in.SMCount > 0 {
		row("multiprocessors", fmt.Sprintf("%d, %d warps of %d each (GL_NV_shader_thread_group)", in.SMCount, in.WarpsPerSM, in.WarpSize))
	}
	loads := "scalar loads"
	if in.VectorBytes > 0 {
		loads = fmt.Sprintf("%d-byte vector loads in the step", in.VectorBytes)
	}
	row("device class", fmt.Sprintf("%s (workgroups of %d, %s)", in.Class, in.LocalSize, loads))
	mem := "unknown"
	switch {
	case in.MemoryKiB > 0:
		mem = bytesString(in.MemoryKiB << 10)
	case in.Software:
		// A software renderer's buffers are host memory.
		if avail := sysmem.Available(); avail > 0 {
			mem = bytesString(avail) + " of host memory available (software renderer)"
		}
	}
	row("memory", mem)
	row("robust context", yesNo(in.Robust)+" (a GPU reset ends a run with an error, not a hang)")
	if exts {
		row("extensions", fmt.Sprintf("%d: %s", len(in.Extensions), strings.Join(in.Extensions, " ")))
	} else {
		row("extensions", fmt.Sprintf("%d (--extensions lists them)", len(in.Extensions)))
	}
	tw.Flush()
}
