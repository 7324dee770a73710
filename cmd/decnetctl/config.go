package main

import (
	"errors"
	"fmt"

	"github.com/decnet/decnet/conf"
	"github.com/spf13/cobra"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect decnet's DECNET_* settings",
		Args:  cobra.NoArgs,
	}
	var envFile string
	check := &cobra.Command{
		Use:   "check",
		Short: "Print the effective settings (secrets masked) and every problem decnetd would refuse to start with",
		Long: "check resolves the DECNET_* settings (environment > --env-file > host config file > defaults), prints\n" +
			"them with secrets masked, then lists every problem on stderr. Exit status 2 when there is a problem.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			s, err := conf.LoadSettings(nil, envFile)
			if err != nil {
				return usageErr(err)
			}
			tw := newTable(a.stdout, "SETTING", "VALUE")
			for _, kv := range s.Effective() {
				row(tw, kv[0], dash(kv[1]))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, w := range s.Warnings {
				fmt.Fprintf(a.stderr, "warning: %s\n", w)
			}
			problems := s.Check(conf.CheckDaemon)
			for _, p := range problems {
				fmt.Fprintf(a.stderr, "problem: %v\n", p)
			}
			if len(problems) > 0 {
				return usageErr(fmt.Errorf("%d configuration problem(s)", len(problems)))
			}
			fmt.Fprintln(a.stdout, "\nconfiguration OK")
			return nil
		},
	}
	check.Flags().StringVar(&envFile, "env-file", "", "file of DECNET_* assignments read before the host config file")
	cmd.AddCommand(check)
	cmd.RunE = func(c *cobra.Command, _ []string) error {
		return usageErr(errors.New("missing subcommand: use 'decnetctl config check'"))
	}
	return cmd
}
