package conf

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// allSlugs is the "Available" list of X19, built from the spec text (not from the catalogue under test).
const allSlugs = "['conpot', 'dns', 'docker_api', 'elasticsearch', 'ftp', 'http', 'https', 'imap', 'k8s', 'ldap', " +
	"'llmnr', 'mongodb', 'mqtt', 'mssql', 'mysql', 'pop3', 'postgres', 'rdp', 'redis', 'sip', 'smb', 'smtp', " +
	"'smtp_relay', 'snmp', 'ssh', 'telnet', 'tftp', 'vnc']"

func mustLoad(t *testing.T, text string) *Deployment {
	t.Helper()
	d, err := Load(text)
	if err != nil {
		t.Fatalf("Load: unexpected error %v\n--- input ---\n%s", err, text)
	}
	return d
}

func names(d *Deployment) []string {
	out := make([]string, len(d.Deckies))
	for i, x := range d.Deckies {
		out[i] = x.Name
	}
	return out
}

func TestLoadErrors(t *testing.T) {
	long127 := strings.Repeat("a", 127)
	long129 := strings.Repeat("b", 129)
	tests := []struct {
		name, in, want string
	}{
		// X3
		{"X3 unknown persona key", "[general]\nnet=10.0.0.0/24\ngw=10.0.0.1\n[linux-hosts]\narchetype=linux-server\namount=3\n" +
			"[linux-hosts.ssh]\nPassword=Secret\nkernel_version=5.15.0-76-generic\n",
			"[linux-hosts.ssh] unknown key 'kernel_version' for service 'ssh'; accepted keys: hostname, password, user, user_password"},
		// X5
		{"X5 amount 101", "[bad]\nservices=ssh\namount=101\n", "[bad] amount=101 exceeds maximum allowed (100)."},
		{"X5 amount 0", "[bad]\nservices=ssh\namount=0\n", "[bad] amount= must be a positive integer, got '0'"},
		{"X5 amount potato", "[bad]\namount=potato\n", "[bad] amount= must be a positive integer, got 'potato'"},
		{"amount negative", "[bad]\namount=-3\n", "[bad] amount= must be a positive integer, got '-3'"},
		{"amount huge", "[bad]\namount=99999999999999999999999\n", "[bad] amount=99999999999999999999999 exceeds maximum allowed (100)."},
		{"amount empty", "[bad]\namount=\n", "[bad] amount= must be a positive integer, got ''"},
		// X6
		{"X6 ip with amount", "[bad-group]\nservices=ssh\nip=10.0.0.50\namount=3\n",
			"[bad-group] Cannot combine ip= with amount=3. Remove ip= or use amount=1."},
		// X7
		{"X7 abc", "[d]\nservices=ssh\nmutate_interval=abc\n", "[d] mutate_interval= must be an integer, got 'abc'"},
		{"X7 zero", "[d]\nservices=ssh\nmutate_interval=0\n", "[d] mutate_interval= must be at least 1, got '0'"},
		{"X7 negative", "[d]\nservices=ssh\nmutate_interval=-5\n", "[d] mutate_interval= must be at least 1, got '-5'"},
		{"X7 alias", "[d]\nservices=ssh\nmutate-interval=-5\n", "[d] mutate_interval= must be at least 1, got '-5'"},
		// X8
		{"X8 empty", "", "INI content is empty"},
		{"X8 whitespace", "   \n  ", "INI content is empty"},
		{"X8 no header", "key=value", "Invalid INI format: no sections found"},
		{"X8 unterminated header", "[a\nfoo=bar", "Invalid INI format: no sections found"},
		{"X8 only comment", "# only a comment\n", "The provided INI content must contain at least one section (no sections found)"},
		{"X8 too large", "[" + strings.Repeat("a", 524289) + "]", "INI content is too large (max 512KB)"},
		{"X8 bare key", "[a]\nservices\n", "Invalid INI format: line 2: expected 'key = value'"},
		{"X8 general only", "[general]\nnet=10.0.0.0/24\n", "INI must contain at least one decky section"},
		// X9
		{"X9 bad port", "[custom-myservice]\nbinary = my-image:latest\nports = 8080, 9090, abc\n[decky-01]\nservices = ssh, myservice\n",
			"[custom-myservice] ports= contains an invalid port 'abc'"},
		// X11
		{"X11 ghost", "[decky-01]\nservices=ssh\n[ghost.ssh]\npassword=x\n", "[ghost.ssh] does not match any decky or decky group"},
		{"X11 no prefix match", "[web-01]\nservices=http\n[web-02]\nservices=http\n[web.http]\nserver_header=nginx\n",
			"[web.http] does not match any decky or decky group"},
		// X13
		{"X13 bad name", "[bad name!]\nservices=ssh\n",
			"[bad name!] invalid decky name 'bad name!': must match ^[A-Za-z0-9._-]+$ and be at most 128 characters"},
		{"X13 129 chars", "[" + long129 + "]\nservices=ssh\n",
			"[" + long129 + "] invalid decky name '" + long129 + "': must match ^[A-Za-z0-9._-]+$ and be at most 128 characters"},
		{"X13 fan-out too long", "[" + long127 + "]\nservices=ssh\namount=2\n",
			"[" + long127 + "] invalid decky name '" + long127 + "-01': must match ^[A-Za-z0-9._-]+$ and be at most 128 characters"},
		// X14
		{"X14 no inline comments", "[x]\nservices = ssh ; comment\n",
			"Unknown service(s) in [x]: ['ssh ; comment']. Available: " + allSlugs},
		{"X14 trailing comma", "[x]\nservices=ssh,\n", "Unknown service(s) in [x]: ['']. Available: " + allSlugs},
		{"X14 duplicate section", "[a]\nservices=ssh\n\n[a]\nservices=http\n", "Invalid INI format: line 4: duplicate section '[a]'"},
		// X18
		{"X18 archetype", "[a]\narchetype=nope\n", "Unknown archetype 'nope'. Available: database-server, deaddeck, devops-host, " +
			"domain-controller, file-server, industrial-control, iot-device, linux-server, mail-server, monitoring-node, " +
			"printer, voip-server, web-server, windows-server, windows-workstation"},
		// X19
		{"X19 bogus", "[a]\nservices=ssh,bogus\n", "Unknown service(s) in [a]: ['bogus']. Available: " + allSlugs},
		{"X19 sniffer", "[a]\nservices=sniffer\n", "Unknown service(s) in [a]: ['sniffer']. Available: " + allSlugs},
		{"unknown services deduped", "[a]\nservices=x, y, x\n", "Unknown service(s) in [a]: ['x', 'y']. Available: " + allSlugs},
		{"available includes custom", "[custom-zz]\nbinary=img\n[a]\nservices=q\n",
			"Unknown service(s) in [a]: ['q']. Available: " + strings.TrimSuffix(allSlugs, "]") + ", 'zz']"},
		// X21
		{"X21 smtp", "[m]\nservices=smtp,smtp_relay\n", "Port conflict in [m]: tcp/25 is declared by both 'smtp' and 'smtp_relay'."},
		{"X21 conpot", "[p]\nservices=conpot,snmp\n", "Port conflict in [p]: udp/161 is declared by both 'conpot' and 'snmp'."},
		{"port conflict custom", "[custom-web]\nbinary=img\nports=8080, 80\n[p]\nservices=http,web\n",
			"Port conflict in [p]: tcp/80 is declared by both 'http' and 'web'."},
		{"port conflict k8s custom", "[p]\nservices=web,k8s\n[custom-web]\nbinary=img\nports=8080\n",
			"Port conflict in [p]: tcp/8080 is declared by both 'web' and 'k8s'."},
		// X22
		{"X22 nmap_os", "[x]\nservices=ssh\nnmap_os=solaris\n",
			"[x] nmap_os='solaris' is not a known OS family. Available: bsd, cisco, embedded, linux, windows, windows_server"},
		// X23
		{"X23 int", "[w]\nservices=http\n[w.http]\nresponse_code=abc\n", "[w.http] response_code: expected int, got 'abc'"},
		{"X23 enum", "[w]\n[w.http]\nfake_app=tomcat\n", "[w.http] fake_app: 'tomcat' not in allowed values [none, " +
			"apache_default, nginx_default, iis_default, wordpress, phpmyadmin, tomcat_manager, jenkins]"},
		{"X23 b64", "[w]\n[w.https]\ntls_key=b64:!!\n", "[w.https] tls_key: malformed b64: payload"},
		// lexical
		{"empty key", "[a]\n= x\n", "Invalid INI format: line 2: empty key"},
		{"empty key colon", "[a]\n : x\n", "Invalid INI format: line 2: empty key"},
		{"empty section name", "[a]\n[ ]\n", "Invalid INI format: line 2: empty section name"},
		{"duplicate key case-insensitive", "[a]\nservices=ssh\nSERVICES=http\n",
			"Invalid INI format: line 3: duplicate key 'services' in section '[a]'"},
		{"invalid utf8", "[a]\nservices=\xff\n", "Invalid INI format: content is not valid UTF-8"},
		{"lone CR line numbers", "[a]\rservices=ssh\r\rjunk\r", "Invalid INI format: line 4: expected 'key = value'"},
		{"continuation after blank is not", "[a]\nservices=ssh\n\n  http\n", "Invalid INI format: line 4: expected 'key = value'"},
		// general
		{"general unknown key", "[general]\nsubnet=1\n[a]\n", "[general] unknown key 'subnet'; accepted keys: gw, interface, mutate_interval, net"},
		{"general bad net", "[general]\nnet=10.0.0.0\n[a]\n", "[general] net= must be an IPv4 CIDR, got '10.0.0.0'"},
		{"general v6 net", "[general]\nnet=fd00::/64\n[a]\n", "[general] net= must be an IPv4 CIDR, got 'fd00::/64'"},
		{"general bad gw", "[general]\ngw=x\n[a]\n", "[general] gw= must be an IPv4 address, got 'x'"},
		{"general gw outside", "[general]\ngw=10.0.1.1\nnet=10.0.0.9/24\n[a]\n", "[general] gw=10.0.1.1 is not inside 10.0.0.0/24"},
		{"general both intervals", "[general]\nmutate_interval=5\nmutate-interval=6\n[a]\n",
			"[general] both mutate_interval and mutate-interval are set; use one"},
		{"general bad interval", "[general]\nmutate-interval=x\n[a]\n", "[general] mutate_interval= must be an integer, got 'x'"},
		// decky
		{"decky unknown key", "[a]\nservics=ssh\n", "[a] unknown key 'servics'; accepted keys: amount, archetype, ip, mutate_interval, nmap_os, services"},
		{"default unknown key", "[DEFAULT]\nbogus=1\n[a]\nservices=ssh\n",
			"[a] unknown key 'bogus'; accepted keys: amount, archetype, ip, mutate_interval, nmap_os, services"},
		{"both nmap_os", "[a]\nnmap_os=bsd\nnmap-os=linux\n", "[a] both nmap_os and nmap-os are set; use one"},
		{"both mutate", "[a]\nmutate_interval=1\nmutate-interval=2\n", "[a] both mutate_interval and mutate-interval are set; use one"},
		{"bad ip", "[a]\nip=10.0.0.300\n", "[a] ip= must be an IPv4 address, got '10.0.0.300'"},
		{"v6 ip", "[a]\nip=::1\n", "[a] ip= must be an IPv4 address, got '::1'"},
		{"duplicate decky name", "[web]\namount=2\n[web-02]\n", "duplicate decky name 'web-02'"},
		// persona
		{"persona keyless", "[a]\n[a.mssql]\nx=1\n", "[a.mssql] service 'mssql' has no configurable keys"},
		{"persona custom", "[custom-foo]\nbinary=img\n[a]\nservices=foo\n[a.foo]\nx=1\n", "[a.foo] service 'foo' has no configurable keys"},
		{"persona bool", "[a]\n[a.rdp]\nnla=maybe\n", "[a.rdp] nla: expected bool, got 'maybe'"},
		{"persona multi empty", "[a]\n[a.http]\nhttp_versions= , ,\n", "[a.http] http_versions: at least one value required"},
		{"persona multi bad", "[a]\n[a.http]\nhttp_versions=http/1.1,http/3\n",
			"[a.http] http_versions: 'http/3' not in allowed values [http/1.1, http/2]"},
		{"persona extra_headers", "[a]\n[a.http]\nextra_headers=[1]\n", "[a.http] extra_headers: expected a JSON object of strings"},
		{"persona float", "[a]\n[a.dns]\nforward_window=fast\n", "[a.dns] forward_window: expected float, got 'fast'"},
		{"persona no DEFAULT inheritance", "[DEFAULT]\nservices=ssh\n[a]\n[a.ssh]\npassword=x\n[custom-x]\nbinary=i\n", ""},
		// custom
		{"custom binary required", "[custom-x]\nexec=/bin/x\n[a]\n", "[custom-x] binary= is required"},
		{"custom unknown key", "[custom-x]\nbinary=i\nimage=y\n[a]\n", "[custom-x] unknown key 'image'; accepted keys: binary, exec, ports"},
		{"custom bad name", "[custom-x.y]\nbinary=i\n[a]\n", "[custom-x.y] invalid custom service name 'x.y'"},
		{"custom empty name", "[custom-]\nbinary=i\n[a]\n", "[custom-] invalid custom service name ''"},
		{"custom clash", "[custom-ssh]\nbinary=i\n[a]\n", "[custom-ssh] name clashes with built-in service 'ssh'"},
		{"custom port range", "[custom-x]\nbinary=i\nports=0\n[a]\n", "[custom-x] ports= contains an invalid port '0'"},
		{"custom port range high", "[custom-x]\nbinary=i\nports=65536\n[a]\n", "[custom-x] ports= contains an invalid port '65536'"},
		// pipeline order: file order of sections
		{"order persona before decky", "[ghost.ssh]\npassword=x\n[a]\nservices=bogus\n", "[ghost.ssh] does not match any decky or decky group"},
		{"order decky before persona", "[a]\nservices=bogus\n[ghost.ssh]\npassword=x\n", "Unknown service(s) in [a]: ['bogus']. Available: " + allSlugs},
		{"order persona before bad group", "[web.http]\nserver_header=x\n[web]\namount=potato\n", "[web] amount= must be a positive integer, got 'potato'"},
		{"order custom after decky", "[a]\nservices=ssh\nnmap_os=x\n[custom-ssh]\nbinary=i\n",
			"[a] nmap_os='x' is not a known OS family. Available: bsd, cisco, embedded, linux, windows, windows_server"},
		{"order lexical first", "[a]\nservices=bogus\n[b]\njunk\n", "Invalid INI format: line 4: expected 'key = value'"},
		{"persona beyond fan-out", "[web]\namount=2\n[web-03.http]\nserver_header=x\n", "[web-03.http] does not match any decky or decky group"},
		{"persona unpadded index", "[web]\namount=2\n[web-1.http]\nserver_header=x\n", "[web-1.http] does not match any decky or decky group"},
		{"persona target general", "[general]\n[general.ssh]\npassword=x\n[a]\n", "[general.ssh] does not match any decky or decky group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(tt.in)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want error %q, got deployment with %v", tt.want, names(d))
			}
			if err.Error() != tt.want {
				t.Fatalf("error mismatch\n got: %s\nwant: %s", err, tt.want)
			}
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T is not a *ConfigError", err)
			}
		})
	}
}

