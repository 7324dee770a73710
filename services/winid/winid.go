// Package winid derives the Windows identity a decky presents over SMB, RDP and LDAP (NetBIOS and DNS
// names, workgroup, OS version and build) from its hostname, nmap_os family and persona, so that every
// Windows-facing service of one decky tells the same story.
package winid

import (
	"strconv"
	"strings"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/ntlmssp"
)

// OS describes one Windows release.
type OS struct {
	Slug         string // persona os_version value
	Name         string // product name, e.g. "Windows 10 Pro"
	Version      ntlmssp.Version
	Server       bool
	MaxDialect   uint16 // highest SMB2 dialect
	NativeLanMan string // SMB1 NativeLanMan string
}

// NativeOS returns the SMB1 NativeOS string, e.g. "Windows 10 Pro 19045".
func (o OS) NativeOS() string {
	if o.Slug == "windows7" {
		return o.Name + " 7601 Service Pack 1"
	}
	return o.Name + " " + strconv.Itoa(int(o.Version.Build))
}

// Releases maps persona os_version values to releases.
var Releases = map[string]OS{
	"windows7":     {"windows7", "Windows 7 Professional", ntlmssp.Version{Major: 6, Minor: 1, Build: 7601}, false, 0x0210, "Windows 7 Professional 6.1"},
	"windows10":    {"windows10", "Windows 10 Pro", ntlmssp.Version{Major: 10, Minor: 0, Build: 19045}, false, 0x0311, "Windows 10 Pro 6.3"},
	"windows11":    {"windows11", "Windows 11 Pro", ntlmssp.Version{Major: 10, Minor: 0, Build: 22631}, false, 0x0311, "Windows 11 Pro 6.3"},
	"server2012r2": {"server2012r2", "Windows Server 2012 R2 Standard", ntlmssp.Version{Major: 6, Minor: 3, Build: 9600}, true, 0x0302, "Windows Server 2012 R2 Standard 6.3"},
	"server2016":   {"server2016", "Windows Server 2016 Standard", ntlmssp.Version{Major: 10, Minor: 0, Build: 14393}, true, 0x0311, "Windows Server 2016 Standard 6.3"},
	"server2019":   {"server2019", "Windows Server 2019 Standard", ntlmssp.Version{Major: 10, Minor: 0, Build: 17763}, true, 0x0311, "Windows Server 2019 Standard 6.3"},
	"server2022":   {"server2022", "Windows Server 2022 Standard", ntlmssp.Version{Major: 10, Minor: 0, Build: 20348}, true, 0x0311, "Windows Server 2022 Standard 6.3"},
}

// DefaultOSVersion returns the os_version derived from an nmap_os family: windows_server → server2019,
// anything else → windows10.
func DefaultOSVersion(nmapOS string) string {
	if nmapOS == "windows_server" {
		return "server2019"
	}
	return "windows10"
}

// Identity is the Windows identity of a decky.
type Identity struct {
	NetBIOSName   string // computer name, upper case, ≤ 15 chars
	Workgroup     string // SMB1 negotiate domain: workgroup, or NetBIOS domain when joined
	NetBIOSDomain string // NTLM NetBIOS domain: domain name when joined, computer name in a workgroup
	DNSDomain     string // "" = workgroup member
	DNSComputer   string // FQDN when joined, else the computer name
	OS            OS
}

// Joined reports whether the host is a domain member.
func (id Identity) Joined() bool { return id.DNSDomain != "" }

// Target returns the NTLM target info the host announces.
func (id Identity) Target() ntlmssp.TargetInfo {
	t := ntlmssp.TargetInfo{NetBIOSComputer: id.NetBIOSName, NetBIOSDomain: id.NetBIOSDomain,
		DNSComputer: id.DNSComputer, DNSDomain: id.DNSDomain, DNSTree: id.DNSDomain}
	if !id.Joined() {
		t.DNSDomain, t.DNSTree = id.NetBIOSName, ""
	}
	return t
}

// NetBIOS returns the NetBIOS form of a host name: the first label, upper case, at most 15 characters.
func NetBIOS(host string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 {
		host = host[:i]
	}
	host = strings.ToUpper(host)
	if len(host) > 15 {
		host = host[:15]
	}
	if host == "" {
		host = "WORKSTATION"
	}
	return host
}

// FromEnv derives the identity from env: persona keys server_name / netbios_name, workgroup, dns_domain,
// os_version and product_version (whichever the service declares), with defaults from the hostname
// and nmap_os family.
func FromEnv(env *services.Env) Identity {
	p := env.Persona
	name := p.String("server_name", p.String("netbios_name", ""))
	id := Identity{NetBIOSName: NetBIOS(name)}
	if name == "" {
		id.NetBIOSName = NetBIOS(env.Hostname)
	}
	id.DNSDomain = strings.ToLower(strings.TrimSuffix(p.String("dns_domain", ""), "."))
	osv := p.String("os_version", DefaultOSVersion(env.NmapOS))
	o, ok := Releases[osv]
	if !ok {
		o = Releases[DefaultOSVersion(env.NmapOS)]
	}
	if pv := p.String("product_version", ""); pv != "" {
		if v, ok := ParseVersion(pv); ok {
			o.Version = v
		}
	}
	id.OS = o
	if id.Joined() {
		id.NetBIOSDomain = NetBIOS(id.DNSDomain)
		id.DNSComputer = id.NetBIOSName + "." + id.DNSDomain
		id.Workgroup = p.String("workgroup", id.NetBIOSDomain)
	} else {
		id.NetBIOSDomain = id.NetBIOSName
		id.DNSComputer = id.NetBIOSName
		id.Workgroup = strings.ToUpper(p.String("workgroup", "WORKGROUP"))
	}
	return id
}

// ParseVersion parses "major.minor.build".
func ParseVersion(s string) (ntlmssp.Version, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return ntlmssp.Version{}, false
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (i < 2 && v > 255) || v > 65535 {
			return ntlmssp.Version{}, false
		}
		n[i] = v
	}
	return ntlmssp.Version{Major: uint8(n[0]), Minor: uint8(n[1]), Build: uint16(n[2])}, true
}
