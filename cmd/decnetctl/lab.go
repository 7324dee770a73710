package main

import (
	"context"
	"fmt"
	"net/netip"
	"os"

	"github.com/decnet/decnet/lab"
	"github.com/spf13/cobra"
)

// labConfig returns the lab named by the flags (defaults: decnet-lab0 / decnet-attacker 10.213.0.250/24).
func labFlags(cmd *cobra.Command) func() (lab.Config, error) {
	d := lab.Default()
	var parent, peer, ns, addr string
	f := cmd.PersistentFlags()
	f.StringVar(&parent, "parent", d.Parent, "host end of the lab veth (the deckies' macvlan parent)")
	f.StringVar(&peer, "peer", d.Peer, "attacker end of the lab veth")
	f.StringVar(&ns, "attacker-netns", d.AttackerNS, "network namespace of the attacker")
	f.StringVar(&addr, "attacker-addr", d.AttackerAddr.String(), "attacker address (CIDR)")
	return func() (lab.Config, error) {
		p, err := netip.ParsePrefix(addr)
		if err != nil || !p.Addr().Is4() {
			return lab.Config{}, usageErrf("--attacker-addr must be an IPv4 CIDR, got '%s'", addr)
		}
		return lab.Config{Parent: parent, Peer: peer, AttackerNS: ns, AttackerAddr: p}, nil
	}
}

func (a *app) labCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lab up|down|status",
		Short: "Build, remove or inspect the isolated lab L2 for demos and tests (root; no daemon needed)",
		Long: "lab up creates a veth pair: its host end decnet-lab0 is the macvlan parent of lab fleets and its\n" +
			"other end sits in netns decnet-attacker as 10.213.0.250/24. Deploy lab fleets into 10.213.0.0/24 on\n" +
			"decnet-lab0 (conf/examples/lab.ini) and attack them with `ip netns exec decnet-attacker ...`.",
	}
	cfg := labFlags(cmd)
	needRoot := func() error {
		if os.Geteuid() != 0 {
			return failure(fmt.Errorf("lab needs root"))
		}
		return nil
	}
	up := &cobra.Command{Use: "up", Short: "Create the lab (idempotent)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := cfg()
			if err != nil {
				return err
			}
			if err := needRoot(); err != nil {
				return err
			}
			if err := lab.New(c).Up(context.Background()); err != nil {
				return failure(err)
			}
			fmt.Fprintf(a.stdout, "lab up: %s <-> netns %s (%s)\n", c.Parent, c.AttackerNS, c.AttackerAddr)
			return nil
		}}
	down := &cobra.Command{Use: "down", Short: "Remove the lab (idempotent)", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := cfg()
			if err != nil {
				return err
			}
			if err := needRoot(); err != nil {
				return err
			}
			if err := lab.New(c).Down(context.Background()); err != nil {
				return failure(err)
			}
			fmt.Fprintln(a.stdout, "lab down")
			return nil
		}}
	status := &cobra.Command{Use: "status", Short: "Show the lab's parts; exit 1 unless it is ready", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := cfg()
			if err != nil {
				return err
			}
			s, err := lab.New(c).Status(context.Background())
			if err != nil {
				return failure(err)
			}
			tw := newTable(a.stdout, "PART", "OK")
			yes := func(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] }
			row(tw, "parent "+c.Parent+" exists", yes(s.ParentExists))
			row(tw, "parent "+c.Parent+" up", yes(s.ParentUp))
			row(tw, "netns "+c.AttackerNS, yes(s.AttackerNS))
			row(tw, "peer "+c.Peer+" up", yes(s.PeerUp))
			row(tw, "attacker address "+c.AttackerAddr.String(), yes(s.AttackerAddr))
			tw.Flush()
			if !s.Ready() {
				return failure(fmt.Errorf("lab is not ready"))
			}
			fmt.Fprintln(a.stdout, "lab ready")
			return nil
		}}
	cmd.AddCommand(up, down, status)
	return cmd
}
