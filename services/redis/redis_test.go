package redis

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

func newEvents(t testing.TB, in *servicetest.Instance, from int, typ string, n int) []event.Record {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []event.Record
		lines := in.Lines()
		for _, l := range lines[min(from, len(lines)):] {
			if servicetest.MsgID(l) == typ {
				out = append(out, servicetest.Parse(t, l))
			}
		}
		if len(out) >= n {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d %s events, have %d:\n%s", n, typ, len(out), strings.Join(lines, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestRedisCli(t *testing.T) {
	bin, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed (redis-tools)")
	}
	in := servicetest.Start(t, "redis", servicetest.WithPersona(map[string]any{"version": "7.2.4"}))
	port := strconv.Itoa(in.Port(Port))
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
		cmds  []string // cmd + args JSON of the command events
		auth  map[string]string
	}{
		{name: "auth1", args: []string{"AUTH", "Secret"},
			want: []string{"ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"},
			cmds: []string{`auth ["Secret"]`},
			auth: map[string]string{"secret_kind": "plaintext", "secret_printable": "Secret", "secret_b64": event.B64([]byte("Secret"))}},
		{name: "auth2", args: []string{"AUTH", "alice", "Secret"},
			want: []string{"WRONGPASS invalid username-password pair or user is disabled."},
			cmds: []string{`auth ["alice","Secret"]`},
			auth: map[string]string{"principal": "alice", "secret_kind": "plaintext", "secret_printable": "Secret", "secret_b64": event.B64([]byte("Secret"))}},
		{name: "info", args: []string{"INFO", "server"},
			want: []string{"# Server\r\nredis_version:7.2.4\r\n", "redis_mode:standalone", "os:Linux 6.1.0-18-amd64 x86_64", "tcp_port:6379"},
			cmds: []string{`info ["server"]`}},
		{name: "config", args: []string{"CONFIG", "GET", "dir"}, want: []string{"dir\n/var/lib/redis\n"}, cmds: []string{`config ["GET","dir"]`}},
		{name: "setget", stdin: "SET foo bar\nGET foo\nGET config:db_password\n", want: []string{"OK\nbar\n"},
			cmds: []string{`command ["DOCS"]`, `set ["foo","bar"]`, `get ["foo"]`, `get ["config:db_password"]`}},
		{name: "slaveof", args: []string{"SLAVEOF", "10.213.0.250", "6379"}, want: []string{"OK"}, cmds: []string{`slaveof ["10.213.0.250","6379"]`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := len(in.Lines())
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"-h", "127.0.0.1", "-p", port}, tc.args...)...)
			cmd.Stdin = strings.NewReader(tc.stdin)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("redis-cli: %v\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output %q lacks %q", out, w)
				}
			}
			evs := newEvents(t, in, from, "command", len(tc.cmds))
			for i, want := range tc.cmds {
				e := evs[i]
				servicetest.WantFields(t, e, map[string]string{"src": "127.0.0.1", "src_port": e.Fields["src_port"], "cmd": e.Fields["cmd"], "args": e.Fields["args"]})
				if got := e.Fields["cmd"] + " " + e.Fields["args"]; got != want {
					t.Errorf("command event %q, want %q", got, want)
				}
			}
			if tc.auth != nil {
				a := newEvents(t, in, from, "auth", 1)[0]
				tc.auth["src"], tc.auth["src_port"] = "127.0.0.1", evs[0].Fields["src_port"]
				servicetest.WantFields(t, a, tc.auth)
			}
		})
	}
}

// raw sends request bytes on one connection and returns everything the server answered until close.
func raw(t testing.TB, addr, req string) string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, req+"QUIT\r\n")
	out, _ := io.ReadAll(c)
	return string(out)
}

