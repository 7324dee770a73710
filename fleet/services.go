package fleet

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/decnet/decnet/conf"
)

// maxRepeatAttempts bounds the redraws that avoid repeating a service combination (config.md §6).
const maxRepeatAttempts = 20

// maxDrawAttempts bounds the redraws caused by port conflicts; past it a single service is drawn.
const maxDrawAttempts = 1000

// portsOf returns the TCP and UDP ports a service declares: built-ins from the catalogue, custom services
// from their declaration (TCP only).
func portsOf(svc string, custom []conf.CustomService) (tcp, udp []int) {
	if s, ok := conf.LookupService(svc); ok {
		return s.TCP, s.UDP
	}
	for _, c := range custom {
		if c.Name == svc {
			return c.Ports, nil
		}
	}
	return nil, nil
}

// PortConflict returns the first proto/port declared by two of the services, as
// (proto, port, first service, second service); ok is false when there is none.
func PortConflict(svcs []string, custom []conf.CustomService) (proto string, port int, a, b string, ok bool) {
	seen := map[string]string{}
	for _, s := range svcs {
		tcp, udp := portsOf(s, custom)
		for _, pp := range []struct {
			proto string
			ports []int
		}{{"tcp", tcp}, {"udp", udp}} {
			for _, p := range pp.ports {
				k := fmt.Sprintf("%s/%d", pp.proto, p)
				if first, dup := seen[k]; dup && first != s {
					return pp.proto, p, first, s, true
				}
				seen[k] = s
			}
		}
	}
	return "", 0, "", "", false
}

// portConflictError formats the config.md §5 port-conflict error for a section or flag.
func portConflictError(where string, svcs []string, custom []conf.CustomService) error {
	if proto, port, a, b, ok := PortConflict(svcs, custom); ok {
		return cfgErr("Port conflict in %s: %s/%d is declared by both '%s' and '%s'.", where, proto, port, a, b)
	}
	return nil
}

// drawer draws random service combinations for one build, remembering the combinations already used.
type drawer struct {
	rng      *rand.Rand
	drawable []string
	used     map[string]bool
}

func newDrawer(rng *rand.Rand, drawable []string) *drawer {
	if drawable == nil {
		drawable = conf.ServiceSlugs()
	} else {
		known := make([]string, 0, len(drawable))
		for _, s := range drawable {
			if _, ok := conf.LookupService(s); ok && !slices.Contains(known, s) {
				known = append(known, s)
			}
		}
		drawable = known
	}
	return &drawer{rng: rng, drawable: drawable, used: map[string]bool{}}
}

// sample draws n in 1..min(3, len) and n distinct drawable services.
func (d *drawer) sample() []string {
	n := 1 + d.rng.IntN(min(3, len(d.drawable)))
	pool := slices.Clone(d.drawable)
	for i := range n {
		j := i + d.rng.IntN(len(pool)-i)
		pool[i], pool[j] = pool[j], pool[i]
	}
	return pool[:n]
}

func comboKey(svcs []string) string {
	s := slices.Clone(svcs)
	slices.Sort(s)
	return strings.Join(s, ",")
}

// draw returns a port-conflict-free combination, avoiding combinations already drawn in this build for at most
// maxRepeatAttempts redraws.
func (d *drawer) draw() ([]string, error) {
	if len(d.drawable) == 0 {
		return nil, cfgErr("no services are available for a random draw")
	}
	repeats := 0
	for attempt := 0; ; attempt++ {
		var combo []string
		if attempt >= maxDrawAttempts {
			combo = []string{d.drawable[d.rng.IntN(len(d.drawable))]}
		} else {
			combo = d.sample()
			if _, _, _, _, bad := PortConflict(combo, nil); bad {
				continue
			}
		}
		k := comboKey(combo)
		if d.used[k] && repeats < maxRepeatAttempts {
			repeats++
			continue
		}
		d.used[k] = true
		return combo, nil
	}
}
