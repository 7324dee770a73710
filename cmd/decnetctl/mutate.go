package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/decnet/decnet/api"
	"github.com/spf13/cobra"
)

func (a *app) mutateCmd() *cobra.Command {
	var all bool
	var decky string
	cmd := &cobra.Command{
		Use:   "mutate --decky NAME | --all",
		Short: "Re-roll the services of one decky or of every decky (IP and MAC stay)",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&all, "all", false, "mutate every decky")
	cmd.Flags().StringVar(&decky, "decky", "", "mutate this decky")
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		if all == (decky != "") {
			return usageErrf("give exactly one of --all or --decky NAME")
		}
		c, err := a.dial()
		if err != nil {
			return failure(err)
		}
		var res []api.MutateResult
		if all {
			res, err = c.MutateAll(context.Background())
		} else {
			var r api.MutateResult
			r, err = c.Mutate(context.Background(), decky)
			res = []api.MutateResult{r}
		}
		if err != nil {
			return classify(err)
		}
		if format == "json" {
			return writeJSON(a.stdout, res)
		}
		for _, r := range res {
			if r.Changed {
				fmt.Fprintf(a.stdout, "%s: %s -> %s\n", r.Decky, strings.Join(r.OldServices, ","), strings.Join(r.NewServices, ","))
			} else {
				fmt.Fprintf(a.stdout, "%s: unchanged (%s)\n", r.Decky, strings.Join(r.OldServices, ","))
			}
		}
		return nil
	}
	return cmd
}
