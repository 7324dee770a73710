// Package lab builds the isolated lab L2: a veth pair whose host end is the deckies' macvlan parent and
// whose other end sits in an "attacker" network namespace, so deckies can be probed without a real LAN.
package lab

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os/exec"
	"strings"

	"github.com/decnet/decnet/netns"
)

// Config names the parts of one lab. Tests use unique names so they can run beside a demo lab.
type Config struct {
	Parent       string       // host end of the veth, the macvlan parent
	Peer         string       // attacker end of the veth (inside AttackerNS)
	AttackerNS   string       // named netns of the attacker
	AttackerAddr netip.Prefix // address of Peer
}

// Default returns the standard lab: decnet-lab0 / decnet-attacker 10.213.0.250/24.
func Default() Config {
	return Config{Parent: "decnet-lab0", Peer: "decnet-lab1", AttackerNS: "decnet-attacker",
		AttackerAddr: netip.MustParsePrefix("10.213.0.250/24")}
}

// Unique returns a lab with random names (veth dnt<hex>, netns dnt-atk-<hex>) on a random
// 10.213.<100..249>.0/24 subnet, for tests that must not collide with a running demo lab.
func Unique() Config {
	r := rand.IntN(1 << 20)
	return Config{Parent: fmt.Sprintf("dnt%05x", r), Peer: fmt.Sprintf("dnt%05xp", r), AttackerNS: fmt.Sprintf("dnt-atk-%05x", r),
		AttackerAddr: netip.MustParsePrefix(fmt.Sprintf("10.213.%d.250/24", 100+rand.IntN(150)))}
}

// Status is the observed state of a lab.
type Status struct {
	ParentExists bool
	ParentUp     bool
	AttackerNS   bool
	PeerUp       bool
	AttackerAddr bool // AttackerAddr is configured on Peer
}

// Ready reports whether every part of the lab is in place.
func (s Status) Ready() bool {
	return s.ParentExists && s.ParentUp && s.AttackerNS && s.PeerUp && s.AttackerAddr
}

// Lab manages one lab topology.
type Lab struct{ cfg Config }

// New returns a Lab for cfg.
func New(cfg Config) *Lab { return &Lab{cfg: cfg} }

// Config returns the lab's configuration.
func (l *Lab) Config() Config { return l.cfg }

func ip(ctx context.Context, args ...string) (string, error) {
	var out, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out.String(), nil
}

// Up builds the lab; it is idempotent and completes a partly built lab.
func (l *Lab) Up(ctx context.Context) error {
	c := l.cfg
	if _, err := netns.Create(c.AttackerNS); err != nil {
		return fmt.Errorf("lab up: %w", err)
	}
	if _, err := ip(ctx, "link", "show", "dev", c.Parent); err != nil {
		// A half-built pair may have left the peer in the host ns.
		ip(ctx, "link", "del", c.Peer)
		if _, err := ip(ctx, "link", "add", c.Parent, "type", "veth", "peer", "name", c.Peer, "netns", c.AttackerNS); err != nil {
			return fmt.Errorf("lab up: %w", err)
		}
	}
	steps := [][]string{
		{"link", "set", c.Parent, "up"},
		{"-n", c.AttackerNS, "link", "set", "lo", "up"},
		{"-n", c.AttackerNS, "addr", "replace", c.AttackerAddr.String(), "dev", c.Peer},
		{"-n", c.AttackerNS, "link", "set", c.Peer, "up"},
	}
	for _, s := range steps {
		if _, err := ip(ctx, s...); err != nil {
			return fmt.Errorf("lab up: %w", err)
		}
	}
	return nil
}

// Down removes the veth pair and the attacker netns; it is idempotent.
func (l *Lab) Down(ctx context.Context) error {
	c := l.cfg
	if _, err := ip(ctx, "link", "show", "dev", c.Parent); err == nil {
		if _, err := ip(ctx, "link", "del", c.Parent); err != nil {
			return fmt.Errorf("lab down: %w", err)
		}
	}
	if err := netns.Delete(c.AttackerNS); err != nil {
		return fmt.Errorf("lab down: %w", err)
	}
	return nil
}

// Status inspects the lab.
func (l *Lab) Status(ctx context.Context) (Status, error) {
	c := l.cfg
	var s Status
	if out, err := ip(ctx, "-o", "link", "show", "dev", c.Parent); err == nil {
		s.ParentExists = true
		s.ParentUp = linkUp(out)
	}
	s.AttackerNS = netns.Exists(c.AttackerNS)
	if !s.AttackerNS {
		return s, nil
	}
	if out, err := ip(ctx, "-n", c.AttackerNS, "-o", "link", "show", "dev", c.Peer); err == nil {
		s.PeerUp = linkUp(out)
	}
	if out, err := ip(ctx, "-n", c.AttackerNS, "-o", "-4", "addr", "show", "dev", c.Peer); err == nil {
		s.AttackerAddr = strings.Contains(out, " "+c.AttackerAddr.String()+" ")
	}
	return s, nil
}

// linkUp parses `ip -o link show` output for the administrative UP flag.
func linkUp(out string) bool {
	i := strings.Index(out, "<")
	j := strings.Index(out, ">")
	if i < 0 || j < i {
		return false
	}
	for _, f := range strings.Split(out[i+1:j], ",") {
		if f == "UP" {
			return true
		}
	}
	return false
}
