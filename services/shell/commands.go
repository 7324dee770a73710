package shell

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

type cmdFunc func(ss *Session, c *call) int

var commands map[string]cmdFunc

func init() {
	commands = map[string]cmdFunc{
		"hostname": cmdHostname, "whoami": cmdWhoami, "pwd": cmdPwd, "uname": cmdUname, "id": cmdID,
		"groups": cmdGroups, "w": cmdW, "who": cmdWho, "uptime": cmdUptime, "ps": cmdPs, "ls": cmdLs, "dir": cmdLs,
		"cd": cmdCd, "cat": cmdCat, "echo": cmdEcho, "env": cmdEnv, "printenv": cmdEnv, "export": cmdExport,
		"unset": cmdUnset, "ifconfig": cmdIfconfig, "ip": cmdIP, "free": cmdFree, "df": cmdDf, "wget": cmdWget,
		"curl": cmdCurl, "history": cmdHistory, "sudo": cmdSudo, "su": cmdSu, "exit": cmdExit, "logout": cmdExit,
		"clear": cmdClear, "date": cmdDate, "which": cmdWhich, "mkdir": cmdMkdir, "touch": cmdTouch, "rm": cmdRm,
		"netstat": cmdNetstat, "ss": cmdNetstat, "lscpu": cmdLscpu, "nproc": cmdNproc, "last": cmdLast,
		"crontab": cmdCrontab, "systemctl": cmdSystemctl, "service": cmdService, "python": cmdPython,
		"python3": cmdPython, "perl": cmdPerl, "chmod": cmdChmod, "head": cmdHead, "tail": cmdTail, "grep": cmdGrep,
		"find": cmdFind, "base64": cmdBase64, "wc": cmdWc, "true": func(*Session, *call) int { return 0 },
		"false": func(*Session, *call) int { return 1 }, "sleep": func(*Session, *call) int { return 0 },
		"bash": cmdSh, "sh": cmdSh, "nohup": cmdNohup, "arch": cmdArch, "kill": cmdKill, "cp": cmdCp, "mv": cmdCp,
		"chown": func(*Session, *call) int { return 0 },
	}
}

// flags splits args into single-letter flags and operands ("--" ends flags; long options kept as flags).
func flags(args []string) (map[string]bool, []string) {
	f := map[string]bool{}
	var ops []string
	for i, a := range args {
		switch {
		case a == "--":
			return f, append(ops, args[i+1:]...)
		case strings.HasPrefix(a, "--"):
			f[a] = true
		case len(a) > 1 && a[0] == '-':
			for _, r := range a[1:] {
				f[string(r)] = true
			}
		default:
			ops = append(ops, a)
		}
	}
	return f, ops
}

func cmdHostname(ss *Session, c *call) int {
	if len(c.args) > 1 && (c.args[1] == "-I" || c.args[1] == "-i") {
		c.printf("%s \n", ss.sys.ip)
		return 0
	}
	if len(c.args) > 1 && !strings.HasPrefix(c.args[1], "-") {
		c.errorf("hostname: you must be root to change the host name\n")
		return 1
	}
	c.printf("%s\n", ss.sys.cfg.Hostname)
	return 0
}

func cmdWhoami(ss *Session, c *call) int { c.printf("%s\n", ss.user.Name); return 0 }
func cmdPwd(ss *Session, c *call) int    { c.printf("%s\n", ss.cwd); return 0 }
func cmdArch(ss *Session, c *call) int   { c.printf("x86_64\n"); return 0 }

func cmdUname(ss *Session, c *call) int {
	d := ss.sys.cfg.Distro
	osName := "GNU/Linux"
	if d.ID == "alpine" {
		osName = "Linux"
	}
	f, _ := flags(c.args[1:])
	for k := range f {
		if !strings.Contains("asnrvmpio", k) && k != "--all" {
			c.errorf("uname: invalid option -- '%s'\nTry 'uname --help' for more information.\n", strings.TrimLeft(k, "-"))
			return 1
		}
	}
	all := f["a"] || f["--all"]
	var parts []string
	add := func(k, v string) {
		if all || f[k] {
			parts = append(parts, v)
		}
	}
	add("s", "Linux")
	add("n", ss.sys.cfg.Hostname)
	add("r", d.KernelRelease)
	add("v", d.KernelVersion)
	add("m", "x86_64")
	if !all {
		add("p", "unknown")
		add("i", "unknown")
	}
	add("o", osName)
	if len(parts) == 0 {
		parts = []string{"Linux"}
	}
	c.printf("%s\n", strings.Join(parts, " "))
	return 0
}

func cmdID(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	a := ss.user
	if len(ops) > 0 {
		var ok bool
		if a, ok = ss.sys.accounts[ops[0]]; !ok {
			c.errorf("id: '%s': no such user\n", ops[0])
			return 1
		}
	}
	switch {
	case f["u"] && f["n"]:
		c.printf("%s\n", a.Name)
	case f["u"]:
		c.printf("%d\n", a.UID)
	case f["g"] && f["n"]:
		c.printf("%s\n", a.Name)
	case f["g"]:
		c.printf("%d\n", a.GID)
	case f["G"]:
		c.printf("%s\n", groupList(a.Groups, f["n"]))
	default:
		c.printf("uid=%d(%s) gid=%d(%s) groups=%s\n", a.UID, a.Name, a.GID, a.Name, a.Groups)
	}
	return 0
}

func groupList(groups string, names bool) string {
	var out []string
	for _, g := range strings.Split(groups, ",") {
		id, name, _ := strings.Cut(strings.TrimSuffix(g, ")"), "(")
		if names {
			out = append(out, name)
		} else {
			out = append(out, id)
		}
	}
	return strings.Join(out, " ")
}

func cmdGroups(ss *Session, c *call) int { c.printf("%s\n", groupList(ss.user.Groups, true)); return 0 }

func (s *System) uptimeText() string {
	u := s.uptime()
	days := int(u.Hours()) / 24
	h, m := int(u.Hours())%24, int(u.Minutes())%60
	return fmt.Sprintf(" %s up %d days, %2d:%02d,  1 user,  load average: %.2f, %.2f, %.2f",
		s.cfg.Now().Format("15:04:05"), days, h, m, s.load[0], s.load[1], s.load[2])
}

