package shell

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// Node is one file or directory of the fake filesystem.
type Node struct {
	Mode    fs.FileMode // permission bits plus fs.ModeDir for directories
	UID     int
	GID     int
	Size    int64  // for files without Content (binaries); else len(Content)
	Content string // file body
	ModTime time.Time
	Gen     func(s *System) string // dynamic content (/proc)
}

// IsDir reports whether n is a directory.
func (n *Node) IsDir() bool { return n.Mode.IsDir() }

// size returns the apparent size.
func (n *Node) size() int64 {
	switch {
	case n.IsDir():
		return 4096
	case n.Gen != nil:
		return 0
	case n.Content != "":
		return int64(len(n.Content))
	}
	return n.Size
}

// binaries lists the programs present in /usr/bin (a command that exists here is found by `which`).
var binaries = []string{"awk", "base64", "bash", "cat", "chmod", "chown", "cp", "crontab", "curl", "cut", "date",
	"df", "echo", "env", "find", "free", "grep", "groups", "head", "hostname", "id", "ip", "kill", "last", "ls",
	"lscpu", "mkdir", "mv", "nano", "netstat", "nohup", "nproc", "perl", "ps", "pwd", "rm", "sed", "sh", "sleep",
	"ss", "su", "sudo", "tail", "tar", "touch", "uname", "uptime", "vi", "w", "wc", "wget", "who", "whoami"}

