// Package shell is the emulated Linux shell and lived-in fake filesystem shared by the ssh and telnet
// emulators: a per-distro machine (hostname, kernel, users, /proc, home directories with bait), a
// command-line parser (quotes, variables, `;`, `&&`, `||`, `|`, redirections), ~50 common commands
// answering like the real tools, a terminal line editor and an asciinema v2 session recorder.
package shell

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/decnet/decnet/conf"
)

// Config describes the machine a System emulates.
type Config struct {
	Hostname     string      // attacker-visible hostname
	Distro       conf.Distro // OS identity (os-release, kernel, motd)
	RootPassword string      // password of root (su)
	User         string      // second account, in the sudo (or wheel) group; "" or "root" = none
	UserPassword string      // its password (sudo)
	IP           string      // primary IPv4 address shown by ifconfig/ip; "" = detect
	NoSudo       bool        // sudo is not installed (telnet boxes)
	Rand         *rand.Rand  // seeded source for machine facts; nil = fixed seed
	Now          func() time.Time
}

// Account is one login account of the emulated machine.
type Account struct {
	Name   string
	UID    int
	GID    int
	Home   string
	Groups string // `id` groups list, e.g. "0(root)"
}

// System is an emulated machine: immutable facts and the base filesystem. Sessions layer their own
// changes on top. A System is safe for concurrent use by many sessions.
type System struct {
	cfg       Config
	accounts  map[string]*Account
	rhel      bool
	ip        string
	mac       string
	cpus      int
	cpuModel  string
	memKB     int
	diskGB    int
	boot      time.Time
	load      [3]float64
	base      map[string]*Node
	baseHist  map[string][]string
	sudoGroup string
	sudoGID   int
}

// NewSystem builds the machine from cfg. Seeded facts (CPU, memory, uptime, MAC) come from cfg.Rand.
func NewSystem(cfg Config) *System {
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(1, 2))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	r := cfg.Rand
	s := &System{cfg: cfg, accounts: map[string]*Account{}}
	switch cfg.Distro.ID {
	case "rocky", "centos", "fedora":
		s.rhel = true
	}
	s.sudoGroup, s.sudoGID = "sudo", 27
	if s.rhel || cfg.Distro.ID == "alpine" || cfg.Distro.ID == "arch" {
		s.sudoGroup, s.sudoGID = "wheel", 10
	}
	s.cpus = []int{2, 4, 4, 8}[r.IntN(4)]
	s.cpuModel = []string{
		"Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz",
		"Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz",
		"Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz",
		"AMD EPYC 7302P 16-Core Processor",
	}[r.IntN(4)]
	s.memKB = []int{4030848, 8148412, 16331204}[r.IntN(3)]
	s.diskGB = []int{30, 49, 98, 196}[r.IntN(4)]
	up := time.Duration(2+r.IntN(120))*24*time.Hour + time.Duration(r.IntN(86400))*time.Second
	s.boot = cfg.Now().Add(-up).Truncate(time.Second)
	s.load = [3]float64{float64(r.IntN(40)) / 100, float64(r.IntN(30)) / 100, float64(r.IntN(20)) / 100}
	s.mac = fmt.Sprintf("52:54:00:%02x:%02x:%02x", r.IntN(256), r.IntN(256), r.IntN(256))
	s.ip = cfg.IP
	if s.ip == "" {
		s.ip = detectIP(r)
	}
	s.accounts["root"] = &Account{Name: "root", UID: 0, GID: 0, Home: "/root", Groups: "0(root)"}
	if u := cfg.User; u != "" && u != "root" {
		groups := fmt.Sprintf("1000(%s),%d(%s)", u, s.sudoGID, s.sudoGroup)
		if !s.rhel && cfg.Distro.ID != "alpine" && cfg.Distro.ID != "arch" {
			groups = fmt.Sprintf("1000(%s),4(adm),24(cdrom),27(sudo),30(dip),46(plugdev)", u)
		}
		s.accounts[u] = &Account{Name: u, UID: 1000, GID: 1000, Home: "/home/" + u, Groups: groups}
	}
	s.buildFS()
	return s
}