func cmdUptime(ss *Session, c *call) int {
	if len(c.args) > 1 && c.args[1] == "-p" {
		u := ss.sys.uptime()
		d := int(u.Hours()) / 24
		c.printf("up %d weeks, %d days, %d hours, %d minutes\n", d/7, d%7, int(u.Hours())%24, int(u.Minutes())%60)
		return 0
	}
	c.printf("%s\n", ss.sys.uptimeText())
	return 0
}

func (ss *Session) loginTime() string { return ss.sys.cfg.Now().Add(-2 * time.Minute).Format("15:04") }

func cmdW(ss *Session, c *call) int {
	c.printf("%s\n", ss.sys.uptimeText())
	c.printf("USER     TTY      FROM             LOGIN@   IDLE   JCPU   PCPU WHAT\n")
	c.printf("%-8s %-8s %-16s %s    0.00s  0.03s  0.00s w\n", ss.user.Name, ss.TTY, ss.Src, ss.loginTime())
	return 0
}

func cmdWho(ss *Session, c *call) int {
	c.printf("%-8s %-12s %s (%s)\n", ss.user.Name, ss.TTY, ss.sys.cfg.Now().Add(-2*time.Minute).Format("2006-01-02 15:04"), ss.Src)
	return 0
}

type proc struct {
	user       string
	pid        int
	cpu, mem   float64
	vsz, rss   int
	tty, stat  string
	start, cmd string
}

func (ss *Session) procs() []proc {
	boot := ss.sys.boot.Format("Jan02")
	now := ss.sys.cfg.Now().Add(-2 * time.Minute).Format("15:04")
	sshd := "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups"
	p := []proc{
		{"root", 1, 0, 0.1, 167820, 12844, "?", "Ss", boot, "/sbin/init"},
		{"root", 2, 0, 0, 0, 0, "?", "S", boot, "[kthreadd]"},
		{"root", 3, 0, 0, 0, 0, "?", "I<", boot, "[rcu_gp]"},
		{"root", 12, 0, 0, 0, 0, "?", "S", boot, "[ksoftirqd/0]"},
		{"root", 13, 0, 0, 0, 0, "?", "I", boot, "[rcu_preempt]"},
		{"root", 287, 0, 0.2, 48412, 16204, "?", "Ss", boot, "/lib/systemd/systemd-journald"},
		{"root", 311, 0, 0.1, 26212, 6900, "?", "Ss", boot, "/lib/systemd/systemd-udevd"},
		{"root", 512, 0, 0, 6612, 2688, "?", "Ss", boot, "/usr/sbin/cron -f"},
		{"message+", 513, 0, 0, 9236, 4912, "?", "Ss", boot, "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only"},
		{"root", 518, 0, 0, 222136, 5928, "?", "Ssl", boot, "/usr/sbin/rsyslogd -n -iNONE"},
		{"root", 521, 0, 0.1, 25416, 7936, "?", "Ss", boot, "/lib/systemd/systemd-logind"},
		{"root", 640, 0, 0.1, 15432, 9188, "?", "Ss", boot, sshd},
		{"root", 641, 0, 0, 5876, 1012, "tty1", "Ss+", boot, "/sbin/agetty -o -p -- \\u --noclear - linux"},
		{"root", 2101, 0, 0.1, 17712, 10924, "?", "Ss", now, "sshd: " + ss.user.Name + " [priv]"},
		{ss.user.Name, 2110, 0, 0.1, 18924, 10200, "?", "Ss", now, "/lib/systemd/systemd --user"},
		{ss.user.Name, 2127, 0, 0, 17972, 6788, "?", "S", now, "sshd: " + ss.user.Name + "@" + ss.TTY},
		{ss.user.Name, 2128, 0, 0.05, 8620, 5392, ss.TTY, "Ss", now, "-bash"},
	}
	return p
}

