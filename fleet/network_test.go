package fleet

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/decnet/decnet/conf"
)

func TestResolveNetwork(t *testing.T) {
	detected := network("172.16.0.0/16", "172.16.0.1", "172.16.4.4")
	detected.Interface = "ens3"
	calls := 0
	detect := func() (Network, error) { calls++; return detected, nil }
	general := conf.General{Interface: "br0", Net: netip.MustParsePrefix("10.0.0.0/24"), Gateway: ip("10.0.0.1")}

	cases := []struct {
		name      string
		flags     Network
		general   conf.General
		want      Network
		wantCalls int
	}{
		{"all flags: no detection", network("192.168.1.7/24", "192.168.1.1", "192.168.1.2"), general, lan, 0},
		{"nothing given: detected", Network{}, conf.General{}, detected, 1},
		{"general then detected host", Network{}, general,
			Network{Interface: "br0", Subnet: netip.MustParsePrefix("10.0.0.0/24"), Gateway: ip("10.0.0.1"), HostIP: ip("172.16.4.4")}, 1},
		{"flags override general", Network{Interface: "eth9", HostIP: ip("10.0.0.9")}, general,
			Network{Interface: "eth9", Subnet: netip.MustParsePrefix("10.0.0.0/24"), Gateway: ip("10.0.0.1"), HostIP: ip("10.0.0.9")}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			got, err := ResolveNetwork(tc.flags, tc.general, detect)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if calls != tc.wantCalls {
				t.Errorf("detect called %d times, want %d", calls, tc.wantCalls)
			}
		})
	}

	boom := func() (Network, error) { return Network{}, errors.New("boom") }
	_, err := ResolveNetwork(Network{Interface: "eth0"}, conf.General{}, boom)
	if err == nil || !strings.Contains(err.Error(), "could not detect the host network (boom)") {
		t.Errorf("err = %v", err)
	}
	// Only the host IP missing and undetectable: plan without it.
	got, err := ResolveNetwork(Network{}, general, boom)
	if err != nil || got.HostIP.IsValid() || got.Interface != "br0" {
		t.Errorf("host IP undetectable: %+v, %v", got, err)
	}
}

func TestParseRoutes(t *testing.T) {
	table := "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
		"eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n" +
		"eth0\t00000000\t010011AC\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
		"eth0\t000011AC\t00000000\t0001\t0\t0\t100\t0000FFFF\t0\t0\t0\n" +
		"down\t00000000\t01010101\t0002\t0\t0\t1\t00000000\t0\t0\t0\n"
	rt, err := ParseRoutes(strings.NewReader(table))
	if err != nil {
		t.Fatal(err)
	}
	if rt.Interface != "eth0" || rt.Gateway != ip("172.17.0.1") {
		t.Errorf("got %+v", rt)
	}
	if _, err := ParseRoutes(strings.NewReader("Iface\tDestination\n")); err == nil {
		t.Error("no default route: want error")
	}
}

func FuzzParseRoutes(f *testing.F) {
	f.Add("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n eth0\t00000000\t010011AC\t0003\t0\t0\t100\t00000000\n")
	f.Add("x 00000000 zz 3 0 0 1 00000000")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		rt, err := ParseRoutes(strings.NewReader(s))
		if err == nil && (rt.Interface == "" || !rt.Gateway.Is4()) {
			t.Errorf("accepted %q as %+v", s, rt)
		}
	})
}

func TestDetectNetworkShape(t *testing.T) {
	n, err := DetectNetwork()
	if err != nil {
		t.Skipf("host has no detectable IPv4 default route: %v", err)
	}
	if n.Interface == "" || !n.Subnet.IsValid() || !n.Subnet.Contains(n.HostIP) || n.Subnet != n.Subnet.Masked() {
		t.Errorf("detected %+v", n)
	}
}
