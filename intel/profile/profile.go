// Package profile builds attacker profiles (spec/events.md §8): one attackers row and one attacker_behavior row
// per source IP, rebuilt for every IP an ingest batch touched, plus correlation of the stored events.
package profile

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/intel/correlate"
	"github.com/decnet/decnet/store"
)

// Obs is the part of one record a profile needs.
type Obs struct {
	Time      time.Time
	Decky     string
	Service   string
	EventType string
	Command   string   // for command-like events with a command field
	Tools     []string // header-derived tool names (request events)
	Large     bool     // bytes/size/content_length ≥ 1 MiB
}

var commandTypes = set("command", "exec", "query", "input", "shell_input", "execute", "run", "sql_query", "redis_command")
var commandFields = []string{"command", "query", "input", "line", "sql", "cmd"}
var reconTypes = set("scan", "connect", "connection", "banner", "probe", "login_attempt", "auth_attempt", "auth", "auth_failure")
var exfilTypes = set("download", "upload", "file_transfer", "data_exfil", "command", "exec", "query", "shell_input")

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// Counted reports whether a record counts as an attacker event (not a pseudo-decky, sniffer or prober).
func Counted(r *event.Record) bool {
	return !strings.HasPrefix(r.Decky, correlate.PseudoDeckyPrefix) && r.Service != "sniffer" && r.Service != "prober"
}

// Observe extracts the Obs of a record.
func Observe(r *event.Record) Obs {
	o := Obs{Time: r.Timestamp.UTC(), Decky: r.Decky, Service: r.Service, EventType: r.EventType}
	if commandTypes[r.EventType] {
		for _, k := range commandFields {
			if v, ok := r.Fields[k]; ok {
				o.Command = v
				break
			}
		}
	}
	if r.EventType == "request" {
		o.Tools = headerTools(r.Fields["headers"])
	}
	for _, k := range []string{"bytes", "size", "content_length"} {
		if v, ok := r.Fields[k]; ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n >= 1<<20 {
				o.Large = true
			}
		}
	}
	return o
}

var headerToolTokens = []struct{ token, tool string }{
	{"Nmap Scripting Engine", "nmap"}, {"gophish", "gophish"}, {"Nikto", "nikto"}, {"sqlmap", "sqlmap"},
	{"Nuclei", "nuclei"}, {"masscan", "masscan"}, {"zgrab", "zgrab"}, {"Metasploit", "metasploit"},
	{"python-requests", "python-requests"}, {"gobuster", "gobuster"}, {"DirBuster", "dirbuster"},
	{"hydra", "hydra"}, {"Wfuzz", "wfuzz"},
}

// headerTools matches the User-Agent and X-Mailer headers (JSON object of a request event) against known tools.
func headerTools(headers string) []string {
	if headers == "" {
		return nil
	}
	var m map[string]any
	if json.Unmarshal([]byte(headers), &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		if !strings.EqualFold(k, "User-Agent") && !strings.EqualFold(k, "X-Mailer") {
			continue
		}
		s, _ := v.(string)
		lo := strings.ToLower(s)
		for _, t := range headerToolTokens {
			if strings.Contains(lo, strings.ToLower(t.token)) {
				out = append(out, t.tool)
			}
		}
		if strings.HasPrefix(lo, "curl/") {
			out = append(out, "curl")
		}
	}
	sort.Strings(out)
	return out
}

// Timing is timing_stats; interval keys are nil with fewer than 2 events.
type Timing struct {
	EventCount int      `json:"event_count"`
	DurationS  float64  `json:"duration_s"`
	MeanIAT    *float64 `json:"mean_iat_s"`
	MedianIAT  *float64 `json:"median_iat_s"`
	StdevIAT   *float64 `json:"stdev_iat_s"`
	MinIAT     *float64 `json:"min_iat_s"`
	MaxIAT     *float64 `json:"max_iat_s"`
	CV         *float64 `json:"cv"`
}

func round(x float64, dp int) float64 {
	p := math.Pow(10, float64(dp))
	return math.Round(x*p) / p
}

func ptr(x float64) *float64 { return &x }

