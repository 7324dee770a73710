package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/fleet"
	"github.com/spf13/cobra"
)

// planFlags are the flags of `decnetctl plan` (config.md §7.1); `deploy` will share them.
type planFlags struct {
	config            string
	deckies           int
	iface             string
	subnet            string
	ipStart           string
	services          string
	randomizeServices bool
	distro            string
	randomizeDistros  bool
	archetype         string
	mutateInterval    int
	gateway           string
	hostIP            string
	seed              int64
	ipvlan            bool
	dryRun            bool
}

// register adds the plan/deploy flags to cmd.
func (p *planFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&p.config, "config", "c", "", "deployment INI file")
	f.IntVarP(&p.deckies, "deckies", "n", 0, "number of deckies (required without --config)")
	f.StringVarP(&p.iface, "interface", "i", "", "host interface the deckies attach to (default: the default route's)")
	f.StringVar(&p.subnet, "subnet", "", "decky subnet CIDR (default: the interface's)")
	f.StringVar(&p.ipStart, "ip-start", "", "first IP to allocate (default: network+1)")
	f.StringVar(&p.services, "services", "", "comma-separated services of every decky")
	f.BoolVar(&p.randomizeServices, "randomize-services", false, "draw 1..3 random services per decky")
	f.StringVar(&p.distro, "distro", "", "comma-separated distros, cycled over the deckies")
	f.BoolVar(&p.randomizeDistros, "randomize-distros", false, "pick a random distro per decky")
	f.StringVarP(&p.archetype, "archetype", "a", "", "archetype of every decky")
	f.IntVar(&p.mutateInterval, "mutate-interval", 0, "mutation interval in minutes (overrides the INI)")
	f.StringVar(&p.gateway, "gateway", "", "gateway IP (default: the default route's)")
	f.StringVar(&p.hostIP, "host-ip", "", "host IP, kept out of allocation (default: the interface's)")
	f.Int64Var(&p.seed, "seed", 0, "seed for every random choice (same seed, same plan; default: random)")
	f.BoolVar(&p.ipvlan, "ipvlan", false, "attach with ipvlan L2 instead of macvlan")
	f.BoolVar(&p.dryRun, "dry-run", false, "build and print the plan without runtime changes")
	_ = cmd.MarkFlagFilename("config", "ini")
	_ = cmd.RegisterFlagCompletionFunc("archetype", completeList(archetypeSlugs))
	_ = cmd.RegisterFlagCompletionFunc("distro", completeList(distroSlugs))
	_ = cmd.RegisterFlagCompletionFunc("services", completeList(conf.ServiceSlugs))
}

// build turns the flags into a plan without touching the host unless a network fact is missing.
func (p *planFlags) build(cmd *cobra.Command, detect func() (fleet.Network, error)) (*fleet.Plan, error) {
	changed := cmd.Flags().Changed
	rng := fleet.NewRand(rand.Uint64())
	if changed("seed") {
		rng = fleet.NewRand(uint64(p.seed))
	}
	opt := fleet.Options{Rand: rng}
	if changed("mutate-interval") {
		if p.mutateInterval < 1 {
			return nil, usageErrf("--mutate-interval must be at least 1, got %d", p.mutateInterval)
		}
		mi := p.mutateInterval
		opt.MutateInterval = &mi
	}

	var dep *conf.Deployment
	var flagOpts fleet.FlagOptions
	if p.config != "" {
		for _, name := range []string{"deckies", "services", "randomize-services", "archetype", "distro",
			"randomize-distros", "ip-start"} {
			if changed(name) {
				return nil, usageErrf("--%s cannot be used with --config", name)
			}
		}
	} else {
		if !changed("deckies") {
			return nil, usageErrf("--deckies is required when --config is not used.")
		}
		flagOpts = fleet.FlagOptions{
			Deckies:           p.deckies,
			Services:          fleet.SplitList(p.services),
			Archetype:         p.archetype,
			RandomizeServices: p.randomizeServices,
			Distros:           fleet.SplitList(p.distro),
			RandomizeDistros:  p.randomizeDistros,
		}
		if changed("archetype") && p.archetype == "" {
			_, err := conf.LookupArchetype("") // an explicit empty archetype is unknown, not absent
			return nil, usageErr(err)
		}
	}

	net, err := p.networkFlags()
	if err != nil {
		return nil, err
	}
	if p.config != "" {
		if dep, err = conf.LoadFile(p.config); err != nil {
			return nil, usageErr(err)
		}
	} else {
		if flagOpts.IPStart, err = parseAddrFlag("ip-start", p.ipStart); err != nil {
			return nil, err
		}
		if err := flagOpts.Validate(); err != nil {
			return nil, usageErr(err)
		}
	}
	var general conf.General
	if dep != nil {
		general = dep.General
	}
	net, err = fleet.ResolveNetwork(net, general, detect)
	if err != nil {
		return nil, usageErr(err)
	}
	var plan *fleet.Plan
	if dep != nil {
		plan, err = fleet.BuildFromINI(dep, net, opt)
	} else {
		plan, err = fleet.BuildFromFlags(flagOpts, net, opt)
	}
	if err != nil {
		return nil, usageErr(err)
	}
	return plan, nil
}

