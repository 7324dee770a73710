package conf

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// PersonaType is the declared type of one persona key.
type PersonaType string

// Persona key types of catalog §0.
const (
	TypeString    PersonaType = "string"
	TypePassword  PersonaType = "password"
	TypeInt       PersonaType = "int"
	TypeFloat     PersonaType = "float"
	TypeBool      PersonaType = "bool"
	TypeTextarea  PersonaType = "textarea"
	TypeEnum      PersonaType = "enum"
	TypeMultiEnum PersonaType = "multi_enum"
)

// PersonaKey declares one configurable key of a service's persona.
type PersonaKey struct {
	Key     string      `json:"key"`
	Type    PersonaType `json:"type"`
	Default string      `json:"default"`          // human description of the default ("" = derived or none)
	Values  []string    `json:"values,omitempty"` // allowed values of enum and multi_enum keys
	Secret  bool        `json:"-"`                // redacted in API output
}

// Service is one built-in service of the catalogue: its slug, declared ports and persona schema.
type Service struct {
	Name    string
	TCP     []int
	UDP     []int
	Persona []PersonaKey
}

// Key returns the persona key named k.
func (s Service) Key(k string) (PersonaKey, bool) {
	for _, p := range s.Persona {
		if p.Key == k {
			return p, true
		}
	}
	return PersonaKey{}, false
}

// KeyNames returns the persona key names, sorted.
func (s Service) KeyNames() []string {
	out := make([]string, 0, len(s.Persona))
	for _, p := range s.Persona {
		out = append(out, p.Key)
	}
	sort.Strings(out)
	return out
}

func str(k, def string) PersonaKey { return PersonaKey{Key: k, Type: TypeString, Default: def} }
func pw(k, def string) PersonaKey {
	return PersonaKey{Key: k, Type: TypePassword, Default: def, Secret: true}
}
func integer(k, def string) PersonaKey  { return PersonaKey{Key: k, Type: TypeInt, Default: def} }
func boolean(k, def string) PersonaKey  { return PersonaKey{Key: k, Type: TypeBool, Default: def} }
func textarea(k string) PersonaKey      { return PersonaKey{Key: k, Type: TypeTextarea} }
func secretText(k string) PersonaKey    { return PersonaKey{Key: k, Type: TypeTextarea, Secret: true} }
func floating(k, def string) PersonaKey { return PersonaKey{Key: k, Type: TypeFloat, Default: def} }
func enum(k, def string, v ...string) PersonaKey {
	return PersonaKey{Key: k, Type: TypeEnum, Default: def, Values: v}
}
func multiEnum(k, def string, v ...string) PersonaKey {
	return PersonaKey{Key: k, Type: TypeMultiEnum, Default: def, Values: v}
}

var shellPersona = []PersonaKey{
	pw("password", "admin"), str("user", "ubuntu"), pw("user_password", "admin"), str("hostname", ""),
}

func httpPersona(versions ...string) []PersonaKey {
	return []PersonaKey{
		str("server_header", ""),
		integer("response_code", "403"),
		enum("fake_app", "none", "none", "apache_default", "nginx_default", "iis_default", "wordpress",
			"phpmyadmin", "tomcat_manager", "jenkins"),
		textarea("extra_headers"),
		textarea("custom_body"),
		multiEnum("http_versions", "http/1.1", versions...),
		str("files", ""),
	}
}