func cmdPs(ss *Session, c *call) int {
	arg := strings.Join(c.args[1:], " ")
	switch {
	case strings.Contains(arg, "aux") || strings.Contains(arg, "ax"):
		c.printf("USER         PID %%CPU %%MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
		for _, p := range append(ss.procs(), proc{ss.user.Name, 2201, 0, 0, 11112, 4600, ss.TTY, "R+", ss.sys.cfg.Now().Format("15:04"), "ps " + arg}) {
			c.printf("%-8s %7d %4.1f %4.1f %6d %5d %-8s %-4s %-5s   0:00 %s\n", trunc8(p.user), p.pid, p.cpu, p.mem, p.vsz, p.rss, p.tty, p.stat, p.start, p.cmd)
		}
	case strings.Contains(arg, "ef") || strings.Contains(arg, "-e"):
		c.printf("UID          PID    PPID  C STIME TTY          TIME CMD\n")
		for _, p := range append(ss.procs(), proc{ss.user.Name, 2201, 0, 0, 0, 0, ss.TTY, "", ss.sys.cfg.Now().Format("15:04"), "ps " + arg}) {
			ppid := 1
			if p.pid <= 2 {
				ppid = 0
			} else if p.cmd[0] == '[' {
				ppid = 2
			}
			c.printf("%-8s %7d %7d  0 %-5s %-8s 00:00:00 %s\n", trunc8(p.user), p.pid, ppid, p.start, p.tty, p.cmd)
		}
	default:
		c.printf("    PID TTY          TIME CMD\n   2128 %-8s 00:00:00 bash\n   2201 %-8s 00:00:00 ps\n", ss.TTY, ss.TTY)
	}
	return 0
}

func trunc8(s string) string {
	if len(s) > 8 {
		return s[:7] + "+"
	}
	return s
}

func cmdCd(ss *Session, c *call) int {
	target := ss.user.Home
	if len(c.args) > 1 {
		target = c.args[1]
	}
	if target == "-" {
		target = ss.oldpwd
		if target == "" {
			c.errorf("-bash: cd: OLDPWD not set\n")
			return 1
		}
		c.printf("%s\n", target)
	}
	p := ss.abs(target)
	n, err := ss.stat(p)
	if err == nil && !n.IsDir() {
		err = errNotDir
	}
	if err == nil && !ss.canRead(n) {
		err = fs.ErrPermission
	}
	if err != nil {
		c.errorf("-bash: cd: %s: %s\n", target, errText(err))
		return 1
	}
	ss.oldpwd, ss.cwd = ss.cwd, p
	ss.setEnv("PWD", p)
	return 0
}

func cmdCat(ss *Session, c *call) int {
	_, ops := flags(c.args[1:])
	if len(ops) == 0 {
		c.out.Write(c.stdin)
		return 0
	}
	st := 0
	for _, f := range ops {
		if f == "-" {
			c.out.Write(c.stdin)
			continue
		}
		data, err := ss.readFile(f)
		if err != nil {
			c.errorf("cat: %s: %s\n", f, errText(err))
			st = 1
			continue
		}
		c.printf("%s", data)
	}
	return st
}

func cmdEcho(ss *Session, c *call) int {
	args := c.args[1:]
	nl, esc := true, false
	for len(args) > 0 && len(args[0]) > 1 && args[0][0] == '-' && strings.Trim(args[0][1:], "neE") == "" {
		nl = nl && !strings.Contains(args[0], "n")
		esc = esc || strings.Contains(args[0], "e")
		args = args[1:]
	}
	s := strings.Join(args, " ")
	if esc {
		s = unescape(s)
	}
	if nl {
		s += "\n"
	}
	c.printf("%s", s)
	return 0
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		case 'x':
			j := i + 1
			for j < len(s) && j < i+3 && strings.IndexByte("0123456789abcdefABCDEF", s[j]) >= 0 {
				j++
			}
			if v, err := strconv.ParseUint(s[i+1:j], 16, 8); err == nil {
				b.WriteByte(byte(v))
				i = j - 1
			} else {
				b.WriteString("\\x")
			}
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func cmdEnv(ss *Session, c *call) int {
	if len(c.args) > 1 && c.args[0] == "printenv" {
		st := 0
		for _, k := range c.args[1:] {
			if v, ok := ss.env[k]; ok {
				c.printf("%s\n", v)
			} else {
				st = 1
			}
		}
		return st
	}
	for _, k := range ss.envKeys {
		c.printf("%s=%s\n", k, ss.env[k])
	}
	return 0
}

func cmdExport(ss *Session, c *call) int {
	if len(c.args) == 1 || c.args[1] == "-p" {
		keys := slices.Sorted(slices.Values(ss.envKeys))
		for _, k := range keys {
			c.printf("declare -x %s=%q\n", k, ss.env[k])
		}
		return 0
	}
	for _, a := range c.args[1:] {
		if k, v, ok := strings.Cut(a, "="); ok && isAssign(a) {
			ss.setEnv(k, v)
		} else if !isAssign(a + "=") {
			c.errorf("-bash: export: `%s': not a valid identifier\n", a)
			return 1
		}
	}
	return 0
}

func cmdUnset(ss *Session, c *call) int {
	for _, k := range c.args[1:] {
		ss.unsetEnv(k)
	}
	return 0
}

func cmdIfconfig(ss *Session, c *call) int {
	s := ss.sys
	c.printf("eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n"+
		"        inet %s  netmask 255.255.255.0  broadcast %s\n"+
		"        inet6 fe80::5054:ff:fe%s:%s  prefixlen 64  scopeid 0x20<link>\n"+
		"        ether %s  txqueuelen 1000  (Ethernet)\n"+
		"        RX packets 2810443  bytes 1973305524 (1.8 GiB)\n        RX errors 0  dropped 12  overruns 0  frame 0\n"+
		"        TX packets 1432011  bytes 309118337 (294.7 MiB)\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n"+
		"lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n        inet 127.0.0.1  netmask 255.0.0.0\n"+
		"        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n        loop  txqueuelen 1000  (Local Loopback)\n"+
		"        RX packets 5120  bytes 443218 (432.8 KiB)\n        RX errors 0  dropped 0  overruns 0  frame 0\n"+
		"        TX packets 5120  bytes 443218 (432.8 KiB)\n        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n\n",
		s.ip, broadcast(s.ip), s.mac[9:11], strings.ReplaceAll(s.mac[12:], ":", ""), s.mac)
	return 0
}

func broadcast(ip string) string {
	if i := strings.LastIndexByte(ip, '.'); i > 0 {
		return ip[:i] + ".255"
	}
	return ip
}

func cmdIP(ss *Session, c *call) int {
	s := ss.sys
	sub := ""
	for _, a := range c.args[1:] {
		if !strings.HasPrefix(a, "-") {
			sub = a
			break
		}
	}
	switch {
	case sub == "":
		c.errorf("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n")
		return 255
	case strings.HasPrefix("address", sub):
		c.printf("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n"+
			"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n"+
			"       valid_lft forever preferred_lft forever\n    inet6 ::1/128 scope host noprefixroute \n"+
			"       valid_lft forever preferred_lft forever\n"+
			"2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000\n"+
			"    link/ether %s brd ff:ff:ff:ff:ff:ff\n    inet %s/24 brd %s scope global eth0\n"+
			"       valid_lft forever preferred_lft forever\n", s.mac, s.ip, broadcast(s.ip))
	case strings.HasPrefix("route", sub):
		c.printf("default via %s dev eth0 onlink \n%s.0/24 dev eth0 proto kernel scope link src %s \n",
			gateway(s.ip), s.ip[:strings.LastIndexByte(s.ip, '.')], s.ip)
	case strings.HasPrefix("link", sub):
		c.printf("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n"+
			"    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"+
			"2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\n"+
			"    link/ether %s brd ff:ff:ff:ff:ff:ff\n", s.mac)
	default:
		c.errorf("Object \"%s\" is unknown, try \"ip help\".\n", sub)
		return 1
	}
	return 0
}

func human(kb int) string {
	if kb == 0 {
		return "0B"
	}
	v := float64(kb)
	for _, u := range []string{"Ki", "Mi", "Gi", "Ti"} {
		if v < 1024 {
			if v < 10 && u != "Ki" {
				return fmt.Sprintf("%.1f%s", v, u)
			}
			return fmt.Sprintf("%.0f%s", v, u)
		}
		v /= 1024
	}
	return fmt.Sprintf("%.1fPi", v)
}

func cmdFree(ss *Session, c *call) int {
	f, _ := flags(c.args[1:])
	total, used, free, shared, cache, avail := ss.sys.mem()
	conv := func(kb int) string { return strconv.Itoa(kb) }
	switch {
	case f["h"]:
		conv = human
	case f["m"]:
		conv = func(kb int) string { return strconv.Itoa(kb / 1024) }
	case f["g"]:
		conv = func(kb int) string { return strconv.Itoa(kb / 1024 / 1024) }
	}
	c.printf("               total        used        free      shared  buff/cache   available\n")
	c.printf("Mem:     %11s %11s %11s %11s %11s %11s\n", conv(total), conv(used), conv(free), conv(shared), conv(cache), conv(avail))
	c.printf("Swap:    %11s %11s %11s\n", conv(1048572), conv(0), conv(1048572))
	return 0
}

func cmdDf(ss *Session, c *call) int {
	f, _ := flags(c.args[1:])
	s := ss.sys
	rootKB := s.diskGB * 1024 * 1024
	usedKB := rootKB * (18 + s.cpus*2) / 100
	memKB := s.memKB
	rows := [][4]int{{memKB / 2, 0}, {memKB / 10, 1100}, {rootKB, usedKB}, {memKB / 2, 0}, {5120, 0}, {523248, 5972}}
	names := []string{"udev", "tmpfs", "/dev/sda1", "tmpfs", "tmpfs", "/dev/sda15"}
	mounts := []string{"/dev", "/run", "/", "/dev/shm", "/run/lock", "/boot/efi"}
	if f["h"] {
		c.printf("Filesystem      Size  Used Avail Use%% Mounted on\n")
	} else {
		c.printf("Filesystem     1K-blocks     Used Available Use%% Mounted on\n")
	}
	for i, r := range rows {
		size, used := r[0], r[1]
		avail := size - used
		if mounts[i] == "/" {
			avail = size - used - size/20
		}
		pct := 0
		if size > 0 {
			pct = (used*100 + size - 1) / size
		}
		if f["h"] {
			hs := func(kb int) string {
				if kb == 0 {
					return "0"
				}
				return strings.TrimSuffix(strings.ReplaceAll(human(kb), "i", ""), "B")
			}
			c.printf("%-15s %4s %5s %5s %3d%% %s\n", names[i], hs(size), hs(used), hs(avail), pct, mounts[i])
		} else {
			c.printf("%-14s %10d %8d %9d %3d%% %s\n", names[i], size, used, avail, pct, mounts[i])
		}
	}
	return 0
}

func urlArg(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") && (strings.Contains(a, ".") || strings.Contains(a, "://")) {
			return a
		}
	}
	return ""
}

