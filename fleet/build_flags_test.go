package fleet

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/decnet/decnet/conf"
)

func TestBuildFromFlags(t *testing.T) {
	cases := []struct {
		name               string
		f                  FlagOptions
		net                Network
		wantIPs            string
		wantDistros        string
		wantSvcs, wantArch string
		wantNmap           string
	}{
		{"X25 services", FlagOptions{Deckies: 3, Services: []string{"ssh", "http"}, IPStart: ip("192.168.1.10")}, lan,
			"192.168.1.10,192.168.1.11,192.168.1.12", "debian,ubuntu22,ubuntu20", "ssh,http", "", "linux"},
		{"X26 --distro cycled", FlagOptions{Deckies: 5, Services: []string{"ssh"}, Distros: []string{"debian", "ubuntu22"}}, lan,
			"192.168.1.3,192.168.1.4,192.168.1.5,192.168.1.6,192.168.1.7", "debian,ubuntu22,debian,ubuntu22,debian", "ssh", "", "linux"},
		{"X26 all distros cycled", FlagOptions{Deckies: 11, Services: []string{"ssh"}}, lan,
			"", "debian,ubuntu22,ubuntu20,rocky9,centos7,alpine,fedora,kali,arch,debian,ubuntu22", "ssh", "", "linux"},
		{"X26 archetype distros", FlagOptions{Deckies: 3, Archetype: "linux-server"}, lan,
			"", "debian,ubuntu22,rocky9", "ssh,http", "linux-server", "linux"},
		{"archetype nmap_os", FlagOptions{Deckies: 1, Archetype: "windows-server"}, lan,
			"", "debian", "smb,rdp,ldap", "windows-server", "windows_server"},
		{"--services wins over archetype", FlagOptions{Deckies: 1, Archetype: "windows-server", Services: []string{"ssh"}}, lan,
			"", "debian", "ssh", "windows-server", "windows_server"},
		{"X27 host .100", FlagOptions{Deckies: 3, Services: []string{"ssh"}}, network("192.168.1.0/24", "192.168.1.1", "192.168.1.100"),
			"192.168.1.2,192.168.1.3,192.168.1.4", "", "ssh", "", "linux"},
		{"X27 /30", FlagOptions{Deckies: 1, Services: []string{"ssh"}}, network("10.0.0.0/30", "10.0.0.1", "10.0.0.3"),
			"10.0.0.2", "", "ssh", "", "linux"},
		{"X27 ip_start .50", FlagOptions{Deckies: 3, Services: []string{"ssh"}, IPStart: ip("192.168.1.50")}, network("192.168.1.0/24", "192.168.1.1", "192.168.1.5"),
			"192.168.1.50,192.168.1.51,192.168.1.52", "", "ssh", "", "linux"},
		{"X27 ip_start .0", FlagOptions{Deckies: 4, Services: []string{"ssh"}, IPStart: ip("192.168.1.0")}, lan,
			"192.168.1.3,192.168.1.4,192.168.1.5,192.168.1.6", "", "ssh", "", "linux"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := BuildFromFlags(tc.f, tc.net, Options{Rand: NewRand(5)})
			if err != nil {
				t.Fatal(err)
			}
			var ipl, ds []string
			for i, d := range p.Deckies {
				ipl = append(ipl, d.IP.String())
				ds = append(ds, d.Distro)
				if want := "decky-" + twoDigit(i+1); d.Name != want {
					t.Errorf("name %q, want %q", d.Name, want)
				}
				if strings.Join(d.Services, ",") != tc.wantSvcs || d.Archetype != tc.wantArch || d.NmapOS != tc.wantNmap {
					t.Errorf("%s: services %v archetype %q nmap_os %q", d.Name, d.Services, d.Archetype, d.NmapOS)
				}
				if d.MutateInterval != nil {
					t.Errorf("%s: mutate_interval %d without flag", d.Name, *d.MutateInterval)
				}
			}
			if len(p.Deckies) != tc.f.Deckies {
				t.Fatalf("got %d deckies", len(p.Deckies))
			}
			if tc.wantIPs != "" && strings.Join(ipl, ",") != tc.wantIPs {
				t.Errorf("ips = %v, want %s", ipl, tc.wantIPs)
			}
			if tc.wantDistros != "" && strings.Join(ds, ",") != tc.wantDistros {
				t.Errorf("distros = %v, want %s", ds, tc.wantDistros)
			}
			checkHostnames(t, p)
		})
	}
}

func TestBuildFromFlagsNames(t *testing.T) {
	p, err := BuildFromFlags(FlagOptions{Deckies: 100, Services: []string{"ssh"}}, lan, Options{MutateInterval: ptr(45)})
	if err != nil {
		t.Fatal(err)
	}
	if p.Deckies[0].Name != "decky-01" || p.Deckies[98].Name != "decky-99" || p.Deckies[99].Name != "decky-100" {
		t.Errorf("names %s %s %s", p.Deckies[0].Name, p.Deckies[98].Name, p.Deckies[99].Name)
	}
	for _, d := range p.Deckies {
		if d.MutateInterval == nil || *d.MutateInterval != 45 {
			t.Fatalf("%s: mutate_interval %v", d.Name, d.MutateInterval)
		}
	}
}

