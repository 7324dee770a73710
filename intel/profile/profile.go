// Package profile builds attacker profiles (spec/events.md §8): one attackers row and one attacker_behavior row
// per source IP, rebuilt for every IP an ingest batch touched, plus correlation of the stored events.
package profile

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
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
	ns := make([]int64, len(times))
	for i, t := range times {
		ns[i] = t.UnixNano()
	}
	slices.Sort(ns)
	return timingSorted(ns)
}

// timingSorted computes timing_stats from ascending event times in Unix nanoseconds.
func timingSorted(ns []int64) Timing {
	t := Timing{EventCount: len(ns)}
	if len(ns) == 0 {
		return t
	}
	t.DurationS = round(time.Duration(ns[len(ns)-1]-ns[0]).Seconds(), 3)
	if len(ns) < 2 {
		return t
	}
	iat := make([]float64, len(ns)-1)
	sum := 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := 1; i < len(ns); i++ {
		x := time.Duration(ns[i] - ns[i-1]).Seconds()
		iat[i-1] = x
		sum += x
		lo, hi = min(lo, x), max(hi, x)
	}
	mean := sum / float64(len(iat))
	ss := 0.0
	for _, x := range iat {
		ss += (x - mean) * (x - mean)
	}
	stdev := math.Sqrt(ss / float64(len(iat)))
	// Median by selection (linear on average): iat is scratch from here on.
	k := len(iat) / 2
	med := nth(iat, k)
	if len(iat)%2 == 0 {
		med = (slices.Max(iat[:k]) + med) / 2 // after nth, iat[:k] holds the k smallest
	}
	t.MeanIAT, t.MedianIAT, t.StdevIAT = ptr(round(mean, 3)), ptr(round(med, 3)), ptr(round(stdev, 3))
	t.MinIAT, t.MaxIAT = ptr(round(lo, 3)), ptr(round(hi, 3))
	if mean > 0 {
		t.CV = ptr(round(stdev/mean, 4))
	}
	return t
}

// nth reorders xs so that xs[k] is the value a sort would put there, with smaller or equal values before it,
// and returns it (Hoare's selection with a median-of-three pivot).
func nth(xs []float64, k int) float64 {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if xs[mid] < xs[lo] {
			xs[mid], xs[lo] = xs[lo], xs[mid]
		}
		if xs[hi] < xs[lo] {
			xs[hi], xs[lo] = xs[lo], xs[hi]
		}
		if xs[hi] < xs[mid] {
			xs[hi], xs[mid] = xs[mid], xs[hi]
		}
		pivot := xs[mid]
		i, j := lo, hi
		for i <= j {
			for xs[i] < pivot {
				i++
			}
			for xs[j] > pivot {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return xs[k]
		}
	}
	return xs[k]
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
	return summarize(obs).phase()
}

// Build computes the attackers row and behaviour of ip from its observations (counted events only; see
// Counted). Bounty and credential counts and fingerprints are filled by the store from its rows.
func Build(ip string, obs []Obs) store.Attacker {
	return summarize(obs).Attacker(ip)
}

func summarize(obs []Obs) *Summary {
	s := &Summary{}
	for _, o := range obs {
		s.Add(o)
	}
	return s
}

// Summary accumulates what a profile needs from one IP's observations, in any order and across many Attacker
// calls: 8 bytes per event (its time) plus the distinct services, deckies and tools and the commands, instead
// of every observation.
type Summary struct {
	seq        int     // observations added
	times      []int64 // Unix nanoseconds, ascending up to sorted
	sorted     int
	services   map[string]bool
	deckies    map[string]firstSeen
	tools      map[string]firstSeen
	commands   []seenCommand
	first      time.Time
	last       time.Time
	reconEnd   time.Time
	exfilStart time.Time
	large      int
}

// firstSeen is the earliest observation of a value: its time, then its arrival order among equal times, then
// its position within the observation (tools).
type firstSeen struct {
	t        time.Time
	seq, sub int
}

func (a firstSeen) compare(b firstSeen) int {
	if c := a.t.Compare(b.t); c != 0 {
		return c
	}
	return cmp.Or(cmp.Compare(a.seq, b.seq), cmp.Compare(a.sub, b.sub))
}

func (a firstSeen) before(b firstSeen) bool { return a.compare(b) < 0 }

type seenCommand struct {
	store.Command
	seq int
}

// Len returns the number of observations added.
func (s *Summary) Len() int { return s.seq }

