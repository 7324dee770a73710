package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	"github.com/containerd/containerd/v2/core/containers"
	"github.com/containerd/containerd/v2/pkg/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/decnet/decnet/conf"
)

// DeckySpec is what the runtime needs to bring up one decky.
type DeckySpec struct {
	Name      string
	IP        netip.Addr
	PrefixLen int              // prefix length of the LAN subnet
	Gateway   netip.Addr       // LAN default gateway (invalid = none)
	MAC       net.HardwareAddr // output: MAC of the decky's LAN interface
	Hostname  string
	Distro    string
	NmapOS    string
	Services  []ServiceSpec
}

// ServiceSpec is one service of a decky.
type ServiceSpec struct {
	Name    string
	Persona map[string]any
	Custom  *conf.CustomService // nil = built-in service run by `/decky serve <Name>`
	Env     []string            // extra KEY=VALUE environment (appended last)
}

// Labels set on every container (the source of truth for adoption).
const (
	LabelDecky      = "decnet.decky"
	LabelService    = "decnet.service"
	LabelRole       = "decnet.role"
	LabelConfigHash = "decnet.config-hash"
	// sandbox-only labels, enough to tear a decky down or restart services after a daemon restart.
	labelIP       = "decnet.ip"
	labelPrefix   = "decnet.prefix-len"
	labelGateway  = "decnet.gateway"
	labelParent   = "decnet.parent"
	labelMode     = "decnet.cni-mode"
	labelMAC      = "decnet.mac"
	labelHostname = "decnet.hostname"
	labelDistro   = "decnet.distro"
	labelNmapOS   = "decnet.nmap-os"
)

// Container roles.
const (
	RoleSandbox = "sandbox"
	RoleService = "service"
)

// GroupAnnotation makes the runc v2 shim serve every container of one decky from a single process.
const GroupAnnotation = "io.containerd.runc.v2.group"

// ServiceUID is the uid/gid every decky process runs as.
const ServiceUID = 65532

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// validName reports whether s is usable as a decky or service name inside container ids and paths.
func validName(s string) bool { return nameRE.MatchString(s) }

// Validate checks the fields the runtime relies on.
func (d DeckySpec) Validate() error {
	if !validName(d.Name) {
		return fmt.Errorf("decky name %q: want [a-z0-9][a-z0-9_-]{0,39}", d.Name)
	}
	if !d.IP.Is4() {
		return fmt.Errorf("decky %s: ip %v is not IPv4", d.Name, d.IP)
	}
	if d.PrefixLen < 1 || d.PrefixLen > 32 {
		return fmt.Errorf("decky %s: bad prefix length %d", d.Name, d.PrefixLen)
	}
	seen := map[string]bool{}
	for _, s := range d.Services {
		if !validName(s.Name) {
			return fmt.Errorf("decky %s: service name %q: want [a-z0-9][a-z0-9_-]{0,39}", d.Name, s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("decky %s: service %s listed twice", d.Name, s.Name)
		}
		seen[s.Name] = true
		if s.Custom != nil && s.Custom.Image == "" {
			return fmt.Errorf("decky %s: custom service %s has no image", d.Name, s.Name)
		}
	}
	return nil
}

// serviceID is the container id of a service of a decky.
func serviceID(decky, svc string) string { return decky + "-" + svc }

func sandboxLabels(d DeckySpec, parent, mode string) map[string]string {
	l := map[string]string{
		LabelDecky: d.Name, LabelService: "", LabelRole: RoleSandbox,
		labelIP: d.IP.String(), labelPrefix: strconv.Itoa(d.PrefixLen), labelParent: parent, labelMode: mode,
		labelHostname: d.Hostname, labelDistro: d.Distro, labelNmapOS: d.NmapOS,
	}
	if d.Gateway.IsValid() {
		l[labelGateway] = d.Gateway.String()
	}
	if d.MAC != nil {
		l[labelMAC] = d.MAC.String()
	}
	l[LabelConfigHash] = hashOf(map[string]string{"ip": l[labelIP], "prefix": l[labelPrefix], "gw": l[labelGateway],
		"host": d.Hostname, "os": d.NmapOS, "distro": d.Distro, "parent": parent, "mode": mode})
	return l
}

// deckyFromLabels rebuilds the decky-level fields (no services) from sandbox labels.
func deckyFromLabels(l map[string]string) (DeckySpec, string, string, error) {
	d := DeckySpec{Name: l[LabelDecky], Hostname: l[labelHostname], Distro: l[labelDistro], NmapOS: l[labelNmapOS]}
	var err error
	if d.IP, err = netip.ParseAddr(l[labelIP]); err != nil {
		return d, "", "", fmt.Errorf("sandbox %s: label %s: %w", d.Name, labelIP, err)
	}
	if d.PrefixLen, err = strconv.Atoi(l[labelPrefix]); err != nil {
		return d, "", "", fmt.Errorf("sandbox %s: label %s: %w", d.Name, labelPrefix, err)
	}
	if g := l[labelGateway]; g != "" {
		if d.Gateway, err = netip.ParseAddr(g); err != nil {
			return d, "", "", fmt.Errorf("sandbox %s: label %s: %w", d.Name, labelGateway, err)
		}
	}
	if m := l[labelMAC]; m != "" {
		d.MAC, _ = net.ParseMAC(m)
	}
	return d, l[labelParent], l[labelMode], d.Validate()
}

func hashOf(v any) string {
	b, _ := json.Marshal(v)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:8])
}

