package conf

import "net/netip"

// General holds the [general] section of a deployment INI (config.md §4.1). Zero values mean "not set".
type General struct {
	Net            netip.Prefix // host bits cleared
	Gateway        netip.Addr
	Interface      string
	MutateInterval *int // minutes
}

// DeckySpec is one decky produced by the loader after fan-out, before the build step assigns
// IPs, distros, hostnames and services (config.md §4.2, §6).
type DeckySpec struct {
	Name           string     // resulting decky name (fan-out names for amount > 1)
	Section        string     // section name as written
	IP             netip.Addr // explicit ip= (invalid = auto)
	Services       []string   // explicit services= (nil = not set)
	Archetype      string     // "" = not set
	NmapOS         string     // "" = not set
	MutateInterval *int       // section value in minutes (nil = not set)
	// ServiceConfig holds typed persona values per service: group-level first, then decky-level overrides.
	ServiceConfig map[string]map[string]any
}

// CustomService is a bring-your-own service declared by a [custom-NAME] section (config.md §4.4).
type CustomService struct {
	Name  string   `json:"name"`
	Image string   `json:"image"`
	Exec  []string `json:"exec"`
	Ports []int    `json:"ports"`
}

// Deployment is a loaded and validated deployment INI.
type Deployment struct {
	General General
	Deckies []DeckySpec     // build order: file order, fan-out members in index order
	Custom  []CustomService // file order
}

// CustomNames returns the names of the custom services declared in the file.
func (d *Deployment) CustomNames() []string {
	out := make([]string, len(d.Custom))
	for i, c := range d.Custom {
		out[i] = c.Name
	}
	return out
}