func hostOf(raw string) (host, port, full string) {
	full = raw
	if !strings.Contains(raw, "://") {
		full = "http://" + raw
	}
	u, err := url.Parse(full)
	if err != nil || u.Hostname() == "" {
		return raw, "80", full
	}
	port = u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return u.Hostname(), port, full
}

func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 255 {
			return false
		}
	}
	return true
}

func cmdWget(ss *Session, c *call) int {
	raw := urlArg(c.args[1:])
	if raw == "" {
		c.errorf("wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n")
		return 1
	}
	host, port, full := hostOf(raw)
	c.errorf("--%s--  %s\n", ss.sys.cfg.Now().Format("2006-01-02 15:04:05"), full)
	if isIPv4(host) {
		c.errorf("Connecting to %s:%s... failed: Connection timed out.\nRetrying.\n\n", host, port)
		return 4
	}
	c.errorf("Resolving %s (%s)... failed: Temporary failure in name resolution.\nwget: unable to resolve host address '%s'\n", host, host, host)
	return 4
}

func cmdCurl(ss *Session, c *call) int {
	raw := urlArg(c.args[1:])
	if raw == "" {
		c.errorf("curl: try 'curl --help' or 'curl --manual' for more information\n")
		return 2
	}
	host, port, _ := hostOf(raw)
	if isIPv4(host) {
		c.errorf("curl: (28) Failed to connect to %s port %s after 130104 ms: Couldn't connect to server\n", host, port)
		return 28
	}
	c.errorf("curl: (6) Could not resolve host: %s\n", host)
	return 6
}

func cmdHistory(ss *Session, c *call) int {
	if len(c.args) > 1 && c.args[1] == "-c" {
		ss.history = nil
		return 0
	}
	for i, h := range ss.history {
		c.printf("%5d  %s\n", i+1, h)
	}
	return 0
}

func (ss *Session) askPassword(prompt string, user string, check func(string) bool) bool {
	for range 3 {
		pw, err := ss.Term.ReadPassword(prompt)
		if err != nil {
			return false
		}
		ok := check(pw)
		if ss.OnAuth != nil {
			ss.OnAuth(user, pw, ok)
		}
		if ok {
			return true
		}
		if ss.Sleep != nil {
			ss.Sleep(2 * time.Second)
		}
		if prompt == "Password: " {
			return false
		}
		fmt.Fprintf(ss.Out, "Sorry, try again.\n")
	}
	return false
}

func (ss *Session) push(a *Account) {
	ss.stack = append(ss.stack, ss.user)
	ss.sudoOK = false
	ss.login(a)
}

