package fleet

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/decnet/decnet/conf"
)

// FlagOptions are the fleet-shaping flags of `decnetctl plan|deploy` without --config (config.md §7.1).
type FlagOptions struct {
	Deckies           int        // --deckies/-n, ≥ 1
	Services          []string   // --services (nil = not given), see SplitList
	Archetype         string     // --archetype/-a ("" = not given)
	RandomizeServices bool       // --randomize-services
	Distros           []string   // --distro (nil = not given)
	RandomizeDistros  bool       // --randomize-distros
	IPStart           netip.Addr // --ip-start (invalid = network+1)
}

// SplitList splits a comma list flag or key: items trimmed, duplicates dropped keeping the first. An empty or
// blank value yields nil (not set); an empty item of a non-empty list is kept as "".
func SplitList(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

// quoteList renders names as ['a', 'b'].
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "'" + n + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// Validate checks the flags that need no network facts (deckies count, archetype, services, distros), so that
// callers can report them before detecting the host network.
func (f FlagOptions) Validate() error {
	_, err := f.archetype()
	return err
}

// archetype validates the flags and returns the --archetype entry (nil when not given).
func (f FlagOptions) archetype() (*conf.Archetype, error) {
	if f.Deckies < 1 {
		return nil, cfgErr("--deckies must be at least 1, got %d", f.Deckies)
	}
	var arch *conf.Archetype
	if f.Archetype != "" {
		a, err := conf.LookupArchetype(f.Archetype)
		if err != nil {
			return nil, asConfigError(err)
		}
		arch = &a
	}
	switch {
	case f.Services != nil:
		var unknown []string
		for _, s := range f.Services {
			if _, ok := conf.LookupService(s); !ok {
				unknown = append(unknown, s)
			}
		}
		if len(unknown) > 0 {
			return nil, cfgErr("Unknown service(s): %s. Available: %s", quoteList(unknown), quoteList(conf.ServiceSlugs()))
		}
		if err := portConflictError("--services", f.Services, nil); err != nil {
			return nil, err
		}
	case arch != nil, f.RandomizeServices:
	default:
		return nil, cfgErr("Specify --services, --archetype, or --randomize-services.")
	}
	for _, d := range f.Distros {
		if _, err := conf.LookupDistro(d); err != nil {
			return nil, asConfigError(err)
		}
	}
	return arch, nil
}

// BuildFromFlags builds the plan of the flag path (config.md §7.2): names decky-NN, IPs walked from --ip-start,
// distros from --distro (cycled), --randomize-distros, the archetype's list or all distros (cycled), services from
// --services, the archetype or a random draw, nmap_os from the archetype or linux.
func BuildFromFlags(f FlagOptions, n Network, opt Options) (*Plan, error) {
	arch, err := f.archetype()
	if err != nil {
		return nil, err
	}
	if err := checkSubnet(n.Subnet); err != nil {
		return nil, err
	}
	n.Subnet = n.Subnet.Masked()
	if f.IPStart.IsValid() && (!f.IPStart.Unmap().Is4() || !n.Subnet.Contains(f.IPStart.Unmap())) {
		return nil, cfgErr("--ip-start %s is not inside %s", f.IPStart, n.Subnet)
	}

	existing := map[netip.Addr]bool{}
	for _, ip := range opt.ReservedIPs {
		existing[ip.Unmap()] = true
	}
	free := newPool(n.Subnet, f.IPStart.Unmap(), func(a netip.Addr) bool {
		return reservedReason(a, n) != "" || existing[a]
	})
	ips := make([]netip.Addr, 0, f.Deckies)
	for len(ips) < f.Deckies {
		ip, ok := free.take()
		if !ok {
			return nil, cfgErr("Not enough free IPs in %s for %d deckies (found %d).", n.Subnet, f.Deckies, len(ips))
		}
		ips = append(ips, ip)
	}

	rng := opt.rng()
	draws := newDrawer(rng, opt.Drawable)
	cycle := allDistros()
	switch {
	case len(f.Distros) > 0:
		cycle = f.Distros
	case f.RandomizeDistros:
		cycle = nil
	case arch != nil && len(arch.Distros) > 0:
		cycle = arch.Distros
	}
	all := allDistros()
	plan := &Plan{Network: n, Deckies: make([]Decky, 0, f.Deckies)}
	for i, ip := range ips {
		var distro string
		if cycle == nil {
			distro = all[rng.IntN(len(all))]
		} else {
			distro = cycle[i%len(cycle)]
		}
		dk := Decky{
			Name:           fmt.Sprintf("decky-%02d", i+1),
			IP:             ip,
			Distro:         distro,
			Hostname:       conf.Hostname(rng, distro),
			NmapOS:         "linux",
			MutateInterval: intPtr(opt.MutateInterval),
			ServiceConfig:  map[string]map[string]any{},
		}
		switch {
		case f.Services != nil:
			dk.Services = slices.Clone(f.Services)
		case arch != nil:
			dk.Services = slices.Clone(arch.Services)
		default:
			if dk.Services, err = draws.draw(); err != nil {
				return nil, err
			}
		}
		if arch != nil {
			dk.Archetype = arch.Slug
			dk.NmapOS = arch.NmapOS
		}
		plan.Deckies = append(plan.Deckies, dk)
	}
	return plan, nil
}
