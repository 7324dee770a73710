package cni

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// Mode is the L2 driver a decky's interface uses.
type Mode string

// Supported modes.
const (
	MacVLAN Mode = "macvlan"
	IPVLAN  Mode = "ipvlan"
)

// Network names used in conf lists (and in the libcni cache file names).
const (
	LoopbackNetwork = "decnet-lo"
	IfName          = "eth0"
	cniVersion      = "1.0.0"
)

// PluginDirs are the directories searched for CNI plugin binaries, in order.
var PluginDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// Attachment describes one decky's LAN interface.
type Attachment struct {
	ID        string // container id used for the CNI cache (the decky name)
	NetNS     string // netns path
	Parent    string // host interface the macvlan/ipvlan child hangs off
	Mode      Mode   // "" = macvlan
	IP        netip.Addr
	PrefixLen int        // the LAN subnet's prefix length
	Gateway   netip.Addr // invalid = no default route
}

// Result is what an ADD returned.
type Result struct {
	MAC net.HardwareAddr
	IP  netip.Prefix
}

// NetworkName returns the conf list name for a mode.
func NetworkName(m Mode) string {
	if m == IPVLAN {
		return "decnet-ipvlan"
	}
	return "decnet-macvlan"
}

func (a Attachment) validate() error {
	switch {
	case a.ID == "":
		return errors.New("empty attachment id")
	case a.NetNS == "":
		return errors.New("empty netns path")
	case a.Parent == "":
		return errors.New("empty parent interface")
	case !a.IP.Is4():
		return fmt.Errorf("ip %v is not IPv4", a.IP)
	case a.PrefixLen < 1 || a.PrefixLen > 32:
		return fmt.Errorf("bad prefix length %d", a.PrefixLen)
	case a.Mode != "" && a.Mode != MacVLAN && a.Mode != IPVLAN:
		return fmt.Errorf("unknown mode %q", a.Mode)
	}
	return nil
}

// LANConfList renders the CNI conf list (macvlan bridge mode or ipvlan L2, static IPAM) of a.
func LANConfList(a Attachment) ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, fmt.Errorf("cni conf list: %w", err)
	}
	ipam := map[string]any{
		"type":      "static",
		"addresses": []map[string]any{{"address": netip.PrefixFrom(a.IP, a.PrefixLen).String()}},
	}
	if a.Gateway.IsValid() {
		ipam["routes"] = []map[string]any{{"dst": "0.0.0.0/0", "gw": a.Gateway.String()}}
		ipam["addresses"].([]map[string]any)[0]["gateway"] = a.Gateway.String()
	}
	plugin := map[string]any{"master": a.Parent, "ipam": ipam}
	if a.Mode == IPVLAN {
		plugin["type"], plugin["mode"] = "ipvlan", "l2"
	} else {
		plugin["type"], plugin["mode"] = "macvlan", "bridge"
	}
	return json.Marshal(map[string]any{"cniVersion": cniVersion, "name": NetworkName(a.Mode), "plugins": []any{plugin}})
}

func loopbackConfList() []byte {
	return []byte(`{"cniVersion":"` + cniVersion + `","name":"` + LoopbackNetwork + `","plugins":[{"type":"loopback"}]}`)
}

// Manager runs CNI operations with one plugin path and one cache directory.
type Manager struct {
	cni      *libcni.CNIConfig
	cacheDir string
}

// New returns a Manager that keeps the libcni cache in cacheDir. pluginDirs nil = PluginDirs.
func New(cacheDir string, pluginDirs []string) *Manager {
	if pluginDirs == nil {
		pluginDirs = PluginDirs
	}
	return &Manager{cni: libcni.NewCNIConfigWithCacheDir(pluginDirs, cacheDir, nil), cacheDir: cacheDir}
}

// CacheDir returns the libcni cache directory.
func (m *Manager) CacheDir() string { return m.cacheDir }

func lists(a Attachment) (lo, lan *libcni.NetworkConfigList, err error) {
	b, err := LANConfList(a)
	if err != nil {
		return nil, nil, err
	}
	if lan, err = libcni.NetworkConfFromBytes(b); err != nil {
		return nil, nil, fmt.Errorf("parse lan conf list: %w", err)
	}
	if lo, err = libcni.NetworkConfFromBytes(loopbackConfList()); err != nil {
		return nil, nil, fmt.Errorf("parse loopback conf list: %w", err)
	}
	return lo, lan, nil
}

