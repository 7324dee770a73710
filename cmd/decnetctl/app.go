package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/decnet/decnet/fleet"
	"github.com/spf13/cobra"
)

// Exit statuses of decnetctl.
const (
	exitOK      = 0
	exitFailure = 1 // runtime failure (e.g. decnetd not reachable)
	exitUsage   = 2 // bad usage or invalid configuration
)

// exitError carries the exit status a verb failed with; its message is printed alone on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as a usage/configuration error (exit 2).
func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// usageErrf formats a usage/configuration error (exit 2).
func usageErrf(format string, args ...any) error { return usageErr(fmt.Errorf(format, args...)) }

// failure marks err as a runtime failure (exit 1).
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

// app holds what every verb shares: the standard streams and, later, the daemon client.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// dial connects to decnetd for the online verbs.
	dial func() (daemonClient, error)
	// detect reads the host's network facts; called only when a fact is neither given nor in [general].
	detect func() (fleet.Network, error)
	// apiDial, when set, replaces dialAPI (tests).
	apiDial func(apiURL string) (*v1Client, error)
	// in buffers stdin for secrets read line by line.
	in *bufio.Reader
}

// run executes decnetctl with args and returns the exit status. Errors are printed on stderr as a bare
// message; cobra's own usage errors (unknown verb or flag, wrong argument count) exit 2.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, dial: dialDaemon, detect: fleet.DetectNetwork}
	return a.execute(args)
}

// execute runs the command tree with args and returns the exit status.
func (a *app) execute(args []string) int {
	stderr := a.stderr
	root := a.rootCmd()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	msg := strings.TrimRight(err.Error(), "\n")
	fmt.Fprintln(stderr, msg)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage // cobra's argument and flag errors
}

// rootCmd builds the command tree.
func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "decnetctl",
		Short:         "Operate a decnet honeypot fleet",
		Long:          "decnetctl drives decnet. The offline verbs (services, archetypes, distros, plan, parse,\ncorrelate --log-file, config check) work without a running decnetd.",
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	root.AddCommand(
		a.servicesCmd(),
		a.archetypesCmd(),
		a.distrosCmd(),
		a.planCmd(),
		a.parseCmd(),
		a.correlateCmd(),
		a.configCmd(),
		a.deployCmd(),
		a.statusCmd(),
		a.teardownCmd(),
		a.mutateCmd(),
		a.labCmd(),
		a.imagesCmd(),
		a.loginCmd(),
		a.logsCmd(),
		a.attackersCmd(),
		a.credentialsCmd(),
		a.usersCmd(),
	)
	return root
}

// outputFlag registers -o/--output with the allowed formats (first = default) and returns a validator.
func outputFlag(cmd *cobra.Command, formats ...string) func() (string, error) {
	var v string
	cmd.Flags().StringVarP(&v, "output", "o", formats[0], "output format: "+strings.Join(formats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
	return func() (string, error) {
		for _, f := range formats {
			if v == f {
				return v, nil
			}
		}
		return "", usageErrf("invalid output format '%s': use %s", v, strings.Join(formats, ", "))
	}
}