// services is the built-in service table of catalog §1, in table order.
var services = []Service{
	{Name: "ssh", TCP: []int{22}, Persona: shellPersona},
	{Name: "telnet", TCP: []int{23}, Persona: shellPersona},
	{Name: "http", TCP: []int{80}, Persona: httpPersona("http/1.1", "http/2")},
	{Name: "https", TCP: []int{443}, Persona: append(httpPersona("http/1.1", "http/2", "http/3"),
		str("tls_cn", ""), secretText("tls_cert"), secretText("tls_key"))},
	{Name: "ftp", TCP: []int{21}, Persona: []PersonaKey{str("banner", ""), enum("login", "random", "random", "accept", "reject")}},
	{Name: "smtp", TCP: []int{25, 587}, Persona: []PersonaKey{str("banner", ""), enum("mta", "postfix", "postfix", "exim", "sendmail")}},
	{Name: "smtp_relay", TCP: []int{25, 587}, Persona: []PersonaKey{
		str("banner", ""), enum("mta", "postfix", "postfix", "exim", "sendmail"),
		str("upstream_host", ""), integer("upstream_port", "25"), str("upstream_user", ""),
		pw("upstream_pass", ""), str("upstream_sender", ""), integer("probe_limit", "1"),
	}},
	{Name: "imap", TCP: []int{143, 993}, Persona: []PersonaKey{str("email_seed", "")}},
	{Name: "pop3", TCP: []int{110, 995}, Persona: []PersonaKey{str("email_seed", "")}},
	{Name: "mysql", TCP: []int{3306}, Persona: []PersonaKey{str("version", "")}},
	{Name: "postgres", TCP: []int{5432}, Persona: []PersonaKey{
		enum("auth_method", "cleartext", "cleartext", "md5", "scram-sha-256"), str("version", ""),
	}},
	{Name: "mssql", TCP: []int{1433}},
	{Name: "mongodb", TCP: []int{27017}},
	{Name: "redis", TCP: []int{6379}, Persona: []PersonaKey{str("version", ""), str("os_string", "")}},
	{Name: "elasticsearch", TCP: []int{9200}},
	{Name: "docker_api", TCP: []int{2375, 2376}},
	{Name: "k8s", TCP: []int{6443, 8080}},
	{Name: "ldap", TCP: []int{389, 636}, Persona: []PersonaKey{
		enum("flavor", "", "active_directory", "openldap"), str("base_dn", ""),
	}},
	{Name: "smb", TCP: []int{445, 139}, Persona: []PersonaKey{
		str("workgroup", "WORKGROUP"), str("server_name", ""), str("dns_domain", ""),
		enum("os_version", "", "windows7", "windows10", "windows11", "server2012r2", "server2016", "server2019", "server2022"),
		boolean("smb1", "false"),
	}},
	{Name: "rdp", TCP: []int{3389}, Persona: []PersonaKey{
		boolean("nla", "true"), str("netbios_name", ""), str("dns_domain", ""), str("product_version", ""),
	}},
	{Name: "vnc", TCP: []int{5900}},
	{Name: "sip", TCP: []int{5060}, UDP: []int{5060}},
	{Name: "snmp", UDP: []int{161}},
	{Name: "tftp", UDP: []int{69}},
	{Name: "mqtt", TCP: []int{1883}},
	{Name: "llmnr", UDP: []int{5355, 5353}},
	{Name: "dns", TCP: []int{53}, UDP: []int{53}, Persona: []PersonaKey{
		enum("zone_mode", "auth", "auth", "recursive", "open"),
		str("domain", "corp.local"),
		str("bind_version", "9.11.4-P2-RedHat-9.11.4-26.P2.el7_9.10"),
		str("nsid", ""),
		textarea("extra_records"),
		boolean("real_recursive", "false"),
		str("upstream", ""),
		integer("forward_budget", "50"),
		floating("forward_window", "1.0"),
		str("state_path", ""),
	}},
	{Name: "conpot", TCP: []int{502, 102}, UDP: []int{161}, Persona: []PersonaKey{
		enum("profile", "default", "default", "water_plant", "factory", "substation", "hospital"),
	}},
}

var serviceIndex = func() map[string]int {
	m := make(map[string]int, len(services))
	for i, s := range services {
		m[s.Name] = i
	}
	return m
}()

// Services returns the built-in services in catalogue order.
func Services() []Service { return slices.Clone(services) }

// LookupService returns the built-in service with the given slug.
func LookupService(slug string) (Service, bool) {
	i, ok := serviceIndex[slug]
	if !ok {
		return Service{}, false
	}
	return services[i], true
}

// ServiceSlugs returns the slugs of every built-in service, sorted.
func ServiceSlugs() []string {
	return slices.Sorted(maps.Keys(serviceIndex))
}

