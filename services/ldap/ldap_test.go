package ldap_test

import (
	"bufio"
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/ldap"
	"github.com/decnet/decnet/services/servicetest"
)

func need(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("%s not installed: %v", bin, err)
	}
}

// run executes a client and returns its output and exit code.
func run(t *testing.T, env []string, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

func TestLdapsearchBindCaptured(t *testing.T) {
	need(t, "ldapsearch")
	for _, tc := range []struct {
		url  func(*servicetest.Instance) string
		env  []string
		name string
	}{
		{func(in *servicetest.Instance) string { return "ldap://" + in.Addr(389) }, nil, "ldap"},
		{func(in *servicetest.Instance) string { return "ldaps://" + in.Addr(636) }, []string{"LDAPTLS_REQCERT=never"}, "ldaps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := servicetest.Start(t, "ldap")
			out, code := run(t, tc.env, "ldapsearch", "-x", "-H", tc.url(in), "-D", "cn=admin,dc=example,dc=com",
				"-w", "s3cr\"et]", "-b", "dc=example,dc=com")
			if code != 49 || !strings.Contains(out, "Invalid credentials (49)") {
				t.Fatalf("exit %d: %s", code, out)
			}
			r := servicetest.Parse(t, in.WaitType(t, 2*time.Second, "bind"))
			want := map[string]string{"src": "127.0.0.1", "dn": "cn=admin,dc=example,dc=com", "principal": "cn=admin,dc=example,dc=com",
				"secret_kind": "plaintext", "secret_printable": "s3cr\"et]", "secret_b64": "czNjciJldF0=", "outcome": "failure"}
			for k, v := range want {
				if r.Fields[k] != v {
					t.Errorf("%s = %q, want %q (%v)", k, r.Fields[k], v, r.Fields)
				}
			}
			keys := strings.Join(r.FieldKeys(), ",")
			if keys != "src,src_port,dn,principal,secret_kind,secret_printable,secret_b64,outcome" {
				t.Errorf("field order %s", keys)
			}
			in.WaitType(t, 2*time.Second, "disconnect")
		})
	}
}

func TestInvalidDNSyntax(t *testing.T) {
	need(t, "ldapsearch")
	in := servicetest.Start(t, "ldap")
	out, code := run(t, nil, "ldapsearch", "-x", "-H", "ldap://"+in.Addr(389), "-D", "not a dn", "-w", "pw", "-b", "")
	if code != 34 {
		t.Fatalf("exit %d: %s", code, out)
	}
	if r := servicetest.Parse(t, in.WaitType(t, 2*time.Second, "bind")); r.Fields["dn"] != "not a dn" || r.Fields["secret_printable"] != "pw" {
		t.Fatalf("fields %v", r.Fields)
	}
}

func TestAnonymousRootDSE(t *testing.T) {
	need(t, "ldapsearch")
	cases := []struct {
		name    string
		nmapOS  string
		persona map[string]any
		want    []string
	}{
		{"ad", "windows_server", map[string]any{"base_dn": "DC=corp,DC=local"}, []string{
			"defaultNamingContext: DC=corp,DC=local", "dnsHostName: SRV-TEST-42.corp.local",
			"configurationNamingContext: CN=Configuration,DC=corp,DC=local", "supportedSASLMechanisms: GSS-SPNEGO",
			"domainFunctionality: 7", "isGlobalCatalogReady: TRUE", "ldapServiceName: corp.local:srv-test-42$@CORP.LOCAL",
			"supportedLDAPVersion: 2"}},
		{"openldap", "linux", nil, []string{"namingContexts: dc=example,dc=com", "objectClass: OpenLDAProotDSE",
			"supportedLDAPVersion: 3", "structuralObjectClass: OpenLDAProotDSE"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := servicetest.Start(t, "ldap", servicetest.WithPersona(c.persona), func(e *services.Env) { e.NmapOS = c.nmapOS })
			out, code := run(t, nil, "ldapsearch", "-x", "-H", "ldap://"+in.Addr(389), "-s", "base", "-b", "")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, out)
			}
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("rootDSE lacks %q:\n%s", w, out)
				}
			}
			r := servicetest.Parse(t, in.WaitType(t, 2*time.Second, "search"))
			if r.Fields["base"] != "" || r.Fields["scope"] != "0" || r.Fields["filter"] != "(objectclass=*)" {
				t.Errorf("search fields %v", r.Fields)
			}
		})
	}
}

func TestSearchAfterFailedBind(t *testing.T) {
	in := servicetest.Start(t, "ldap")
	c, err := net.Dial("tcp", in.Addr(389))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	code := func(req []byte) int {
		t.Helper()
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		msg, err := ldap.ReadMessage(r)
		if err != nil {
			t.Fatal(err)
		}
		top, _, _ := ldap.ReadElem(msg)
		kids, _ := ldap.Children(top.Value)
		res, _ := ldap.Children(kids[1].Value)
		n, _ := ldap.Int(res[0].Value)
		return n
	}
	search := []byte("\x30\x2d\x02\x01\x02\x63\x28\x04\x11dc=example,dc=com\x0a\x01\x02\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00\x87\x02cn\x30\x00")
	if got := code(search); got != ldap.ResultNoSuchObject {
		t.Errorf("anonymous search: %d", got)
	}
	bind := []byte("\x30\x0e\x02\x01\x03\x60\x09\x02\x01\x03\x04\x01x\x80\x01y")
	if got := code(bind); got != ldap.ResultInvalidDNSyntax {
		t.Errorf("bind: %d", got)
	}
	if got := code(search); got != ldap.ResultInsufficientAccessRight {
		t.Errorf("search after failed bind: %d", got)
	}
}

