package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/decnet/decnet/conf"
)

// Network holds the network facts a plan is built against (config.md §7.3). Zero values mean "unknown".
type Network struct {
	Interface string       `json:"interface"`
	Subnet    netip.Prefix `json:"subnet"`
	Gateway   netip.Addr   `json:"gateway"`
	HostIP    netip.Addr   `json:"host_ip"`
}

// Complete reports whether every network fact is known.
func (n Network) Complete() bool {
	return n.Interface != "" && n.Subnet.IsValid() && n.Gateway.IsValid() && n.HostIP.IsValid()
}

// Decky is one planned decoy machine.
type Decky struct {
	Name           string                    `json:"name"`
	IP             netip.Addr                `json:"ip"`
	Services       []string                  `json:"services"`
	Distro         string                    `json:"distro"`
	Hostname       string                    `json:"hostname"`
	Archetype      string                    `json:"archetype"` // "" = none (JSON null)
	NmapOS         string                    `json:"nmap_os"`
	MutateInterval *int                      `json:"mutate_interval"` // minutes; nil = fleet default (JSON null)
	ServiceConfig  map[string]map[string]any `json:"service_config"`  // typed persona values per service
}

// deckyJSON fixes the wire shape of a Decky: key order, null archetype, [] and {} instead of null.
type deckyJSON struct {
	Name           string                    `json:"name"`
	IP             netip.Addr                `json:"ip"`
	Services       []string                  `json:"services"`
	Distro         string                    `json:"distro"`
	Hostname       string                    `json:"hostname"`
	Archetype      *string                   `json:"archetype"`
	NmapOS         string                    `json:"nmap_os"`
	MutateInterval *int                      `json:"mutate_interval"`
	ServiceConfig  map[string]map[string]any `json:"service_config"`
}

// MarshalJSON renders the decky with the plan JSON's keys and order (archetype null when unset).
func (d Decky) MarshalJSON() ([]byte, error) {
	j := deckyJSON{Name: d.Name, IP: d.IP, Services: d.Services, Distro: d.Distro, Hostname: d.Hostname,
		NmapOS: d.NmapOS, MutateInterval: d.MutateInterval, ServiceConfig: d.ServiceConfig}
	if j.Services == nil {
		j.Services = []string{}
	}
	if j.ServiceConfig == nil {
		j.ServiceConfig = map[string]map[string]any{}
	}
	if d.Archetype != "" {
		a := d.Archetype
		j.Archetype = &a
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the shape written by MarshalJSON.
func (d *Decky) UnmarshalJSON(b []byte) error {
	var j deckyJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decode decky: %w", err)
	}
	*d = Decky{Name: j.Name, IP: j.IP, Services: j.Services, Distro: j.Distro, Hostname: j.Hostname,
		NmapOS: j.NmapOS, MutateInterval: j.MutateInterval, ServiceConfig: j.ServiceConfig}
	if j.Archetype != nil {
		d.Archetype = *j.Archetype
	}
	return nil
}

// Plan is the fleet a deploy would create: the network facts, the deckies in build order and the custom
// services declared by the deployment (file order).
type Plan struct {
	Network
	Deckies []Decky
	Custom  []conf.CustomService
}

type planJSON struct {
	Interface string               `json:"interface"`
	Subnet    netip.Prefix         `json:"subnet"`
	Gateway   netip.Addr           `json:"gateway"`
	HostIP    netip.Addr           `json:"host_ip"`
	Deckies   []Decky              `json:"deckies"`
	Custom    []conf.CustomService `json:"custom_services"`
}

// MarshalJSON renders the plan as
// {"interface","subnet","gateway","host_ip","deckies":[...],"custom_services":[...]} with empty lists as [].
func (p Plan) MarshalJSON() ([]byte, error) {
	j := planJSON{Interface: p.Interface, Subnet: p.Subnet, Gateway: p.Gateway, HostIP: p.HostIP,
		Deckies: p.Deckies, Custom: make([]conf.CustomService, len(p.Custom))}
	if j.Deckies == nil {
		j.Deckies = []Decky{}
	}
	for i, c := range p.Custom {
		if c.Exec == nil {
			c.Exec = []string{}
		}
		if c.Ports == nil {
			c.Ports = []int{}
		}
		j.Custom[i] = c
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the shape written by MarshalJSON.
func (p *Plan) UnmarshalJSON(b []byte) error {
	var j planJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("decode plan: %w", err)
	}
	*p = Plan{Network: Network{Interface: j.Interface, Subnet: j.Subnet, Gateway: j.Gateway, HostIP: j.HostIP},
		Deckies: j.Deckies, Custom: j.Custom}
	return nil
}

// Options are the inputs of a build that are not part of the deployment itself.
type Options struct {
	// Rand is the only source of randomness of a build (distros, hostnames, service draws).
	// nil = a generator with a fixed seed of 0.
	Rand *rand.Rand
	// Drawable lists the services random draws may use (services with an emulator in this build);
	// nil = all built-in services.
	Drawable []string
	// MutateInterval is an explicitly given CLI --mutate-interval in minutes; it wins over the file's values.
	MutateInterval *int
	// ReservedIPs are IPs of the existing fleet (API additive mode); they are never allocated.
	ReservedIPs []netip.Addr
}

func (o Options) rng() *rand.Rand {
	if o.Rand != nil {
		return o.Rand
	}
	return rand.New(rand.NewPCG(0, 0))
}

// NewRand returns the generator decnet uses for a given seed: the same seed always yields the same plan.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x6465636e6574))
}

// cfgErr builds a *conf.ConfigError: a user-facing error whose message is the exact text of config.md.
func cfgErr(format string, args ...any) error {
	return &conf.ConfigError{Msg: fmt.Sprintf(format, args...)}
}

// asConfigError turns a catalogue lookup error (already worded by the spec) into a *conf.ConfigError.
func asConfigError(err error) error {
	var ce *conf.ConfigError
	if errors.As(err, &ce) {
		return err
	}
	return &conf.ConfigError{Msg: err.Error()}
}

func intPtr(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
