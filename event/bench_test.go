package event

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
)

// benchLines is a realistic mix: service events with SD, a credential with escapes, prose with an IP, a
// double-wrapped CMD line, a startup line and garbage.
var benchLines = []string{
	`<134>1 2026-04-04T10:00:00.123456Z decky-01 http - request [relay@55555 remote_addr="203.0.113.9:51514" method="GET" path="/wp-login.php" headers="{\"Host\":\"x\",\"User-Agent\":\"curl/8.0.1\"}" body=""]`,
	`<134>1 2026-04-04T10:00:00.123456Z decky-01 ftp - auth_attempt [relay@55555 src_ip="203.0.113.7" src_port="51514" username="root" principal="root" secret_kind="plaintext" secret_printable="p@ss\"w\]rd" secret_b64="cEBzcyJ3XXJk" outcome="failure"]`,
	`<38>1 2026-04-27T03:08:45+00:00 dmz-gateway sshd 940 - - Connection from 157.66.144.16 port 42772 on 10.0.0.2 port 22 rdomain ""`,
	`<14>1 2026-05-02T06:22:48.089309+00:00 omega-decky 1 - - -  2026-05-02T06:22:48.089286+00:00 SRV-DELTA-77 bash - command [timeQuality tzKnown="1" isSynced="1" syncAccuracy="326228"] CMD uid=0 user=root src=192.168.1.5 pwd=/root cmd=ls /var/www/html`,
	`<134>1 2026-04-04T10:00:00.000000Z decky-02 http - startup - HTTP server starting as decky-02`,
	`<134>1 2026-04-04T10:00:00.000000Z decky-03 ssh - connect [relay@55555 src_ip="198.51.100.23" src_port="40022" client_version="SSH-2.0-libssh2_1.10.0"]`,
	`garbage line that is not syslog`,
}

func benchBytes() int64 {
	n := 0
	for _, l := range benchLines {
		n += len(l)
	}
	return int64(n / len(benchLines))
}