func nmap(t *testing.T, port int, args ...string) string {
	t.Helper()
	need(t, "nmap")
	out, code := run(t, nil, "nmap", append(append([]string{"-Pn", "-n", "-p", strconv.Itoa(port)}, args...), "127.0.0.1")...)
	if code != 0 {
		t.Fatalf("nmap exit %d: %s", code, out)
	}
	return out
}

func TestNmap(t *testing.T) {
	t.Run("ad", func(t *testing.T) {
		in := servicetest.Start(t, "ldap", servicetest.WithPersona(map[string]any{"base_dn": "DC=corp,DC=local"}),
			func(e *services.Env) { e.NmapOS = "windows_server" })
		out := nmap(t, in.Port(389), "-sV", "--script", "ldap-rootdse")
		for _, w := range []string{"ldap", "Microsoft Windows Active Directory LDAP", "Domain: corp.local",
			"defaultNamingContext: DC=corp,DC=local", "dnsHostName: SRV-TEST-42.corp.local"} {
			if !strings.Contains(out, w) {
				t.Errorf("nmap lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run("openldap", func(t *testing.T) {
		in := servicetest.Start(t, "ldap")
		out := nmap(t, in.Port(389), "-sV", "--script", "ldap-rootdse")
		for _, w := range []string{"ldap", "OpenLDAP", "namingContexts: dc=example,dc=com"} {
			if !strings.Contains(out, w) {
				t.Errorf("nmap lacks %q:\n%s", w, out)
			}
		}
	})
}

func TestHostileInputKeepsServing(t *testing.T) {
	need(t, "ldapsearch")
	in := servicetest.Start(t, "ldap")
	rng := rand.New(rand.NewPCG(3, 4))
	payloads := [][]byte{
		{0x30, 0x84, 0x7f, 0xff, 0xff, 0xff},                                     // huge length
		{0x30, 0x80, 0x02, 0x01, 0x01, 0, 0},                                     // indefinite length
		{0x30, 0x05, 0x02, 0x01},                                                 // truncated
		{0x30, 0x03, 0x02, 0x01, 0x01},                                           // no op
		{0x30, 0x0a, 0x02, 0x01, 0x01, 0x63, 0x05, 0xa0, 0x03, 0xa0, 0x01, 0xa0}, // nested filter junk
		{0x1f, 0xff, 0xff},
	}
	deep := []byte{}
	for range 200 {
		deep = append([]byte{0xa0, byte(len(deep))}, deep...)
		if len(deep) > 120 {
			break
		}
	}
	payloads = append(payloads, append([]byte{0x30, byte(len(deep) + 24), 0x02, 0x01, 0x01, 0x63, byte(len(deep) + 19), 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x01, 0x00}, append(deep, 0x30, 0x00)...))
	for range 50 {
		b := make([]byte, 1+rng.IntN(200))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if rng.IntN(2) == 0 {
			b[0] = 0x30
		}
		payloads = append(payloads, b)
	}
	for _, p := range payloads {
		c, err := net.Dial("tcp", in.Addr(389))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(p)
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, _ = c.Read(make([]byte, 1024))
		c.Close()
	}
	out, code := run(t, nil, "ldapsearch", "-x", "-H", "ldap://"+in.Addr(389), "-s", "base", "-b", "")
	if code != 0 || !strings.Contains(out, "namingContexts") {
		t.Fatalf("service broken after hostile input: %d %s", code, out)
	}
}

// simpleBind is a BindRequest (message id 1, LDAPv3) for dn/password.
func simpleBind(dn, pw string) []byte {
	inner := append([]byte{0x02, 0x01, 0x03, 0x04, byte(len(dn))}, dn...)
	inner = append(append(inner, 0x80, byte(len(pw))), pw...)
	op := append([]byte{0x60, byte(len(inner))}, inner...)
	return append([]byte{0x30, byte(len(op) + 3), 0x02, 0x01, 0x01}, op...)
}

func bindOnce(addr, dn, pw string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write(simpleBind(dn, pw)); err != nil {
		return err
	}
	msg, err := ldap.ReadMessage(bufio.NewReader(c))
	if err != nil {
		return err
	}
	if !strings.Contains(string(msg), "\x0a\x01\x31") {
		return errors.New("bind response is not invalidCredentials")
	}
	return nil
}

func TestFiveHundredConcurrentBinds(t *testing.T) {
	in := servicetest.Start(t, "ldap", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := bindOnce(in.Addr(389), "cn=u"+strconv.Itoa(i)+",dc=example,dc=com", "pw"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := in.Count("bind")
	if n != 500 {
		t.Fatalf("%d bind events, want 500", n)
	}
}

func BenchmarkBind(b *testing.B) {
	in := servicetest.Start(b, "ldap")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := bindOnce(in.Addr(389), "cn=admin,dc=example,dc=com", "pw"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "binds/s")
}