func cmdSudo(ss *Session, c *call) int {
	args := c.args[1:]
	f := map[string]bool{}
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		for _, r := range args[0][1:] {
			f[string(r)] = true
		}
		args = args[1:]
	}
	if ss.user.UID != 0 {
		if !strings.Contains(ss.user.Groups, "("+ss.sys.sudoGroup+")") {
			c.errorf("%s is not in the sudoers file.  This incident will be reported.\n", ss.user.Name)
			return 1
		}
		if !ss.sudoOK {
			if ss.Term == nil {
				c.errorf("sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\nsudo: a password is required\n")
				return 1
			}
			if !ss.askPassword("[sudo] password for "+ss.user.Name+": ", ss.user.Name, func(p string) bool {
				return ss.sys.CheckPassword(ss.user.Name, p)
			}) {
				c.errorf("sudo: 3 incorrect password attempts\n")
				return 1
			}
			ss.sudoOK = true
		}
	}
	if f["l"] {
		c.printf("Matching Defaults entries for %s on %s:\n    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin, use_pty\n\n"+
			"User %s may run the following commands on %s:\n    (ALL : ALL) ALL\n", ss.user.Name, ss.sys.cfg.Hostname, ss.user.Name, ss.sys.cfg.Hostname)
		return 0
	}
	root := ss.sys.accounts["root"]
	if f["i"] || f["s"] || len(args) == 0 || args[0] == "su" || args[0] == "bash" || args[0] == "-i" {
		if len(args) == 0 && !f["i"] && !f["s"] {
			c.errorf("usage: sudo -h | -K | -k | -V\nusage: sudo [-AbEHknPS] [-g group] [-h host] [-p prompt] [-u user] [command [arg ...]]\n")
			return 1
		}
		if ss.user.UID != 0 {
			ss.push(root)
		}
		return 0
	}
	saved, savedOK := ss.user, ss.sudoOK
	ss.user = root
	st := ss.runCommand(&call{args: args, stdin: c.stdin, out: c.out, err: c.err, depth: c.depth + 1})
	if ss.user == root { // not changed by su inside
		ss.user, ss.sudoOK = saved, savedOK
	}
	return st
}

func cmdSu(ss *Session, c *call) int {
	target := "root"
	for _, a := range c.args[1:] {
		if a != "-" && a != "-l" && a != "--login" && !strings.HasPrefix(a, "-") {
			target = a
			break
		}
	}
	a, ok := ss.sys.accounts[target]
	if !ok {
		c.errorf("su: user %s does not exist or the user entry does not contain all the required fields\n", target)
		return 1
	}
	if ss.user.UID != 0 {
		if ss.Term == nil {
			c.errorf("su: must be run from a terminal\n")
			return 1
		}
		if !ss.askPassword("Password: ", target, func(p string) bool { return ss.sys.CheckPassword(target, p) }) {
			c.errorf("su: Authentication failure\n")
			return 1
		}
	}
	ss.push(a)
	return 0
}

func cmdExit(ss *Session, c *call) int {
	if n := len(ss.stack); n > 0 {
		prev := ss.stack[n-1]
		ss.stack = ss.stack[:n-1]
		ss.login(prev)
		c.printf("logout\n")
		return 0
	}
	if ss.Term != nil {
		c.printf("logout\n")
	}
	ss.closed = true
	return 0
}

func cmdClear(ss *Session, c *call) int { c.printf("\x1b[H\x1b[2J\x1b[3J"); return 0 }

func cmdDate(ss *Session, c *call) int {
	now := ss.sys.cfg.Now().UTC()
	if len(c.args) > 1 && c.args[1] == "+%s" {
		c.printf("%d\n", now.Unix())
		return 0
	}
	c.printf("%s\n", now.Format("Mon Jan _2 15:04:05 MST 2006"))
	return 0
}

func cmdWhich(ss *Session, c *call) int {
	st := 0
	for _, a := range c.args[1:] {
		switch _, ok := commands[a]; {
		case a == "sshd":
			c.printf("/usr/sbin/sshd\n")
		case ok && slices.Contains(binaries, a) || ok && ss.sys.hasProgram(a) && a != "cd" && a != "export" && a != "history" && a != "exit" && a != "logout" && a != "unset":
			if ss.sys.cfg.NoSudo && a == "sudo" {
				st = 1
				continue
			}
			c.printf("/usr/bin/%s\n", a)
		default:
			st = 1
		}
	}
	return st
}

func cmdMkdir(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	if len(ops) == 0 {
		c.errorf("mkdir: missing operand\nTry 'mkdir --help' for more information.\n")
		return 1
	}
	st := 0
	for _, o := range ops {
		p := ss.abs(o)
		var todo []string
		if f["p"] {
			for q := p; q != "/"; q = path.Dir(q) {
				if _, ok := ss.node(q); ok {
					break
				}
				todo = append([]string{q}, todo...)
			}
		} else {
			todo = []string{p}
		}
		for _, q := range todo {
			if err := ss.mkdir(q); err != nil {
				c.errorf("mkdir: cannot create directory '%s': %s\n", o, errText(err))
				st = 1
				break
			}
		}
	}
	return st
}

func (ss *Session) mkdir(p string) error {
	if _, err := ss.stat(p); err == nil {
		return fs.ErrExist
	}
	d, err := ss.stat(path.Dir(p))
	if err != nil {
		return err
	}
	if !d.IsDir() {
		return errNotDir
	}
	if !ss.canWrite(d) {
		return fs.ErrPermission
	}
	ss.overlay[p] = &Node{Mode: fs.ModeDir | 0o755, UID: ss.user.UID, GID: ss.user.GID, ModTime: ss.sys.cfg.Now()}
	return nil
}

func cmdTouch(ss *Session, c *call) int {
	_, ops := flags(c.args[1:])
	st := 0
	for _, o := range ops {
		if err := ss.writeFile(o, nil, true); err != nil {
			c.errorf("touch: cannot touch '%s': %s\n", o, errText(err))
			st = 1
		}
	}
	return st
}

func cmdRm(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	st := 0
	for _, o := range ops {
		p := ss.abs(o)
		n, err := ss.stat(p)
		if err != nil {
			if !f["f"] {
				c.errorf("rm: cannot remove '%s': %s\n", o, errText(err))
				st = 1
			}
			continue
		}
		if n.IsDir() && !f["r"] && !f["R"] {
			c.errorf("rm: cannot remove '%s': Is a directory\n", o)
			st = 1
			continue
		}
		d, _ := ss.stat(path.Dir(p))
		if d == nil || !ss.canWrite(d) || p == "/" {
			c.errorf("rm: cannot remove '%s': Permission denied\n", o)
			st = 1
			continue
		}
		ss.overlay[p] = nil
		if n.IsDir() {
			for k := range ss.sys.base {
				if strings.HasPrefix(k, p+"/") {
					ss.overlay[k] = nil
				}
			}
			for k := range ss.overlay {
				if strings.HasPrefix(k, p+"/") {
					ss.overlay[k] = nil
				}
			}
		}
	}
	return st
}

