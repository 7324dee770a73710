package fleet

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/decnet/decnet/conf"
)

// FuzzBuildFromINI feeds arbitrary INI text through conf.Load and the build: it must never panic, and every
// build error must be a user-facing *conf.ConfigError.
func FuzzBuildFromINI(f *testing.F) {
	f.Add(x15Text, uint64(1), uint8(24))
	f.Add("[g]\nservices=ssh\namount=2\n", uint64(2), uint8(30))
	f.Add("[a]\nip=192.168.1.1\nservices=ssh\n", uint64(3), uint8(24))
	f.Add("[r]\namount=50\n[x]\narchetype=printer\n", uint64(4), uint8(26))
	f.Add("[general]\nnet=10.0.0.0/8\n[m]\nservices=smtp,smtp_relay\n", uint64(5), uint8(32))
	f.Fuzz(func(t *testing.T, text string, seed uint64, bits uint8) {
		dep, err := conf.Load(text)
		if err != nil {
			return
		}
		n := Network{Subnet: netip.PrefixFrom(ip("192.168.1.0"), int(bits%33)).Masked(), Gateway: ip("192.168.1.1"),
			HostIP: ip("192.168.1.2")}
		p, err := BuildFromINI(dep, n, Options{Rand: NewRand(seed)})
		if err != nil {
			var ce *conf.ConfigError
			if !errors.As(err, &ce) {
				t.Errorf("build error %T %v is not a ConfigError", err, err)
			}
			return
		}
		if len(p.Deckies) != len(dep.Deckies) {
			t.Errorf("%d deckies for %d specs", len(p.Deckies), len(dep.Deckies))
		}
		seen := map[netip.Addr]string{}
		for _, d := range p.Deckies {
			if !n.Subnet.Contains(d.IP) || reservedReason(d.IP, n) != "" {
				t.Errorf("%s: bad IP %s in %s", d.Name, d.IP, n.Subnet)
			}
			if other, dup := seen[d.IP]; dup {
				t.Errorf("%s and %s share %s", other, d.Name, d.IP)
			}
			seen[d.IP] = d.Name
			if len(d.Services) == 0 {
				t.Errorf("%s has no services", d.Name)
			}
		}
	})
}

func TestBuildErrorsAreConfigErrors(t *testing.T) {
	for _, err := range []error{
		func() error {
			_, e := BuildFromFlags(FlagOptions{Deckies: 1, Archetype: "nope"}, lan, Options{})
			return e
		}(),
		func() error {
			_, e := BuildFromFlags(FlagOptions{Deckies: 1, Services: []string{"ssh"}, Distros: []string{"x"}}, lan, Options{})
			return e
		}(),
		func() error { _, e := BuildFromFlags(FlagOptions{Deckies: 1}, lan, Options{}); return e }(),
		func() error {
			_, e := BuildFromINI(&conf.Deployment{Deckies: []conf.DeckySpec{{Name: "a", Section: "a", IP: ip("1.2.3.4")}}}, lan, Options{})
			return e
		}(),
	} {
		var ce *conf.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%T %v is not a *conf.ConfigError", err, err)
		}
	}
}

func BenchmarkBuildFromFlags100Random(b *testing.B) {
	f := FlagOptions{Deckies: 100, RandomizeServices: true, RandomizeDistros: true}
	for i := 0; b.Loop(); i++ {
		if _, err := BuildFromFlags(f, lan, Options{Rand: NewRand(uint64(i))}); err != nil {
			b.Fatal(err)
		}
	}
}