// Archetype is a named machine role with a fixed service set (catalog §2).
type Archetype struct {
	Slug        string   `json:"slug"`
	Name        string   `json:"display_name"`
	Description string   `json:"description"`
	Services    []string `json:"services"`
	Distros     []string `json:"preferred_distros"`
	NmapOS      string   `json:"nmap_os"`
}

var archetypes = []Archetype{
	{"windows-workstation", "Windows Workstation", "Office Windows desktop exposing file shares and remote desktop", []string{"smb", "rdp"}, []string{"debian", "ubuntu22"}, "windows"},
	{"windows-server", "Windows Server", "Domain-member Windows server with shares, RDP and directory access", []string{"smb", "rdp", "ldap"}, []string{"debian", "ubuntu22"}, "windows_server"},
	{"domain-controller", "Domain Controller", "Active Directory controller: directory, shares, RDP and LLMNR chatter", []string{"ldap", "smb", "rdp", "llmnr"}, []string{"debian", "ubuntu22"}, "windows_server"},
	{"linux-server", "Linux Server", "General-purpose Linux box with SSH and a web server", []string{"ssh", "http"}, []string{"debian", "ubuntu22", "rocky9", "fedora"}, "linux"},
	{"web-server", "Web Server", "Internet-facing web host with FTP for content uploads", []string{"http", "ftp"}, []string{"debian", "ubuntu22", "ubuntu20"}, "linux"},
	{"database-server", "Database Server", "Data tier: MySQL, PostgreSQL and Redis", []string{"mysql", "postgres", "redis"}, []string{"debian", "ubuntu22"}, "linux"},
	{"mail-server", "Mail Server", "Mail host: SMTP plus IMAP/POP3 mailboxes", []string{"smtp", "pop3", "imap"}, []string{"debian", "ubuntu22"}, "linux"},
	{"file-server", "File Server", "Storage node reachable over SMB, FTP and SSH/SFTP", []string{"smb", "ftp", "ssh"}, []string{"debian", "ubuntu22", "rocky9"}, "linux"},
	{"printer", "Network Printer", "Networked printer answering SNMP and FTP", []string{"snmp", "ftp"}, []string{"alpine", "debian"}, "embedded"},
	{"iot-device", "IoT Device", "Embedded gadget with an MQTT broker, SNMP and Telnet", []string{"mqtt", "snmp", "telnet"}, []string{"alpine"}, "embedded"},
	{"industrial-control", "Industrial Control System", "ICS/SCADA controller speaking Modbus, S7comm and SNMP", []string{"conpot"}, []string{"debian"}, "embedded"},
	{"voip-server", "VoIP Server", "SIP PBX / VoIP gateway", []string{"sip"}, []string{"debian", "ubuntu22"}, "linux"},
	{"monitoring-node", "Monitoring Node", "Infrastructure monitoring host: SNMP and SSH", []string{"snmp", "ssh"}, []string{"debian", "rocky9"}, "linux"},
	{"devops-host", "DevOps Host", "CI/CD or container host: Docker API, SSH and Kubernetes API", []string{"docker_api", "ssh", "k8s"}, []string{"ubuntu22", "debian"}, "linux"},
	{"deaddeck", "Deaddeck (Entry Point)", "Internet-facing entry point that offers only an interactive SSH shell", []string{"ssh"}, []string{"debian", "ubuntu22"}, "linux"},
}

// Archetypes returns the archetypes in canonical (table) order.
func Archetypes() []Archetype { return slices.Clone(archetypes) }

// LookupArchetype returns the archetype with the given slug, or the catalogue's error.
func LookupArchetype(slug string) (Archetype, error) {
	for _, a := range archetypes {
		if a.Slug == slug {
			return a, nil
		}
	}
	names := make([]string, len(archetypes))
	for i, a := range archetypes {
		names[i] = a.Slug
	}
	sort.Strings(names)
	return Archetype{}, &ConfigError{Msg: fmt.Sprintf("Unknown archetype '%s'. Available: %s", slug, strings.Join(names, ", "))}
}