func cmdCp(ss *Session, c *call) int {
	_, ops := flags(c.args[1:])
	if len(ops) < 2 {
		c.errorf("%s: missing destination file operand after '%s'\n", c.args[0], strings.Join(ops, " "))
		return 1
	}
	data, err := ss.readFile(ops[0])
	if err != nil {
		c.errorf("%s: cannot stat '%s': %s\n", c.args[0], ops[0], errText(err))
		return 1
	}
	dst := ops[1]
	if n, err := ss.stat(ss.abs(dst)); err == nil && n.IsDir() {
		dst = ss.abs(dst) + "/" + path.Base(ops[0])
	}
	if err := ss.writeFile(dst, []byte(data), false); err != nil {
		c.errorf("%s: cannot create regular file '%s': %s\n", c.args[0], ops[1], errText(err))
		return 1
	}
	if c.args[0] == "mv" {
		ss.overlay[ss.abs(ops[0])] = nil
	}
	return 0
}

func cmdNetstat(ss *Session, c *call) int {
	if c.args[0] == "ss" {
		c.printf("Netid State  Recv-Q Send-Q Local Address:Port  Peer Address:PortProcess\n")
		c.printf("tcp   LISTEN 0      128          0.0.0.0:22         0.0.0.0:*    users:((\"sshd\",pid=640,fd=3))\n")
		c.printf("tcp   ESTAB  0      0        %s:22  %s:%d\n", ss.sys.ip, ss.Src, 40000+len(ss.history))
		c.printf("tcp   LISTEN 0      128             [::]:22            [::]:*    users:((\"sshd\",pid=640,fd=4))\n")
		return 0
	}
	c.printf("Active Internet connections (servers and established)\n")
	c.printf("Proto Recv-Q Send-Q Local Address           Foreign Address         State       PID/Program name    \n")
	c.printf("tcp        0      0 0.0.0.0:22              0.0.0.0:*               LISTEN      640/sshd: /usr/sbin \n")
	c.printf("tcp        0     64 %-23s %-23s ESTABLISHED 2101/sshd: %s \n", ss.sys.ip+":22", ss.Src+":"+strconv.Itoa(40000+len(ss.history)), ss.user.Name)
	c.printf("tcp6       0      0 :::22                   :::*                    LISTEN      640/sshd: /usr/sbin \n")
	return 0
}

func cmdLscpu(ss *Session, c *call) int {
	s := ss.sys
	c.printf("Architecture:            x86_64\n  CPU op-mode(s):        32-bit, 64-bit\n  Address sizes:         46 bits physical, 48 bits virtual\n"+
		"  Byte Order:            Little Endian\nCPU(s):                  %d\n  On-line CPU(s) list:   0-%d\n"+
		"Vendor ID:               %s\n  Model name:            %s\n    CPU family:          6\n"+
		"    Thread(s) per core:  1\n    Core(s) per socket:  %d\n    Socket(s):           1\n"+
		"Virtualization features: \n  Hypervisor vendor:     KVM\n  Virtualization type:   full\n",
		s.cpus, s.cpus-1, map[bool]string{true: "AuthenticAMD", false: "GenuineIntel"}[strings.HasPrefix(s.cpuModel, "AMD")], s.cpuModel, s.cpus)
	return 0
}

func cmdNproc(ss *Session, c *call) int { c.printf("%d\n", ss.sys.cpus); return 0 }

func cmdLast(ss *Session, c *call) int {
	now := ss.sys.cfg.Now()
	c.printf("%-8s %-12s %-16s %s   still logged in\n", ss.user.Name, ss.TTY, ss.Src, now.Add(-2*time.Minute).Format("Mon Jan _2 15:04"))
	r := ss.sys.cpus
	for i := 1; i <= 4; i++ {
		t := now.Add(-time.Duration(i*29+r) * time.Hour)
		c.printf("%-8s %-12s %-16s %s - %s  (00:%02d)\n", "root", "pts/0", fmt.Sprintf("10.0.0.%d", 20+i*r%30),
			t.Format("Mon Jan _2 15:04"), t.Add(time.Duration(10+i*7)*time.Minute).Format("15:04"), 10+i*7)
	}
	c.printf("reboot   system boot  %-16s %s   still running\n\nwtmp begins %s\n", ss.sys.cfg.Distro.KernelRelease,
		ss.sys.boot.Format("Mon Jan _2 15:04"), ss.sys.boot.Add(-30*24*time.Hour).Format("Mon Jan _2 15:04:05 2006"))
	return 0
}

func cmdCrontab(ss *Session, c *call) int {
	if len(c.args) > 1 && c.args[1] == "-l" {
		if ss.user.UID == 0 {
			c.printf("# m h  dom mon dow   command\n0 3 * * * /root/projects/backup.sh >/dev/null 2>&1\n*/5 * * * * /usr/bin/docker ps -q >/dev/null\n")
			return 0
		}
		c.errorf("no crontab for %s\n", ss.user.Name)
		return 1
	}
	c.errorf("crontab: usage error: file name or - (for stdin) must be specified\n")
	return 1
}

var units = map[string]string{"ssh": "OpenBSD Secure Shell server", "sshd": "OpenBSD Secure Shell server",
	"cron": "Regular background program processing daemon", "rsyslog": "System Logging Service",
	"systemd-journald": "Journal Service", "docker": "Docker Application Container Engine"}