// TimingStats computes timing_stats from event times (any order).
func TimingStats(times []time.Time) Timing {
	ts := append([]time.Time(nil), times...)
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	t := Timing{EventCount: len(ts)}
	if len(ts) == 0 {
		return t
	}
	t.DurationS = round(ts[len(ts)-1].Sub(ts[0]).Seconds(), 3)
	if len(ts) < 2 {
		return t
	}
	iat := make([]float64, len(ts)-1)
	sum := 0.0
	for i := 1; i < len(ts); i++ {
		iat[i-1] = ts[i].Sub(ts[i-1]).Seconds()
		sum += iat[i-1]
	}
	mean := sum / float64(len(iat))
	ss := 0.0
	for _, x := range iat {
		ss += (x - mean) * (x - mean)
	}
	stdev := math.Sqrt(ss / float64(len(iat)))
	sorted := append([]float64(nil), iat...)
	sort.Float64s(sorted)
	med := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		med = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	t.MeanIAT, t.MedianIAT, t.StdevIAT = ptr(round(mean, 3)), ptr(round(med, 3)), ptr(round(stdev, 3))
	t.MinIAT, t.MaxIAT = ptr(round(sorted[0], 3)), ptr(round(sorted[len(sorted)-1], 3))
	if mean > 0 {
		t.CV = ptr(round(stdev/mean, 4))
	}
	return t
}

// Classify returns behavior_class for n events, mean inter-arrival time, cv and s distinct services.
func Classify(n int, mean, cv *float64, s int) string {
	if n < 3 || mean == nil {
		return "unknown"
	}
	m := *mean
	hasCV := cv != nil
	c := 0.0
	if hasCV {
		c = *cv
	}
	switch {
	case s >= 2 && m >= 10 && n >= 4:
		return "slow_scan"
	case n >= 3 && ((s >= 3 && m < 10) || (s >= 2 && m < 2)):
		return "scanning"
	case s == 1 && n >= 8 && m < 5 && hasCV && c < 0.6:
		return "brute_force"
	case hasCV && c < 0.35 && m >= 5 && n >= 4:
		return "beaconing"
	case hasCV && c >= 0.5 && m < 5 && n >= 6:
		return "interactive"
	}
	return "mixed"
}

var cadences = []struct {
	tool          string
	mean, meanTol float64
	cv, cvTol     float64
}{
	{"cobalt_strike", 60, 8, 0.20, 0.05},
	{"sliver", 60, 10, 0.30, 0.08},
	{"havoc", 45, 8, 0.10, 0.03},
	{"mythic", 30, 6, 0.15, 0.03},
}

// CadenceTools returns the C2 frameworks whose beacon cadence matches mean and cv (inclusive tolerances).
func CadenceTools(mean, cv *float64) []string {
	var out []string
	if mean == nil || cv == nil {
		return out
	}
	const eps = 1e-9
	for _, c := range cadences {
		if math.Abs(*mean-c.mean) <= c.meanTol+eps && math.Abs(*cv-c.cv) <= c.cvTol+eps {
			out = append(out, c.tool)
		}
	}
	return out
}

// Phase is phase_sequence.
type Phase struct {
	ReconEnd     *string  `json:"recon_end_ts"`
	ExfilStart   *string  `json:"exfil_start_ts"`
	ExfilLatency *float64 `json:"exfil_latency_s"`
	LargePayload int      `json:"large_payload_count"`
}

// PhaseSequence computes phase_sequence from observations.
func PhaseSequence(obs []Obs) Phase {
	var ph Phase
	var reconEnd, exfilStart time.Time
	for _, o := range obs {
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
	return ph
}

// Build computes the attackers row and behaviour of ip from its observations (counted events only; see
// Counted). Bounty and credential counts and fingerprints are filled by the store from its rows.
func Build(ip string, obs []Obs) store.Attacker {
	evs := append([]Obs(nil), obs...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	a := store.Attacker{IP: ip, EventCount: len(evs), Services: []string{}, Deckies: []string{}, Commands: []store.Command{}}
	services := map[string]bool{}
	deckies := map[string]bool{}
	times := make([]time.Time, len(evs))
	var tools []string
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
	b.PhaseSequence, _ = json.Marshal(PhaseSequence(evs))
	a.Behavior = b
	return a
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
