package main

import (
	"fmt"
	"io"

	"github.com/gdgpu/gdgpu"
	"github.com/spf13/cobra"
)

func newObjectiveCmd(stdout io.Writer) *cobra.Command {
	var show string
	var glsl bool
	cmd := &cobra.Command{
		Use:   "objective --show 'EXPR' [--glsl]",
		Short: "show how a typed objective compiles: its loss and gradient, and the GLSL",
		Long: `Compile an objective typed as an expression (--objective of run and compare)
and print its simplified loss and the parts of its symbolic gradient: for
each offset k it reads, the partial derivative of the term at i = j-k that
component j collects; then a line on how the CPU evaluates them: compiled
to x86-64 AVX code (on linux/amd64 with AVX, for programs that call no
function such as sin or exp), or interpreted, and why. --glsl prints the
generated kernel too. A refusal is
exit 2, with the column and a caret under it. README.md's "Typed
objectives" gives the language.`,
		Example: `  gdgpu objective --show 'sum(100*(x[i+1]-x[i]^2)^2 + (1-x[i])^2)'
  gdgpu objective --show 'w = 1 + (x[i]-1)/4; sum((w-1)^2*(1 + 10*sin(pi*w+1)^2))' --glsl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("show") {
				return usagef("--show 'EXPR' is required")
			}
			loss, src, err := gdgpu.ShowObjective(show)
			if err != nil {
				return usagef("--show: %v", err)
			}
			fmt.Fprint(stdout, loss)
			if glsl {
				fmt.Fprintf(stdout, "\n%s", src)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&show, "show", "", "the objective to compile")
	cmd.Flags().BoolVar(&glsl, "glsl", false, "also print the generated GLSL")
	return cmd
}