func (ss *Session) unitStatus(c *call, name string) int {
	name = strings.TrimSuffix(name, ".service")
	desc, ok := units[name]
	if !ok {
		c.errorf("Unit %s.service could not be found.\n", name)
		return 4
	}
	since := ss.sys.boot.Add(9 * time.Second)
	c.printf("● %s.service - %s\n     Loaded: loaded (/lib/systemd/system/%s.service; enabled; preset: enabled)\n"+
		"     Active: active (running) since %s; %s ago\n   Main PID: %d (%s)\n      Tasks: 1 (limit: %d)\n"+
		"     Memory: %.1fM\n        CPU: %dms\n", name, desc, name, since.UTC().Format("Mon 2006-01-02 15:04:05 MST"),
		roughAgo(ss.sys.uptime()), 512+len(name), name, ss.sys.memKB/1024*4, 2.1+float64(len(name)), 100+len(desc)*13)
	return 0
}

func roughAgo(d time.Duration) string {
	days := int(d.Hours()) / 24
	if days >= 7 {
		return fmt.Sprintf("%d weeks %d days", days/7, days%7)
	}
	return fmt.Sprintf("%d days", days)
}

func cmdSystemctl(ss *Session, c *call) int {
	_, ops := flags(c.args[1:])
	if len(ops) == 0 || ops[0] == "list-units" {
		c.printf("  UNIT                     LOAD   ACTIVE SUB     DESCRIPTION\n")
		for _, u := range []string{"cron", "rsyslog", "ssh", "systemd-journald"} {
			c.printf("  %-24s loaded active running %s\n", u+".service", units[u])
		}
		return 0
	}
	switch ops[0] {
	case "status":
		if len(ops) < 2 {
			c.printf("● %s\n    State: running\n    Units: 241 loaded (incl. loaded aliases)\n     Jobs: 0 queued\n   Failed: 0 units\n", ss.sys.cfg.Hostname)
			return 0
		}
		return ss.unitStatus(c, ops[1])
	case "start", "stop", "restart", "reload", "enable", "disable":
		if ss.user.UID != 0 {
			c.errorf("Failed to %s %s.service: Access denied\n", ops[0], strings.TrimSuffix(at(ops, 1), ".service"))
			return 1
		}
		if _, ok := units[strings.TrimSuffix(at(ops, 1), ".service")]; !ok {
			c.errorf("Failed to %s %s.service: Unit %s.service not found.\n", ops[0], at(ops, 1), at(ops, 1))
			return 5
		}
		return 0
	}
	c.errorf("Unknown command verb %s.\n", ops[0])
	return 1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return ""
}

func cmdService(ss *Session, c *call) int {
	if len(c.args) < 3 {
		c.errorf("Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n")
		return 1
	}
	if c.args[2] == "status" {
		return ss.unitStatus(c, c.args[1])
	}
	return cmdSystemctl(ss, &call{args: []string{"systemctl", c.args[2], c.args[1]}, out: c.out, err: c.err})
}

func cmdPython(ss *Session, c *call) int {
	v := map[string]string{"ubuntu": "3.10.12", "kali": "3.11.8", "rocky": "3.9.18", "centos": "2.7.5", "fedora": "3.12.1"}[ss.sys.cfg.Distro.ID]
	if c.args[0] == "python" && ss.sys.cfg.Distro.ID != "centos" {
		c.errorf("-bash: python: command not found\n")
		return 127
	}
	if len(c.args) > 1 && (c.args[1] == "-V" || c.args[1] == "--version") {
		c.printf("Python %s\n", v)
		return 0
	}
	if len(c.args) > 1 {
		return 0
	}
	c.printf("Python %s (main, Nov 20 2023, 15:14:05) [GCC 11.4.0] on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.\n>>> \n", v)
	return 0
}

func cmdPerl(ss *Session, c *call) int {
	if len(c.args) > 1 && (c.args[1] == "-v" || c.args[1] == "--version") {
		c.printf("\nThis is perl 5, version 36, subversion 0 (v5.36.0) built for x86_64-linux-gnu-thread-multi\n" +
			"(with 60 registered patches, see perl -V for more detail)\n\nCopyright 1987-2022, Larry Wall\n")
	}
	return 0
}

func cmdChmod(ss *Session, c *call) int {
	_, ops := flags(c.args[1:])
	if len(ops) < 2 {
		c.errorf("chmod: missing operand\nTry 'chmod --help' for more information.\n")
		return 1
	}
	st := 0
	for _, o := range ops[1:] {
		p := ss.abs(o)
		n, err := ss.stat(p)
		if err != nil {
			c.errorf("chmod: cannot access '%s': %s\n", o, errText(err))
			st = 1
			continue
		}
		if ss.user.UID != 0 && n.UID != ss.user.UID {
			c.errorf("chmod: changing permissions of '%s': Operation not permitted\n", o)
			st = 1
			continue
		}
		cp := *n
		if m, err := strconv.ParseUint(ops[0], 8, 32); err == nil {
			cp.Mode = cp.Mode&^0o777 | fs.FileMode(m&0o777)
		} else if strings.Contains(ops[0], "+x") {
			cp.Mode |= 0o111
		}
		ss.overlay[p] = &cp
	}
	return st
}

func lineCount(args []string) (int, []string) {
	n := 10
	var ops []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" && i+1 < len(args):
			n, _ = strconv.Atoi(strings.TrimPrefix(args[i+1], "+"))
			i++
		case strings.HasPrefix(a, "-n"):
			n, _ = strconv.Atoi(a[2:])
		case len(a) > 1 && a[0] == '-' && a[1] >= '0' && a[1] <= '9':
			n, _ = strconv.Atoi(a[1:])
		case strings.HasPrefix(a, "-"):
		default:
			ops = append(ops, a)
		}
	}
	return max(n, 0), ops
}