// Add folds one observation into s.
func (s *Summary) Add(o Obs) {
	if s.services == nil {
		s.services, s.deckies, s.tools = map[string]bool{}, map[string]firstSeen{}, map[string]firstSeen{}
	}
	at := firstSeen{t: o.Time, seq: s.seq}
	s.seq++
	s.times = append(s.times, o.Time.UnixNano())
	if s.seq == 1 || o.Time.Before(s.first) {
		s.first = o.Time
	}
	if s.seq == 1 || o.Time.After(s.last) {
		s.last = o.Time
	}
	s.services[o.Service] = true
	if f, ok := s.deckies[o.Decky]; !ok || at.before(f) {
		s.deckies[o.Decky] = at
	}
	for i, t := range o.Tools {
		if f, ok := s.tools[t]; !ok || (firstSeen{o.Time, at.seq, i}).before(f) {
			s.tools[t] = firstSeen{o.Time, at.seq, i}
		}
	}
	if o.Command != "" {
		s.commands = append(s.commands, seenCommand{store.Command{Service: o.Service, Decky: o.Decky, Command: o.Command, Timestamp: o.Time}, at.seq})
	}
	if reconTypes[o.EventType] && (s.reconEnd.IsZero() || o.Time.After(s.reconEnd)) {
		s.reconEnd = o.Time
	}
	if exfilTypes[o.EventType] && (s.exfilStart.IsZero() || o.Time.Before(s.exfilStart)) {
		s.exfilStart = o.Time
	}
	if o.Large {
		s.large++
	}
}

func (s *Summary) phase() Phase {
	ph := Phase{LargePayload: s.large}
	if !s.reconEnd.IsZero() {
		v := event.FormatTime(s.reconEnd)
		ph.ReconEnd = &v
	}
	if !s.exfilStart.IsZero() {
		v := event.FormatTime(s.exfilStart)
		ph.ExfilStart = &v
	}
	if ph.ReconEnd != nil && ph.ExfilStart != nil {
		ph.ExfilLatency = ptr(round(s.exfilStart.Sub(s.reconEnd).Seconds(), 3))
	}
	return ph
}

// byFirstSeen returns the keys of m ordered by first observation.
func byFirstSeen(m map[string]firstSeen) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return m[out[i]].before(m[out[j]]) })
	return out
}

// sortTimes sorts the times added since the last call and merges them into the sorted prefix, from the back:
// events mostly arrive in time order, so the merge usually touches only the overlap.
func (s *Summary) sortTimes() {
	if s.sorted == len(s.times) {
		return
	}
	tail := slices.Clone(s.times[s.sorted:])
	slices.Sort(tail)
	i, j := s.sorted-1, len(tail)-1
	for w := len(s.times) - 1; j >= 0; w-- {
		if i >= 0 && s.times[i] > tail[j] {
			s.times[w] = s.times[i]
			i--
		} else {
			s.times[w] = tail[j]
			j--
		}
	}
	s.sorted = len(s.times)
}

// Attacker computes the attackers row and behaviour of ip from the observations added so far.
func (s *Summary) Attacker(ip string) store.Attacker {
	s.sortTimes()
	a := store.Attacker{IP: ip, EventCount: s.seq, Services: []string{}, Deckies: byFirstSeen(s.deckies), Commands: []store.Command{}}
	for svc := range s.services {
		a.Services = append(a.Services, svc)
	}
	sort.Strings(a.Services)
	slices.SortFunc(s.commands, func(x, y seenCommand) int {
		return firstSeen{t: x.Timestamp, seq: x.seq}.compare(firstSeen{t: y.Timestamp, seq: y.seq})
	})
	for _, c := range s.commands {
		a.Commands = append(a.Commands, c.Command)
	}
	if s.seq > 0 {
		a.FirstSeen, a.LastSeen = s.first, s.last
	}
	a.ServiceCount, a.DeckyCount = len(a.Services), len(a.Deckies)
	if a.DeckyCount >= correlate.DefaultMinDeckies {
		a.IsTraversal = true
		path := strings.Join(a.Deckies, " → ")
		a.TraversalPath = &path
	}
	timing := timingSorted(s.times)
	b := &store.Behavior{BehaviorClass: Classify(timing.EventCount, timing.MeanIAT, timing.CV, a.ServiceCount)}
	if b.BehaviorClass == "beaconing" {
		b.BeaconIntervalS = timing.MeanIAT
		b.BeaconJitterPct = ptr(round(*timing.CV*100, 2))
	}
	b.ToolGuesses = CadenceTools(timing.MeanIAT, timing.CV)
	for _, t := range byFirstSeen(s.tools) {
		if !contains(b.ToolGuesses, t) {
			b.ToolGuesses = append(b.ToolGuesses, t)
		}
	}
	b.TimingStats, _ = json.Marshal(timing)
	b.PhaseSequence, _ = json.Marshal(s.phase())
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
