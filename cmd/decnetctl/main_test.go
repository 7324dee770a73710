package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/fleet"
)

// cli runs decnetctl in-process. Host network detection fails the test unless allowDetect is set.
type cli struct {
	t           *testing.T
	stdin       string
	allowDetect bool
	detected    int
}

func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	var out, errb bytes.Buffer
	a := &app{stdin: strings.NewReader(c.stdin), stdout: &out, stderr: &errb, dial: dialDaemon,
		detect: func() (fleet.Network, error) {
			c.detected++
			if !c.allowDetect {
				c.t.Errorf("host network detection called for %v", args)
				return fleet.Network{}, errors.New("detection forbidden in this test")
			}
			return fleet.Network{Interface: "test0", Subnet: mustPrefix("10.213.7.0/24"),
				Gateway: mustAddr("10.213.7.1"), HostIP: mustAddr("10.213.7.9")}, nil
		}}
	code = a.execute(args)
	return out.String(), errb.String(), code
}

func newCLI(t *testing.T) *cli { return &cli{t: t} }

// writeFile writes a temporary file and returns its path.
func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

var facts = []string{"--subnet", "192.168.1.0/24", "--gateway", "192.168.1.1", "--host-ip", "192.168.1.2", "--interface", "eth0"}

func withFacts(args ...string) []string { return append(args, facts...) }

// hostnameStyle maps distros to the catalog §4 hostname regexes.
func hostnameStyle(distro string) *regexp.Regexp {
	d, err := conf.LookupDistro(distro)
	if err != nil {
		return regexp.MustCompile(`^$`)
	}
	return map[conf.HostnameStyle]*regexp.Regexp{
		conf.StyleGeneric: regexp.MustCompile(`^SRV-[A-Z]+-[1-9][0-9]$`),
		conf.StyleRHEL:    regexp.MustCompile(`^[a-z]+[1-9][0-9]\.localdomain$`),
		conf.StyleMinimal: regexp.MustCompile(`^[a-z]+-[1-9][0-9]$`),
		conf.StyleRolling: regexp.MustCompile(`^[a-z]+-[a-z]+$`),
	}[d.HostnameStyle]
}

