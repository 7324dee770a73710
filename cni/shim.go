package cni

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// DefaultShimName is the host-side macvlan interface that lets the host reach its own deckies.
const DefaultShimName = "decnet_macvlan0"

// HostShim is the optional hairpin: a macvlan child of Parent in the host netns (bridge mode), holding
// HostIP/32, with a route to the decky range through it. macvlan children cannot talk to their parent,
// so without it the host cannot reach deckies on the LAN.
type HostShim struct {
	Name   string // "" = DefaultShimName
	Parent string
	HostIP netip.Addr
	Routes []netip.Prefix // decky range(s)
}

func (s HostShim) name() string {
	if s.Name == "" {
		return DefaultShimName
	}
	return s.Name
}

func ipCmd(ctx context.Context, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func linkExists(ctx context.Context, name string) bool {
	return exec.CommandContext(ctx, "ip", "link", "show", "dev", name).Run() == nil
}

// Up creates (or completes) the shim. It is idempotent.
func (s HostShim) Up(ctx context.Context) error {
	if s.Parent == "" || !s.HostIP.Is4() {
		return fmt.Errorf("host shim: need parent and an IPv4 host ip")
	}
	n := s.name()
	if !linkExists(ctx, n) {
		if err := ipCmd(ctx, "link", "add", n, "link", s.Parent, "type", "macvlan", "mode", "bridge"); err != nil {
			return fmt.Errorf("host shim: %w", err)
		}
	}
	if err := ipCmd(ctx, "addr", "replace", netip.PrefixFrom(s.HostIP, 32).String(), "dev", n); err != nil {
		return fmt.Errorf("host shim: %w", err)
	}
	if err := ipCmd(ctx, "link", "set", n, "up"); err != nil {
		return fmt.Errorf("host shim: %w", err)
	}
	for _, r := range s.Routes {
		if err := ipCmd(ctx, "route", "replace", r.Masked().String(), "dev", n); err != nil {
			return fmt.Errorf("host shim: %w", err)
		}
	}
	return nil
}

// Down removes the shim (its routes go with it). A missing shim is not an error.
func (s HostShim) Down(ctx context.Context) error {
	if !linkExists(ctx, s.name()) {
		return nil
	}
	if err := ipCmd(ctx, "link", "del", s.name()); err != nil {
		return fmt.Errorf("host shim: %w", err)
	}
	return nil
}
