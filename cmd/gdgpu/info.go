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
	var exts bool
	cmd := &cobra.Command{
		Use:   "info [flags]",
		Short: "describe the GL context and the limits that matter to gdgpu",
		Long: `Open the headless GL context gdgpu would use and print its platform, vendor,
renderer, versions and the limits that matter: work-group count and size,
invocations, shared memory, SSBO block size and alignment, fp64, subgroups
and memory. Exit 3, with every attempt listed, when no context can be made.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if gpu < 0 {
				return usagef("--gpu %d must be >= 0", gpu)
			}
			ec, err := openGL(gpu)
			if err != nil {
				return err
			}
			printInfo(stdout, ec.Info(), exts)
			if err := ec.Close(); err != nil {
				return failure(err)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&gpu, "gpu", 0, "EGL device index N to use (0 is the first)")
	cmd.Flags().BoolVar(&exts, "extensions", false, "also list every GL extension")
	return cmd
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
	mem := "unknown"
	switch soft := strings.Contains(in.Renderer, "llvmpipe") || strings.Contains(in.Renderer, "softpipe"); {
	case in.MemoryKiB > 0:
		mem = bytesString(in.MemoryKiB << 10)
	case soft:
		// A software renderer's buffers are host memory.
		if avail := sysmem.Available(); avail > 0 {
			mem = bytesString(avail) + " of host memory available (software renderer)"
		}
	}
	row("memory", mem)
	if exts {
		row("extensions", fmt.Sprintf("%d: %s", len(in.Extensions), strings.Join(in.Extensions, " ")))
	} else {
		row("extensions", fmt.Sprintf("%d (--extensions lists them)", len(in.Extensions)))
	}
	tw.Flush()
}