func BenchmarkParse(b *testing.B) {
	now := time.Now()
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = Parse(benchLines[i%len(benchLines)], now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkParseRegexpBaseline(b *testing.B) {
	now := time.Now()
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_, _ = regexpParse(benchLines[i%len(benchLines)], now)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkEncode(b *testing.B) {
	ev := Event{Time: time.Date(2026, 4, 4, 10, 0, 0, 123456000, time.UTC), Hostname: "decky-01", App: "ftp",
		Type: "auth_attempt", Fields: append([]Field{F("src_ip", "203.0.113.7"), F("src_port", 51514),
			F("username", "root")}, CredFields("root", "plaintext", []byte(`p@ss"w]rd`), "failure")...)}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = ev.AppendTo(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

func BenchmarkRecordJSON(b *testing.B) {
	r, _ := Parse(benchLines[1], time.Now())
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = r.AppendJSON(buf[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// The naive §3 parser with Go regexp, as a baseline for the hand-written one.
var (
	reHeader  = regexp.MustCompile(`^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.+)$`)
	reWrapped = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2}T\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(.+)$`)
	reSDElem  = regexp.MustCompile(`^\[([^ \]="]+)((?: +[^ \]="]+="(?:[^"\\]|\\.)*")*) *\]`)
	reSDParam = regexp.MustCompile(`([^ \]="]+)="((?:[^"\\]|\\.)*)"`)
	reKV      = regexp.MustCompile(`(\w+)=(\S+)`)
	reAnchor  = regexp.MustCompile(`(?i)\b(?:from|rhost[:=]|client[:=]|src[:=])\s*(\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]+)`)
	reBare4   = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`)
	sdUnesc   = strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\]`, `]`)
)

func regexpParse(line string, now time.Time) (Record, error) {
	m := reHeader.FindStringSubmatch(line)
	if m == nil {
		return Record{RawLine: line}, ErrUnparseable
	}
	r := Record{RawLine: line, Decky: m[3], Service: m[4], EventType: m[6], Fields: map[string]string{}}
	rest := m[7]
	if m[6] == "-" && strings.HasPrefix(rest, "-") {
		if w := reWrapped.FindStringSubmatch(strings.TrimLeft(rest[1:], " \t")); w != nil {
			r.Decky, r.Service, r.EventType, rest = w[2], w[3], w[4], w[5]
		}
	}
	switch {
	case strings.HasPrefix(rest, "-"):
		r.Msg = strings.TrimSpace(rest[1:])
	case strings.HasPrefix(rest, "["):
		s := rest
		ok := true
		fields := map[string]string{}
		for strings.HasPrefix(s, "[") {
			em := reSDElem.FindStringSubmatch(s)
			if em == nil {
				ok = false
				break
			}
			if em[1] == SDID {
				for _, p := range reSDParam.FindAllStringSubmatch(em[2], -1) {
					fields[p[1]] = sdUnesc.Replace(p[2])
				}
			}
			s = s[len(em[0]):]
		}
		if ok {
			r.Fields, r.Msg = fields, strings.TrimSpace(s)
		} else {
			r.Msg = strings.TrimSpace(rest)
		}
	default:
		r.Msg = strings.TrimSpace(rest)
	}
	if (r.EventType == "-" || r.EventType == "command") && strings.HasPrefix(r.Msg, "CMD ") {
		r.EventType = "command"
		before, cmd, has := strings.Cut(r.Msg, " cmd=")
		for _, kv := range reKV.FindAllStringSubmatch(before, -1) {
			if _, ok := r.Fields[kv[1]]; !ok {
				r.Fields[kv[1]] = kv[2]
			}
		}
		if _, ok := r.Fields["command"]; has && !ok {
			r.Fields["command"] = cmd
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, m[2]); err == nil {
		r.Timestamp, r.TimeValid = t.UTC(), true
	} else {
		r.Timestamp = now.UTC()
	}
	r.AttackerIP = regexpIP(&r)
	return r, nil
}

func regexpIP(r *Record) string {
	for _, k := range ipKeys {
		v, ok := r.Fields[k]
		if !ok {
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			return a.Unmap().String()
		}
		if ap, err := netip.ParseAddrPort(v); err == nil {
			if _, has := r.Fields["remote_port"]; !has {
				r.Fields["remote_port"] = v[strings.LastIndexByte(v, ':')+1:]
			}
			return ap.Addr().Unmap().String()
		}
	}
	for _, kv := range reKV.FindAllStringSubmatch(r.Msg, -1) {
		if isIPKey(kv[1]) {
			if a, err := netip.ParseAddr(kv[2]); err == nil {
				return a.Unmap().String()
			}
		}
	}
	if am := reAnchor.FindStringSubmatch(r.Msg); am != nil {
		if a, err := netip.ParseAddr(am[1]); err == nil {
			return a.Unmap().String()
		}
	}
	for _, s := range reBare4.FindAllString(r.Msg, -1) {
		if a, err := netip.ParseAddr(s); err == nil {
			return a.String()
		}
	}
	return ""
}

// TestRegexpBaselineAgrees keeps the baseline honest: on the benchmark corpus it yields the same records.
func TestRegexpBaselineAgrees(t *testing.T) {
	now := time.Unix(0, 0)
	for _, l := range benchLines {
		a, errA := Parse(l, now)
		b, errB := regexpParse(l, now)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("%q: errors %v vs %v", l, errA, errB)
		}
		if errA != nil {
			continue
		}
		if a.Decky != b.Decky || a.Service != b.Service || a.EventType != b.EventType || a.AttackerIP != b.AttackerIP ||
			a.Msg != b.Msg || !a.Timestamp.Equal(b.Timestamp) || len(a.Fields) != len(b.Fields) {
			t.Fatalf("%q:\n hand   %+v\n regexp %+v", l, a, b)
		}
		for k, v := range a.Fields {
			if b.Fields[k] != v {
				t.Fatalf("%q: field %s %q vs %q", l, k, v, b.Fields[k])
			}
		}
	}
}
