package ingest

import (
	"sync"
	"time"

	"github.com/decnet/decnet/event"
)

// DefaultDropApps is the default DECNET_COLLECTOR_DROP_APPS (spec/events.md §5).
var DefaultDropApps = []string{"sshd", "pam_unix", "sudo", "su", "CRON", "cron", "systemd", "kernel", "rsyslogd", "dbus-daemon"}

// DefaultRLEventTypes is the default DECNET_COLLECTOR_RL_EVENT_TYPES.
var DefaultRLEventTypes = []string{"connect", "disconnect", "connection", "accept", "close"}

// rlMaxKeys is the key-map size above which stale rate-limit entries are pruned.
const rlMaxKeys = 10000

type rlKey struct{ ip, decky, service, eventType string }

// Admission applies the drop list and the per-key rate limit of spec/events.md §5.
type Admission struct {
	drop    map[string]bool
	rlTypes map[string]bool
	window  time.Duration

	mu   sync.Mutex
	seen map[rlKey]time.Time
}

// NewAdmission returns an Admission dropping services in dropApps and rate-limiting event types in rlTypes to one
// per key and window (window ≤ 0 disables the rate limit).
func NewAdmission(dropApps, rlTypes []string, window time.Duration) *Admission {
	a := &Admission{drop: map[string]bool{}, rlTypes: map[string]bool{}, window: window, seen: map[rlKey]time.Time{}}
	for _, s := range dropApps {
		a.drop[s] = true
	}
	for _, s := range rlTypes {
		a.rlTypes[s] = true
	}
	return a
}

// Admit reports whether r is admitted at now (a time.Now() value, whose monotonic reading is used).
func (a *Admission) Admit(r *event.Record, now time.Time) bool {
	if a.drop[r.Service] {
		return false
	}
	if a.window <= 0 || !a.rlTypes[r.EventType] {
		return true
	}
	k := rlKey{r.AttackerIP, r.Decky, r.Service, r.EventType}
	a.mu.Lock()
	defer a.mu.Unlock()
	if last, ok := a.seen[k]; ok && now.Sub(last) < a.window {
		return false
	}
	a.seen[k] = now
	if len(a.seen) > rlMaxKeys {
		for key, t := range a.seen {
			if now.Sub(t) > 60*a.window {
				delete(a.seen, key)
			}
		}
	}
	return true
}
