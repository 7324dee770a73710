package fleet

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/decnet/decnet/conf"
)

// BuildFromINI builds the plan of a loaded deployment (config.md §6): IP allocation with the reserved set and
// explicit-IP checks, distro round-robin with one counter across the file, a hostname per distro, service
// resolution (explicit > archetype > random draw), nmap_os and the mutate-interval cascade.
// The network facts must already be resolved (ResolveNetwork); errors carry the spec's exact wording.
func BuildFromINI(d *conf.Deployment, n Network, opt Options) (*Plan, error) {
	if d == nil {
		return nil, fmt.Errorf("build plan: no deployment")
	}
	if err := checkSubnet(n.Subnet); err != nil {
		return nil, err
	}
	n.Subnet = n.Subnet.Masked()
	rng := opt.rng()

	// Reserved = {network, broadcast, gateway, host} ∪ explicit ip= ∪ reserved_ips.
	explicit := map[netip.Addr]bool{}
	for _, s := range d.Deckies {
		if s.IP.IsValid() {
			explicit[s.IP.Unmap()] = true
		}
	}
	existing := map[netip.Addr]bool{}
	for _, ip := range opt.ReservedIPs {
		existing[ip.Unmap()] = true
	}
	free := newPool(n.Subnet, netip.Addr{}, func(a netip.Addr) bool {
		return reservedReason(a, n) != "" || explicit[a] || existing[a]
	})

	draws := newDrawer(rng, opt.Drawable)
	owner := map[netip.Addr]string{} // explicit IP → decky that took it
	plan := &Plan{Network: n, Deckies: make([]Decky, 0, len(d.Deckies)), Custom: slices.Clone(d.Custom)}
	for k, s := range d.Deckies {
		var arch *conf.Archetype
		if s.Archetype != "" {
			a, err := conf.LookupArchetype(s.Archetype)
			if err != nil {
				return nil, asConfigError(err)
			}
			arch = &a
		}

		ip, err := assignINIAddr(s, n, free, owner, existing)
		if err != nil {
			return nil, err
		}

		distros := allDistros()
		if arch != nil && len(arch.Distros) > 0 {
			distros = arch.Distros
		}
		distro := distros[k%len(distros)]

		dk := Decky{
			Name:          s.Name,
			IP:            ip,
			Distro:        distro,
			Hostname:      conf.Hostname(rng, distro),
			NmapOS:        "linux",
			ServiceConfig: copyServiceConfig(s.ServiceConfig),
		}
		switch {
		case len(s.Services) > 0:
			if err := portConflictError("["+s.Section+"]", s.Services, d.Custom); err != nil {
				return nil, err
			}
			dk.Services = slices.Clone(s.Services)
		case arch != nil:
			dk.Services = slices.Clone(arch.Services)
		default:
			if dk.Services, err = draws.draw(); err != nil {
				return nil, cfgErr("[%s] %v", s.Section, err)
			}
		}
		if arch != nil {
			dk.Archetype = arch.Slug
			dk.NmapOS = arch.NmapOS
		}
		if s.NmapOS != "" {
			dk.NmapOS = s.NmapOS
		}
		switch {
		case opt.MutateInterval != nil:
			dk.MutateInterval = intPtr(opt.MutateInterval)
		case s.MutateInterval != nil:
			dk.MutateInterval = intPtr(s.MutateInterval)
		default:
			dk.MutateInterval = intPtr(d.General.MutateInterval)
		}
		plan.Deckies = append(plan.Deckies, dk)
	}
	return plan, nil
}

// assignINIAddr checks an explicit ip= or takes the next free pool address for one decky.
func assignINIAddr(s conf.DeckySpec, n Network, free *pool, owner map[netip.Addr]string,
	existing map[netip.Addr]bool) (netip.Addr, error) {
	if !s.IP.IsValid() {
		ip, ok := free.take()
		if !ok {
			return netip.Addr{}, cfgErr("Not enough free IPs in %s while assigning IP for '%s'.", n.Subnet, s.Name)
		}
		return ip, nil
	}
	ip := s.IP.Unmap()
	if !ip.Is4() || !n.Subnet.Contains(ip) {
		return netip.Addr{}, cfgErr("[%s] ip=%s is not inside %s", s.Name, ip, n.Subnet)
	}
	if why := reservedReason(ip, n); why != "" {
		return netip.Addr{}, cfgErr("[%s] ip=%s is reserved (%s)", s.Name, ip, why)
	}
	if other, dup := owner[ip]; dup {
		return netip.Addr{}, cfgErr("[%s] ip=%s is already used by '%s'", s.Name, ip, other)
	}
	if existing[ip] {
		return netip.Addr{}, cfgErr("IP %s is already in use by an existing decky", ip)
	}
	owner[ip] = s.Name
	return ip, nil
}

// allDistros returns every distro slug in table order.
func allDistros() []string {
	ds := conf.Distros()
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Slug
	}
	return out
}

// copyServiceConfig copies the per-service persona maps so a plan never aliases the loader's data.
func copyServiceConfig(in map[string]map[string]any) map[string]map[string]any {
	out := make(map[string]map[string]any, len(in))
	for svc, kv := range in {
		out[svc] = maps.Clone(kv)
	}
	return out
}