// serviceEnv is the environment a service learns its identity from.
func serviceEnv(d DeckySpec, s ServiceSpec, instanceID string) ([]string, error) {
	persona := s.Persona
	if persona == nil {
		persona = map[string]any{}
	}
	pj, err := json.Marshal(persona)
	if err != nil {
		return nil, fmt.Errorf("decky %s service %s: persona: %w", d.Name, s.Name, err)
	}
	env := []string{
		"DECNET_DECKY=" + d.Name, "DECNET_HOSTNAME=" + d.Hostname, "DECNET_DISTRO=" + d.Distro,
		"DECNET_NMAP_OS=" + d.NmapOS, "DECNET_PERSONA=" + string(pj), "DECNET_INSTANCE_ID=" + instanceID,
		"DECNET_ARTIFACTS=/artifacts", "DECNET_SERVICE=" + s.Name,
	}
	return append(env, s.Env...), nil
}

// withSysctls adds net.* sysctls to the spec in order.
func withSysctls(sc []conf.Sysctl) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *specs.Spec) error {
		if s.Linux == nil {
			s.Linux = &specs.Linux{}
		}
		if s.Linux.Sysctl == nil {
			s.Linux.Sysctl = map[string]string{}
		}
		for _, x := range sc {
			s.Linux.Sysctl[x.Key] = x.Value
		}
		return nil
	}
}

// withoutMounts drops default mounts (writable /dev/shm, /dev/mqueue) a decky has no use for.
func withoutMounts(dests ...string) oci.SpecOpts {
	return func(_ context.Context, _ oci.Client, _ *containers.Container, s *specs.Spec) error {
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return slices.Contains(dests, m.Destination) })
		return nil
	}
}

// hardening returns the isolation options shared by sandbox and service containers: unprivileged
// uid/gid, read-only rootfs, no-new-privileges, the given capabilities (effective, permitted, bounding,
// inheritable and ambient so a non-root process keeps them), default seccomp, a small /tmp tmpfs and
// cgroup limits. Order matters: seccomp is derived from the final capability set.
func hardening(caps []string, mem uint64, pids int64) []oci.SpecOpts {
	return []oci.SpecOpts{
		oci.WithUIDGID(ServiceUID, ServiceUID),
		oci.WithRootFSReadonly(),
		oci.WithNoNewPrivileges,
		oci.WithCapabilities(caps),
		oci.WithAmbientCapabilities(caps),
		seccomp.WithDefaultProfile(),
		withoutMounts("/dev/shm", "/dev/mqueue"),
		oci.WithMounts([]specs.Mount{{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "nodev", "noexec", "mode=1777", "size=16m"}}}),
		oci.WithMemoryLimit(mem),
		oci.WithPidsLimit(pids),
	}
}