func TestLoadX1Basic(t *testing.T) {
	d := mustLoad(t, "[general]\nnet = 192.168.1.0/24\ngw = 192.168.1.1\ninterface = eth0\n[decky-01]\nip = 192.168.1.101\nservices = ssh, http\n")
	want := &Deployment{
		General: General{Net: netip.MustParsePrefix("192.168.1.0/24"), Gateway: netip.MustParseAddr("192.168.1.1"), Interface: "eth0"},
		Deckies: []DeckySpec{{Name: "decky-01", Section: "decky-01", IP: netip.MustParseAddr("192.168.1.101"),
			Services: []string{"ssh", "http"}, ServiceConfig: map[string]map[string]any{}}},
		Custom: []CustomService{},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("got %+v\nwant %+v", d, want)
	}
	if len(d.CustomNames()) != 0 {
		t.Fatalf("custom names %v", d.CustomNames())
	}
}

func TestLoadX2FanOut(t *testing.T) {
	d := mustLoad(t, "[general]\nnet=10.0.0.0/24\ngw=10.0.0.1\n[linux-hosts]\narchetype=linux-server\namount=3\nnmap-os=bsd\nmutate-interval=15\n"+
		"[linux-hosts.ssh]\nPassword=Secret\n")
	if got := names(d); !reflect.DeepEqual(got, []string{"linux-hosts-01", "linux-hosts-02", "linux-hosts-03"}) {
		t.Fatalf("names %v", got)
	}
	for _, x := range d.Deckies {
		if x.Archetype != "linux-server" || x.NmapOS != "bsd" || x.MutateInterval == nil || *x.MutateInterval != 15 ||
			x.Services != nil || x.IP.IsValid() || x.Section != "linux-hosts" {
			t.Fatalf("decky %+v", x)
		}
		if !reflect.DeepEqual(x.ServiceConfig, map[string]map[string]any{"ssh": {"password": "Secret"}}) {
			t.Fatalf("service config %v", x.ServiceConfig)
		}
	}
	// Each fan-out member owns its values: changing one does not leak to another.
	*d.Deckies[0].MutateInterval = 99
	d.Deckies[0].ServiceConfig["ssh"]["password"] = "changed"
	if *d.Deckies[1].MutateInterval != 15 || d.Deckies[1].ServiceConfig["ssh"]["password"] != "Secret" {
		t.Fatal("fan-out members share state")
	}
}

