package fleet

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/decnet/decnet/conf"
)

type wantDecky struct {
	name, ip, services, distro, archetype, nmapOS string
	mutate                                        *int
}

func checkDeckies(t *testing.T, p *Plan, want []wantDecky) {
	t.Helper()
	if len(p.Deckies) != len(want) {
		t.Fatalf("got %d deckies, want %d", len(p.Deckies), len(want))
	}
	for i, w := range want {
		d := p.Deckies[i]
		got := wantDecky{d.Name, d.IP.String(), strings.Join(d.Services, ","), d.Distro, d.Archetype, d.NmapOS, d.MutateInterval}
		if got.name != w.name || got.ip != w.ip || got.services != w.services || got.distro != w.distro ||
			got.archetype != w.archetype || got.nmapOS != w.nmapOS || !eqPtr(got.mutate, w.mutate) {
			t.Errorf("decky %d = %+v (mutate %v), want %+v (mutate %v)", i, got, deref(got.mutate), w, deref(w.mutate))
		}
	}
	checkHostnames(t, p)
}

func eqPtr(a, b *int) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func x15() *conf.Deployment {
	d := &conf.Deployment{}
	d.Deckies = append(d.Deckies,
		spec("web", func(s *conf.DeckySpec) { s.IP = ip("192.168.1.3"); s.Services = []string{"http"} }),
		spec("dc", func(s *conf.DeckySpec) { s.Archetype = "domain-controller" }))
	d.Deckies = append(d.Deckies, fanout("ws", 3, func(s *conf.DeckySpec) { s.Archetype = "windows-workstation" })...)
	d.Deckies = append(d.Deckies, spec("printer", func(s *conf.DeckySpec) { s.Archetype = "printer"; s.NmapOS = "cisco" }))
	return d
}