// HostnameStyle selects the hostname format of a distro (catalog §4).
type HostnameStyle string

// Hostname styles.
const (
	StyleGeneric HostnameStyle = "generic"
	StyleRHEL    HostnameStyle = "rhel"
	StyleMinimal HostnameStyle = "minimal"
	StyleRolling HostnameStyle = "rolling"
)

// Distro is the OS identity a decky presents to an attacker (catalog §3).
type Distro struct {
	Slug          string        `json:"slug"`
	Name          string        `json:"display_name"`
	HostnameStyle HostnameStyle `json:"hostname_style"`
	ID            string        `json:"id"`
	IDLike        string        `json:"id_like,omitempty"`
	VersionID     string        `json:"version_id,omitempty"`
	PrettyName    string        `json:"pretty_name"`
	Codename      string        `json:"codename,omitempty"`
	SSHBanner     string        `json:"ssh_banner"`
	KernelRelease string        `json:"kernel_release"`
	KernelVersion string        `json:"kernel_version"`
}

var distros = []Distro{
	{"debian", "Debian 12 (Bookworm)", StyleGeneric, "debian", "", "12", "Debian GNU/Linux 12 (bookworm)", "bookworm",
		"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3", "6.1.0-18-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)"},
	{"ubuntu22", "Ubuntu 22.04 LTS (Jammy)", StyleGeneric, "ubuntu", "debian", "22.04", "Ubuntu 22.04.3 LTS", "jammy",
		"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6", "5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023"},
	{"ubuntu20", "Ubuntu 20.04 LTS (Focal)", StyleGeneric, "ubuntu", "debian", "20.04", "Ubuntu 20.04.6 LTS", "focal",
		"SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.5", "5.4.0-169-generic", "#187-Ubuntu SMP Thu Nov 23 14:52:28 UTC 2023"},
	{"rocky9", "Rocky Linux 9", StyleRHEL, "rocky", "rhel centos fedora", "9.3", "Rocky Linux 9.3 (Blue Onyx)", "",
		"SSH-2.0-OpenSSH_8.7", "5.14.0-362.8.1.el9_3.x86_64", "#1 SMP PREEMPT_DYNAMIC Wed Nov 8 17:36:32 UTC 2023"},
	{"centos7", "CentOS 7", StyleRHEL, "centos", "rhel fedora", "7", "CentOS Linux 7 (Core)", "",
		"SSH-2.0-OpenSSH_7.4", "3.10.0-1160.el7.x86_64", "#1 SMP Mon Oct 19 16:18:59 UTC 2020"},
	{"alpine", "Alpine Linux 3.19", StyleMinimal, "alpine", "", "3.19.1", "Alpine Linux v3.19", "",
		"SSH-2.0-OpenSSH_9.6", "6.6.14-0-lts", "#1-Alpine SMP PREEMPT_DYNAMIC Fri, 26 Jan 2024 11:08:07 +0000"},
	{"fedora", "Fedora 39", StyleRHEL, "fedora", "", "39", "Fedora Linux 39 (Server Edition)", "",
		"SSH-2.0-OpenSSH_9.3", "6.5.6-300.fc39.x86_64", "#1 SMP PREEMPT_DYNAMIC Fri Oct 6 19:57:21 UTC 2023"},
	{"kali", "Kali Linux (Rolling)", StyleRolling, "kali", "debian", "2024.1", "Kali GNU/Linux Rolling", "kali-rolling",
		"SSH-2.0-OpenSSH_9.6p1 Debian-4", "6.6.9-amd64", "#1 SMP PREEMPT_DYNAMIC Kali 6.6.9-1kali1 (2024-01-08)"},
	{"arch", "Arch Linux", StyleRolling, "arch", "", "", "Arch Linux", "",
		"SSH-2.0-OpenSSH_9.6", "6.7.4-arch1-1", "#1 SMP PREEMPT_DYNAMIC Mon, 05 Feb 2024 22:07:49 +0000"},
}

// Distros returns the distros in canonical (table) order.
func Distros() []Distro { return slices.Clone(distros) }