func TestLoadNamesAndOrder(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"X4 file order", "[workers]\narchetype=linux-server\namount=3\n[printers]\narchetype=printer\namount=2\n",
			[]string{"workers-01", "workers-02", "workers-03", "printers-01", "printers-02"}},
		{"amount 1 keeps name", "[solo]\namount=1\n", []string{"solo"}},
		{"leading zeros", "[z]\namount=002\n", []string{"z-01", "z-02"}},
		{"X10 dotted", "[decky.webmail]\nservices=http\n", []string{"decky.webmail"}},
		{"General is a decky", "[General]\nservices=ssh\n", []string{"General"}},
		{"DEFAULT amount", "[DEFAULT]\namount=2\n[a]\n[b]\namount=1\n", []string{"a-01", "a-02", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := names(mustLoad(t, tt.in)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v want %v", got, tt.want)
			}
		})
	}
}

func TestLoadX5Amount100(t *testing.T) {
	d := mustLoad(t, "[g]\nservices=ssh\namount=100\n")
	if len(d.Deckies) != 100 {
		t.Fatalf("%d deckies", len(d.Deckies))
	}
	for i, x := range d.Deckies {
		want := fmt.Sprintf("g-%02d", i+1)
		if x.Name != want {
			t.Fatalf("decky %d named %q, want %q", i, x.Name, want)
		}
	}
	if d.Deckies[98].Name != "g-99" || d.Deckies[99].Name != "g-100" {
		t.Fatalf("tail names %s %s", d.Deckies[98].Name, d.Deckies[99].Name)
	}
}

