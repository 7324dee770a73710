package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// isTerminal reports whether r is a terminal (only then may a verb prompt).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// confirm asks a yes/no question on a terminal; without a terminal it answers yes without asking.
func (a *app) confirm(question string) bool {
	if !isTerminal(a.stdin) {
		return true
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(a.stdin).ReadString('\n')
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes"
}

func (a *app) teardownCmd() *cobra.Command {
	var all, yes bool
	var decky string
	cmd := &cobra.Command{
		Use:   "teardown --all | --decky NAME",
		Short: "Remove one decky or the whole fleet",
		Long:  "teardown removes deckies with everything they use. It asks for confirmation only on a terminal;\n--yes skips the question.",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every decky")
	cmd.Flags().StringVar(&decky, "decky", "", "remove this decky")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.RunE = func(*cobra.Command, []string) error {
		if all == (decky != "") {
			return usageErrf("give exactly one of --all or --decky NAME")
		}
		what := "decky " + decky
		if all {
			what = "every decky"
		}
		if !yes && !a.confirm("Tear down "+what+"?") {
			return failure(fmt.Errorf("aborted"))
		}
		c, err := a.dial()
		if err != nil {
			return failure(err)
		}
		ctx := context.Background()
		if all {
			names, err := c.TeardownAll(ctx)
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "removed %d deckies", len(names))
			if len(names) > 0 {
				fmt.Fprintf(a.stdout, ": %s", strings.Join(names, ", "))
			}
			fmt.Fprintln(a.stdout)
			return nil
		}
		if err := c.Teardown(ctx, decky); err != nil {
			return classify(err)
		}
		fmt.Fprintf(a.stdout, "removed %s\n", decky)
		return nil
	}
	return cmd
}
