package smb_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

func nmap(t *testing.T, port int, args ...string) string {
	t.Helper()
	need(t, "nmap")
	all := append([]string{"-Pn", "-n", "-p", strconv.Itoa(port)}, args...)
	out, err := run(t, 120*time.Second, "nmap", append(all, "127.0.0.1")...)
	if err != nil {
		t.Fatalf("nmap %v: %v\n%s", args, err, out)
	}
	return out
}

func TestNmapSecurityModeAndProtocols(t *testing.T) {
	cases := []struct {
		persona  map[string]any
		nmapOS   string
		dialects []string
		absent   []string
		signing  string
	}{
		{nil, "windows", []string{"202", "210", "300", "302", "311"}, []string{"NT LM 0.12"}, "enabled but not required"},
		{map[string]any{"os_version": "windows7"}, "windows", []string{"202", "210"}, []string{"300", "311"}, "enabled but not required"},
		{map[string]any{"os_version": "server2012r2", "smb1": true}, "windows_server", []string{"NT LM 0.12", "202", "302"}, []string{"311"}, "enabled and required"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.dialects, "_"), func(t *testing.T) {
			in := servicetest.Start(t, "smb", servicetest.WithPersona(c.persona), func(e *services.Env) { e.NmapOS = c.nmapOS })
			out := nmap(t, in.Port(445), "--script", "smb2-security-mode,smb-protocols", "--script-args", "smbport="+strconv.Itoa(in.Port(445)))
			for _, d := range c.dialects {
				if !dialectRe(d).MatchString(out) {
					t.Errorf("dialect %s missing:\n%s", d, out)
				}
			}
			for _, d := range c.absent {
				if dialectRe(d).MatchString(out) {
					t.Errorf("dialect %s should be absent:\n%s", d, out)
				}
			}
			if !strings.Contains(out, "Message signing "+c.signing) {
				t.Errorf("signing %q not reported:\n%s", c.signing, out)
			}
		})
	}
}

func TestNmapServiceVersion(t *testing.T) {
	in := servicetest.Start(t, "smb")
	out := nmap(t, in.Port(445), "-sV")
	if !strings.Contains(out, "microsoft-ds") {
		t.Fatalf("nmap -sV did not name microsoft-ds:\n%s", out)
	}
}

// startRealPorts runs the emulator on 445/139 of a private loopback address: nmap's smb-os-discovery only
// works on the standard ports (it indexes a nil port table otherwise).
func startRealPorts(t *testing.T, bind string, persona map[string]any) *bytes.Buffer {
	t.Helper()
	f, _ := services.Lookup("smb")
	var out lockedBuffer
	env := services.NewEnv("smb", &out)
	env.Decky, env.Hostname, env.NmapOS, env.Bind, env.Persona = "decky-test", "SRV-TEST-42", "windows", bind, persona
	env.Artifacts = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f().Serve(ctx, env) }()
	t.Cleanup(func() { cancel(); <-done })
	for range 200 {
		if strings.Contains(out.String(), " startup ") {
			return &out.b
		}
		select {
		case err := <-done:
			done <- nil
			t.Skipf("cannot bind the standard SMB ports on %s: %v", bind, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("no startup event")
	return nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestNmapOSDiscoverySMB1(t *testing.T) {
	need(t, "nmap")
	startRealPorts(t, "127.0.0.45", map[string]any{"smb1": true, "os_version": "windows7", "workgroup": "ACCOUNTING"})
	out, err := run(t, 120*time.Second, "nmap", "-Pn", "-n", "-p", "445", "--script", "smb-os-discovery", "127.0.0.45")
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	for _, want := range []string{"OS: Windows 7 Professional 7601 Service Pack 1 (Windows 7 Professional 6.1)",
		"NetBIOS computer name: SRV-TEST-42", "Workgroup: ACCOUNTING"} {
		if !strings.Contains(out, want) {
			t.Errorf("smb-os-discovery lacks %q:\n%s", want, out)
		}
	}
}

// dialectRe matches one dialect line of smb-protocols' output.
func dialectRe(d string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\|[_ ]\s+` + regexp.QuoteMeta(d) + `( \(SMBv1\).*)?$`)
}
