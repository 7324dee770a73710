// Package correlate detects cross-decky traversals: one attacker IP touching several deckies, with the fleet
// mutations that happened meanwhile (spec/events.md §7). The same Engine serves offline log files
// (decnetctl correlate --log-file) and the daemon's live event stream.
package correlate

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/event"
)

// DefaultMinDeckies is the default number of distinct deckies that makes a traversal.
const DefaultMinDeckies = 2

// PseudoDeckyPrefix marks host-side emitters' pseudo-deckies (decnet-prober, decnet-correlator), which never
// count as traversal hops.
const PseudoDeckyPrefix = "decnet-"

// Hop is one event of an attacker on a decky.
type Hop struct {
	Timestamp time.Time
	Decky     string
	Service   string
	EventType string
	seq       int
}

// Mutation is one decky_mutated record (service mutator).
type Mutation struct {
	Timestamp   time.Time
	Decky       string
	OldServices []string
	NewServices []string
	Trigger     string
	seq         int
}

type ipState struct {
	ip   string
	hops []Hop
}

// Engine indexes records per attacker IP and mutations per decky. It is safe for concurrent use; the zero value
// is ready to use (New is a convenience).
type Engine struct {
	// OnObserved, when set before the first Add/Feed, is called (outside the engine's lock) with every attacker
	// IP the first time the engine indexes it.
	OnObserved func(ip string)
	// Now supplies the receipt time Feed passes to event.Parse; nil means time.Now.
	Now func() time.Time

	mu        sync.Mutex
	lines     int
	indexed   int
	seq       int
	ips       map[string]*ipState
	ipOrder   []*ipState
	mutations map[string][]Mutation
}

// New returns an empty Engine.
func New() *Engine {
	return &Engine{ips: make(map[string]*ipState), mutations: make(map[string][]Mutation)}
}

// Feed handles one input line in file mode: it counts the line (lines_parsed counts every line, parseable or
// not), parses it and indexes the record unless it is unparseable, has decky or service "-", or has no valid
// timestamp.
func (e *Engine) Feed(line string) {
	now := time.Now
	if e.Now != nil {
		now = e.Now
	}
	rec, err := event.Parse(line, now())
	e.mu.Lock()
	e.lines++
	if err != nil || rec.Decky == "-" || rec.Service == "-" || rec.Decky == "" || rec.Service == "" || !rec.TimeValid {
		e.mu.Unlock()
		return
	}
	observed := e.addLocked(rec)
	e.mu.Unlock()
	e.notify(observed)
}

// Add counts one input line and indexes r as is (live mode: decky and service come from the runtime, the
// timestamp is trusted). Mutation records (service mutator, event decky_mutated) are indexed per decky
// (fields.decky, else r.Decky); every other record with an attacker IP is indexed per IP.
func (e *Engine) Add(r event.Record) {
	e.mu.Lock()
	e.lines++
	observed := e.addLocked(r)
	e.mu.Unlock()
	e.notify(observed)
}

func (e *Engine) notify(ip string) {
	if ip != "" && e.OnObserved != nil {
		e.OnObserved(ip)
	}
}

// addLocked indexes r and returns the IP when it was seen for the first time.
func (e *Engine) addLocked(r event.Record) string {
	if e.ips == nil {
		e.ips = make(map[string]*ipState)
		e.mutations = make(map[string][]Mutation)
	}
	e.seq++
	if r.Service == "mutator" && r.EventType == "decky_mutated" {
		decky := r.Fields["decky"]
		if decky == "" {
			decky = r.Decky
		}
		e.mutations[decky] = append(e.mutations[decky], Mutation{
			Timestamp:   r.Timestamp.UTC(),
			Decky:       decky,
			OldServices: splitServices(r.Fields["old_services"]),
			NewServices: splitServices(r.Fields["new_services"]),
			Trigger:     r.Fields["trigger"],
			seq:         e.seq,
		})
		return ""
	}
	if r.AttackerIP == "" {
		return ""
	}
	e.indexed++
	st, ok := e.ips[r.AttackerIP]
	if !ok {
		st = &ipState{ip: r.AttackerIP}
		e.ips[r.AttackerIP] = st
		e.ipOrder = append(e.ipOrder, st)
	}
	if !strings.HasPrefix(r.Decky, PseudoDeckyPrefix) {
		st.hops = append(st.hops, Hop{Timestamp: r.Timestamp.UTC(), Decky: r.Decky, Service: r.Service,
			EventType: r.EventType, seq: e.seq})
	}
	if !ok {
		return r.AttackerIP
	}
	return ""
}