// LookupDistro returns the distro with the given slug, or the catalogue's error.
func LookupDistro(slug string) (Distro, error) {
	for _, d := range distros {
		if d.Slug == slug {
			return d, nil
		}
	}
	names := make([]string, len(distros))
	for i, d := range distros {
		names[i] = d.Slug
	}
	sort.Strings(names)
	return Distro{}, &ConfigError{Msg: fmt.Sprintf("Unknown distro '%s'. Available: %s", slug, strings.Join(names, ", "))}
}

// OSRelease renders the distro's /etc/os-release file.
func (d Distro) OSRelease() string {
	var b strings.Builder
	fmt.Fprintf(&b, "PRETTY_NAME=%q\n", d.PrettyName)
	name := strings.SplitN(d.PrettyName, " ", 2)[0]
	if d.ID == "debian" {
		name = "Debian GNU/Linux"
	}
	fmt.Fprintf(&b, "NAME=%q\n", name)
	if d.VersionID != "" {
		fmt.Fprintf(&b, "VERSION_ID=%q\n", d.VersionID)
	} else {
		b.WriteString("BUILD_ID=rolling\n")
	}
	if d.Codename != "" {
		fmt.Fprintf(&b, "VERSION_CODENAME=%s\n", d.Codename)
	}
	fmt.Fprintf(&b, "ID=%s\n", d.ID)
	if d.IDLike != "" {
		if strings.Contains(d.IDLike, " ") {
			fmt.Fprintf(&b, "ID_LIKE=%q\n", d.IDLike)
		} else {
			fmt.Fprintf(&b, "ID_LIKE=%s\n", d.IDLike)
		}
	}
	return b.String()
}

// OSFamilies lists the six nmap_os families in canonical order.
var OSFamilies = []string{"linux", "windows", "windows_server", "bsd", "embedded", "cisco"}

// Sysctl is one network sysctl applied to a decky's network namespace.
type Sysctl struct {
	Key   string
	Value string
}

// sysctlRows holds catalog §5.1, one row per sysctl, values in OSFamilies order.
var sysctlRows = []struct {
	key    string
	values [6]string
}{
	{"net.ipv4.ip_default_ttl", [6]string{"64", "128", "128", "64", "255", "255"}},
	{"net.ipv4.tcp_syn_retries", [6]string{"6", "2", "2", "6", "3", "2"}},
	{"net.ipv4.tcp_timestamps", [6]string{"1", "1", "1", "1", "0", "0"}},
	{"net.ipv4.tcp_window_scaling", [6]string{"1", "1", "1", "1", "0", "0"}},
	{"net.ipv4.tcp_sack", [6]string{"1", "1", "1", "1", "0", "0"}},
	{"net.ipv4.tcp_ecn", [6]string{"2", "0", "1", "0", "0", "0"}},
	{"net.ipv4.ip_no_pmtu_disc", [6]string{"0", "0", "0", "0", "1", "1"}},
	{"net.ipv4.tcp_fin_timeout", [6]string{"60", "30", "30", "60", "15", "15"}},
	{"net.ipv4.icmp_ratelimit", [6]string{"1000", "0", "0", "250", "0", "0"}},
	{"net.ipv4.icmp_ratemask", [6]string{"6168", "0", "0", "6168", "0", "0"}},
}

// IsOSFamily reports whether f is one of the six nmap_os families.
func IsOSFamily(f string) bool { return slices.Contains(OSFamilies, f) }

// OSProfile returns a fresh copy of the sysctls of an nmap_os family, in application order.
// An unknown family yields the linux row.
func OSProfile(family string) []Sysctl {
	col := slices.Index(OSFamilies, family)
	if col < 0 {
		col = 0
	}
	out := make([]Sysctl, len(sysctlRows))
	for i, r := range sysctlRows {
		out[i] = Sysctl{Key: r.key, Value: r.values[col]}
	}
	return out
}

// HasCloak reports whether an nmap_os family has a cloak mangle profile (catalog §5.2).
func HasCloak(family string) bool { return family == "windows" || family == "windows_server" }
