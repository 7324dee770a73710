package fleet

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/decnet/decnet/conf"
)

// buildINI runs the full INI path: conf.Load, then BuildFromINI.
func buildINI(t *testing.T, text string, n Network, opt Options) (*Plan, error) {
	t.Helper()
	dep, err := conf.Load(text)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if opt.Rand == nil {
		opt.Rand = NewRand(1)
	}
	return BuildFromINI(dep, n, opt)
}

const x15Text = `[web]
ip=192.168.1.3
services=http
[dc]
archetype=domain-controller
[ws]
archetype=windows-workstation
amount=3
[printer]
archetype=printer
nmap_os=cisco
`

func TestLoadAndBuildExamples(t *testing.T) {
	cases := []struct {
		name string
		text string
		net  Network
		opt  Options
		want []wantDecky
	}{
		{"X1", "[general]\nnet = 192.168.1.0/24\ngw = 192.168.1.1\ninterface = eth0\n[decky-01]\nip = 192.168.1.101\nservices = ssh, http\n",
			lan, Options{}, []wantDecky{{"decky-01", "192.168.1.101", "ssh,http", "debian", "", "linux", nil}}},
		{"X2", "[general]\nnet=10.0.0.0/24\ngw=10.0.0.1\n[linux-hosts]\narchetype=linux-server\namount=3\nnmap-os=bsd\nmutate-interval=15\n[linux-hosts.ssh]\nPassword=Secret\n",
			network("10.0.0.0/24", "10.0.0.1", "10.0.0.2"), Options{}, []wantDecky{
				{"linux-hosts-01", "10.0.0.3", "ssh,http", "debian", "linux-server", "bsd", ptr(15)},
				{"linux-hosts-02", "10.0.0.4", "ssh,http", "ubuntu22", "linux-server", "bsd", ptr(15)},
				{"linux-hosts-03", "10.0.0.5", "ssh,http", "rocky9", "linux-server", "bsd", ptr(15)},
			}},
		{"X15", x15Text, lan, Options{}, []wantDecky{
			{"web", "192.168.1.3", "http", "debian", "", "linux", nil},
			{"dc", "192.168.1.4", "ldap,smb,rdp,llmnr", "ubuntu22", "domain-controller", "windows_server", nil},
			{"ws-01", "192.168.1.5", "smb,rdp", "debian", "windows-workstation", "windows", nil},
			{"ws-02", "192.168.1.6", "smb,rdp", "ubuntu22", "windows-workstation", "windows", nil},
			{"ws-03", "192.168.1.7", "smb,rdp", "debian", "windows-workstation", "windows", nil},
			{"printer", "192.168.1.8", "snmp,ftp", "debian", "printer", "cisco", nil},
		}},
		{"X16", x15Text, lan, Options{MutateInterval: ptr(30), ReservedIPs: ips("192.168.1.4")}, []wantDecky{
			{"web", "192.168.1.3", "http", "debian", "", "linux", ptr(30)},
			{"dc", "192.168.1.5", "ldap,smb,rdp,llmnr", "ubuntu22", "domain-controller", "windows_server", ptr(30)},
			{"ws-01", "192.168.1.6", "smb,rdp", "debian", "windows-workstation", "windows", ptr(30)},
			{"ws-02", "192.168.1.7", "smb,rdp", "ubuntu22", "windows-workstation", "windows", ptr(30)},
			{"ws-03", "192.168.1.8", "smb,rdp", "debian", "windows-workstation", "windows", ptr(30)},
			{"printer", "192.168.1.9", "snmp,ftp", "debian", "printer", "cisco", ptr(30)},
		}},
		{"X17 no flag (also the API deploy)", "[general]\nmutate_interval=60\n[a]\nservices=ssh\nmutate_interval=15\n[b]\nservices=ssh\n",
			lan, Options{}, []wantDecky{
				{"a", "192.168.1.3", "ssh", "debian", "", "linux", ptr(15)},
				{"b", "192.168.1.4", "ssh", "ubuntu22", "", "linux", ptr(60)},
			}},
		{"X17 --mutate-interval 30", "[general]\nmutate_interval=60\n[a]\nservices=ssh\nmutate_interval=15\n[b]\nservices=ssh\n",
			lan, Options{MutateInterval: ptr(30)}, []wantDecky{
				{"a", "192.168.1.3", "ssh", "debian", "", "linux", ptr(30)},
				{"b", "192.168.1.4", "ssh", "ubuntu22", "", "linux", ptr(30)},
			}},
		{"X4", "[workers]\narchetype=linux-server\namount=3\n[printers]\narchetype=printer\namount=2\n", lan, Options{}, []wantDecky{
			{"workers-01", "192.168.1.3", "ssh,http", "debian", "linux-server", "linux", nil},
			{"workers-02", "192.168.1.4", "ssh,http", "ubuntu22", "linux-server", "linux", nil},
			{"workers-03", "192.168.1.5", "ssh,http", "rocky9", "linux-server", "linux", nil},
			{"printers-01", "192.168.1.6", "snmp,ftp", "debian", "printer", "embedded", nil},
			{"printers-02", "192.168.1.7", "snmp,ftp", "alpine", "printer", "embedded", nil},
		}},
		{"X14 CRLF and DEFAULT", "[DEFAULT]\r\nservices=ssh\r\n[a]\r\n[b]\r\nservices=http\r\n", lan, Options{}, []wantDecky{
			{"a", "192.168.1.3", "ssh", "debian", "", "linux", nil},
			{"b", "192.168.1.4", "http", "ubuntu22", "", "linux", nil},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := buildINI(t, tc.text, tc.net, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			checkDeckies(t, p, tc.want)
		})
	}
}

func TestLoadAndBuildErrors(t *testing.T) {
	cases := []struct {
		name, text string
		net        Network
		opt        Options
		want       string
	}{
		{"X20", "[g]\nservices=ssh\namount=2\n", network("10.0.0.0/30", "10.0.0.1", "10.0.0.2"), Options{},
			"Not enough free IPs in 10.0.0.0/30 while assigning IP for 'g-01'."},
		{"X24 outside", "[a]\nip=10.9.9.9\nservices=ssh\n", lan, Options{}, "[a] ip=10.9.9.9 is not inside 192.168.1.0/24"},
		{"X24 gateway", "[a]\nip=192.168.1.1\nservices=ssh\n", lan, Options{}, "[a] ip=192.168.1.1 is reserved (gateway)"},
		{"X24 broadcast", "[a]\nip=192.168.1.255\nservices=ssh\n", lan, Options{}, "[a] ip=192.168.1.255 is reserved (broadcast address)"},
		{"X24 twice", "[a]\nip=192.168.1.50\nservices=ssh\n[b]\nip=192.168.1.50\nservices=ssh\n", lan, Options{},
			"[b] ip=192.168.1.50 is already used by 'a'"},
		{"additive conflict", "[a]\nip=192.168.1.50\nservices=ssh\n", lan, Options{ReservedIPs: ips("192.168.1.50")},
			"IP 192.168.1.50 is already in use by an existing decky"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := buildINI(t, tc.text, tc.net, tc.opt)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadAndBuildPersonaAndCustom(t *testing.T) {
	text := "[custom-myservice]\nbinary = my-image:latest\nexec = /usr/bin/myapp -p 8080\nports = 8080, 9090\n" +
		"[custom-bare]\nbinary = bare:1\n" +
		"[web]\nservices=http\namount=2\n[web.http]\nserver_header=nginx/1.18.0\nresponse_code=200\n" +
		"[web-02.http]\nserver_header=Apache/2.4.54 (Debian)\n" +
		"[decky-01]\nservices = ssh, myservice\n"
	p, err := buildINI(t, text, lan, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		`"name":"web-01","ip":"192.168.1.3","services":["http"]`,
		`"service_config":{"http":{"response_code":200,"server_header":"nginx/1.18.0"}}`,
		`"service_config":{"http":{"response_code":200,"server_header":"Apache/2.4.54 (Debian)"}}`,
		`"name":"decky-01","ip":"192.168.1.5","services":["ssh","myservice"]`,
		`"custom_services":[{"name":"myservice","image":"my-image:latest","exec":["/usr/bin/myapp","-p","8080"],"ports":[8080,9090]},{"name":"bare","image":"bare:1","exec":[],"ports":[]}]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("plan JSON lacks %s\n%s", want, s)
		}
	}
}