// Hostname returns the emulated hostname.
func (s *System) Hostname() string { return s.cfg.Hostname }

// Account returns a login account by name.
func (s *System) Account(name string) (*Account, bool) {
	a, ok := s.accounts[name]
	return a, ok
}

// CheckPassword reports whether (user, password) is an accepted bait pair (catalog §0).
func (s *System) CheckPassword(user, password string) bool {
	switch {
	case user == "root":
		return password == s.cfg.RootPassword
	case user != "" && user == s.cfg.User:
		return password == s.cfg.UserPassword
	}
	return false
}

// IP returns the primary IPv4 address of the machine.
func (s *System) IP() string { return s.ip }

// Issue returns the /etc/issue text shown before a telnet login, with \n and \l expanded.
func (s *System) Issue(tty string) string {
	return s.cfg.Distro.PrettyName + " " + s.cfg.Hostname + " " + tty + "\n\n"
}

// Motd returns what a login shell prints before the first prompt (kernel line, distro notice, last login).
func (s *System) Motd(lastFrom string) string {
	d := s.cfg.Distro
	var b strings.Builder
	switch d.ID {
	case "debian", "kali":
		name := "Debian GNU/Linux"
		if d.ID == "kali" {
			name = "Kali GNU/Linux"
		}
		fmt.Fprintf(&b, "Linux %s %s %s x86_64\n\n", s.cfg.Hostname, d.KernelRelease, d.KernelVersion)
		fmt.Fprintf(&b, "The programs included with the %s system are free software;\n"+
			"the exact distribution terms for each program are described in the\n"+
			"individual files in /usr/share/doc/*/copyright.\n\n"+
			"%s comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n", name, name)
	case "ubuntu":
		fmt.Fprintf(&b, "Welcome to %s (GNU/Linux %s x86_64)\n\n", d.PrettyName, d.KernelRelease)
		b.WriteString(" * Documentation:  https://help.ubuntu.com\n * Management:     https://landscape.canonical.com\n" +
			" * Support:        https://ubuntu.com/pro\n\n")
		fmt.Fprintf(&b, "  System information as of %s\n\n", s.cfg.Now().UTC().Format("Mon Jan _2 03:04:05 PM MST 2006"))
		fmt.Fprintf(&b, "  System load:  %.2f               Processes:             %d\n", s.load[0], 118+s.cpus*4)
		fmt.Fprintf(&b, "  Usage of /:   %d.%d%% of %d.%02dGB   Users logged in:       0\n", 21+s.diskGB%17, s.diskGB%10, s.diskGB, s.diskGB*7%100)
		fmt.Fprintf(&b, "  Memory usage: %d%%                Swap usage:            0%%\n\n", 11+s.memKB%23)
		b.WriteString("Expanded Security Maintenance for Applications is not enabled.\n\n")
		b.WriteString("0 updates can be applied immediately.\n\n")
	case "alpine":
		b.WriteString("Welcome to Alpine!\n\nThe Alpine Wiki contains a large amount of how-to guides and general\n" +
			"information about administrating Alpine systems.\nSee <https://wiki.alpinelinux.org/>.\n\n" +
			"You can setup the system with the command: setup-alpine\n\n" +
			"You may change this message by editing /etc/motd.\n\n")
	}
	if lastFrom != "" {
		last := s.cfg.Now().Add(-time.Duration(3+s.cpus) * time.Hour).UTC()
		fmt.Fprintf(&b, "Last login: %s from %s\n", last.Format("Mon Jan _2 15:04:05 2006"), lastFrom)
	}
	return b.String()
}

func (s *System) uptime() time.Duration { return s.cfg.Now().Sub(s.boot) }

// detectIP returns the first non-loopback IPv4 address of this host (the decky's interface inside its
// sandbox), or a seeded 10.0.0.x address.
func detectIP(r *rand.Rand) string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() {
				if v4 := n.IP.To4(); v4 != nil {
					return v4.String()
				}
			}
		}
	}
	return fmt.Sprintf("10.0.0.%d", 10+r.IntN(200))
}
