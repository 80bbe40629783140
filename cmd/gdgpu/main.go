// Command gdgpu runs gradient descents on the GPU (OpenGL compute shaders)
// or the CPU (float64 reference), compares the two, and describes the GL
// device and the registered problems, optimizers and schedules.
//
//	gdgpu run      run one descent and print a summary
//	gdgpu compare  run the CPU reference and the GPU from the same start and compare
//	gdgpu info     describe the GL context and its limits
//	gdgpu gradcheck  check analytic gradients (and the GPU's) against finite differences
//	gdgpu list     list problems, optimizers, schedules, stopping rules and clipping
//	gdgpu bench    time copy, steps, loss and the driver loop over a sweep of N
//
// Exit codes (exit.go, README.md): 0 done, a stopping rule met included,
// 1 compare or gradcheck beyond tolerance, 2 usage, 3 runtime error, 4
// diverged, 5 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/gdgpu/gdgpu/report"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// graceful is set once a command reaches work that stops cleanly when its
// context is cancelled: a descent (it ends at a step boundary, Interrupted,
// and still writes its outputs), bench's sweep, view's races. Before that
// (reading data, compiling shaders, gradcheck), the first SIGINT or
// SIGTERM ends the process at once with exit 5: nothing has been written
// then that a stop would leave half done.
var graceful atomic.Bool

// run runs the command line args with the first SIGINT or SIGTERM
// cancelling the work (see graceful), and returns the exit code. A second
// signal kills, with the signal's default action.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		signal.Stop(sig) // the default action again, for a second signal
		if !graceful.Load() {
			fmt.Fprintf(stderr, "gdgpu: %v before the work started: stopped\n", s)
			os.Exit(exitInterrupted)
		}
		cancel()
	}()
	return runContext(ctx, args, stdout, stderr)
}

// exitError carries an exit code, and optionally a message, out of a command.
type exitError struct {
	code int
	err  error // nil: exit quietly (the command already said why)
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usagef is a usage error (exit 2): bad flags or input files, refused
// before any work.
func usagef(format string, args ...any) error {
	for i, a := range args {
		if err, ok := a.(error); ok {
			args[i] = flagError{err}
		}
	}
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failure is a runtime error (exit 3): no GL context, a backend, I/O.
func failure(err error) error {
	return &exitError{code: exitFailure, err: flagError{err}}
}

// exitCode ends a command with code and no further message.
func exitCode(code int) error {
	if code == 0 {
		return nil
	}
	return &exitError{code: code}
}

// runContext runs the command line with ctx and returns the exit code.
// Tests call it in-process.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, message(ee.err))
		}
		return ee.code
	}
	// cobra's own errors: an unknown command or flag, a value that does
	// not parse.
	path := "gdgpu"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	fmt.Fprintf(stderr, "%s\nRun '%s --help' for usage.\n", message(err), path)
	return exitUsage
}

// message prefixes err with "gdgpu: " unless a package already did, and
// drops the prefixes of wrapped errors ("gdgpu: invalid job: gdgpu: --lr-t0
// ..." reads "gdgpu: invalid job: --lr-t0 ...").
func message(err error) string {
	s := strings.ReplaceAll(inFlags(err, fieldFlag), ": gdgpu: ", ": ")
	if strings.HasPrefix(s, "gdgpu: ") {
		return s
	}
	return "gdgpu: " + s
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "gdgpu",
		Short: "gradient descent on the GPU with OpenGL compute shaders, checked against a float64 CPU reference",
		Long: `gdgpu runs large gradient descents on the GPU (OpenGL 4.3 compute shaders,
headless through EGL) or the CPU (float64, the reference), and compares the two.

Exit codes, the same for every subcommand: 0 done (a run that reached its
step limit or met a stopping rule; compare or gradcheck within tolerance),
1 compare or gradcheck beyond tolerance, 2 bad flags or input files,
3 runtime error (no GL context, I/O), 4 the run diverged, 5 the run was
interrupted.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	var debug bool
	root.PersistentFlags().BoolVar(&debug, "debug", false, "commands that open a GL context: a debug context, where a GL error fails the call that raised it and the driver's performance and portability messages go to stderr (slower); not the live view window")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if debug {
			glDebug.Store(&debugSink{stderr})
		} else {
			glDebug.Store(nil)
		}
	}
	root.Version = version()
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usagef("%v\nRun '%s --help' for usage.", err, c.CommandPath())
	})
	root.AddCommand(newRunCmd(stdout, stderr), newCompareCmd(stdout, stderr), newInfoCmd(stdout), newListCmd(stdout))
	root.AddCommand(newGradcheckCmd(stdout, stderr), newObjectiveCmd(stdout))
	root.AddCommand(newBenchCmd(stdout), newPredictCmd(stdout, stderr))
	root.AddCommand(newPlotCmd(stdout, stderr), newCostsCmd(stdout))
	root.AddCommand(newViewCmd(stdout, stderr))
	// cobra's completion command prints its help and exits 0 for a shell it
	// does not know; that is bad input.
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) == 0 {
					return c.Help()
				}
				return usagef("completion: no script for the shell %q: bash, zsh, fish or powershell", args[0])
			}
		}
	}
	return root
}

// glDebug is where --debug sends the GL debug context's messages (nil
// without --debug), set by the root command before each command runs.
var glDebug atomic.Pointer[debugSink]

type debugSink struct{ w io.Writer }

// version describes the build from its embedded information: the module's
// version ("(devel)" when built from a checkout), the commit and whether
// the tree had local changes (go build records them from git), and Go's
// version and target.
func version() string {
	v, commit, _ := report.BuildInfo()
	if commit != "" {
		v += ", commit " + commit // "+modified": built from a tree with local changes
	}
	return fmt.Sprintf("%s, %s %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
