package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/fleet"
	"github.com/spf13/cobra"
)

// deployRequest turns the deploy flags into a request for decnetd, checking locally what needs no daemon
// (flag combinations, the INI file, flag-path validation) so such errors exit 2 at once.
func (p *planFlags) deployRequest(cmd *cobra.Command, mode string) (api.DeployRequest, error) {
	changed := cmd.Flags().Changed
	req := api.DeployRequest{Mode: mode, IPVLAN: p.ipvlan,
		Network: api.Network{Interface: p.iface, Subnet: p.subnet, Gateway: p.gateway, HostIP: p.hostIP}}
	if _, err := p.networkFlags(); err != nil {
		return req, err
	}
	if changed("mutate-interval") {
		if p.mutateInterval < 1 {
			return req, usageErrf("--mutate-interval must be at least 1, got %d", p.mutateInterval)
		}
		mi := p.mutateInterval
		req.MutateInterval = &mi
	}
	if changed("seed") {
		s := uint64(p.seed)
		req.Seed = &s
	}
	if p.config != "" {
		for _, name := range []string{"deckies", "services", "randomize-services", "archetype", "distro",
			"randomize-distros", "ip-start"} {
			if changed(name) {
				return req, usageErrf("--%s cannot be used with --config", name)
			}
		}
		if _, err := conf.LoadFile(p.config); err != nil {
			return req, usageErr(err)
		}
		b, err := os.ReadFile(p.config)
		if err != nil {
			return req, usageErrf("read %s: %v", p.config, err)
		}
		req.INI = string(b)
		return req, nil
	}
	if !changed("deckies") {
		return req, usageErrf("--deckies is required when --config is not used.")
	}
	f := &api.PlanFlags{Deckies: p.deckies, Services: fleet.SplitList(p.services), Archetype: p.archetype,
		RandomizeServices: p.randomizeServices, Distros: fleet.SplitList(p.distro), RandomizeDistros: p.randomizeDistros,
		IPStart: p.ipStart}
	if changed("archetype") && p.archetype == "" {
		_, err := conf.LookupArchetype("")
		return req, usageErr(err)
	}
	if _, err := parseAddrFlag("ip-start", p.ipStart); err != nil {
		return req, err
	}
	fo := fleet.FlagOptions{Deckies: f.Deckies, Services: f.Services, Archetype: f.Archetype,
		RandomizeServices: f.RandomizeServices, Distros: f.Distros, RandomizeDistros: f.RandomizeDistros}
	if err := fo.Validate(); err != nil {
		return req, usageErr(err)
	}
	req.Flags = f
	return req, nil
}

func (a *app) deployCmd() *cobra.Command {
	var p planFlags
	var mode string
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy deckies through decnetd (additive by default)",
		Long: "deploy builds a fleet from --config FILE or from --deckies with --services, --archetype or\n" +
			"--randomize-services (the same flags as plan) and asks decnetd to bring it up, showing each decky's\n" +
			"progress. --mode additive (default) adds to the running fleet; --mode replace retires it first.\n" +
			"--dry-run prints the plan without contacting decnetd.",
		Example: "  decnetctl deploy --config conf/examples/lab.ini\n" +
			"  decnetctl deploy -n 3 --archetype linux-server --interface decnet-lab0 --subnet 10.213.0.0/24 --gateway 10.213.0.1",
		Args: cobra.NoArgs,
	}
	p.register(cmd)
	cmd.Flags().StringVar(&mode, "mode", "additive", "additive|replace")
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		if mode != "additive" && mode != "replace" {
			return usageErrf("invalid --mode '%s': use additive or replace", mode)
		}
		if p.dryRun {
			plan, err := p.build(cmd, a.detect)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(a.stdout, plan)
			}
			return writePlanTable(a.stdout, plan)
		}
		req, err := p.deployRequest(cmd, mode)
		if err != nil {
			return err
		}
		c, err := a.dial()
		if err != nil {
			return failure(err)
		}
		start := time.Now()
		var deployed []string
		err = c.Deploy(context.Background(), req, func(pr api.Progress) {
			switch {
			case pr.Step == "plan":
				fmt.Fprintf(a.stdout, "deploying %d deckies: %s\n", len(pr.Deckies), strings.Join(pr.Deckies, ", "))
			case pr.Step == "done":
				deployed = pr.Deckies
			case pr.Error != "":
				fmt.Fprintf(a.stdout, "  %-20s %s FAILED: %s\n", pr.Decky, pr.Step, pr.Error)
			default:
				fmt.Fprintf(a.stdout, "  %-20s %s\n", pr.Decky, pr.Step)
			}
		})
		if err != nil {
			return classify(err)
		}
		fmt.Fprintf(a.stdout, "deployed %d deckies in %s\n", len(deployed), time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	return cmd
}