func TestLoadX9Custom(t *testing.T) {
	d := mustLoad(t, "[custom-myservice]\nbinary = my-image:latest\nexec = /usr/bin/myapp -p 8080\nports = 8080, 9090\n[decky-01]\nservices = ssh, myservice\n")
	want := []CustomService{{Name: "myservice", Image: "my-image:latest", Exec: []string{"/usr/bin/myapp", "-p", "8080"}, Ports: []int{8080, 9090}}}
	if !reflect.DeepEqual(d.Custom, want) {
		t.Fatalf("custom %+v", d.Custom)
	}
	if !reflect.DeepEqual(d.Deckies[0].Services, []string{"ssh", "myservice"}) || d.Deckies[0].Name != "decky-01" {
		t.Fatalf("decky %+v", d.Deckies[0])
	}
	d = mustLoad(t, "[custom-myservice]\nbinary = my-image:latest\nports = ,8080,,\n[decky-01]\nservices = ssh, myservice\n")
	if c := d.Custom[0]; c.Exec == nil || len(c.Exec) != 0 || !reflect.DeepEqual(c.Ports, []int{8080}) {
		t.Fatalf("custom %+v", c)
	}
	d = mustLoad(t, "[custom-myservice]\nbinary = my-image:latest\n[decky-01]\n")
	if c := d.Custom[0]; c.Exec == nil || c.Ports == nil || len(c.Exec)+len(c.Ports) != 0 {
		t.Fatalf("custom without exec/ports %+v", c)
	}
}