// splitServices splits a comma-joined service list, trimming blanks and dropping empty items.
func splitServices(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Report computes the traversals of IPs that touched at least minDeckies distinct deckies (values < 1 mean
// DefaultMinDeckies), sorted by first_seen.
func (e *Engine) Report(minDeckies int) Report {
	if minDeckies < 1 {
		minDeckies = DefaultMinDeckies
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rep := Report{
		Stats:      Stats{LinesParsed: e.lines, EventsIndexed: e.indexed, UniqueIPs: len(e.ips)},
		Traversals: []Traversal{},
	}
	for _, st := range e.ipOrder {
		if t, ok := e.traversalLocked(st, minDeckies); ok {
			rep.Traversals = append(rep.Traversals, t)
		}
	}
	sort.SliceStable(rep.Traversals, func(i, j int) bool {
		return rep.Traversals[i].FirstSeen.Before(rep.Traversals[j].FirstSeen)
	})
	rep.Stats.Traversals = len(rep.Traversals)
	return rep
}

func (e *Engine) traversalLocked(st *ipState, minDeckies int) (Traversal, bool) {
	if len(st.hops) == 0 {
		return Traversal{}, false
	}
	distinct := make(map[string]bool)
	for _, h := range st.hops {
		distinct[h.Decky] = true
	}
	if len(distinct) < minDeckies {
		return Traversal{}, false
	}
	hops := append([]Hop(nil), st.hops...)
	sort.SliceStable(hops, func(i, j int) bool { return hops[i].Timestamp.Before(hops[j].Timestamp) })
	t := Traversal{AttackerIP: st.ip, Hops: hops, HopCount: len(hops), Deckies: make([]string, 0, len(distinct))}
	seen := make(map[string]bool, len(distinct))
	for _, h := range hops {
		if !seen[h.Decky] {
			seen[h.Decky] = true
			t.Deckies = append(t.Deckies, h.Decky)
		}
	}
	t.DeckyCount = len(t.Deckies)
	t.Path = strings.Join(t.Deckies, " → ")
	t.FirstSeen, t.LastSeen = hops[0].Timestamp, hops[len(hops)-1].Timestamp
	t.DurationSeconds = t.LastSeen.Sub(t.FirstSeen).Seconds()
	t.MutationsDuring = []Mutation{}
	for _, d := range t.Deckies {
		for _, m := range e.mutations[d] {
			if !m.Timestamp.Before(t.FirstSeen) && !m.Timestamp.After(t.LastSeen) {
				t.MutationsDuring = append(t.MutationsDuring, m)
			}
		}
	}
	sort.SliceStable(t.MutationsDuring, func(i, j int) bool {
		a, b := t.MutationsDuring[i], t.MutationsDuring[j]
		if !a.Timestamp.Equal(b.Timestamp) {
			return a.Timestamp.Before(b.Timestamp)
		}
		return a.seq < b.seq
	})
	t.Timeline = make([]TimelineEntry, 0, len(hops)+len(t.MutationsDuring))
	i, j := 0, 0
	for i < len(hops) || j < len(t.MutationsDuring) {
		if j >= len(t.MutationsDuring) || (i < len(hops) && !t.MutationsDuring[j].Timestamp.Before(hops[i].Timestamp)) {
			h := hops[i]
			t.Timeline = append(t.Timeline, TimelineEntry{Kind: KindHop, Hop: &h})
			i++
		} else {
			m := t.MutationsDuring[j]
			t.Timeline = append(t.Timeline, TimelineEntry{Kind: KindMutation, Mutation: &m})
			j++
		}
	}
	return t, true
}
