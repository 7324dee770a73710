package cni

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/decnet/decnet/lab"
	"github.com/decnet/decnet/netns"
)

func TestLANConfList(t *testing.T) {
	a := Attachment{ID: "d1", NetNS: "/run/netns/x", Parent: "eth0", IP: netip.MustParseAddr("10.213.0.10"), PrefixLen: 24,
		Gateway: netip.MustParseAddr("10.213.0.1")}
	for _, tc := range []struct {
		mode          Mode
		typ, plugMode string
	}{{"", "macvlan", "bridge"}, {MacVLAN, "macvlan", "bridge"}, {IPVLAN, "ipvlan", "l2"}} {
		a.Mode = tc.mode
		b, err := LANConfList(a)
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Name    string
			Plugins []struct {
				Type, Mode, Master string
				IPAM               struct {
					Type      string
					Addresses []struct{ Address string }
					Routes    []struct{ Dst, GW string }
				}
			}
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		p := v.Plugins[0]
		if v.Name != NetworkName(tc.mode) || p.Type != tc.typ || p.Mode != tc.plugMode || p.Master != "eth0" || p.IPAM.Type != "static" ||
			p.IPAM.Addresses[0].Address != "10.213.0.10/24" || p.IPAM.Routes[0].Dst != "0.0.0.0/0" || p.IPAM.Routes[0].GW != "10.213.0.1" {
			t.Fatalf("conf list %s", b)
		}
	}
	bad := a
	bad.PrefixLen = 0
	if _, err := LANConfList(bad); err == nil {
		t.Fatal("prefix 0 accepted")
	}
	bad = a
	bad.Mode = "bridge"
	if _, err := LANConfList(bad); err == nil {
		t.Fatal("unknown mode accepted")
	}
}

func requireNet(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("ip not installed")
	}
	for _, d := range PluginDirs {
		if _, err := os.Stat(filepath.Join(d, "macvlan")); err == nil {
			return
		}
	}
	t.Skip("CNI macvlan plugin not installed")
}

func TestAddCheckDelAndShim(t *testing.T) {
	requireNet(t)
	ctx := context.Background()
	cfg := lab.Unique()
	l := lab.New(cfg)
	if err := l.Up(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Down(ctx) })
	sub := cfg.AttackerAddr.Addr().As4()[2]
	ip := netip.AddrFrom4([4]byte{10, 213, sub, 10})
	nsName := "dnt-cni-" + cfg.Parent[3:]
	p, err := netns.Create(nsName)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { netns.Delete(nsName) })
	m := New(t.TempDir(), nil)
	a := Attachment{ID: "d" + cfg.Parent[3:], NetNS: p, Parent: cfg.Parent, IP: ip, PrefixLen: 24, Gateway: netip.AddrFrom4([4]byte{10, 213, sub, 1})}
	res, err := m.Add(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("ip", "-n", nsName, "-o", "addr", "show", "eth0").CombinedOutput()
	if !strings.Contains(string(out), ip.String()+"/24") || res.IP.String() != ip.String()+"/24" {
		t.Fatalf("eth0 = %s, result ip %s", out, res.IP)
	}
	out, _ = exec.Command("ip", "-n", nsName, "-o", "link", "show", "eth0").CombinedOutput()
	if !strings.Contains(string(out), res.MAC.String()) {
		t.Fatalf("MAC %s not in %s", res.MAC, out)
	}
	out, _ = exec.Command("ip", "-n", nsName, "route").CombinedOutput()
	if !strings.Contains(string(out), fmt.Sprintf("default via 10.213.%d.1", sub)) {
		t.Fatalf("routes %s", out)
	}
	if err := m.Check(ctx, a); err != nil {
		t.Fatalf("Check: %v", err)
	}
	if ids, _ := m.CachedIDs(); len(ids) != 1 || ids[0] != a.ID {
		t.Fatalf("CachedIDs = %v", ids)
	}

	// Hairpin shim: the host reaches the decky IP through a macvlan of its own.
	shim := HostShim{Name: "dnts" + cfg.Parent[3:], Parent: cfg.Parent, HostIP: netip.AddrFrom4([4]byte{10, 213, sub, 249}),
		Routes: []netip.Prefix{netip.PrefixFrom(ip, 32)}}
	if err := shim.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := shim.Up(ctx); err != nil {
		t.Fatalf("second shim Up: %v", err)
	}
	if out, err := exec.Command("ping", "-c", "1", "-W", "2", "-I", shim.Name, ip.String()).CombinedOutput(); err != nil {
		t.Errorf("host -> decky through shim: %v\n%s", err, out)
	}
	if err := shim.Down(ctx); err != nil {
		t.Fatal(err)
	}
	if err := shim.Down(ctx); err != nil {
		t.Fatal(err)
	}

	if err := m.Del(ctx, a); err != nil {
		t.Fatal(err)
	}
	if ids, _ := m.CachedIDs(); len(ids) != 0 {
		t.Fatalf("cache after Del = %v", ids)
	}
	if err := m.Del(ctx, a); err != nil {
		t.Fatalf("second Del: %v", err)
	}
	if out, _ := exec.Command("ip", "-n", nsName, "link", "show", "eth0").CombinedOutput(); !strings.Contains(string(out), "does not exist") {
		t.Fatalf("eth0 survives Del: %s", out)
	}
}