func TestBuildFromINIExamples(t *testing.T) {
	cases := []struct {
		name string
		dep  *conf.Deployment
		net  Network
		opt  Options
		want []wantDecky
	}{
		{
			name: "X1 basic",
			dep: &conf.Deployment{Deckies: []conf.DeckySpec{spec("decky-01", func(s *conf.DeckySpec) {
				s.IP = ip("192.168.1.101")
				s.Services = []string{"ssh", "http"}
			})}},
			net:  lan,
			want: []wantDecky{{"decky-01", "192.168.1.101", "ssh,http", "debian", "", "linux", nil}},
		},
		{
			name: "X2 fan-out with archetype, nmap_os and mutate interval",
			dep: &conf.Deployment{Deckies: fanout("linux-hosts", 3, func(s *conf.DeckySpec) {
				s.Archetype, s.NmapOS, s.MutateInterval = "linux-server", "bsd", ptr(15)
				s.ServiceConfig = map[string]map[string]any{"ssh": {"password": "Secret"}}
			})},
			net: network("10.0.0.0/24", "10.0.0.1", "10.0.0.2"),
			want: []wantDecky{
				{"linux-hosts-01", "10.0.0.3", "ssh,http", "debian", "linux-server", "bsd", ptr(15)},
				{"linux-hosts-02", "10.0.0.4", "ssh,http", "ubuntu22", "linux-server", "bsd", ptr(15)},
				{"linux-hosts-03", "10.0.0.5", "ssh,http", "rocky9", "linux-server", "bsd", ptr(15)},
			},
		},
		{
			name: "X15 build",
			dep:  x15(),
			net:  lan,
			want: []wantDecky{
				{"web", "192.168.1.3", "http", "debian", "", "linux", nil},
				{"dc", "192.168.1.4", "ldap,smb,rdp,llmnr", "ubuntu22", "domain-controller", "windows_server", nil},
				{"ws-01", "192.168.1.5", "smb,rdp", "debian", "windows-workstation", "windows", nil},
				{"ws-02", "192.168.1.6", "smb,rdp", "ubuntu22", "windows-workstation", "windows", nil},
				{"ws-03", "192.168.1.7", "smb,rdp", "debian", "windows-workstation", "windows", nil},
				{"printer", "192.168.1.8", "snmp,ftp", "debian", "printer", "cisco", nil},
			},
		},
		{
			name: "X16 reserved IPs and explicit --mutate-interval",
			dep:  x15(),
			net:  lan,
			opt:  Options{MutateInterval: ptr(30), ReservedIPs: ips("192.168.1.4")},
			want: []wantDecky{
				{"web", "192.168.1.3", "http", "debian", "", "linux", ptr(30)},
				{"dc", "192.168.1.5", "ldap,smb,rdp,llmnr", "ubuntu22", "domain-controller", "windows_server", ptr(30)},
				{"ws-01", "192.168.1.6", "smb,rdp", "debian", "windows-workstation", "windows", ptr(30)},
				{"ws-02", "192.168.1.7", "smb,rdp", "ubuntu22", "windows-workstation", "windows", ptr(30)},
				{"ws-03", "192.168.1.8", "smb,rdp", "debian", "windows-workstation", "windows", ptr(30)},
				{"printer", "192.168.1.9", "snmp,ftp", "debian", "printer", "cisco", ptr(30)},
			},
		},
		{
			name: "X17 cascade without CLI flag",
			dep:  x17(),
			net:  lan,
			want: []wantDecky{
				{"a", "192.168.1.3", "ssh", "debian", "", "linux", ptr(15)},
				{"b", "192.168.1.4", "ssh", "ubuntu22", "", "linux", ptr(60)},
			},
		},
		{
			name: "X17 cascade with CLI flag",
			dep:  x17(),
			net:  lan,
			opt:  Options{MutateInterval: ptr(30)},
			want: []wantDecky{
				{"a", "192.168.1.3", "ssh", "debian", "", "linux", ptr(30)},
				{"b", "192.168.1.4", "ssh", "ubuntu22", "", "linux", ptr(30)},
			},
		},
		{
			name: "X4 file order, one distro counter across sections (k=3,4 on [alpine, debian])",
			dep: &conf.Deployment{Deckies: append(
				fanout("workers", 3, func(s *conf.DeckySpec) { s.Archetype = "linux-server" }),
				fanout("printers", 2, func(s *conf.DeckySpec) { s.Archetype = "printer" })...)},
			net: lan,
			want: []wantDecky{
				{"workers-01", "192.168.1.3", "ssh,http", "debian", "linux-server", "linux", nil},
				{"workers-02", "192.168.1.4", "ssh,http", "ubuntu22", "linux-server", "linux", nil},
				{"workers-03", "192.168.1.5", "ssh,http", "rocky9", "linux-server", "linux", nil},
				{"printers-01", "192.168.1.6", "snmp,ftp", "debian", "printer", "embedded", nil},
				{"printers-02", "192.168.1.7", "snmp,ftp", "alpine", "printer", "embedded", nil},
			},
		},
		{
			name: "explicit IP is removed from the pool even when declared later",
			dep: &conf.Deployment{Deckies: []conf.DeckySpec{
				spec("a", func(s *conf.DeckySpec) { s.Services = []string{"ssh"} }),
				spec("b", func(s *conf.DeckySpec) { s.Services = []string{"ssh"}; s.IP = ip("192.168.1.3") }),
				spec("c", func(s *conf.DeckySpec) { s.Services = []string{"ssh"} }),
			}},
			net: lan,
			want: []wantDecky{
				{"a", "192.168.1.4", "ssh", "debian", "", "linux", nil},
				{"b", "192.168.1.3", "ssh", "ubuntu22", "", "linux", nil},
				{"c", "192.168.1.5", "ssh", "ubuntu20", "", "linux", nil},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Rand = NewRand(1)
			p, err := BuildFromINI(tc.dep, tc.net, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if p.Network != tc.net {
				t.Errorf("network = %+v, want %+v", p.Network, tc.net)
			}
			checkDeckies(t, p, tc.want)
		})
	}
}

func x17() *conf.Deployment {
	return &conf.Deployment{
		General: conf.General{MutateInterval: ptr(60)},
		Deckies: []conf.DeckySpec{
			spec("a", func(s *conf.DeckySpec) { s.Services = []string{"ssh"}; s.MutateInterval = ptr(15) }),
			spec("b", func(s *conf.DeckySpec) { s.Services = []string{"ssh"} }),
		},
	}
}

func TestBuildFromINIServiceConfigAndCustom(t *testing.T) {
	dep := &conf.Deployment{
		Custom: []conf.CustomService{{Name: "myservice", Image: "my-image:latest",
			Exec: []string{"/usr/bin/myapp", "-p", "8080"}, Ports: []int{8080, 9090}}},
		Deckies: []conf.DeckySpec{spec("decky-01", func(s *conf.DeckySpec) {
			s.Services = []string{"ssh", "myservice"}
			s.ServiceConfig = map[string]map[string]any{"http": {"server_header": "x", "response_code": 200}}
		})},
	}
	p, err := BuildFromINI(dep, lan, Options{Rand: NewRand(7)})
	if err != nil {
		t.Fatal(err)
	}
	d := p.Deckies[0]
	if !slices.Equal(d.Services, []string{"ssh", "myservice"}) {
		t.Errorf("services = %v", d.Services)
	}
	if d.ServiceConfig["http"]["response_code"] != 200 || d.ServiceConfig["http"]["server_header"] != "x" {
		t.Errorf("service_config = %v", d.ServiceConfig)
	}
	// The plan must not alias the deployment's maps.
	d.ServiceConfig["http"]["server_header"] = "changed"
	if dep.Deckies[0].ServiceConfig["http"]["server_header"] != "x" {
		t.Error("plan aliases the deployment's service config")
	}
	if len(p.Custom) != 1 || p.Custom[0].Name != "myservice" {
		t.Errorf("custom = %+v", p.Custom)
	}
}

func TestBuildFromINIErrors(t *testing.T) {
	one := func(mod func(*conf.DeckySpec)) *conf.Deployment {
		return &conf.Deployment{Deckies: []conf.DeckySpec{spec("a", func(s *conf.DeckySpec) {
			s.Services = []string{"ssh"}
			mod(s)
		})}}
	}
	cases := []struct {
		name string
		dep  *conf.Deployment
		net  Network
		opt  Options
		want string
	}{
		{"X24 outside subnet", one(func(s *conf.DeckySpec) { s.IP = ip("10.9.9.9") }), lan, Options{},
			"[a] ip=10.9.9.9 is not inside 192.168.1.0/24"},
		{"X24 gateway", one(func(s *conf.DeckySpec) { s.IP = ip("192.168.1.1") }), lan, Options{},
			"[a] ip=192.168.1.1 is reserved (gateway)"},
		{"X24 broadcast", one(func(s *conf.DeckySpec) { s.IP = ip("192.168.1.255") }), lan, Options{},
			"[a] ip=192.168.1.255 is reserved (broadcast address)"},
		{"network address", one(func(s *conf.DeckySpec) { s.IP = ip("192.168.1.0") }), lan, Options{},
			"[a] ip=192.168.1.0 is reserved (network address)"},
		{"host address", one(func(s *conf.DeckySpec) { s.IP = ip("192.168.1.2") }), lan, Options{},
			"[a] ip=192.168.1.2 is reserved (host address)"},
		{"X24 used twice", &conf.Deployment{Deckies: []conf.DeckySpec{
			spec("a", func(s *conf.DeckySpec) { s.Services = []string{"ssh"}; s.IP = ip("192.168.1.50") }),
			spec("b", func(s *conf.DeckySpec) { s.Services = []string{"ssh"}; s.IP = ip("192.168.1.50") }),
		}}, lan, Options{}, "[b] ip=192.168.1.50 is already used by 'a'"},
		{"existing fleet", one(func(s *conf.DeckySpec) { s.IP = ip("192.168.1.9") }), lan,
			Options{ReservedIPs: ips("192.168.1.9")}, "IP 192.168.1.9 is already in use by an existing decky"},
		{"X20 pool exhausted", &conf.Deployment{Deckies: fanout("g", 2, func(s *conf.DeckySpec) { s.Services = []string{"ssh"} })},
			network("10.0.0.0/30", "10.0.0.1", "10.0.0.2"), Options{},
			"Not enough free IPs in 10.0.0.0/30 while assigning IP for 'g-01'."},
		{"pool exhausted by reserved IPs", &conf.Deployment{Deckies: fanout("g", 2, func(s *conf.DeckySpec) { s.Services = []string{"ssh"} })},
			network("10.0.0.0/29", "10.0.0.1", "10.0.0.2"), Options{ReservedIPs: ips("10.0.0.3", "10.0.0.4", "10.0.0.5")},
			"Not enough free IPs in 10.0.0.0/29 while assigning IP for 'g-02'."},
		{"X21 smtp relay", &conf.Deployment{Deckies: []conf.DeckySpec{spec("m", func(s *conf.DeckySpec) { s.Services = []string{"smtp", "smtp_relay"} })}},
			lan, Options{}, "Port conflict in [m]: tcp/25 is declared by both 'smtp' and 'smtp_relay'."},
		{"X21 conpot snmp", &conf.Deployment{Deckies: []conf.DeckySpec{spec("p", func(s *conf.DeckySpec) { s.Services = []string{"conpot", "snmp"} })}},
			lan, Options{}, "Port conflict in [p]: udp/161 is declared by both 'conpot' and 'snmp'."},
		{"custom port conflict", &conf.Deployment{
			Custom:  []conf.CustomService{{Name: "web2", Image: "x", Ports: []int{80}}},
			Deckies: []conf.DeckySpec{spec("w", func(s *conf.DeckySpec) { s.Services = []string{"http", "web2"} })}},
			lan, Options{}, "Port conflict in [w]: tcp/80 is declared by both 'http' and 'web2'."},
		{"X18 unknown archetype", one(func(s *conf.DeckySpec) { s.Archetype = "nope" }), lan, Options{},
			"Unknown archetype 'nope'. Available: database-server, deaddeck, devops-host, domain-controller, file-server, industrial-control, iot-device, linux-server, mail-server, monitoring-node, printer, voip-server, web-server, windows-server, windows-workstation"},
		{"no subnet", one(func(*conf.DeckySpec) {}), Network{}, Options{}, "no subnet: give --subnet or [general] net="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildFromINI(tc.dep, tc.net, tc.opt)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestBuildFromINIRandomServices(t *testing.T) {
	dep := &conf.Deployment{Deckies: fanout("r", 40, nil)}
	p, err := BuildFromINI(dep, lan, Options{Rand: NewRand(42)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, d := range p.Deckies {
		if n := len(d.Services); n < 1 || n > 3 {
			t.Errorf("%s: %d services", d.Name, n)
		}
		for _, s := range d.Services {
			if _, ok := conf.LookupService(s); !ok {
				t.Errorf("%s: drew unknown service %q", d.Name, s)
			}
		}
		if _, _, _, _, bad := PortConflict(d.Services, nil); bad {
			t.Errorf("%s: port conflict in %v", d.Name, d.Services)
		}
		k := comboKey(d.Services)
		if seen[k] {
			t.Errorf("%s: combination %v repeated", d.Name, d.Services)
		}
		seen[k] = true
		if d.Archetype != "" || d.NmapOS != "linux" {
			t.Errorf("%s: archetype %q nmap_os %q", d.Name, d.Archetype, d.NmapOS)
		}
	}
}

func TestBuildFromINIDrawable(t *testing.T) {
	dep := &conf.Deployment{Deckies: fanout("r", 10, nil)}
	p, err := BuildFromINI(dep, lan, Options{Rand: NewRand(3), Drawable: []string{"ssh", "http", "bogus"}})
	if err != nil {
		t.Fatal(err)
	}
	combos := map[string]int{}
	for _, d := range p.Deckies {
		for _, s := range d.Services {
			if s != "ssh" && s != "http" {
				t.Errorf("%s drew %q outside the drawable set", d.Name, s)
			}
		}
		combos[comboKey(d.Services)]++
	}
	// Only three combinations exist: repeats are allowed once the 20 attempts are spent.
	if len(combos) != 3 {
		t.Errorf("combinations = %v, want all three of ssh, http, http+ssh", combos)
	}
	_, err = BuildFromINI(dep, lan, Options{Drawable: []string{}})
	if err == nil || !strings.Contains(err.Error(), "no services are available") {
		t.Errorf("empty drawable: err = %v", err)
	}
}

func TestBuildDeterministic(t *testing.T) {
	dep := &conf.Deployment{Deckies: fanout("r", 20, nil)}
	a, err := BuildFromINI(dep, lan, Options{Rand: NewRand(99)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := BuildFromINI(dep, lan, Options{Rand: NewRand(99)})
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	if string(ja) != string(jb) {
		t.Errorf("same seed gave different plans:\n%s\n%s", ja, jb)
	}
	c, _ := BuildFromINI(dep, lan, Options{Rand: NewRand(100)})
	jc, _ := c.MarshalJSON()
	if string(ja) == string(jc) {
		t.Error("different seeds gave identical plans")
	}
}

func TestPoolEdges(t *testing.T) {
	// /31 and /32: every address is a host, but network/broadcast are still reserved.
	p, err := BuildFromINI(&conf.Deployment{Deckies: []conf.DeckySpec{spec("a", func(s *conf.DeckySpec) { s.Services = []string{"ssh"} })}},
		Network{Subnet: netip.MustParsePrefix("10.1.2.3/32")}, Options{})
	if err == nil {
		t.Fatalf("/32 should have no free address, got %v", p.Deckies)
	}
	// A /16 walks past the third octet.
	dep := &conf.Deployment{Deckies: fanout("g", 300, func(s *conf.DeckySpec) { s.Services = []string{"ssh"} })}
	p, err = BuildFromINI(dep, network("10.5.0.0/16", "10.5.0.1", "10.5.0.2"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Deckies[299].IP.String(); got != "10.5.1.46" {
		t.Errorf("300th IP = %s, want 10.5.1.46", got)
	}
}