func (s *System) buildFS() {
	t0 := s.boot.Add(-time.Duration(40+s.cpus) * 24 * time.Hour)
	m := map[string]*Node{}
	dir := func(p string, mode fs.FileMode, uid int) {
		m[p] = &Node{Mode: fs.ModeDir | mode, UID: uid, GID: uid, ModTime: t0}
	}
	file := func(p string, mode fs.FileMode, uid int, content string) {
		m[p] = &Node{Mode: mode, UID: uid, GID: uid, Content: content, ModTime: t0}
	}
	for _, d := range []string{"/", "/bin", "/boot", "/dev", "/etc", "/etc/ssh", "/etc/cron.d", "/home", "/lib", "/media",
		"/mnt", "/opt", "/proc", "/run", "/sbin", "/srv", "/sys", "/usr", "/usr/bin", "/usr/sbin", "/usr/lib",
		"/usr/local", "/usr/local/bin", "/usr/share", "/var", "/var/backups", "/var/cache", "/var/lib", "/var/log",
		"/var/mail", "/var/spool", "/var/tmp", "/var/www", "/var/www/html"} {
		dir(d, 0o755, 0)
	}
	m["/tmp"] = &Node{Mode: fs.ModeDir | fs.ModeSticky | 0o777, ModTime: s.boot}
	m["/var/tmp"].Mode |= fs.ModeSticky | 0o777
	dir("/root", 0o700, 0)
	for _, b := range binaries {
		m["/usr/bin/"+b] = &Node{Mode: 0o755, Size: int64(30000 + len(b)*7919%900000), ModTime: t0}
	}
	m["/usr/sbin/sshd"] = &Node{Mode: 0o755, Size: 1266880, ModTime: t0}
	d := s.cfg.Distro
	file("/etc/os-release", 0o644, 0, d.OSRelease())
	file("/usr/lib/os-release", 0o644, 0, d.OSRelease())
	file("/etc/hostname", 0o644, 0, s.cfg.Hostname+"\n")
	file("/etc/hosts", 0o644, 0, fmt.Sprintf("127.0.0.1\tlocalhost\n127.0.1.1\t%s\n%s\t%s\n\n"+
		"# The following lines are desirable for IPv6 capable hosts\n::1     localhost ip6-localhost ip6-loopback\n"+
		"ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n", s.cfg.Hostname, s.ip, s.cfg.Hostname))
	file("/etc/issue", 0o644, 0, d.PrettyName+" \\n \\l\n\n")
	file("/etc/issue.net", 0o644, 0, d.PrettyName+"\n")
	file("/etc/resolv.conf", 0o644, 0, "nameserver "+gateway(s.ip)+"\nsearch localdomain\n")
	file("/etc/passwd", 0o644, 0, s.passwd())
	file("/etc/group", 0o644, 0, s.group())
	file("/etc/shadow", 0o640, 0, s.shadow())
	file("/etc/crontab", 0o644, 0, "SHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n"+
		"17 *\t* * *\troot    cd / && run-parts --report /etc/cron.hourly\n"+
		"25 6\t* * *\troot\ttest -x /usr/sbin/anacron || ( cd / && run-parts --report /etc/cron.daily )\n")
	file("/etc/ssh/sshd_config", 0o644, 0, "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nPermitRootLogin yes\n"+
		"PasswordAuthentication yes\nKbdInteractiveAuthentication no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n"+
		"AcceptEnv LANG LC_*\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n")
	if d.ID == "debian" {
		file("/etc/debian_version", 0o644, 0, "12.5\n")
	}
	if s.rhel {
		file("/etc/redhat-release", 0o644, 0, d.PrettyName+"\n")
	}
	m["/proc/version"] = &Node{Mode: 0o444, ModTime: s.boot, Gen: func(s *System) string {
		return fmt.Sprintf("Linux version %s (%s) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) %s\n",
			s.cfg.Distro.KernelRelease, "debian-kernel@lists.debian.org", s.cfg.Distro.KernelVersion)
	}}
	m["/proc/cpuinfo"] = &Node{Mode: 0o444, ModTime: s.boot, Gen: (*System).cpuinfo}
	m["/proc/meminfo"] = &Node{Mode: 0o444, ModTime: s.boot, Gen: (*System).meminfo}
	m["/proc/uptime"] = &Node{Mode: 0o444, ModTime: s.boot, Gen: func(s *System) string {
		u := s.uptime().Seconds()
		return fmt.Sprintf("%.2f %.2f\n", u, u*float64(s.cpus)*0.97)
	}}
	m["/dev/null"] = &Node{Mode: fs.ModeDevice | fs.ModeCharDevice | 0o666, ModTime: s.boot}
	m["/var/log/auth.log"] = &Node{Mode: 0o640, Size: 48213, ModTime: s.cfg.Now()}
	m["/var/log/syslog"] = &Node{Mode: 0o640, Size: 812344, ModTime: s.cfg.Now()}
	file("/var/www/html/index.html", 0o644, 0, "<html><body><h1>It works!</h1></body></html>\n")
	// root's lived-in home with bait
	file("/root/.bashrc", 0o644, 0, "# ~/.bashrc: executed by bash(1) for non-login shells.\n\nexport LS_OPTIONS='--color=auto'\nalias ls='ls $LS_OPTIONS'\n")
	file("/root/.profile", 0o644, 0, "# ~/.profile: executed by Bourne-compatible login shells.\n\nif [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\n\nmesg n 2> /dev/null || true\n")
	dir("/root/.ssh", 0o700, 0)
	file("/root/.ssh/authorized_keys", 0o600, 0, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3kqg0V2M0Gv8tFz1cJpQeZ0jvYw4l0k2xq7Yt9n2Lb deploy@ci-runner\n")
	dir("/root/projects", 0o755, 0)
	dbPass := fmt.Sprintf("Pr0d-%x!", s.cfg.Rand.Uint32())
	file("/root/projects/.env", 0o600, 0, fmt.Sprintf("APP_ENV=production\nAPP_DEBUG=false\nDB_CONNECTION=mysql\n"+
		"DB_HOST=10.0.0.%d\nDB_PORT=3306\nDB_DATABASE=app_prod\nDB_USERNAME=app_rw\nDB_PASSWORD=%s\n"+
		"REDIS_HOST=127.0.0.1\nREDIS_PASSWORD=null\nAWS_ACCESS_KEY_ID=AKIA%X\nAWS_SECRET_ACCESS_KEY=%x%x\n",
		20+s.cpus, dbPass, s.cfg.Rand.Uint64()&0xffffffffffff, s.cfg.Rand.Uint64(), s.cfg.Rand.Uint64()))
	file("/root/projects/docker-compose.yml", 0o644, 0, "services:\n  app:\n    image: registry.internal/app:2.3.1\n"+
		"    env_file: .env\n    ports:\n      - \"8080:8080\"\n    restart: always\n")
	file("/root/projects/backup.sh", 0o755, 0, "#!/bin/bash\nset -e\nmysqldump -h \"$DB_HOST\" -u app_rw -p\""+dbPass+
		"\" app_prod | gzip > /var/backups/app_prod-$(date +%F).sql.gz\n")
	s.baseHist = map[string][]string{"root": {"apt update", "apt upgrade -y", "cd /root/projects", "vi .env",
		"docker compose up -d", "systemctl status ssh", "df -h", "tail -f /var/log/syslog", "crontab -e", "exit"}}
	file("/root/.bash_history", 0o600, 0, strings.Join(s.baseHist["root"], "\n")+"\n")
	for _, a := range s.accounts {
		if a.UID == 0 {
			continue
		}
		dir(a.Home, 0o750, a.UID)
		file(a.Home+"/.bashrc", 0o644, a.UID, m["/root/.bashrc"].Content)
		file(a.Home+"/.profile", 0o644, a.UID, m["/root/.profile"].Content)
		s.baseHist[a.Name] = []string{"ls -la", "sudo systemctl restart nginx", "cd /var/www/html", "git pull", "sudo -i"}
		file(a.Home+"/.bash_history", 0o600, a.UID, strings.Join(s.baseHist[a.Name], "\n")+"\n")
	}
	s.base = m
}

func gateway(ip string) string {
	if i := strings.LastIndexByte(ip, '.'); i > 0 {
		return ip[:i] + ".1"
	}
	return "10.0.0.1"
}

type pwEntry struct {
	name            string
	uid, gid        int
	gecos, home, sh string
}

func (s *System) pwEntries() []pwEntry {
	nologin := "/usr/sbin/nologin"
	if s.rhel {
		nologin = "/sbin/nologin"
	}
	e := []pwEntry{{"root", 0, 0, "root", "/root", "/bin/bash"}}
	if s.rhel {
		e = append(e, pwEntry{"bin", 1, 1, "bin", "/bin", nologin}, pwEntry{"daemon", 2, 2, "daemon", "/sbin", nologin},
			pwEntry{"adm", 3, 4, "adm", "/var/adm", nologin}, pwEntry{"lp", 4, 7, "lp", "/var/spool/lpd", nologin},
			pwEntry{"sync", 5, 0, "sync", "/sbin", "/bin/sync"}, pwEntry{"shutdown", 6, 0, "shutdown", "/sbin", "/sbin/shutdown"},
			pwEntry{"halt", 7, 0, "halt", "/sbin", "/sbin/halt"}, pwEntry{"mail", 8, 12, "mail", "/var/spool/mail", nologin},
			pwEntry{"operator", 11, 0, "operator", "/root", nologin}, pwEntry{"games", 12, 100, "games", "/usr/games", nologin},
			pwEntry{"ftp", 14, 50, "FTP User", "/var/ftp", nologin}, pwEntry{"nobody", 65534, 65534, "Kernel Overflow User", "/", nologin},
			pwEntry{"dbus", 81, 81, "System message bus", "/", nologin}, pwEntry{"sshd", 74, 74, "Privilege-separated SSH", "/usr/share/empty.sshd", nologin},
			pwEntry{"chrony", 992, 987, "chrony system user", "/var/lib/chrony", nologin})
	} else {
		e = append(e, pwEntry{"daemon", 1, 1, "daemon", "/usr/sbin", nologin}, pwEntry{"bin", 2, 2, "bin", "/bin", nologin},
			pwEntry{"sys", 3, 3, "sys", "/dev", nologin}, pwEntry{"sync", 4, 65534, "sync", "/bin", "/bin/sync"},
			pwEntry{"games", 5, 60, "games", "/usr/games", nologin}, pwEntry{"man", 6, 12, "man", "/var/cache/man", nologin},
			pwEntry{"lp", 7, 7, "lp", "/var/spool/lpd", nologin}, pwEntry{"mail", 8, 8, "mail", "/var/mail", nologin},
			pwEntry{"news", 9, 9, "news", "/var/spool/news", nologin}, pwEntry{"uucp", 10, 10, "uucp", "/var/spool/uucp", nologin},
			pwEntry{"proxy", 13, 13, "proxy", "/bin", nologin}, pwEntry{"www-data", 33, 33, "www-data", "/var/www", nologin},
			pwEntry{"backup", 34, 34, "backup", "/var/backups", nologin}, pwEntry{"list", 38, 38, "Mailing List Manager", "/var/list", nologin},
			pwEntry{"irc", 39, 39, "ircd", "/run/ircd", nologin}, pwEntry{"_apt", 42, 65534, "", "/nonexistent", nologin},
			pwEntry{"nobody", 65534, 65534, "nobody", "/nonexistent", nologin},
			pwEntry{"systemd-network", 998, 998, "systemd Network Management", "/", nologin},
			pwEntry{"messagebus", 100, 107, "", "/nonexistent", nologin}, pwEntry{"sshd", 101, 65534, "", "/run/sshd", nologin})
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range s.accounts {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range names {
		if a := s.accounts[n]; a.UID != 0 {
			e = append(e, pwEntry{a.Name, a.UID, a.GID, a.Name + ",,,", a.Home, "/bin/bash"})
		}
	}
	return e
}

func (s *System) passwd() string {
	var b strings.Builder
	for _, e := range s.pwEntries() {
		fmt.Fprintf(&b, "%s:x:%d:%d:%s:%s:%s\n", e.name, e.uid, e.gid, e.gecos, e.home, e.sh)
	}
	return b.String()
}

func (s *System) shadow() string {
	var b strings.Builder
	for _, e := range s.pwEntries() {
		hash := "*"
		if e.uid == 0 || e.uid >= 1000 && e.uid < 65534 {
			hash = fmt.Sprintf("$y$j9T$%x$%x%x", s.cfg.Rand.Uint64(), s.cfg.Rand.Uint64(), s.cfg.Rand.Uint64())
		}
		fmt.Fprintf(&b, "%s:%s:19%03d:0:99999:7:::\n", e.name, hash, 400+e.uid%300)
	}
	return b.String()
}

func (s *System) group() string {
	var b strings.Builder
	users := []string{}
	for _, a := range s.accounts {
		if a.UID != 0 {
			users = append(users, a.Name)
		}
	}
	slices.Sort(users)
	member := strings.Join(users, ",")
	if s.rhel {
		fmt.Fprintf(&b, "root:x:0:\nbin:x:1:\ndaemon:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmem:x:8:\nkmem:x:9:\nwheel:x:10:%s\n", member)
	} else {
		fmt.Fprintf(&b, "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:%s\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmail:x:8:\n"+
			"www-data:x:33:\nbackup:x:34:\nsudo:x:27:%s\nusers:x:100:\nnogroup:x:65534:\n", member, member)
	}
	for _, u := range users {
		fmt.Fprintf(&b, "%s:x:1000:\n", u)
	}
	return b.String()
}

func (s *System) cpuinfo() string {
	var b strings.Builder
	vendor := "GenuineIntel"
	if strings.HasPrefix(s.cpuModel, "AMD") {
		vendor = "AuthenticAMD"
	}
	for i := range s.cpus {
		fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: 6\nmodel\t\t: 79\nmodel name\t: %s\n"+
			"stepping\t: 1\nmicrocode\t: 0x1\ncpu MHz\t\t: 2399.998\ncache size\t: 16384 KB\nphysical id\t: 0\n"+
			"siblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\nfpu\t\t: yes\nfpu_exception\t: yes\n"+
			"cpuid level\t: 13\nwp\t\t: yes\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 "+
			"clflush mmx fxsr sse sse2 ss syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology cpuid "+
			"pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand hypervisor "+
			"lahf_lm abm 3dnowprefetch fsgsbase bmi1 hle avx2 smep bmi2 erms invpcid rtm rdseed adx smap xsaveopt arat\n"+
			"bogomips\t: 4799.99\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 46 bits physical, 48 bits virtual\n"+
			"power management:\n\n", i, vendor, s.cpuModel, s.cpus, i, s.cpus, i)
	}
	return b.String()
}

// mem returns total, used, free, shared, buff/cache and available memory in KiB.
func (s *System) mem() (total, used, free, shared, cache, avail int) {
	total = s.memKB
	used = total * (14 + s.cpus) / 100
	cache = total * 22 / 100
	shared = 12000 + s.cpus*1000
	free = total - used - cache
	avail = free + cache*9/10
	return
}

func (s *System) meminfo() string {
	total, _, free, shared, cache, avail := s.mem()
	return fmt.Sprintf("MemTotal:       %8d kB\nMemFree:        %8d kB\nMemAvailable:   %8d kB\nBuffers:        %8d kB\n"+
		"Cached:         %8d kB\nSwapCached:            0 kB\nActive:         %8d kB\nInactive:       %8d kB\n"+
		"Shmem:          %8d kB\nSwapTotal:       1048572 kB\nSwapFree:        1048572 kB\n",
		total, free, avail, cache/10, cache*9/10, total/5, total/6, shared)
}

// cleanPath resolves p against cwd and home (~) into a clean absolute path.
func cleanPath(cwd, home, p string) string {
	switch {
	case p == "~":
		p = home
	case strings.HasPrefix(p, "~/"):
		p = home + p[1:]
	}
	if !strings.HasPrefix(p, "/") {
		p = cwd + "/" + p
	}
	return path.Clean(p)
}
