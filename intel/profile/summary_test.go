package profile

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/intel/correlate"
	"github.com/decnet/decnet/store"
)

// referenceBuild is the profile of every observation at once, straight from events.md §8: sort the events by
// time (stable), then walk them. Summary must give the same answer however the observations arrive.
func referenceBuild(ip string, obs []Obs) store.Attacker {
	evs := append([]Obs(nil), obs...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	a := store.Attacker{IP: ip, EventCount: len(evs), Services: []string{}, Deckies: []string{}, Commands: []store.Command{}}
	services, deckies := map[string]bool{}, map[string]bool{}
	times := make([]time.Time, len(evs))
	var tools []string
	var ph Phase
	var reconEnd, exfilStart time.Time
	for i, o := range evs {
		times[i] = o.Time
		if !services[o.Service] {
			services[o.Service] = true
			a.Services = append(a.Services, o.Service)
		}
		if !deckies[o.Decky] {
			deckies[o.Decky] = true
			a.Deckies = append(a.Deckies, o.Decky)
		}
		if o.Command != "" {
			a.Commands = append(a.Commands, store.Command{Service: o.Service, Decky: o.Decky, Command: o.Command, Timestamp: o.Time})
		}
		tools = append(tools, o.Tools...)
		if reconTypes[o.EventType] && (reconEnd.IsZero() || o.Time.After(reconEnd)) {
			reconEnd = o.Time
		}
		if exfilTypes[o.EventType] && (exfilStart.IsZero() || o.Time.Before(exfilStart)) {
			exfilStart = o.Time
		}
		if o.Large {
			ph.LargePayload++
		}
	}
	if !reconEnd.IsZero() {
		s := event.FormatTime(reconEnd)
		ph.ReconEnd = &s
	}
	if !exfilStart.IsZero() {
		s := event.FormatTime(exfilStart)
		ph.ExfilStart = &s
	}
	if ph.ReconEnd != nil && ph.ExfilStart != nil {
		ph.ExfilLatency = ptr(round(exfilStart.Sub(reconEnd).Seconds(), 3))
	}
	sort.Strings(a.Services)
	if len(evs) > 0 {
		a.FirstSeen, a.LastSeen = evs[0].Time, evs[len(evs)-1].Time
	}
	a.ServiceCount, a.DeckyCount = len(a.Services), len(a.Deckies)
	if a.DeckyCount >= correlate.DefaultMinDeckies {
		a.IsTraversal = true
		path := strings.Join(a.Deckies, " → ")
		a.TraversalPath = &path
	}
	timing := TimingStats(times)
	b := &store.Behavior{BehaviorClass: Classify(timing.EventCount, timing.MeanIAT, timing.CV, a.ServiceCount)}
	if b.BehaviorClass == "beaconing" {
		b.BeaconIntervalS = timing.MeanIAT
		b.BeaconJitterPct = ptr(round(*timing.CV*100, 2))
	}
	b.ToolGuesses = CadenceTools(timing.MeanIAT, timing.CV)
	for _, t := range tools {
		if !contains(b.ToolGuesses, t) {
			b.ToolGuesses = append(b.ToolGuesses, t)
		}
	}
	b.TimingStats, _ = json.Marshal(timing)
	b.PhaseSequence, _ = json.Marshal(ph)
	a.Behavior = b
	return a
}

// randomObs returns n observations with many equal times, few deckies, services and tools, in arrival order
// that is mostly but not always chronological.
func randomObs(r *rand.Rand, n int) []Obs {
	base := time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)
	types := []string{"connect", "auth_attempt", "command", "download", "request", "scan", "query"}
	tools := []string{"nmap", "curl", "hydra", "sqlmap"}
	out := make([]Obs, n)
	clock := 0
	for i := range out {
		clock += r.IntN(40)
		at := clock
		if r.IntN(8) == 0 {
			at = r.IntN(clock + 1) // late arrival
		}
		o := Obs{Time: base.Add(time.Duration(at) * 250 * time.Millisecond), Decky: "decky-0" + string(rune('1'+r.IntN(4))),
			Service: []string{"ssh", "http", "smb"}[r.IntN(3)], EventType: types[r.IntN(len(types))], Large: r.IntN(10) == 0}
		if o.EventType == "command" || o.EventType == "query" {
			o.Command = []string{"id", "uname -a", "ls"}[r.IntN(3)]
		}
		for _, t := range tools {
			if r.IntN(6) == 0 {
				o.Tools = append(o.Tools, t)
			}
		}
		out[i] = o
	}
	return out
}

// A Summary fed in arbitrary chunks, with Attacker called between chunks, gives the profile of all its
// observations at once.
func TestSummaryMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 400; iter++ {
		obs := randomObs(r, r.IntN(60))
		want := referenceBuild("10.213.0.7", obs)
		if got := Build("10.213.0.7", obs); !reflect.DeepEqual(got, want) {
			t.Fatalf("iteration %d: Build differs\n got %+v\nwant %+v", iter, got, want)
		}
		var s Summary
		var got store.Attacker
		for i := 0; i < len(obs); {
			j := min(len(obs), i+1+r.IntN(10))
			for _, o := range obs[i:j] {
				s.Add(o)
			}
			got = s.Attacker("10.213.0.7")
			if partial := referenceBuild("10.213.0.7", obs[:j]); !reflect.DeepEqual(got, partial) {
				t.Fatalf("iteration %d after %d observations:\n got %+v %s %s\nwant %+v %s %s", iter, j,
					got, got.Behavior.TimingStats, got.Behavior.PhaseSequence, partial, partial.Behavior.TimingStats, partial.Behavior.PhaseSequence)
			}
			i = j
		}
		if s.Len() != len(obs) {
			t.Fatalf("Len %d, want %d", s.Len(), len(obs))
		}
	}
}

// BenchmarkProfileUpdate: the cost of one profile rebuild after 100 new events of an IP that already has many,
// incrementally (Summary) against rebuilding from every observation (the reference).
func BenchmarkProfileUpdate(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	obs := randomObs(r, 100_000)
	b.Run("summary", func(b *testing.B) {
		var s Summary
		for _, o := range obs {
			s.Add(o)
		}
		s.Attacker("10.213.0.7")
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			for _, o := range obs[:100] {
				s.Add(o)
			}
			s.Attacker("10.213.0.7")
		}
	})
	b.Run("reference", func(b *testing.B) {
		all := obs
		for i := 0; i < b.N; i++ {
			all = append(all, obs[:100]...)
			referenceBuild("10.213.0.7", all)
		}
	})
}

// nth agrees with sorting for every position, with and without repeated values.
func TestNth(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 300; iter++ {
		n := 1 + r.IntN(40)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(r.IntN(1 + iter%12))
		}
		sorted := append([]float64(nil), xs...)
		sort.Float64s(sorted)
		for k := range xs {
			scratch := append([]float64(nil), xs...)
			if got := nth(scratch, k); got != sorted[k] {
				t.Fatalf("nth(%v, %d) = %v, want %v", xs, k, got, sorted[k])
			}
			for _, x := range scratch[:k] {
				if x > sorted[k] {
					t.Fatalf("nth(%v, %d): %v before position %d", xs, k, x, k)
				}
			}
		}
	}
}