func TestPlanX1JSON(t *testing.T) {
	ini := writeFile(t, "x1.ini", "[general]\nnet = 192.168.1.0/24\ngw = 192.168.1.1\ninterface = eth0\n[decky-01]\nip = 192.168.1.101\nservices = ssh, http\n")
	c := newCLI(t)
	out, errOut, code := c.run("plan", "--config", ini, "--host-ip", "192.168.1.2", "--seed", "1", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	hn := regexp.MustCompile(`"hostname": "([^"]*)"`)
	m := hn.FindStringSubmatch(out)
	if m == nil || !hostnameStyle("debian").MatchString(m[1]) {
		t.Fatalf("hostname %v does not match the debian style in\n%s", m, out)
	}
	got := hn.ReplaceAllString(out, `"hostname": "H"`)
	want := `{
  "interface": "eth0",
  "subnet": "192.168.1.0/24",
  "gateway": "192.168.1.1",
  "host_ip": "192.168.1.2",
  "deckies": [
    {
      "name": "decky-01",
      "ip": "192.168.1.101",
      "services": [
        "ssh",
        "http"
      ],
      "distro": "debian",
      "hostname": "H",
      "archetype": null,
      "nmap_os": "linux",
      "mutate_interval": null,
      "service_config": {}
    }
  ],
  "custom_services": []
}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if errOut != "" || c.detected != 0 {
		t.Errorf("stderr %q, detections %d", errOut, c.detected)
	}
}

// planDoc is the plan JSON as a generic document, to check exact keys.
type planDoc struct {
	Interface string           `json:"interface"`
	Subnet    string           `json:"subnet"`
	Gateway   string           `json:"gateway"`
	HostIP    string           `json:"host_ip"`
	Deckies   []map[string]any `json:"deckies"`
	Custom    []map[string]any `json:"custom_services"`
}

func decodePlan(t *testing.T, out string) planDoc {
	t.Helper()
	var keys map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &keys); err != nil {
		t.Fatalf("plan output is not JSON: %v\n%s", err, out)
	}
	if len(keys) != 6 {
		t.Errorf("plan keys = %v", keys)
	}
	var p planDoc
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

const x15INI = `[web]
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

func TestPlanX15Config(t *testing.T) {
	ini := writeFile(t, "x15.ini", x15INI)
	c := newCLI(t)
	out, errOut, code := c.run(withFacts("plan", "--config", ini, "-o", "json")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	p := decodePlan(t, out)
	if p.Interface != "eth0" || p.Subnet != "192.168.1.0/24" || p.Gateway != "192.168.1.1" || p.HostIP != "192.168.1.2" {
		t.Errorf("network %+v", p)
	}
	want := [][7]string{
		{"web", "192.168.1.3", "http", "debian", "<nil>", "linux", "<nil>"},
		{"dc", "192.168.1.4", "ldap,smb,rdp,llmnr", "ubuntu22", "domain-controller", "windows_server", "<nil>"},
		{"ws-01", "192.168.1.5", "smb,rdp", "debian", "windows-workstation", "windows", "<nil>"},
		{"ws-02", "192.168.1.6", "smb,rdp", "ubuntu22", "windows-workstation", "windows", "<nil>"},
		{"ws-03", "192.168.1.7", "smb,rdp", "debian", "windows-workstation", "windows", "<nil>"},
		{"printer", "192.168.1.8", "snmp,ftp", "debian", "printer", "cisco", "<nil>"},
	}
	if len(p.Deckies) != len(want) {
		t.Fatalf("%d deckies", len(p.Deckies))
	}
	keyOrder := regexp.MustCompile(`(?s)"name".*"ip".*"services".*"distro".*"hostname".*"archetype".*"nmap_os".*"mutate_interval".*"service_config"`)
	if !keyOrder.MatchString(out) {
		t.Error("decky keys are not in the plan JSON order")
	}
	for i, w := range want {
		d := p.Deckies[i]
		var svcs []string
		for _, s := range d["services"].([]any) {
			svcs = append(svcs, s.(string))
		}
		got := [7]string{str(d["name"]), str(d["ip"]), strings.Join(svcs, ","), str(d["distro"]), str(d["archetype"]),
			str(d["nmap_os"]), str(d["mutate_interval"])}
		if got != w {
			t.Errorf("decky %d = %v, want %v", i, got, w)
		}
		if !regexp.MustCompile(`^SRV-[A-Z]+-[1-9][0-9]$`).MatchString(str(d["hostname"])) {
			t.Errorf("%s: hostname %q", got[0], d["hostname"])
		}
		if len(d) != 9 {
			t.Errorf("decky keys %v", d)
		}
	}

	// X16 through the CLI: an explicit --mutate-interval wins.
	out, _, code = c.run(withFacts("plan", "--config", ini, "-o", "json", "--mutate-interval", "30")...)
	if code != 0 {
		t.Fatal(code)
	}
	for _, d := range decodePlan(t, out).Deckies {
		if d["mutate_interval"] != float64(30) {
			t.Errorf("%v: mutate_interval %v", d["name"], d["mutate_interval"])
		}
	}
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return "<nil>"
	case string:
		return x
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func TestPlanSeedDeterminism(t *testing.T) {
	ini := writeFile(t, "r.ini", "[rand]\namount=12\n[x]\nservices=ssh\n")
	for _, args := range [][]string{
		withFacts("plan", "-n", "15", "--randomize-services", "--randomize-distros", "--seed", "77", "-o", "json"),
		withFacts("plan", "-n", "15", "--randomize-services", "--seed", "77"),
		withFacts("plan", "--config", ini, "--seed", "-5", "-o", "json"),
	} {
		c := newCLI(t)
		a, _, code1 := c.run(args...)
		b, _, code2 := c.run(args...)
		if code1 != 0 || code2 != 0 {
			t.Fatalf("%v: exit %d/%d", args, code1, code2)
		}
		if a != b {
			t.Errorf("%v: same seed, different output:\n%s\n%s", args, a, b)
		}
		if strings.Contains(a, "2026") || strings.Contains(a, "T") && strings.Contains(a, "Z\"") {
			t.Errorf("plan output contains a timestamp:\n%s", a)
		}
		other := append(append([]string{}, args...), "--seed", "78")
		if d, _, _ := c.run(other...); d == a {
			t.Errorf("%v: different seeds gave identical output", args)
		}
	}
}

func TestPlanAllFactsNeverDetects(t *testing.T) {
	c := newCLI(t) // detection fails the test
	out, errOut, code := c.run("plan", "--interface", "eth0", "--subnet", "10.213.9.0/24", "--gateway", "10.213.9.1",
		"--host-ip", "10.213.9.2", "-n", "2", "--services", "ssh", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	p := decodePlan(t, out)
	if p.Interface != "eth0" || p.Deckies[0]["ip"] != "10.213.9.3" || p.Deckies[1]["ip"] != "10.213.9.4" {
		t.Errorf("plan %+v", p)
	}
	// A missing fact is detected (and only then).
	c = newCLI(t)
	c.allowDetect = true
	out, _, code = c.run("plan", "--interface", "eth0", "-n", "1", "--services", "ssh", "-o", "json")
	if code != 0 || c.detected != 1 {
		t.Fatalf("exit %d, detections %d", code, c.detected)
	}
	if p := decodePlan(t, out); p.Interface != "eth0" || p.Subnet != "10.213.7.0/24" || p.HostIP != "10.213.7.9" {
		t.Errorf("detected plan %+v", p)
	}
}

func TestPlanErrors(t *testing.T) {
	ini := writeFile(t, "ok.ini", "[a]\nservices=ssh\n")
	missing := filepath.Join(t.TempDir(), "missing.ini")
	all := "['conpot', 'dns', 'docker_api', 'elasticsearch', 'ftp', 'http', 'https', 'imap', 'k8s', 'ldap', 'llmnr', 'mongodb', 'mqtt', 'mssql', 'mysql', 'pop3', 'postgres', 'rdp', 'redis', 'sip', 'smb', 'smtp', 'smtp_relay', 'snmp', 'ssh', 'telnet', 'tftp', 'vnc']"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"plan"}, "--deckies is required when --config is not used."},
		{withFacts("plan", "-n", "1"), "Specify --services, --archetype, or --randomize-services."},
		{withFacts("plan", "-n", "1", "--services", "ssh,bogus"), "Unknown service(s): ['bogus']. Available: " + all},
		{withFacts("plan", "-n", "1", "--services", "sniffer"), "Unknown service(s): ['sniffer']. Available: " + all},
		{withFacts("plan", "-n", "1", "-a", "nope"), "Unknown archetype 'nope'. Available: database-server, deaddeck, devops-host, domain-controller, file-server, industrial-control, iot-device, linux-server, mail-server, monitoring-node, printer, voip-server, web-server, windows-server, windows-workstation"},
		{withFacts("plan", "-n", "1", "--services", "ssh", "--distro", "debian,gentoo"), "Unknown distro 'gentoo'. Available: alpine, arch, centos7, debian, fedora, kali, rocky9, ubuntu20, ubuntu22"},
		{withFacts("plan", "-n", "1", "--services", "ssh", "--ip-start", "10.0.0.1"), "--ip-start 10.0.0.1 is not inside 192.168.1.0/24"},
		{[]string{"plan", "-n", "3", "--services", "ssh", "--subnet", "10.0.0.0/30", "--gateway", "10.0.0.1", "--host-ip", "10.0.0.2", "-i", "eth0"},
			"Not enough free IPs in 10.0.0.0/30 for 3 deckies (found 0)."},
		{withFacts("plan", "-c", ini, "--deckies", "2"), "--deckies cannot be used with --config"},
		{withFacts("plan", "-c", ini, "--services", "ssh"), "--services cannot be used with --config"},
		{withFacts("plan", "-c", ini, "--randomize-services"), "--randomize-services cannot be used with --config"},
		{withFacts("plan", "-c", ini, "-a", "printer"), "--archetype cannot be used with --config"},
		{withFacts("plan", "-c", ini, "--distro", "debian"), "--distro cannot be used with --config"},
		{withFacts("plan", "-c", ini, "--randomize-distros"), "--randomize-distros cannot be used with --config"},
		{withFacts("plan", "-c", ini, "--ip-start", "192.168.1.9"), "--ip-start cannot be used with --config"},
		{withFacts("plan", "-c", missing), "Config file not found: " + missing},
		{withFacts("plan", "-c", writeFile(t, "bad.ini", "[a]\nservices=ssh,bogus\n")), "Unknown service(s) in [a]: ['bogus']. Available: " + all},
		{withFacts("plan", "-c", writeFile(t, "ip.ini", "[a]\nservices=ssh\nip=192.168.1.1\n")), "[a] ip=192.168.1.1 is reserved (gateway)"},
		{withFacts("plan", "-c", writeFile(t, "empty.ini", "")), "INI content is empty"},
		{withFacts("plan", "-n", "1", "--services", "ssh", "--mutate-interval", "0"), "--mutate-interval must be at least 1, got 0"},
		{[]string{"plan", "-n", "1", "--services", "ssh", "--subnet", "nonsense"}, "--subnet must be an IPv4 CIDR, got 'nonsense'"},
		{withFacts("plan", "-n", "1", "--services", "ssh", "-o", "yaml"), "invalid output format 'yaml': use table, json"},
	}
	for _, tc := range cases {
		c := newCLI(t)
		out, errOut, code := c.run(tc.args...)
		if code != 2 || errOut != tc.want+"\n" || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2, stderr %q", tc.args, code, errOut, out, tc.want)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"plan", "--bogus"},
		{"nosuchverb"},
		{"services", "extra"},
		{"plan", "-n", "notanumber"},
		{"parse", "a", "b"},
		{"services", "-o", "xml"},
	} {
		_, errOut, code := newCLI(t).run(args...)
		if code != 2 || errOut == "" || strings.Contains(errOut, "goroutine") {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
}

func TestServicesJSON(t *testing.T) {
	out, _, code := newCLI(t).run("services", "-o", "json")
	if code != 0 {
		t.Fatal(code)
	}
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != 28 {
		t.Fatalf("%d services", len(raw))
	}
	for _, s := range raw {
		if len(s) != 4 || s["name"] == nil || s["tcp"] == nil || s["udp"] == nil || s["persona"] == nil {
			t.Errorf("service keys %v", s)
		}
		for _, k := range []string{"tcp", "udp", "persona"} {
			if string(s[k]) == "null" {
				t.Errorf("%s: %s is null", s["name"], k)
			}
		}
	}
	var svcs []struct {
		Name    string
		TCP     []int
		UDP     []int
		Persona []map[string]json.RawMessage
	}
	_ = json.Unmarshal([]byte(out), &svcs)
	byName := map[string]int{}
	for i, s := range svcs {
		byName[s.Name] = i
		cat, ok := conf.LookupService(s.Name)
		if !ok || len(cat.Persona) != len(s.Persona) || len(cat.TCP) != len(s.TCP) || len(cat.UDP) != len(s.UDP) {
			t.Errorf("%s does not match the catalogue", s.Name)
		}
		for _, p := range s.Persona {
			if len(p) != 4 || p["key"] == nil || p["type"] == nil || p["default"] == nil || p["values"] == nil || string(p["values"]) == "null" {
				t.Errorf("%s persona key %v", s.Name, p)
			}
		}
	}
	conpot := svcs[byName["conpot"]]
	if conpot.TCP[0] != 502 || conpot.UDP[0] != 161 {
		t.Errorf("conpot ports %v %v", conpot.TCP, conpot.UDP)
	}
	var fa struct{ Values []string }
	for _, p := range svcs[byName["http"]].Persona {
		if string(p["key"]) == `"fake_app"` {
			_ = json.Unmarshal(mustJSON(p), &fa)
		}
	}
	if len(fa.Values) != 8 || fa.Values[0] != "none" {
		t.Errorf("http fake_app values %v", fa.Values)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func TestCatalogListings(t *testing.T) {
	c := newCLI(t)
	out, _, code := c.run("archetypes", "-o", "json")
	var archs []conf.Archetype
	if code != 0 || json.Unmarshal([]byte(out), &archs) != nil || len(archs) != 15 || archs[0].Slug != "windows-workstation" {
		t.Errorf("archetypes json: exit %d, %d entries", code, len(archs))
	}
	out, _, code = c.run("distros", "-o", "json")
	var ds []conf.Distro
	if code != 0 || json.Unmarshal([]byte(out), &ds) != nil || len(ds) != 9 || ds[8].Slug != "arch" {
		t.Errorf("distros json: exit %d, %d entries", code, len(ds))
	}
	for verb, n := range map[string]int{"services": 28, "archetypes": 15, "distros": 9} {
		out, _, code := c.run(verb)
		if lines := strings.Count(out, "\n"); code != 0 || lines != n+1 {
			t.Errorf("%s table: exit %d, %d lines", verb, code, lines)
		}
	}
}

func TestHelpAndCompletion(t *testing.T) {
	c := newCLI(t)
	for _, verb := range []string{"services", "archetypes", "distros", "plan", "parse", "correlate", "config"} {
		out, _, code := c.run(verb, "--help")
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: exit %d\n%s", verb, code, out)
		}
	}
	out, _, _ := c.run("plan", "--help")
	for _, f := range []string{"--config", "--deckies", "--interface", "--subnet", "--ip-start", "--services",
		"--randomize-services", "--distro", "--randomize-distros", "--archetype", "--mutate-interval", "--gateway",
		"--host-ip", "--seed", "--ipvlan", "--dry-run", "--output"} {
		if !strings.Contains(out, f) {
			t.Errorf("plan --help lacks %s", f)
		}
	}
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		out, _, code := c.run("completion", sh)
		if code != 0 || !strings.Contains(out, "decnetctl") {
			t.Errorf("completion %s: exit %d", sh, code)
		}
	}
	out, _, code := c.run("__complete", "plan", "--archetype", "win")
	if code != 0 || !strings.Contains(out, "windows-server") {
		t.Errorf("archetype completion: %d %q", code, out)
	}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func mustAddr(s string) netip.Addr     { return netip.MustParseAddr(s) }