func (ss *Session) inputs(c *call, ops []string) ([]string, int) {
	if len(ops) == 0 {
		return []string{string(c.stdin)}, 0
	}
	var out []string
	st := 0
	for _, o := range ops {
		d, err := ss.readFile(o)
		if err != nil {
			c.errorf("%s: %s: %s\n", c.args[0], o, errText(err))
			st = 1
			continue
		}
		out = append(out, d)
	}
	return out, st
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func cmdHead(ss *Session, c *call) int {
	n, ops := lineCount(c.args[1:])
	ins, st := ss.inputs(c, ops)
	for _, in := range ins {
		l := splitLines(in)
		for _, x := range l[:min(n, len(l))] {
			c.printf("%s\n", x)
		}
	}
	return st
}

func cmdTail(ss *Session, c *call) int {
	n, ops := lineCount(c.args[1:])
	ins, st := ss.inputs(c, ops)
	for _, in := range ins {
		l := splitLines(in)
		for _, x := range l[max(0, len(l)-n):] {
			c.printf("%s\n", x)
		}
	}
	return st
}

func cmdWc(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	ins, st := ss.inputs(c, ops)
	for _, in := range ins {
		lines, words, bytes := strings.Count(in, "\n"), len(strings.Fields(in)), len(in)
		switch {
		case f["l"]:
			c.printf("%d\n", lines)
		case f["c"]:
			c.printf("%d\n", bytes)
		case f["w"]:
			c.printf("%d\n", words)
		default:
			c.printf("%7d %7d %7d\n", lines, words, bytes)
		}
	}
	return st
}

func cmdGrep(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	if len(ops) == 0 {
		c.errorf("Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.\n")
		return 2
	}
	pat := ops[0]
	if f["i"] {
		pat = strings.ToLower(pat)
	}
	files := ops[1:]
	ins, st := ss.inputs(c, files)
	found := false
	for i, in := range ins {
		for n, l := range splitLines(in) {
			cmp := l
			if f["i"] {
				cmp = strings.ToLower(l)
			}
			if strings.Contains(cmp, pat) == f["v"] {
				continue
			}
			found = true
			prefix := ""
			if len(files) > 1 && i < len(files) {
				prefix = files[i] + ":"
			}
			if f["n"] {
				prefix += strconv.Itoa(n+1) + ":"
			}
			c.printf("%s%s\n", prefix, l)
		}
	}
	if st != 0 {
		return 2
	}
	if !found {
		return 1
	}
	return 0
}

func cmdFind(ss *Session, c *call) int {
	root, name, typ := ".", "", ""
	args := c.args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		root, args = args[0], args[1:]
	}
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "-name", "-iname":
			name, i = args[i+1], i+1
		case "-type":
			typ, i = args[i+1], i+1
		}
	}
	start := ss.abs(root)
	if _, err := ss.stat(start); err != nil {
		c.errorf("find: '%s': %s\n", root, errText(err))
		return 1
	}
	st, count := 0, 0
	var walk func(p, shown string, depth int)
	walk = func(p, shown string, depth int) {
		if depth > 32 || count > 20000 {
			return
		}
		n, err := ss.stat(p)
		if err != nil {
			return
		}
		base := path.Base(p)
		ok := name == "" || matchName(name, base)
		if ok && (typ == "" || typ == "d" && n.IsDir() || typ == "f" && !n.IsDir()) {
			c.printf("%s\n", shown)
			count++
		}
		if !n.IsDir() || strings.HasPrefix(p, "/proc") && p != "/proc" {
			return
		}
		if !ss.canRead(n) {
			c.errorf("find: '%s': Permission denied\n", shown)
			st = 1
			return
		}
		for _, ch := range ss.children(p) {
			cp := path.Join(p, ch)
			walk(cp, strings.TrimSuffix(shown, "/")+"/"+ch, depth+1)
		}
	}
	walk(start, root, 0)
	return st
}

func matchName(pat, name string) bool {
	ok, err := path.Match(pat, name)
	return err == nil && ok
}

func cmdBase64(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	ins, st := ss.inputs(c, ops)
	if st != 0 {
		return st
	}
	in := strings.Join(ins, "")
	if f["d"] || f["--decode"] {
		clean := strings.Map(func(r rune) rune {
			if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
				return -1
			}
			return r
		}, in)
		out, err := base64.StdEncoding.DecodeString(clean)
		if err != nil {
			if out2, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "=")); err2 == nil {
				c.out.Write(out2)
				return 0
			}
			c.out.Write(out)
			c.errorf("base64: invalid input\n")
			return 1
		}
		c.out.Write(out)
		return 0
	}
	enc := base64.StdEncoding.EncodeToString([]byte(in))
	for len(enc) > 76 {
		c.printf("%s\n", enc[:76])
		enc = enc[76:]
	}
	c.printf("%s\n", enc)
	return 0
}

// maxDepth bounds nested shells (sh -c, sudo, nohup).
const maxDepth = 8

func cmdSh(ss *Session, c *call) int {
	if len(c.args) > 2 && c.args[1] == "-c" && c.depth < maxDepth {
		return ss.exec(c.args[2], c.depth+1)
	}
	if len(c.args) > 1 && !strings.HasPrefix(c.args[1], "-") {
		data, err := ss.readFile(c.args[1])
		if err != nil {
			c.errorf("%s: %s: %s\n", c.args[0], c.args[1], errText(err))
			return 127
		}
		if c.depth < maxDepth && len(data) < 64<<10 {
			st := 0
			for _, l := range splitLines(data) {
				if !strings.HasPrefix(strings.TrimSpace(l), "#") {
					st = ss.exec(l, c.depth+1)
				}
			}
			return st
		}
	}
	if len(c.stdin) > 0 && c.depth < maxDepth {
		st := 0
		for _, l := range splitLines(string(c.stdin)) {
			st = ss.exec(l, c.depth+1)
		}
		return st
	}
	return 0
}

func cmdNohup(ss *Session, c *call) int {
	if len(c.args) < 2 || c.depth >= maxDepth {
		return 0
	}
	c.errorf("nohup: ignoring input and appending output to 'nohup.out'\n")
	return ss.runCommand(&call{args: c.args[1:], stdin: c.stdin, out: c.out, err: c.err, depth: c.depth + 1})
}

func cmdKill(ss *Session, c *call) int {
	_, ops := flags(c.args[1:])
	for _, o := range ops {
		if pid, err := strconv.Atoi(o); err == nil && pid < 2000 && ss.user.UID != 0 {
			c.errorf("-bash: kill: (%d) - Operation not permitted\n", pid)
			return 1
		} else if err != nil {
			c.errorf("-bash: kill: %s: arguments must be process or job IDs\n", o)
			return 1
		}
	}
	return 0
}
