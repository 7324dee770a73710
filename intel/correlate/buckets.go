package correlate

import "sort"

// Class is the interaction class of an event type (spec/events.md §7).
type Class int

// Interaction classes.
const (
	Scan        Class = iota // everything not listed below (incl. connect, auth_attempt)
	Interaction              // the attacker did something beyond knocking
	Noise                    // service housekeeping, not attacker activity
)

// String returns "scan", "interaction" or "noise".
func (c Class) String() string {
	switch c {
	case Interaction:
		return "interaction"
	case Noise:
		return "noise"
	}
	return "scan"
}

var interactionTypes = map[string]bool{
	"command": true, "exec": true, "query": true, "input": true, "shell_input": true, "execute": true, "run": true,
	"sql_query": true, "redis_command": true, "ldap_search": true, "mail_from": true, "rcpt_to": true,
	"rcpt_denied": true, "message_accepted": true, "file_captured": true, "upload": true, "download_attempt": true,
	"retr": true, "publish": true, "subscribe": true, "session_recorded": true,
}

var noiseTypes = map[string]bool{
	"startup": true, "shutdown": true, "config_error": true, "parse_error": true, "unknown_packet": true,
	"unknown_opcode": true, "unknown_command": true, "protocol_error": true,
}

// Classify returns the interaction class of an event type.
func Classify(eventType string) Class {
	switch {
	case interactionTypes[eventType]:
		return Interaction
	case noiseTypes[eventType]:
		return Noise
	}
	return Scan
}

// ServiceEvent is one (service, event_type) observation of an attacker.
type ServiceEvent struct {
	Service   string
	EventType string
}

// Buckets are an attacker's services split by interaction class.
type Buckets struct {
	Interacted []string `json:"interacted"` // sorted services with at least one interaction event
	Scanned    []string `json:"scanned"`    // sorted services with a scan event and no interaction
}

// ServiceBuckets classifies the services of events: interacted = services with ≥ 1 interaction, scanned =
// services with ≥ 1 scan and no interaction; noise-only services are dropped. Both lists are sorted, never nil.
func ServiceBuckets(events []ServiceEvent) Buckets {
	best := make(map[string]Class)
	for _, ev := range events {
		c := Classify(ev.EventType)
		prev, seen := best[ev.Service]
		switch {
		case !seen:
			best[ev.Service] = c
		case c == Interaction:
			best[ev.Service] = Interaction
		case c == Scan && prev == Noise:
			best[ev.Service] = Scan
		}
	}
	b := Buckets{Interacted: []string{}, Scanned: []string{}}
	for svc, c := range best {
		switch c {
		case Interaction:
			b.Interacted = append(b.Interacted, svc)
		case Scan:
			b.Scanned = append(b.Scanned, svc)
		}
	}
	sort.Strings(b.Interacted)
	sort.Strings(b.Scanned)
	return b
}