func TestBuildFromFlagsRandom(t *testing.T) {
	p, err := BuildFromFlags(FlagOptions{Deckies: 30, RandomizeServices: true, RandomizeDistros: true}, lan, Options{Rand: NewRand(11)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	distros := map[string]bool{}
	for _, d := range p.Deckies {
		if n := len(d.Services); n < 1 || n > 3 {
			t.Errorf("%s: %d services", d.Name, n)
		}
		if _, _, _, _, bad := PortConflict(d.Services, nil); bad {
			t.Errorf("%s: conflicting draw %v", d.Name, d.Services)
		}
		if seen[comboKey(d.Services)] {
			t.Errorf("%s: repeated combination %v", d.Name, d.Services)
		}
		seen[comboKey(d.Services)] = true
		if _, err := conf.LookupDistro(d.Distro); err != nil {
			t.Error(err)
		}
		distros[d.Distro] = true
	}
	if len(distros) < 3 {
		t.Errorf("--randomize-distros over 30 deckies used only %v", distros)
	}
}

func TestBuildFromFlagsErrors(t *testing.T) {
	all := "['conpot', 'dns', 'docker_api', 'elasticsearch', 'ftp', 'http', 'https', 'imap', 'k8s', 'ldap', 'llmnr', 'mongodb', 'mqtt', 'mssql', 'mysql', 'pop3', 'postgres', 'rdp', 'redis', 'sip', 'smb', 'smtp', 'smtp_relay', 'snmp', 'ssh', 'telnet', 'tftp', 'vnc']"
	cases := []struct {
		name string
		f    FlagOptions
		net  Network
		want string
	}{
		{"X25 no services", FlagOptions{Deckies: 1}, lan, "Specify --services, --archetype, or --randomize-services."},
		{"unknown service", FlagOptions{Deckies: 1, Services: []string{"ssh", "bogus", "sniffer"}}, lan,
			"Unknown service(s): ['bogus', 'sniffer']. Available: " + all},
		{"unknown archetype", FlagOptions{Deckies: 1, Archetype: "nope"}, lan,
			"Unknown archetype 'nope'. Available: database-server, deaddeck, devops-host, domain-controller, file-server, industrial-control, iot-device, linux-server, mail-server, monitoring-node, printer, voip-server, web-server, windows-server, windows-workstation"},
		{"unknown distro", FlagOptions{Deckies: 1, Services: []string{"ssh"}, Distros: []string{"debian", "gentoo"}}, lan,
			"Unknown distro 'gentoo'. Available: alpine, arch, centos7, debian, fedora, kali, rocky9, ubuntu20, ubuntu22"},
		{"ip-start outside", FlagOptions{Deckies: 1, Services: []string{"ssh"}, IPStart: ip("10.0.0.5")}, lan,
			"--ip-start 10.0.0.5 is not inside 192.168.1.0/24"},
		{"X27 not enough", FlagOptions{Deckies: 3, Services: []string{"ssh"}}, network("10.0.0.0/30", "10.0.0.1", "10.0.0.2"),
			"Not enough free IPs in 10.0.0.0/30 for 3 deckies (found 0)."},
		{"not enough partial", FlagOptions{Deckies: 5, Services: []string{"ssh"}, IPStart: ip("192.168.1.252")}, lan,
			"Not enough free IPs in 192.168.1.0/24 for 5 deckies (found 3)."},
		{"zero deckies", FlagOptions{Deckies: 0, Services: []string{"ssh"}}, lan, "--deckies must be at least 1, got 0"},
		{"port conflict", FlagOptions{Deckies: 1, Services: []string{"smtp", "smtp_relay"}}, lan,
			"Port conflict in --services: tcp/25 is declared by both 'smtp' and 'smtp_relay'."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := BuildFromFlags(tc.f, tc.net, Options{})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant   %s", err, tc.want)
			}
		})
	}
}

func TestSplitList(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  ", nil},
		{"ssh", []string{"ssh"}},
		{" ssh , http,ssh ", []string{"ssh", "http"}},
		{"ssh,", []string{"ssh", ""}},
	}
	for _, tc := range cases {
		if got := SplitList(tc.in); !slices.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("SplitList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestReservedReason(t *testing.T) {
	n := Network{Subnet: netip.MustParsePrefix("10.0.0.0/24"), Gateway: ip("10.0.0.254"), HostIP: ip("10.0.0.7")}
	for a, want := range map[string]string{"10.0.0.0": "network address", "10.0.0.255": "broadcast address",
		"10.0.0.254": "gateway", "10.0.0.7": "host address", "10.0.0.8": ""} {
		if got := reservedReason(ip(a), n); got != want {
			t.Errorf("%s: %q, want %q", a, got, want)
		}
	}
}
