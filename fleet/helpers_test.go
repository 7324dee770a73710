package fleet

import (
	"net/netip"
	"regexp"
	"testing"

	"github.com/decnet/decnet/conf"
)

// hostnameRe are the catalog §4 validation regexes per distro.
var hostnameRe = map[string]*regexp.Regexp{}

func init() {
	styles := map[conf.HostnameStyle]*regexp.Regexp{
		conf.StyleGeneric: regexp.MustCompile(`^SRV-[A-Z]+-[1-9][0-9]$`),
		conf.StyleRHEL:    regexp.MustCompile(`^[a-z]+[1-9][0-9]\.localdomain$`),
		conf.StyleMinimal: regexp.MustCompile(`^[a-z]+-[1-9][0-9]$`),
		conf.StyleRolling: regexp.MustCompile(`^[a-z]+-[a-z]+$`),
	}
	for _, d := range conf.Distros() {
		hostnameRe[d.Slug] = styles[d.HostnameStyle]
	}
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func ips(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = ip(s)
	}
	return out
}

func ptr(v int) *int { return &v }

// lan is the default build network of config.md §10.
var lan = Network{Interface: "eth0", Subnet: netip.MustParsePrefix("192.168.1.0/24"), Gateway: ip("192.168.1.1"),
	HostIP: ip("192.168.1.2")}

func network(subnet, gw, host string) Network {
	return Network{Interface: "eth0", Subnet: netip.MustParsePrefix(subnet), Gateway: ip(gw), HostIP: ip(host)}
}

// spec builds a decky spec whose section equals its name.
func spec(name string, mod func(*conf.DeckySpec)) conf.DeckySpec {
	s := conf.DeckySpec{Name: name, Section: name}
	if mod != nil {
		mod(&s)
	}
	return s
}

// fanout mimics the loader's fan-out of a section with amount > 1.
func fanout(section string, n int, mod func(*conf.DeckySpec)) []conf.DeckySpec {
	var out []conf.DeckySpec
	for i := 1; i <= n; i++ {
		s := conf.DeckySpec{Name: section + "-" + twoDigit(i), Section: section}
		if mod != nil {
			mod(&s)
		}
		out = append(out, s)
	}
	return out
}

func twoDigit(i int) string {
	if i < 10 {
		return "0" + string(rune('0'+i))
	}
	return itoa(i)
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func checkHostnames(t *testing.T, p *Plan) {
	t.Helper()
	for _, d := range p.Deckies {
		re := hostnameRe[d.Distro]
		if re == nil || !re.MatchString(d.Hostname) {
			t.Errorf("%s: hostname %q does not match the %s style", d.Name, d.Hostname, d.Distro)
		}
	}
}
