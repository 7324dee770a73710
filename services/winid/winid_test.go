package winid

import (
	"io"
	"testing"

	"github.com/decnet/decnet/services"
)

func TestFromEnv(t *testing.T) {
	cases := []struct {
		host, nmapOS string
		persona      services.Persona
		name, nbDom  string
		dnsComputer  string
		workgroup    string
		version      string
		server       bool
	}{
		{"SRV-PROD-42", "windows", nil, "SRV-PROD-42", "SRV-PROD-42", "SRV-PROD-42", "WORKGROUP", "10.0.19045", false},
		{"very-long-hostname-here.localdomain", "windows_server", services.Persona{"dns_domain": "Corp.Local"},
			"VERY-LONG-HOSTN", "CORP", "VERY-LONG-HOSTN.corp.local", "CORP", "10.0.17763", true},
		{"h", "linux", services.Persona{"os_version": "windows7", "workgroup": "acct", "server_name": "fs01"},
			"FS01", "FS01", "FS01", "ACCT", "6.1.7601", false},
		{"h", "windows", services.Persona{"netbios_name": "ws7", "product_version": "10.0.22631"},
			"WS7", "WS7", "WS7", "WORKGROUP", "10.0.22631", false},
	}
	for _, c := range cases {
		env := services.NewEnv("smb", io.Discard)
		env.Hostname, env.NmapOS, env.Persona = c.host, c.nmapOS, c.persona
		id := FromEnv(env)
		if id.NetBIOSName != c.name || id.NetBIOSDomain != c.nbDom || id.DNSComputer != c.dnsComputer ||
			id.Workgroup != c.workgroup || id.OS.Version.String() != c.version || id.OS.Server != c.server {
			t.Errorf("%s/%s: %+v", c.host, c.nmapOS, id)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for s, ok := range map[string]bool{"10.0.19045": true, "6.3.9600": true, "10.0": false, "a.b.c": false, "300.0.1": false, "1.2.70000": false} {
		if _, got := ParseVersion(s); got != ok {
			t.Errorf("ParseVersion(%q) ok=%v", s, got)
		}
	}
}

func TestSelfSignedPersisted(t *testing.T) {
	dir := t.TempDir()
	a, err := SelfSigned(dir, "x", "HOST")
	if err != nil {
		t.Fatal(err)
	}
	b, err := SelfSigned(dir, "x", "HOST")
	if err != nil {
		t.Fatal(err)
	}
	if string(a.Certificate[0]) != string(b.Certificate[0]) {
		t.Fatal("certificate not reused across starts")
	}
}
