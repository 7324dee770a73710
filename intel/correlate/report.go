package correlate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/event"
)

// Report is the result of a correlation run.
type Report struct {
	Stats      Stats       `json:"stats"`
	Traversals []Traversal `json:"traversals"`
}

// Stats are the run counters of a Report.
type Stats struct {
	LinesParsed   int `json:"lines_parsed"`   // every input line, parseable or not
	EventsIndexed int `json:"events_indexed"` // non-mutation records with an attacker IP
	UniqueIPs     int `json:"unique_ips"`     // distinct attacker IPs indexed
	Traversals    int `json:"traversals"`     // number of traversals reported
}

// Traversal is one attacker IP that touched at least min_deckies distinct deckies.
type Traversal struct {
	AttackerIP      string
	DeckyCount      int
	Deckies         []string // distinct deckies in first-contact order
	Path            string   // Deckies joined by " → "
	FirstSeen       time.Time
	LastSeen        time.Time
	DurationSeconds float64
	HopCount        int
	Hops            []Hop      // sorted by time (stable)
	MutationsDuring []Mutation // mutations of touched deckies within [FirstSeen, LastSeen]
	Timeline        []TimelineEntry
}

// Timeline entry kinds.
const (
	KindHop      = "hop"
	KindMutation = "mutation"
)

// TimelineEntry is a hop or a mutation of a traversal's merged timeline; exactly one of Hop and Mutation is set.
type TimelineEntry struct {
	Kind     string
	Hop      *Hop
	Mutation *Mutation
}

type hopJSON struct {
	Kind      string `json:"kind,omitempty"`
	Timestamp string `json:"timestamp"`
	Decky     string `json:"decky"`
	Service   string `json:"service"`
	EventType string `json:"event_type"`
}

type mutationJSON struct {
	Kind        string   `json:"kind,omitempty"`
	Timestamp   string   `json:"timestamp"`
	Decky       string   `json:"decky"`
	OldServices []string `json:"old_services"`
	NewServices []string `json:"new_services"`
	Trigger     string   `json:"trigger"`
}

func (h Hop) toJSON(kind string) hopJSON {
	return hopJSON{Kind: kind, Timestamp: event.FormatTime(h.Timestamp), Decky: h.Decky, Service: h.Service,
		EventType: h.EventType}
}

func (m Mutation) toJSON(kind string) mutationJSON {
	old, nw := m.OldServices, m.NewServices
	if old == nil {
		old = []string{}
	}
	if nw == nil {
		nw = []string{}
	}
	return mutationJSON{Kind: kind, Timestamp: event.FormatTime(m.Timestamp), Decky: m.Decky, OldServices: old,
		NewServices: nw, Trigger: m.Trigger}
}

// MarshalJSON renders {timestamp, decky, service, event_type}.
func (h Hop) MarshalJSON() ([]byte, error) { return marshal(h.toJSON("")) }

// MarshalJSON renders {timestamp, decky, old_services, new_services, trigger}.
func (m Mutation) MarshalJSON() ([]byte, error) { return marshal(m.toJSON("")) }

// MarshalJSON renders the hop or mutation object preceded by "kind".
func (t TimelineEntry) MarshalJSON() ([]byte, error) {
	switch {
	case t.Hop != nil:
		return marshal(t.Hop.toJSON(KindHop))
	case t.Mutation != nil:
		return marshal(t.Mutation.toJSON(KindMutation))
	}
	return marshal(struct {
		Kind string `json:"kind"`
	}{t.Kind})
}

// MarshalJSON renders the traversal object of spec/events.md §7 (E20).
func (t Traversal) MarshalJSON() ([]byte, error) {
	hops, muts, tl := t.Hops, t.MutationsDuring, t.Timeline
	if hops == nil {
		hops = []Hop{}
	}
	if muts == nil {
		muts = []Mutation{}
	}
	if tl == nil {
		tl = []TimelineEntry{}
	}
	deckies := t.Deckies
	if deckies == nil {
		deckies = []string{}
	}
	return marshal(struct {
		AttackerIP      string          `json:"attacker_ip"`
		DeckyCount      int             `json:"decky_count"`
		Deckies         []string        `json:"deckies"`
		Path            string          `json:"path"`
		FirstSeen       string          `json:"first_seen"`
		LastSeen        string          `json:"last_seen"`
		DurationSeconds float64         `json:"duration_seconds"`
		HopCount        int             `json:"hop_count"`
		Hops            []Hop           `json:"hops"`
		MutationsDuring []Mutation      `json:"mutations_during"`
		Timeline        []TimelineEntry `json:"timeline"`
	}{t.AttackerIP, t.DeckyCount, deckies, t.Path, event.FormatTime(t.FirstSeen), event.FormatTime(t.LastSeen),
		t.DurationSeconds, t.HopCount, hops, muts, tl})
}

// marshal is json.Marshal without HTML escaping and without a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// JSON renders the report as compact JSON: {"stats":{…},"traversals":[…]}.
func (r Report) JSON() ([]byte, error) {
	if r.Traversals == nil {
		r.Traversals = []Traversal{}
	}
	b, err := marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode correlation report: %w", err)
	}
	return b, nil
}

// TableHeader is the first line written by Report.Table.
const TableHeader = "Attacker IP | Deckies | Traversal Path | First Seen | Duration | Events"

// Table writes the header line and one line per traversal:
// `9.9.9.9 | 3 | decky-01 → decky-02 → decky-03 | 2026-04-04 10:00:00 UTC | 10.0m | 3`.
func (r Report) Table(w io.Writer) error {
	var sb strings.Builder
	sb.WriteString(TableHeader)
	sb.WriteByte('\n')
	for _, t := range r.Traversals {
		fmt.Fprintf(&sb, "%s | %d | %s | %s | %s | %d\n", t.AttackerIP, t.DeckyCount, t.Path,
			t.FirstSeen.UTC().Format("2006-01-02 15:04:05")+" UTC", FormatDuration(t.DurationSeconds), t.HopCount)
	}
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return fmt.Errorf("write correlation table: %w", err)
	}
	return nil
}

// FormatDuration renders seconds for the table: < 60 → "45s", < 3600 → "10.0m", else "2.0h".
func FormatDuration(s float64) string {
	switch {
	case s < 60:
		return strconv.FormatFloat(s, 'f', 0, 64) + "s"
	case s < 3600:
		return strconv.FormatFloat(s/60, 'f', 1, 64) + "m"
	}
	return strconv.FormatFloat(s/3600, 'f', 1, 64) + "h"
}

// Syslog returns one WARNING traversal_detected event per traversal (HOSTNAME decnet-correlator, APP
// correlator), stamped now, with SD attacker_ip, decky_count, deckies (comma-joined), first_seen, last_seen,
// hop_count, duration_s (whole seconds).
func (r Report) Syslog(now time.Time) []event.Event {
	out := make([]event.Event, 0, len(r.Traversals))
	for _, t := range r.Traversals {
		out = append(out, event.Event{
			Time:     now,
			Severity: event.Warning,
			Hostname: "decnet-correlator",
			App:      "correlator",
			Type:     "traversal_detected",
			Fields: []event.Field{
				event.F("attacker_ip", t.AttackerIP),
				event.F("decky_count", t.DeckyCount),
				event.F("deckies", strings.Join(t.Deckies, ",")),
				event.F("first_seen", event.FormatTime(t.FirstSeen)),
				event.F("last_seen", event.FormatTime(t.LastSeen)),
				event.F("hop_count", t.HopCount),
				event.F("duration_s", int64(t.DurationSeconds)),
			},
		})
	}
	return out
}