// Add brings up lo and the LAN interface of a in its netns and returns the interface MAC.
func (m *Manager) Add(ctx context.Context, a Attachment) (Result, error) {
	lo, lan, err := lists(a)
	if err != nil {
		return Result{}, fmt.Errorf("cni add %s: %w", a.ID, err)
	}
	if _, err := m.cni.AddNetworkList(ctx, lo, &libcni.RuntimeConf{ContainerID: a.ID, NetNS: a.NetNS, IfName: "lo"}); err != nil {
		return Result{}, fmt.Errorf("cni add %s loopback: %w", a.ID, err)
	}
	res, err := m.cni.AddNetworkList(ctx, lan, &libcni.RuntimeConf{ContainerID: a.ID, NetNS: a.NetNS, IfName: IfName})
	if err != nil {
		m.cni.DelNetworkList(ctx, lo, &libcni.RuntimeConf{ContainerID: a.ID, NetNS: a.NetNS, IfName: "lo"})
		return Result{}, fmt.Errorf("cni add %s %s: %w", a.ID, lan.Name, err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil {
		return Result{}, fmt.Errorf("cni add %s: convert result: %w", a.ID, err)
	}
	var out Result
	for _, i := range r.Interfaces {
		if i.Name == IfName && i.Sandbox != "" {
			if out.MAC, err = net.ParseMAC(i.Mac); err != nil {
				return Result{}, fmt.Errorf("cni add %s: result mac %q: %w", a.ID, i.Mac, err)
			}
		}
	}
	for _, ip := range r.IPs {
		if p, ok := netip.AddrFromSlice(ip.Address.IP.To4()); ok {
			ones, _ := ip.Address.Mask.Size()
			out.IP = netip.PrefixFrom(p, ones)
		}
	}
	if out.MAC == nil {
		return Result{}, fmt.Errorf("cni add %s: result has no %s mac", a.ID, IfName)
	}
	return out, nil
}

// Check verifies the LAN attachment of a with the plugins' CHECK.
func (m *Manager) Check(ctx context.Context, a Attachment) error {
	_, lan, err := lists(a)
	if err != nil {
		return fmt.Errorf("cni check %s: %w", a.ID, err)
	}
	if err := m.cni.CheckNetworkList(ctx, lan, &libcni.RuntimeConf{ContainerID: a.ID, NetNS: a.NetNS, IfName: IfName}); err != nil {
		return fmt.Errorf("cni check %s: %w", a.ID, err)
	}
	return nil
}

// Del removes the LAN and loopback attachments of a and their cache entries. Deleting an attachment
// that does not exist (or whose netns is gone) succeeds.
func (m *Manager) Del(ctx context.Context, a Attachment) error {
	lo, lan, err := lists(a)
	if err != nil {
		return fmt.Errorf("cni del %s: %w", a.ID, err)
	}
	var errs []error
	if err := m.cni.DelNetworkList(ctx, lan, &libcni.RuntimeConf{ContainerID: a.ID, NetNS: a.NetNS, IfName: IfName}); err != nil {
		errs = append(errs, fmt.Errorf("cni del %s %s: %w", a.ID, lan.Name, err))
	}
	if err := m.cni.DelNetworkList(ctx, lo, &libcni.RuntimeConf{ContainerID: a.ID, NetNS: a.NetNS, IfName: "lo"}); err != nil {
		errs = append(errs, fmt.Errorf("cni del %s loopback: %w", a.ID, err))
	}
	return errors.Join(errs...)
}

// CachedIDs returns the container ids that have entries in the libcni cache.
func (m *Manager) CachedIDs() ([]string, error) {
	atts, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("read cni cache: %w", err)
	}
	seen := map[string]bool{}
	var out []string
	for _, a := range atts {
		if !seen[a.ContainerID] {
			seen[a.ContainerID] = true
			out = append(out, a.ContainerID)
		}
	}
	return out, nil
}

// Sweep runs DEL for every cached attachment whose container id keep rejects, using the cached conf
// list, and removes cache files DEL could not clear. It returns the ids swept.
func (m *Manager) Sweep(ctx context.Context, keep func(id string) bool) ([]string, error) {
	atts, err := m.cni.GetCachedAttachments("")
	if err != nil {
		return nil, fmt.Errorf("read cni cache: %w", err)
	}
	var swept []string
	var errs []error
	seen := map[string]bool{}
	for _, a := range atts {
		if keep(a.ContainerID) {
			continue
		}
		if !seen[a.ContainerID] {
			seen[a.ContainerID] = true
			swept = append(swept, a.ContainerID)
		}
		rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, NetNS: a.NetNS, IfName: a.IfName, Args: a.CniArgs, CapabilityArgs: a.CapabilityArgs}
		list, err := libcni.NetworkConfFromBytes(a.Config)
		if err == nil {
			err = m.cni.DelNetworkList(ctx, list, rt)
		}
		if err != nil {
			// Last resort: forget the entry so it does not leak forever.
			f := filepath.Join(m.cacheDir, "results", fmt.Sprintf("%s-%s-%s", a.Network, a.ContainerID, a.IfName))
			if rerr := os.Remove(f); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				errs = append(errs, fmt.Errorf("sweep cni %s: %w", a.ContainerID, errors.Join(err, rerr)))
			}
		}
	}
	return swept, errors.Join(errs...)
}
