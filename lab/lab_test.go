package lab

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

func TestLinkUp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"5: x: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500", true},
		{"5: x: <BROADCAST,MULTICAST> mtu 1500", false},
		{"garbage", false},
		{"5: x: >UP< mtu", false},
	} {
		if got := linkUp(tc.in); got != tc.want {
			t.Errorf("linkUp(%q) = %v", tc.in, got)
		}
	}
}

func FuzzLinkUp(f *testing.F) {
	f.Add("5: x: <BROADCAST,UP> mtu 1500")
	f.Add("<>")
	f.Fuzz(func(t *testing.T, s string) { linkUp(s) })
}

func TestUpDownIdempotent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2 ip binary not found")
	}
	ctx := context.Background()
	l := New(Unique())
	t.Cleanup(func() { l.Down(ctx) })
	for i := 0; i < 2; i++ {
		if err := l.Up(ctx); err != nil {
			t.Fatalf("Up #%d: %v", i+1, err)
		}
		s, err := l.Status(ctx)
		if err != nil || !s.Ready() {
			t.Fatalf("Status after Up #%d = %+v, %v", i+1, s, err)
		}
	}
	// The attacker can reach its own address (lo up, addr in place) inside its netns.
	if out, err := exec.Command("ip", "netns", "exec", l.cfg.AttackerNS, "ip", "-4", "-o", "addr").CombinedOutput(); err != nil {
		t.Fatalf("ip netns exec: %v %s", err, out)
	}
	for i := 0; i < 2; i++ {
		if err := l.Down(ctx); err != nil {
			t.Fatalf("Down #%d: %v", i+1, err)
		}
		s, _ := l.Status(ctx)
		if s.ParentExists || s.AttackerNS {
			t.Fatalf("Status after Down = %+v", s)
		}
	}
}
