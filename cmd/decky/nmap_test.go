package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nmapWant is what `nmap -sV` must report for one declared port of a service (issue 3's table).
type nmapWant struct {
	port       int            // declared port to scan (the offset is added)
	names      []string       // accepted service names; "ssl/NAME" when nmap reports tunnel="ssl"
	product    string         // regexp the product must match ("" = not checked)
	version    string         // regexp the version must match ("" = not checked)
	persona    map[string]any // persona the decky runs with (the product/version it claims)
	versionAll bool           // scan with --version-all (all probes, needed on non-standard ports)
}

// nmapTable holds the expectation of every service of issue 3. A registered service missing here
// fails TestNmapIdentifiesServices until an expectation is added.
var nmapTable = map[string]nmapWant{
	"ssh":    {port: 22, names: []string{"ssh"}, product: `^OpenSSH$`, version: `^\d+\.\d+`},
	"telnet": {port: 23, names: []string{"telnet"}},
	"ftp": {port: 21, names: []string{"ftp"}, product: `(?i)^vsftpd$`, version: `^3\.0\.3$`,
		persona: map[string]any{"banner": "(vsFTPd 3.0.3)"}},
	"http": {port: 80, names: []string{"http"}, product: `^nginx$`, version: `^1\.18\.0$`,
		persona: map[string]any{"server_header": "nginx/1.18.0 (Ubuntu)"}},
	"https": {port: 443, names: []string{"ssl/http", "ssl/https", "https"}, product: `^nginx$`,
		persona: map[string]any{"server_header": "nginx/1.18.0 (Ubuntu)"}},
	"smb":      {port: 445, names: []string{"microsoft-ds"}},
	"rdp":      {port: 3389, names: []string{"ms-wbt-server"}},
	"mysql":    {port: 3306, names: []string{"mysql"}, product: `^MySQL$`, version: `^8\.0\.36`, persona: map[string]any{"version": "8.0.36"}},
	"postgres": {port: 5432, names: []string{"postgresql"}},
	"mssql":    {port: 1433, names: []string{"ms-sql-s"}},
	"redis":    {port: 6379, names: []string{"redis"}},
	"vnc":      {port: 5900, names: []string{"vnc"}},
	"ldap":     {port: 389, names: []string{"ldap"}},
}

// nmapRun is the part of nmap's XML output the test reads.
type nmapRun struct {
	Hosts []struct {
		Ports []struct {
			Protocol string `xml:"protocol,attr"`
			PortID   int    `xml:"portid,attr"`
			State    struct {
				State string `xml:"state,attr"`
			} `xml:"state"`
			Service struct {
				Name      string `xml:"name,attr"`
				Product   string `xml:"product,attr"`
				Version   string `xml:"version,attr"`
				ExtraInfo string `xml:"extrainfo,attr"`
				Tunnel    string `xml:"tunnel,attr"`
				Method    string `xml:"method,attr"`
				FP        string `xml:"servicefp,attr"`
			} `xml:"service"`
		} `xml:"ports>port"`
	} `xml:"host"`
}

// nmapSem bounds concurrent nmap scans (the CI machine has 2 cores).
var nmapSem = make(chan struct{}, 2)

// TestNmapIdentifiesServices runs `nmap -sV -Pn -n -p PORT 127.0.0.1` against every registered service
// served by the binary at a port offset ≥ 20000 and checks the service name and persona product.
func TestNmapIdentifiesServices(t *testing.T) {
	if testing.Short() {
		t.Skip("nmap scans skipped in -short mode")
	}
	nmap, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed (apt-get install nmap)")
	}
	for _, svc := range registered(t) {
		t.Run(svc, func(t *testing.T) {
			t.Parallel()
			want, ok := nmapTable[svc]
			if !ok {
				t.Fatalf("no nmap expectation for registered service %s: add one to nmapTable", svc)
			}
			nmapSem <- struct{}{}
			defer func() { <-nmapSem }()
			var extra []string
			if len(want.persona) > 0 {
				b, _ := json.Marshal(want.persona)
				extra = []string{"--persona", string(b)}
			}
			p, off := serveDecky(t, svc, extra...)
			port := want.port + off
			args := []string{"-sV", "-Pn", "-n", "-oX", "-", "-p", strconv.Itoa(port), "127.0.0.1"}
			if want.versionAll {
				args = append([]string{"--version-all"}, args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
			defer cancel()
			start := time.Now()
			out, err := exec.CommandContext(ctx, nmap, args...).Output()
			if err != nil {
				t.Fatalf("nmap %v: %v", args, err)
			}
			var run nmapRun
			if err := xml.Unmarshal(out, &run); err != nil {
				t.Fatalf("parse nmap XML: %v\n%s", err, out)
			}
			if len(run.Hosts) != 1 || len(run.Hosts[0].Ports) != 1 {
				t.Fatalf("nmap reported no port:\n%s", out)
			}
			got := run.Hosts[0].Ports[0]
			name := got.Service.Name
			if got.Service.Tunnel != "" {
				name = got.Service.Tunnel + "/" + name
			}
			t.Logf("nmap %s (%.1fs): %s port %d: %q product %q version %q extra %q (method %s)", svc, time.Since(start).Seconds(),
				got.State.State, port, name, got.Service.Product, got.Service.Version, got.Service.ExtraInfo, got.Service.Method)
			hint := ""
			if !want.versionAll {
				hint = " (scanned without --version-all)"
			}
			if got.State.State != "open" {
				t.Errorf("port %d is %s, want open", port, got.State.State)
			}
			if !slices.Contains(want.names, name) {
				t.Errorf("nmap names %s on port %d %q, want one of %q%s; a probe-file change would be needed if "+
					"nmap cannot identify it on a non-standard port; fingerprint:\n%s", svc, port, name, want.names, hint, fpText(got.Service.FP))
			}
			if want.product != "" && !regexp.MustCompile(want.product).MatchString(got.Service.Product) {
				t.Errorf("nmap product %q does not match %s (persona %v)%s", got.Service.Product, want.product, want.persona, hint)
			}
			if want.version != "" && !regexp.MustCompile(want.version).MatchString(got.Service.Version) {
				t.Errorf("nmap version %q does not match %s (persona %v)%s", got.Service.Version, want.version, want.persona, hint)
			}
			if p.exited() {
				t.Fatalf("decky exited during the scan: %v", p.waitErr)
			}
			if code, _ := p.stop(t, 2*time.Second); code != 0 {
				t.Errorf("exit %d after SIGTERM", code)
			}
			p.checkStdout(t, svc, "d1")
		})
	}
}

// fpText unescapes nmap's service fingerprint enough to read it in a failure message.
func fpText(fp string) string {
	if fp == "" {
		return "(none)"
	}
	if len(fp) > 1500 {
		fp = fp[:1500] + "…"
	}
	return strings.ReplaceAll(fp, "%r", "\n%r")
}
