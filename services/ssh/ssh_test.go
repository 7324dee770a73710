package ssh

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services/servicetest"
)

func need(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed: %v", b, err)
		}
	}
}

func sshArgs(port int) []string {
	return []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
		"-o", "ConnectTimeout=10", "-p", fmt.Sprint(port)}
}

func run(t *testing.T, timeout time.Duration, stdin string, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func typed(in *servicetest.Instance, typ string) []event.Record {
	var out []event.Record
	for _, l := range in.Lines() {
		if servicetest.MsgID(l) == typ {
			if r, err := event.Parse(l, time.Now()); err == nil {
				out = append(out, r)
			}
		}
	}
	return out
}

func TestExecWithRealClient(t *testing.T) {
	need(t, "ssh", "sshpass")
	in := servicetest.Start(t, "ssh", withKeys())
	args := append([]string{"-p", "admin", "ssh"}, sshArgs(in.Port(22))...)
	args = append(args, "root@127.0.0.1", "hostname; uname -a; cat /etc/os-release; id")
	out, err := run(t, 30*time.Second, "", "sshpass", args...)
	if err != nil {
		t.Fatalf("ssh: %v\n%s", err, out)
	}
	d, _ := conf.LookupDistro("debian")
	want := "SRV-TEST-42\n" +
		"Linux SRV-TEST-42 " + d.KernelRelease + " " + d.KernelVersion + " x86_64 GNU/Linux\n" +
		d.OSRelease() +
		"uid=0(root) gid=0(root) groups=0(root)\n"
	if out != want {
		t.Fatalf("output mismatch\n got: %q\nwant: %q", out, want)
	}
	in.WaitType(t, 5*time.Second, "disconnect")
	conn := typed(in, "connect")
	if len(conn) != 1 || !strings.HasPrefix(conn[0].Fields["client_version"], "SSH-2.0-OpenSSH_") ||
		len(conn[0].Fields["hassh"]) != 32 || strings.Count(conn[0].Fields["hassh_algorithms"], ";") != 3 {
		t.Fatalf("connect event: %+v", conn)
	}
	auth := typed(in, "auth_attempt")
	if len(auth) == 0 {
		t.Fatal("no auth_attempt")
	}
	a := auth[len(auth)-1]
	for k, v := range map[string]string{"src_ip": "127.0.0.1", "username": "root", "principal": "root",
		"secret_kind": "plaintext", "secret_printable": "admin", "secret_b64": "YWRtaW4=", "outcome": "success"} {
		if a.Fields[k] != v {
			t.Errorf("auth_attempt %s = %q, want %q", k, a.Fields[k], v)
		}
	}
	cmds := typed(in, "command")
	if len(cmds) != 1 {
		t.Fatalf("want 1 command event, got %d", len(cmds))
	}
	c := cmds[0]
	for k, v := range map[string]string{"user": "root", "uid": "0", "pwd": "/root", "command": "hostname; uname -a; cat /etc/os-release; id"} {
		if c.Fields[k] != v {
			t.Errorf("command %s = %q, want %q", k, c.Fields[k], v)
		}
	}
	if !strings.HasSuffix(c.Msg, "CMD uid=0 user=root src=127.0.0.1 pwd=/root cmd=hostname; uname -a; cat /etc/os-release; id") {
		t.Errorf("command MSG = %q", c.Msg)
	}
	rec := typed(in, "session_recorded")
	if len(rec) != 1 || rec[0].Fields["service"] != "ssh" || rec[0].Fields["truncated"] != "false" {
		t.Errorf("session_recorded: %+v", rec)
	}
}