func TestInlineAndReplies(t *testing.T) {
	in := servicetest.Start(t, "redis")
	for _, tc := range []struct{ req, want string }{
		{"PING\r\n", "+PONG\r\n"},
		{"ping \"hello world\"\r\n", "$11\r\nhello world\r\n"},
		{"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n", "$2\r\nhi\r\n"},
		{"KEYS config:*\r\n", "*3\r\n$14\r\nconfig:api_key\r\n$14\r\nconfig:db_host\r\n$18\r\nconfig:db_password\r\n"},
		{"FOO a b\r\n", "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n"},
		{"GET\r\n", "-ERR wrong number of arguments for 'get' command\r\n"},
		{"SET k v EX 100\r\nTTL k\r\nTYPE k\r\nEXISTS k nope\r\nDEL k\r\nTTL k\r\n", "+OK\r\n:100\r\n+string\r\n:1\r\n:1\r\n:-2\r\n"},
		{"SELECT 3\r\nDBSIZE\r\nSELECT 99\r\n", "+OK\r\n:0\r\n-ERR DB index is out of range\r\n"},
		{"FLUSHALL\r\nDBSIZE\r\n", "+OK\r\n:0\r\n"},
		{"CONFIG SET dir /var/spool/cron\r\nCONFIG GET d*r\r\n", "+OK\r\n*2\r\n$3\r\ndir\r\n$15\r\n/var/spool/cron\r\n"},
		{"CONFIG GET requirepass\r\n", "*2\r\n$11\r\nrequirepass\r\n$0\r\n\r\n"},
		{"MODULE LOAD /tmp/exp.so\r\n", "-ERR Error loading the extension. Please check the server logs.\r\n"},
		{"*1\r\n$3\r\nfoo\r\n*-1\r\n", "-ERR unknown command 'foo', with args beginning with: \r\n"},
		{"*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
		{"*2000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n$999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
	} {
		want := tc.want
		if !strings.HasPrefix(want, "-ERR Protocol") {
			want += "+OK\r\n"
		}
		if got := raw(t, in.Addr(Port), tc.req); got != want {
			t.Errorf("%q → %q, want %q", tc.req, got, want)
		}
	}
}

func TestOldVersionAuth(t *testing.T) {
	in := servicetest.Start(t, "redis", servicetest.WithPersona(map[string]any{"version": "5.0.7", "os_string": "Linux 4.15.0-20-generic x86_64"}))
	got := raw(t, in.Addr(Port), "AUTH pw\r\nAUTH u pw\r\nINFO server\r\n")
	for _, w := range []string{"-ERR Client sent AUTH, but no password is set\r\n", "-ERR wrong number of arguments for 'auth' command\r\n",
		"redis_version:5.0.7\r\n", "os:Linux 4.15.0-20-generic x86_64\r\n"} {
		if !strings.Contains(got, w) {
			t.Errorf("reply %q lacks %q", got, w)
		}
	}
	if n := len(newEvents(t, in, 0, "auth", 2)); n != 2 {
		t.Errorf("%d auth events", n)
	}
}

func TestNmap(t *testing.T) {
	bin, err := exec.LookPath("nmap")
	if err != nil {
		t.Skip("nmap not installed")
	}
	in := servicetest.Start(t, "redis", servicetest.WithPersona(map[string]any{"version": "7.0.15"}))
	// On 6379 nmap sends its redis-server probe (INFO) first. The test port is offset, where nmap's
	// GetRequest probe hits first and matches Redis without a version (as for a real redis-server), so
	// the test gives nmap a copy of its probe database with the redis probe's port list extended.
	db, err := os.ReadFile("/usr/share/nmap/nmap-service-probes")
	if err != nil {
		t.Skip("nmap-service-probes not readable")
	}
	port := strconv.Itoa(in.Port(Port))
	probe := "Probe TCP redis-server q|*1\\r\\n$4\\r\\ninfo\\r\\n|\nrarity 8\nports 6379"
	if !bytes.Contains(db, []byte(probe)) {
		t.Fatalf("redis-server probe not found in nmap-service-probes")
	}
	db = bytes.Replace(db, []byte(probe), []byte(probe+","+port), 1)
	vdb := filepath.Join(t.TempDir(), "nmap-service-probes")
	if err := os.WriteFile(vdb, db, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "-sV", "--versiondb", vdb, "-Pn", "-n", "-p", port, "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("nmap: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "redis") || !strings.Contains(string(out), "Redis key-value store 7.0.15") {
		t.Fatalf("nmap did not identify Redis 7.0.15:\n%s", out)
	}
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "redis")
	inputs := []string{
		strings.Repeat("A", MaxInline+10),
		"*3\r\n$3\r\nSET\r\n$1\r\n",
		"*1\r\n$5\r\nab\r\n",
		"*1\r\n$-5\r\n",
		"\"unterminated\r\n",
		"*99999999999999999999\r\n",
		"\x00\xff\x01\r\n\r\n\r\n",
		strings.Repeat("*1\r\n$4\r\nPING\r\n", 1000),
	}
	for _, b := range inputs {
		c, err := net.Dial("tcp", in.Addr(Port))
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(3 * time.Second))
		_, _ = io.WriteString(c, b)
		_ = c.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, c)
		c.Close()
	}
	if got := raw(t, in.Addr(Port), "PING\r\n"); got != "+PONG\r\n+OK\r\n" {
		t.Fatalf("not serving after hostile input: %q", got)
	}
}

func TestConcurrent(t *testing.T) {
	in := servicetest.Start(t, "redis", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := raw(t, in.Addr(Port), "AUTH p"+strconv.Itoa(i)+"\r\n"); !strings.HasPrefix(got, "-ERR AUTH") {
				t.Errorf("conn %d: %q", i, got)
			}
		}()
	}
	wg.Wait()
	if n := len(newEvents(t, in, 0, "auth", 500)); n != 500 {
		t.Fatalf("%d auth events", n)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		ok   bool
	}{
		{"*", "anything", true}, {"config:*", "config:db", true}, {"config:*", "session:x", false},
		{"h?llo", "hello", true}, {"h[ae]llo", "hallo", true}, {"h[^e]llo", "hello", false}, {"h[a-c]llo", "hbllo", true},
		{"d*r", "dir", true}, {"d*r", "dbfilename", false}, {`a\*b`, "a*b", true}, {`a\*b`, "axb", false},
		{"*a*a*a*a*b", strings.Repeat("a", 200), false},
	} {
		if got := Match(tc.p, tc.s); got != tc.ok {
			t.Errorf("Match(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func FuzzReadCommand(f *testing.F) {
	f.Add([]byte("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n"))
	f.Add([]byte("SET \"a\\x41\" 'b\\'c'\r\n"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(b), readBufSize)
		for range 20 {
			args, err := ReadCommand(r)
			if err != nil {
				return
			}
			if len(args) > MaxArgs {
				t.Fatal("too many args")
			}
		}
	})
}

func FuzzMatch(f *testing.F) {
	f.Add("*[a-", "abc")
	f.Add(`\`, `\`)
	f.Fuzz(func(t *testing.T, p, s string) {
		_ = Match(p, s)
		if !Match("*", s) || !Match(s, s) && !strings.ContainsAny(s, `*?[\`) {
			t.Fatalf("literal %q does not match itself", s)
		}
	})
}