func TestLoadPersonas(t *testing.T) {
	type cfg = map[string]map[string]any
	tests := []struct {
		name, in string
		want     map[string]cfg // decky name → service_config
	}{
		{"X10 dotted persona", "[decky.webmail]\nservices=http\n[decky.webmail.http]\nserver_header=x\n",
			map[string]cfg{"decky.webmail": {"http": {"server_header": "x"}}}},
		{"X12 group then decky", "[web]\nservices=http\namount=2\n[web.http]\nserver_header=nginx/1.18.0\nresponse_code=200\n" +
			"[web-02.http]\nserver_header=Apache/2.4.54 (Debian)\n",
			map[string]cfg{"web-01": {"http": {"server_header": "nginx/1.18.0", "response_code": 200}},
				"web-02": {"http": {"server_header": "Apache/2.4.54 (Debian)", "response_code": 200}}}},
		{"X12 reversed order", "[web-02.http]\nserver_header=Apache/2.4.54 (Debian)\n[web.http]\nserver_header=nginx/1.18.0\nresponse_code=200\n" +
			"[web]\nservices=http\namount=2\n",
			map[string]cfg{"web-01": {"http": {"server_header": "nginx/1.18.0", "response_code": 200}},
				"web-02": {"http": {"server_header": "Apache/2.4.54 (Debian)", "response_code": 200}}}},
		{"X14 percent", "[a]\nservices=ssh\n[a.ssh]\npassword=50%off\nuser=50%%off\n",
			map[string]cfg{"a": {"ssh": {"password": "50%off", "user": "50%%off"}}}},
		{"X23 bool", "[w]\n[w.rdp]\nnla=false\n", map[string]cfg{"w": {"rdp": {"nla": false}}}},
		{"X23 multi_enum", "[w]\n[w.http]\nhttp_versions = http/1.1, http/2, http/1.1\n",
			map[string]cfg{"w": {"http": {"http_versions": []string{"http/1.1", "http/2"}}}}},
		{"X23 empty not set", "[w]\n[w.http]\ncustom_body=\n", map[string]cfg{"w": {"http": {}}}},
		{"service not in set", "[w]\nservices=ssh\n[w.smb]\nsmb1=YES\nworkgroup=CORP\n",
			map[string]cfg{"w": {"smb": {"smb1": true, "workgroup": "CORP"}}}},
		{"b64 textarea", "[w]\n[w.https]\ntls_cn=b64:aGk=\ncustom_body=b64:aGVsbG8KCndvcmxk\n",
			map[string]cfg{"w": {"https": {"tls_cn": "b64:aGk=", "custom_body": "hello\n\nworld"}}}},
		{"continuation", "[w]\n[w.dns]\nextra_records = a.corp.local A 10.0.0.5\n  b.corp.local A 10.0.0.6\n\tc TXT x\nforward_window=0.5\n",
			map[string]cfg{"w": {"dns": {"extra_records": "a.corp.local A 10.0.0.5\nb.corp.local A 10.0.0.6\nc TXT x", "forward_window": 0.5}}}},
		{"amount 1 section is a decky target", "[s]\namount=1\n[s.ssh]\nuser=bob\n", map[string]cfg{"s": {"ssh": {"user": "bob"}}}},
		{"no personas", "[a]\n", map[string]cfg{"a": {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustLoad(t, tt.in)
			got := map[string]cfg{}
			for _, x := range d.Deckies {
				got[x.Name] = x.ServiceConfig
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestLoadX14Lexical(t *testing.T) {
	d := mustLoad(t, "[general]\r\ninterface=eth0\r\n[omega]\r\nservices=http\r\n")
	if d.General.Interface != "eth0" || d.Deckies[0].Name != "omega" || !reflect.DeepEqual(d.Deckies[0].Services, []string{"http"}) {
		t.Fatalf("CRLF: %+v", d)
	}
	d = mustLoad(t, "[x]\nSERVICES=ssh\nIP=10.0.0.5\n")
	if !reflect.DeepEqual(d.Deckies[0].Services, []string{"ssh"}) || d.Deckies[0].IP != netip.MustParseAddr("10.0.0.5") {
		t.Fatalf("upper-case keys: %+v", d.Deckies[0])
	}
	d = mustLoad(t, "[x]\nservices=\narchetype=printer\n")
	if d.Deckies[0].Services != nil || d.Deckies[0].Archetype != "printer" {
		t.Fatalf("empty services: %+v", d.Deckies[0])
	}
	d = mustLoad(t, "[DEFAULT]\nservices=ssh\n[a]\n[b]\nservices=http\n")
	if !reflect.DeepEqual(d.Deckies[0].Services, []string{"ssh"}) || !reflect.DeepEqual(d.Deckies[1].Services, []string{"http"}) {
		t.Fatalf("DEFAULT: %+v", d.Deckies)
	}
}

func TestLoadMiscLexical(t *testing.T) {
	d := mustLoad(t, "\uFEFF# c\n; c\n  [ spaced ]  \n services : ssh , http,ssh \n\n[b]\nservices=ssh,\n  http\n")
	if d.Deckies[0].Name != "spaced" || !reflect.DeepEqual(d.Deckies[0].Services, []string{"ssh", "http"}) {
		t.Fatalf("a: %+v", d.Deckies[0])
	}
	if !reflect.DeepEqual(d.Deckies[1].Services, []string{"ssh", "http"}) {
		t.Fatalf("continued services: %+v", d.Deckies[1])
	}
	// The first split character wins: a ':' before '=' makes the key "a".
	if _, err := Load("[a]\nip: 10.0.0.1=x\n"); err == nil || err.Error() != "[a] ip= must be an IPv4 address, got '10.0.0.1=x'" {
		t.Fatalf("split: %v", err)
	}
	// DEFAULT alias does not combine with the section's canonical key.
	d = mustLoad(t, "[DEFAULT]\nnmap-os=bsd\n[a]\nnmap_os=linux\n[b]\n")
	if d.Deckies[0].NmapOS != "linux" || d.Deckies[1].NmapOS != "bsd" {
		t.Fatalf("alias inheritance: %+v", d.Deckies)
	}
	// [general] is not affected by [DEFAULT].
	d = mustLoad(t, "[DEFAULT]\nmutate_interval=7\n[general]\nnet=192.168.1.7/24\n[a]\n")
	if d.General.MutateInterval != nil || d.General.Net.String() != "192.168.1.0/24" || *d.Deckies[0].MutateInterval != 7 {
		t.Fatalf("general: %+v", d.General)
	}
	// An indented comment ends a continuation and is ignored.
	d = mustLoad(t, "[a]\nservices=ssh\n  # http\n")
	if !reflect.DeepEqual(d.Deckies[0].Services, []string{"ssh"}) {
		t.Fatalf("comment: %+v", d.Deckies[0])
	}
}

func TestLoadLoaderDecisions(t *testing.T) {
	// X15 at loader level: archetype, section nmap_os and explicit ip are kept; the planner fills the rest.
	d := mustLoad(t, "[web]\nip=192.168.1.3\nservices=http\n[dc]\narchetype=domain-controller\n[ws]\narchetype=windows-workstation\namount=3\n"+
		"[printer]\narchetype=printer\nnmap_os=cisco\n")
	if got := names(d); !reflect.DeepEqual(got, []string{"web", "dc", "ws-01", "ws-02", "ws-03", "printer"}) {
		t.Fatalf("names %v", got)
	}
	if d.Deckies[0].IP != netip.MustParseAddr("192.168.1.3") || d.Deckies[1].IP.IsValid() || d.Deckies[1].Services != nil ||
		d.Deckies[1].NmapOS != "" || d.Deckies[5].NmapOS != "cisco" || d.Deckies[4].Archetype != "windows-workstation" {
		t.Fatalf("X15 specs %+v", d.Deckies)
	}
	// X17: the loader reports section and [general] intervals; the cascade is the planner's.
	d = mustLoad(t, "[general]\nmutate_interval=60\n[a]\nservices=ssh\nmutate_interval=15\n[b]\nservices=ssh\n")
	if *d.General.MutateInterval != 60 || *d.Deckies[0].MutateInterval != 15 || d.Deckies[1].MutateInterval != nil {
		t.Fatalf("X17 %+v %+v", d.General, d.Deckies)
	}
	// X20/X24: subnet fit, reserved and duplicate explicit IPs are checked by the planner, not the loader.
	d = mustLoad(t, "[a]\nip=192.168.1.50\nservices=ssh\n[b]\nip=192.168.1.50\nservices=ssh\n[c]\nip=10.9.9.9\n")
	if d.Deckies[0].IP != d.Deckies[1].IP {
		t.Fatal("X24 IPs")
	}
	// Archetype lists are not checked for port conflicts; https+http do not conflict (UDP 443 is not declared).
	mustLoad(t, "[a]\nservices=http,https,dns,sip,llmnr,tftp\n")
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.ini")
	if _, err := LoadFile(missing); err == nil || err.Error() != "Config file not found: "+missing {
		t.Fatalf("missing: %v", err)
	}
	p := filepath.Join(dir, "d.ini")
	if err := os.WriteFile(p, []byte("[a]\nservices=ssh\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := LoadFile(p)
	if err != nil || d.Deckies[0].Name != "a" {
		t.Fatalf("LoadFile: %v %+v", err, d)
	}
	big := filepath.Join(dir, "big.ini")
	if err := os.WriteFile(big, []byte("["+strings.Repeat("x", MaxINISize+10)+"]"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(big); err == nil || err.Error() != "INI content is too large (max 512KB)" {
		t.Fatalf("big: %v", err)
	}
}

func TestLoadSizeBoundary(t *testing.T) {
	// Exactly 512 KiB is accepted (after content validation it fails only for its invalid name).
	in := "[" + strings.Repeat("a", MaxINISize-2) + "]"
	_, err := Load(in)
	if err == nil || !strings.Contains(err.Error(), "invalid decky name") {
		t.Fatalf("512KiB: %v", err)
	}
}

func BenchmarkLoad(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("[general]\nnet=10.0.0.0/16\n")
	for i := range 200 {
		fmt.Fprintf(&sb, "[grp%d]\narchetype=linux-server\namount=10\n[grp%d.ssh]\npassword=x%d\n", i, i, i)
	}
	in := sb.String()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Load(in); err != nil {
			b.Fatal(err)
		}
	}
}
