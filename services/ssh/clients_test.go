package ssh

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

func TestWrongPasswordLogged(t *testing.T) {
	need(t, "ssh", "sshpass")
	in := servicetest.Start(t, "ssh", withKeys())
	args := append([]string{"-p", "hunter\"2]", "ssh"}, sshArgs(in.Port(22))...)
	args = append(args, "-o", "NumberOfPasswordPrompts=1", "-o", "PreferredAuthentications=password", "admin@127.0.0.1", "id")
	out, err := run(t, 30*time.Second, "", "sshpass", args...)
	if err == nil {
		t.Fatalf("login with a wrong password succeeded: %s", out)
	}
	in.WaitType(t, 5*time.Second, "auth_attempt")
	a := typed(in, "auth_attempt")[0]
	for k, v := range map[string]string{"username": "admin", "principal": "admin", "secret_kind": "plaintext",
		"secret_printable": "hunter\"2]", "secret_b64": "aHVudGVyIjJd", "outcome": "failure"} {
		if a.Fields[k] != v {
			t.Errorf("%s = %q, want %q", k, a.Fields[k], v)
		}
	}
}

func TestPublicKeyLoggedNeverAccepted(t *testing.T) {
	need(t, "ssh", "ssh-keygen")
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := run(t, 20*time.Second, "", "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	fp, err := run(t, 10*time.Second, "", "ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := os.ReadFile(key + ".pub")
	in := servicetest.Start(t, "ssh", withKeys())
	args := append(sshArgs(in.Port(22)), "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
		"-o", "PreferredAuthentications=publickey", "root@127.0.0.1", "id")
	if out, err := run(t, 30*time.Second, "", "ssh", args...); err == nil {
		t.Fatalf("public key accepted: %s", out)
	}
	in.WaitType(t, 5*time.Second, "disconnect")
	a := typed(in, "auth_attempt")
	if len(a) != 1 {
		t.Fatalf("want 1 auth_attempt, got %d", len(a))
	}
	f := a[0].Fields
	wantPrintable := "ssh-ed25519 " + strings.Fields(fp)[1]
	if f["secret_kind"] != KindPublicKey || f["secret_printable"] != wantPrintable || f["outcome"] != "failure" ||
		f["secret_b64"] != strings.Fields(string(pub))[1] || f["principal"] != "root" {
		t.Fatalf("auth_attempt fields: %v (want printable %q)", f, wantPrintable)
	}
}

func TestInteractiveSession(t *testing.T) {
	need(t, "ssh", "sshpass")
	in := servicetest.Start(t, "ssh", withKeys())
	args := append([]string{"-p", "admin", "ssh", "-tt"}, sshArgs(in.Port(22))...)
	args = append(args, "ubuntu@127.0.0.1")
	script := "whoami\ncd /tmp\npwd\nsudo id\nadmin\nexit\n"
	out, err := run(t, 30*time.Second, script, "sshpass", args...)
	if err != nil {
		t.Fatalf("ssh -tt: %v\n%s", err, out)
	}
	for _, want := range []string{"Debian GNU/Linux comes with ABSOLUTELY NO WARRANTY", "ubuntu@SRV-TEST-42:~$ ",
		"ubuntu@SRV-TEST-42:/tmp$ ", "[sudo] password for ubuntu: ", "uid=0(root) gid=0(root) groups=0(root)", "logout"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	in.WaitType(t, 5*time.Second, "session_recorded")
	cmds := typed(in, "command")
	var got []string
	for _, c := range cmds {
		got = append(got, c.Fields["pwd"]+"|"+c.Fields["uid"]+"|"+c.Fields["command"])
	}
	want := []string{"/home/ubuntu|1000|whoami", "/home/ubuntu|1000|cd /tmp", "/tmp|1000|pwd", "/tmp|1000|sudo id", "/tmp|1000|exit"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("commands %q, want %q", got, want)
	}
	// the transcript: an asciinema v2 header followed by events
	files, _ := filepath.Glob(filepath.Join(in.Env.Artifacts, "transcripts", "sessions-*.jsonl"))
	if len(files) != 1 {
		t.Fatalf("transcripts: %v", files)
	}
	f, _ := os.Open(files[0])
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var hdr map[string]any
	sc.Scan()
	if err := json.Unmarshal(sc.Bytes(), &hdr); err != nil || hdr["version"] != float64(2) || hdr["sid"] == "" {
		t.Fatalf("header %s: %v", sc.Text(), err)
	}
	var sawOut, sawIn bool
	for sc.Scan() {
		var ev []any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || len(ev) != 3 {
			t.Fatalf("bad event line %s", sc.Text())
		}
		sawOut = sawOut || ev[1] == "o" && strings.Contains(ev[2].(string), "uid=0(root)")
		sawIn = sawIn || ev[1] == "i" && strings.Contains(ev[2].(string), "whoami")
	}
	if !sawOut || !sawIn {
		t.Fatalf("transcript lacks output (%v) or input (%v)", sawOut, sawIn)
	}
}

func checkCaptured(t *testing.T, in *servicetest.Instance, data []byte, origPath, attribution string) {
	t.Helper()
	line := in.WaitType(t, 10*time.Second, "file_captured")
	r := servicetest.Parse(t, line)
	sum := sha256.Sum256(data)
	hexsum := hex.EncodeToString(sum[:])
	f := r.Fields
	if f["sha256"] != hexsum || f["size"] != fmt.Sprint(len(data)) || f["orig_path"] != origPath ||
		f["ssh_user"] != "root" || f["attribution"] != attribution || f["stored_as"] != "quarantine/"+hexsum || f["mtime"] == "" {
		t.Fatalf("file_captured fields %v", f)
	}
	got, err := os.ReadFile(filepath.Join(in.Env.Artifacts, "quarantine", hexsum))
	if err != nil || string(got) != string(data) {
		t.Fatalf("quarantined file: %v", err)
	}
}

func payload(t *testing.T) (string, []byte) {
	data := make([]byte, 200000)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.IntN(256))
	}
	p := filepath.Join(t.TempDir(), "implant.bin")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

func TestSCPLegacyUpload(t *testing.T) {
	need(t, "scp", "sshpass")
	in := servicetest.Start(t, "ssh", withKeys())
	p, data := payload(t)
	args := append([]string{"-p", "admin", "scp", "-O", "-P", fmt.Sprint(in.Port(22))}, sshArgs(in.Port(22))[:6]...)
	args = append(args, p, "root@127.0.0.1:/tmp/")
	if out, err := run(t, 30*time.Second, "", "sshpass", args...); err != nil {
		t.Fatalf("scp -O: %v %s", err, out)
	}
	checkCaptured(t, in, data, "/tmp/implant.bin", "scp")
}

func TestSCPOverSFTPUpload(t *testing.T) {
	need(t, "scp", "sshpass")
	in := servicetest.Start(t, "ssh", withKeys())
	p, data := payload(t)
	args := append([]string{"-p", "admin", "scp", "-P", fmt.Sprint(in.Port(22))}, sshArgs(in.Port(22))[:6]...)
	args = append(args, p, "root@127.0.0.1:/tmp/x.bin")
	if out, err := run(t, 30*time.Second, "", "sshpass", args...); err != nil {
		t.Fatalf("scp: %v %s\n%s", err, out[len(out)-300:], strings.Join(in.Lines(), "\n"))
	}
	checkCaptured(t, in, data, "/tmp/x.bin", "sftp")
}

func TestSFTPPut(t *testing.T) {
	need(t, "sftp", "sshpass")
	in := servicetest.Start(t, "ssh", withKeys())
	p, data := payload(t)
	batch := filepath.Join(t.TempDir(), "batch")
	os.WriteFile(batch, []byte("ls /root/projects\nput "+p+" /var/tmp/up.bin\nget /etc/hostname "+filepath.Join(t.TempDir(), "h")+"\n"), 0o644)
	args := append([]string{"-p", "admin", "sftp", "-o", "BatchMode=no", "-b", batch, "-P", fmt.Sprint(in.Port(22))}, sshArgs(in.Port(22))[:6]...)
	args = append(args, "root@127.0.0.1")
	out, err := run(t, 30*time.Second, "", "sshpass", args...)
	if err != nil {
		t.Fatalf("sftp: %v %s", err, out)
	}
	if !strings.Contains(out, "docker-compose.yml") {
		t.Errorf("sftp ls lacks the bait tree: %s", out)
	}
	checkCaptured(t, in, data, "/var/tmp/up.bin", "sftp")
}

func TestHostKeyStableAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	a, err := hostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := hostKeys(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 2 || len(b) != 2 {
		t.Fatalf("want ed25519 + rsa, got %d/%d", len(a), len(b))
	}
	for i := range a {
		if string(a[i].PublicKey().Marshal()) != string(b[i].PublicKey().Marshal()) {
			t.Fatalf("key %d changed across restarts", i)
		}
	}
	if a[0].PublicKey().Type() != "ssh-ed25519" || a[1].PublicKey().Type() != "ssh-rsa" {
		t.Fatalf("types %s %s", a[0].PublicKey().Type(), a[1].PublicKey().Type())
	}
}

func TestHydra(t *testing.T) {
	need(t, "hydra")
	in := servicetest.Start(t, "ssh", withKeys())
	pw := []string{"123456", "password", "qwerty", "letmein", "toor", "root", "changeme", "P@ssw0rd", "dragon", "monkey"}
	list := filepath.Join(t.TempDir(), "pw.txt")
	os.WriteFile(list, []byte(strings.Join(pw, "\n")+"\n"), 0o644)
	out, err := run(t, 120*time.Second, "", "hydra", "-l", "root", "-P", list, "-s", fmt.Sprint(in.Port(22)), "-t", "4", "-I", "ssh://127.0.0.1")
	if err != nil {
		t.Logf("hydra: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := map[string]bool{}
		for _, a := range typed(in, "auth_attempt") {
			if a.Fields["username"] == "root" && a.Fields["secret_kind"] == "plaintext" {
				got[a.Fields["secret_printable"]] = true
			}
		}
		missing := []string{}
		for _, p := range pw {
			if !got[p] {
				missing = append(missing, p)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("attempts not captured: %v\nhydra output:\n%s", missing, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestNmapVersion(t *testing.T) {
	need(t, "nmap")
	in := servicetest.Start(t, "ssh", withKeys())
	out, err := run(t, 120*time.Second, "", "nmap", "-sV", "-Pn", "-n", "-p", fmt.Sprint(in.Port(22)), "127.0.0.1")
	if err != nil {
		t.Fatalf("nmap: %v %s", err, out)
	}
	if !strings.Contains(out, "ssh") || !strings.Contains(out, "OpenSSH 9.2p1 Debian") {
		t.Fatalf("nmap output:\n%s", out)
	}
}

func TestConcurrentConnections(t *testing.T) {
	in := servicetest.Start(t, "ssh", withKeys(), func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	const n = 500
	conns := make([]net.Conn, 0, n)
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", in.Addr(22), 10*time.Second)
			if err != nil {
				errs <- err
				return
			}
			c.SetReadDeadline(time.Now().Add(20 * time.Second))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "SSH-2.0-OpenSSH_9.2p1") {
				errs <- fmt.Errorf("banner %q: %v", line, err)
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range conns {
		c.Close()
	}
	assertServing(t, in)
}

// assertServing checks a real login still works.
func assertServing(t *testing.T, in *servicetest.Instance) {
	t.Helper()
	c := dialClient(t, in.Addr(22), "root", "admin")
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.Output("whoami")
	if err != nil || string(out) != "root\n" {
		t.Fatalf("whoami: %q %v", out, err)
	}
}

func TestHostileInput(t *testing.T) {
	in := servicetest.Start(t, "ssh", withKeys())
	r := rand.New(rand.NewPCG(3, 4))
	junk := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	inputs := [][]byte{
		junk(4096),
		[]byte("SSH-2.0-x\r\n\xff\xff\xff\xff\x00\x14"),                       // oversized packet length
		[]byte("SSH-2.0-x\r\n\x00\x00\x00\x10\x04\x14abc"),                    // truncated KEXINIT
		append([]byte("SSH-2.0-x\r\n\x00\x00\x01\x00\x04\x14"), junk(300)...), // garbage name-lists
		[]byte(strings.Repeat("A", 100000)),                                   // no newline
		[]byte(strings.Repeat("junk line\r\n", 5000)),
		{},
	}
	for i, b := range inputs {
		c, err := net.Dial("tcp", in.Addr(22))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write(b)
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				break
			}
		}
		c.Close()
		_ = i
	}
	assertServing(t, in)
}
