package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
)

// TestServeUsageErrors checks that bad invocations fail fast with a non-zero status and a message that
// says what is wrong, and never print anything on stdout (the event stream).
func TestServeUsageErrors(t *testing.T) {
	names := registered(t)
	svc := names[0]
	persona := filepath.Join(t.TempDir(), "persona.json")
	if err := os.WriteFile(persona, []byte(`{"bogus": 1}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var unlinked string // a catalogue service without an emulator in this build
	for _, s := range conf.ServiceSlugs() {
		if !slices.Contains(names, s) {
			unlinked = s
			break
		}
	}
	tests := []struct {
		name string
		env  []string
		args []string
		code int      // exact exit code; -1 = any non-zero
		want []string // substrings of stderr
	}{
		{"no command", nil, nil, 2, []string{"usage:"}},
		{"unknown command", nil, []string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{"missing service", nil, []string{"serve"}, 2, []string{"missing service"}},
		{"missing service with flags", nil, []string{"serve", "--bind", "127.0.0.1"}, 2, []string{"missing service"}},
		{"unknown service", nil, []string{"serve", "nosuchsvc"}, -1, []string{`unknown service "nosuchsvc"`}},
		{"unknown flag", nil, []string{"serve", svc, "--bogus-flag"}, 2, []string{"bogus-flag"}},
		{"persona not an object", nil, []string{"serve", svc, "--persona", "[1,2]"}, -1, []string{"persona must be a JSON object"}},
		{"persona file missing", nil, []string{"serve", svc, "--persona", "@/nonexistent/p.json"}, -1, []string{"read persona", "/nonexistent/p.json"}},
		{"unknown distro flag", nil, []string{"serve", svc, "--distro", "plan9"}, -1, []string{"Unknown distro 'plan9'", "debian"}},
		{"unknown distro env", []string{"DECNET_DISTRO=plan9"}, []string{"serve", svc}, -1, []string{"Unknown distro 'plan9'"}},
		{"unknown nmap-os flag", nil, []string{"serve", svc, "--nmap-os", "beos"}, -1, []string{`unknown nmap-os "beos"`}},
		{"unknown nmap-os env", []string{"DECNET_NMAP_OS=beos"}, []string{"serve", svc}, -1, []string{`unknown nmap-os "beos"`}},
		{"bad port offset env", []string{"DECNET_PORT_OFFSET=twenty"}, []string{"serve", svc}, 2, []string{"DECNET_PORT_OFFSET", "twenty"}},
		{"bad conn cap env", []string{"DECNET_MAX_CONNS_PER_IP=lots"}, []string{"serve", svc}, 2, []string{"DECNET_MAX_CONNS_PER_IP", "lots"}},
		{"port offset out of range", nil, []string{"serve", svc, "--port-offset", "70000"}, 2, []string{"port offset"}},
		{"negative port offset", nil, []string{"serve", svc, "--port-offset", "-100000"}, 2, []string{"port offset"}},
	}
	if unlinked != "" {
		tests = append(tests, struct {
			name string
			env  []string
			args []string
			code int
			want []string
		}{"catalogue service without emulator", nil, []string{"serve", unlinked}, -1, []string{"no emulator in this build", svc}})
	}
	for _, s := range names {
		cs, _ := conf.LookupService(s)
		// A service without persona keys rejects any key (conf's error does not repeat the key then).
		want := []string{"no configurable keys"}
		if len(cs.Persona) > 0 {
			want = append([]string{"bogus", "accepted keys"}, cs.KeyNames()...)
		}
		tests = append(tests,
			struct {
				name string
				env  []string
				args []string
				code int
				want []string
			}{"unknown persona key " + s, nil, []string{"serve", s, "--persona", `{"bogus":1}`}, -1, want},
			struct {
				name string
				env  []string
				args []string
				code int
				want []string
			}{"unknown persona key from @file " + s, nil, []string{"serve", s, "--persona", "@" + persona}, -1, want},
			struct {
				name string
				env  []string
				args []string
				code int
				want []string
			}{"unknown persona key from DECNET_PERSONA " + s, []string{`DECNET_PERSONA={"bogus":1}`}, []string{"serve", s}, -1, want},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runDecky(t, tt.env, tt.args...)
			if tt.code >= 0 && code != tt.code || tt.code < 0 && code == 0 {
				t.Errorf("exit code %d, want %d (-1 = non-zero); stderr %q", code, tt.code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout must stay empty on errors, got %q", stdout)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not mention %q", stderr, w)
				}
			}
		})
	}
}

func TestServicesCommandListsRegistry(t *testing.T) {
	code, stdout, stderr := runDecky(t, nil, "services")
	if code != 0 {
		t.Fatalf("decky services: exit %d, stderr %q", code, stderr)
	}
	got := strings.Fields(stdout)
	if want := registered(t); !slices.Equal(got, want) {
		t.Fatalf("decky services = %v, want %v", got, want)
	}
}

// TestServeStartupAndShutdown runs every registered service: the first stdout line is the startup event
// with HOSTNAME = decky name and APP-NAME = service, every declared TCP port accepts connections, every
// stdout line is RFC 5424, and SIGTERM ends the process with status 0 within 2 s.
func TestServeStartupAndShutdown(t *testing.T) {
	for _, svc := range registered(t) {
		t.Run(svc, func(t *testing.T) {
			p, off := serveDecky(t, svc)
			lines := p.Lines()
			first, err := event.Parse(lines[0], time.Now())
			if err != nil || first.EventType != "startup" || first.Decky != "d1" || first.Service != svc {
				t.Errorf("first stdout line %q (err %v): want a startup event from HOSTNAME d1, APP-NAME %s", lines[0], err, svc)
			}
			cs, _ := conf.LookupService(svc)
			for _, port := range cs.TCP {
				c, err := dial(port + off)
				if err != nil {
					t.Errorf("declared port %d (bound at %d): %v", port, port+off, err)
					continue
				}
				c.Close()
			}
			if code, took := p.stop(t, 2*time.Second); code != 0 {
				t.Errorf("exit status %d after SIGTERM (took %v), want 0", code, took)
			}
			p.checkStdout(t, svc, "d1")
		})
	}
}

// redisCmd sends one inline command to a redis emulator and returns the raw reply (read until the
// connection is quiet briefly). An empty reply is retried for a while: with a per-source cap of one,
// the server frees the previous connection's slot only once it has read that connection's close, so
// a connection opened right after may be dropped unanswered.
func redisCmd(t *testing.T, port int, cmd string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got := redisOnce(t, port, cmd); got != "" || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func redisOnce(t *testing.T, port int, cmd string) string {
	t.Helper()
	c, err := dial(port)
	if err != nil {
		t.Fatalf("dial redis %d: %v", port, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(cmd + "\r\n")); err != nil {
		return ""
	}
	var b []byte
	buf := make([]byte, 8192)
	for wait := 3 * time.Second; ; wait = 300 * time.Millisecond {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		n, err := c.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			break
		}
	}
	return string(b)
}

func infoField(info, key string) string {
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			return v
		}
	}
	return ""
}

// TestServeEnvEquivalents checks that every serve flag can come from its DECNET_* variable, observed
// through what the emulator shows, and that a flag wins over the environment.
func TestServeEnvEquivalents(t *testing.T) {
	names := registered(t)
	t.Run("redis", func(t *testing.T) {
		if !slices.Contains(names, "redis") {
			t.Skip("redis emulator not in this build")
		}
		off := allocOffset(t, "redis")
		distro, err := conf.LookupDistro("ubuntu22")
		if err != nil {
			t.Fatal(err)
		}
		env := []string{
			"DECNET_DECKY=envdecky", "DECNET_HOSTNAME=EnvHost", "DECNET_BIND=127.0.0.1",
			"DECNET_PORT_OFFSET=" + strconv.Itoa(off), "DECNET_DISTRO=ubuntu22", "DECNET_NMAP_OS=linux",
			`DECNET_PERSONA={"version":"6.2.99"}`, "DECNET_INSTANCE_ID=inst-A", "DECNET_MAX_CONNS_PER_IP=1",
			"DECNET_ARTIFACTS=" + t.TempDir(),
		}
		p := startDecky(t, env, "serve", "redis")
		if r := p.waitEvent(t, 30*time.Second, "startup"); r.Decky != "envdecky" {
			t.Errorf("startup HOSTNAME %q, want DECNET_DECKY envdecky", r.Decky)
		}
		port := 6379 + off
		info := redisCmd(t, port, "INFO server")
		if v := infoField(info, "redis_version"); v != "6.2.99" {
			t.Errorf("DECNET_PERSONA: redis_version %q, want 6.2.99; INFO %q", v, info)
		}
		if v := infoField(info, "os"); !strings.Contains(v, distro.KernelRelease) {
			t.Errorf("DECNET_DISTRO=ubuntu22: INFO os %q lacks kernel %s", v, distro.KernelRelease)
		}
		runA := infoField(info, "run_id")
		if got := redisCmd(t, port, "GET user:1001:email"); !strings.Contains(got, "admin@envhost.local") {
			t.Errorf("DECNET_HOSTNAME: GET user:1001:email = %q, want admin@envhost.local", got)
		}
		// DECNET_BIND=127.0.0.1: another loopback address is not served.
		if c, err := net4Dial("127.0.0.2", port); err == nil {
			c.Close()
			t.Errorf("DECNET_BIND=127.0.0.1 but 127.0.0.2:%d accepted a connection", port)
		}
		// DECNET_MAX_CONNS_PER_IP=1: with one connection open, a second one is closed unanswered.
		// The slot of the previous command's connection frees once the server reads its close.
		var hold net.Conn
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			c, err := dial(port)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = c.Write([]byte("PING\r\n"))
			b, err := readAtLeast(c, 5, 3*time.Second)
			if err == nil && string(b) == "+PONG" {
				hold = c
				break
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatalf("first connection: PING -> %q, %v", b, err)
			}
		}
		second, err := dial(port)
		if err == nil {
			_, _ = second.Write([]byte("PING\r\n"))
			if b, _ := readAtLeast(second, 1, 2*time.Second); len(b) > 0 {
				t.Errorf("DECNET_MAX_CONNS_PER_IP=1: a second concurrent connection was answered %q", b)
			}
			second.Close()
		}
		hold.Close()
		if code, _ := p.stop(t, 2*time.Second); code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
		p.checkStdout(t, "redis", "envdecky")

		// The same identity from flags gives the same seeded run_id (DECNET_INSTANCE_ID and
		// --instance-id are equivalent), a flag wins over its variable, and another instance id changes it.
		runOf := func(instance string, env ...string) (string, string) {
			off := allocOffset(t, "redis")
			p := startDecky(t, env, "serve", "redis", "--decky", "envdecky", "--bind", "127.0.0.1",
				"--port-offset", strconv.Itoa(off), "--instance-id", instance, "--artifacts", t.TempDir())
			r := p.waitEvent(t, 30*time.Second, "startup")
			id := infoField(redisCmd(t, 6379+off, "INFO server"), "run_id")
			p.stop(t, 2*time.Second)
			return id, r.Decky
		}
		if id, _ := runOf("inst-A"); id == "" || id != runA {
			t.Errorf("--instance-id inst-A gives run_id %q, DECNET_INSTANCE_ID=inst-A gave %q", id, runA)
		}
		if id, _ := runOf("inst-B"); id == runA {
			t.Errorf("instance ids inst-A and inst-B give the same seeded run_id %q", id)
		}
		if _, decky := runOf("inst-A", "DECNET_DECKY=ignored", "DECNET_INSTANCE_ID=ignored"); decky != "envdecky" {
			t.Errorf("--decky lost to DECNET_DECKY: HOSTNAME %q", decky)
		}
	})
	t.Run("persona-file", func(t *testing.T) {
		if !slices.Contains(names, "redis") {
			t.Skip("redis emulator not in this build")
		}
		file := filepath.Join(t.TempDir(), "persona.json")
		if err := os.WriteFile(file, []byte(`{"version": "5.0.14", "os_string": "Linux 4.19.0-25-amd64 x86_64"}`), 0o600); err != nil {
			t.Fatal(err)
		}
		p, off := serveDecky(t, "redis", "--persona", "@"+file)
		info := redisCmd(t, 6379+off, "INFO server")
		if v := infoField(info, "redis_version"); v != "5.0.14" {
			t.Errorf("--persona @file: redis_version %q, want 5.0.14", v)
		}
		if v := infoField(info, "os"); v != "Linux 4.19.0-25-amd64 x86_64" {
			t.Errorf("--persona @file: os %q", v)
		}
		p.stop(t, 2*time.Second)
		p.checkStdout(t, "redis", "d1")
	})
	t.Run("ssh", func(t *testing.T) {
		if !slices.Contains(names, "ssh") {
			t.Skip("ssh emulator not in this build")
		}
		off := allocOffset(t, "ssh")
		art := t.TempDir()
		distro, err := conf.LookupDistro("rocky9")
		if err != nil {
			t.Fatal(err)
		}
		env := []string{"DECNET_DECKY=envssh", "DECNET_BIND=127.0.0.1", "DECNET_PORT_OFFSET=" + strconv.Itoa(off),
			"DECNET_DISTRO=rocky9", "DECNET_ARTIFACTS=" + art}
		p := startDecky(t, env, "serve", "ssh")
		p.waitEvent(t, 30*time.Second, "startup")
		c, err := dial(22 + off)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := readAtLeast(c, len(distro.SSHBanner)+2, 3*time.Second)
		c.Close()
		if got := strings.TrimRight(string(b), "\r\n"); got != distro.SSHBanner {
			t.Errorf("DECNET_DISTRO=rocky9: banner %q, want %q", got, distro.SSHBanner)
		}
		if entries, err := os.ReadDir(art); err != nil || len(entries) == 0 {
			t.Errorf("DECNET_ARTIFACTS=%s: nothing written there (%v)", art, err)
		}
		if code, _ := p.stop(t, 2*time.Second); code != 0 {
			t.Errorf("exit %d after SIGTERM", code)
		}
		p.checkStdout(t, "ssh", "envssh")
	})
}