// networkFlags parses --interface, --subnet, --gateway and --host-ip (zero values = not given).
func (p *planFlags) networkFlags() (fleet.Network, error) {
	n := fleet.Network{Interface: p.iface}
	if p.subnet != "" {
		pfx, err := netip.ParsePrefix(strings.TrimSpace(p.subnet))
		if err != nil || !pfx.Addr().Is4() {
			return n, usageErrf("--subnet must be an IPv4 CIDR, got '%s'", p.subnet)
		}
		n.Subnet = pfx.Masked()
	}
	var err error
	if n.Gateway, err = parseAddrFlag("gateway", p.gateway); err != nil {
		return n, err
	}
	if n.HostIP, err = parseAddrFlag("host-ip", p.hostIP); err != nil {
		return n, err
	}
	return n, nil
}

// parseAddrFlag parses an optional IPv4 flag value.
func parseAddrFlag(name, v string) (netip.Addr, error) {
	if v == "" {
		return netip.Addr{}, nil
	}
	a, err := netip.ParseAddr(strings.TrimSpace(v))
	if err != nil || !a.Is4() {
		return netip.Addr{}, usageErrf("--%s must be an IPv4 address, got '%s'", name, v)
	}
	return a, nil
}

func (a *app) planCmd() *cobra.Command {
	var p planFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Print the fleet a deploy would create, without touching the host",
		Long: "plan builds the fleet from --config FILE or from --deckies with --services, --archetype or\n" +
			"--randomize-services, and prints it. Network facts not given by flags (or [general]) are detected\n" +
			"from the host's default route. --seed makes every random choice reproducible.",
		Example: "  decnetctl plan --deckies 3 --services ssh,http --interface eth0 --subnet 192.168.1.0/24 \\\n" +
			"      --gateway 192.168.1.1 --host-ip 192.168.1.2 --seed 1 -o json\n" +
			"  decnetctl plan --config fleet.ini",
		Args: cobra.NoArgs,
	}
	p.register(cmd)
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		plan, err := p.build(cmd, a.detect)
		if err != nil {
			return err
		}
		if format == "json" {
			return writeJSON(a.stdout, plan)
		}
		return writePlanTable(a.stdout, plan)
	}
	return cmd
}

// writePlanTable prints a plan for humans.
func writePlanTable(w io.Writer, p *fleet.Plan) error {
	fmt.Fprintf(w, "interface %s  subnet %s  gateway %s  host %s\n\n", dash(p.Interface), addrText(p.Subnet.IsValid(), p.Subnet.String()),
		addrText(p.Gateway.IsValid(), p.Gateway.String()), addrText(p.HostIP.IsValid(), p.HostIP.String()))
	tw := newTable(w, "NAME", "IP", "SERVICES", "DISTRO", "HOSTNAME", "ARCHETYPE", "NMAP_OS", "MUTATE")
	for _, d := range p.Deckies {
		mi := "-"
		if d.MutateInterval != nil {
			mi = strconv.Itoa(*d.MutateInterval) + "m"
		}
		row(tw, d.Name, d.IP.String(), strings.Join(d.Services, ","), d.Distro, d.Hostname, dash(d.Archetype), d.NmapOS, mi)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Custom) > 0 {
		fmt.Fprintln(w)
		tw = newTable(w, "CUSTOM SERVICE", "IMAGE", "EXEC", "PORTS")
		for _, c := range p.Custom {
			row(tw, c.Name, c.Image, dash(strings.Join(c.Exec, " ")), ints(c.Ports))
		}
		return tw.Flush()
	}
	return nil
}

func addrText(valid bool, s string) string {
	if !valid {
		return "-"
	}
	return s
}

func archetypeSlugs() []string {
	var out []string
	for _, a := range conf.Archetypes() {
		out = append(out, a.Slug)
	}
	return out
}

func distroSlugs() []string {
	var out []string
	for _, d := range conf.Distros() {
		out = append(out, d.Slug)
	}
	return out
}

// completeList completes a comma-separated list flag from a fixed set of values.
func completeList(values func() []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		prefix := ""
		if i := strings.LastIndex(toComplete, ","); i >= 0 {
			prefix = toComplete[:i+1]
		}
		var out []string
		for _, v := range values() {
			out = append(out, prefix+v)
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}
