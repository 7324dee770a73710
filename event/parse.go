package event

import (
	"errors"
	"net/netip"
	"sort"
	"strings"
	"time"
	"unicode"
)

// ErrUnparseable is returned by Parse for a line that does not carry an RFC 5424 header (spec/events.md §3 step 1).
// Such lines go to the forensic log only.
var ErrUnparseable = errors.New("unparseable syslog line")

// Record is one parsed event (spec/events.md §4).
type Record struct {
	Timestamp  time.Time         // event time in UTC (receipt time when TimeValid is false)
	Decky      string            // HOSTNAME after unwrap; callers override it for container streams (§4.1)
	Service    string            // APP-NAME after unwrap
	EventType  string            // MSGID after unwrap and the CMD convention
	AttackerIP string            // canonical IP text; "" means null
	Fields     map[string]string // relay@55555 SD params (never nil after Parse)
	Msg        string            // free text, "" when absent
	RawLine    string            // the line without its LF
	TimeValid  bool              // false when TIMESTAMP was NILVALUE or unparseable

	order []string // insertion order of Fields keys, for JSON output
}

// SetField sets Fields[key] = value, keeping the key's first insertion position for JSON output.
func (r *Record) SetField(key, value string) {
	if r.Fields == nil {
		r.Fields = make(map[string]string)
	}
	if _, ok := r.Fields[key]; !ok {
		r.order = append(r.order, key)
	}
	r.Fields[key] = value
}

// FieldKeys returns the keys of Fields in insertion order (SD order, then keys added by the CMD convention and
// remote_port); keys added to Fields directly come last, sorted.
func (r *Record) FieldKeys() []string {
	keys := make([]string, 0, len(r.Fields))
	seen := make(map[string]bool, len(r.order))
	for _, k := range r.order {
		if _, ok := r.Fields[k]; ok && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(keys) == len(r.Fields) {
		return keys
	}
	extra := make([]string, 0, len(r.Fields)-len(keys))
	for k := range r.Fields {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	return append(keys, extra...)
}

// Parse parses one line per spec/events.md §3 (header, double-wrap unwrap, structured data, CMD convention,
// timestamp, attacker IP). A single trailing LF is removed first. now is the receipt time used when the
// timestamp is NILVALUE or unparseable. A line without a valid header yields ErrUnparseable.
func Parse(line string, now time.Time) (Record, error) {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
	}
	h, ok := parseHeader(line)
	if !ok {
		return Record{RawLine: line}, ErrUnparseable
	}
	rec := Record{RawLine: line, Decky: h.host, Service: h.app, EventType: h.msgid}
	rest := h.rest

	// Step 2: double-wrap unwrap.
	if h.msgid == "-" && rest[0] == '-' {
		body := strings.TrimLeftFunc(rest[1:], unicode.IsSpace)
		if w, ok := parseWrapped(body); ok {
			rec.Decky, rec.Service, rec.EventType, rest = w.host, w.app, w.msgid, w.rest
		}
	}

	// Step 3: structured data.
	var kv kvList
	switch rest[0] {
	case '-':
		rec.Msg = strings.TrimSpace(rest[1:])
	case '[':
		tail, ok := parseSD(rest, &kv)
		if ok {
			rec.Msg = strings.TrimSpace(tail)
		} else {
			kv.n = 0
			kv.more = kv.more[:0]
			rec.Msg = strings.TrimSpace(rest)
		}
	default:
		rec.Msg = strings.TrimSpace(rest)
	}
	total := kv.len()
	rec.Fields = make(map[string]string, total+2)
	if total > 0 {
		rec.order = make([]string, 0, total+1)
		for i := 0; i < total; i++ {
			k, v := kv.at(i)
			rec.SetField(k, v)
		}
	}

	// Step 4: CMD convention.
	if (rec.EventType == "-" || rec.EventType == "command") && strings.HasPrefix(rec.Msg, "CMD ") {
		rec.EventType = "command"
		applyCMD(&rec)
	}

	// Step 5: timestamp.
	if t, ok := parseTimestamp(h.ts); ok {
		rec.Timestamp, rec.TimeValid = t, true
	} else {
		rec.Timestamp = now.UTC()
	}

	// Step 6: attacker IP.
	rec.AttackerIP = extractIP(&rec)
	return rec, nil
}

type header struct {
	ts, host, app, msgid, rest string
}

// isReSpace reports whether c is in RE2's \s class ([\t\n\f\r ]).
func isReSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// parseHeader matches ^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (.+)$ without regexp.
func parseHeader(s string) (header, bool) {
	var h header
	if len(s) < 4 || s[0] != '<' {
		return h, false
	}
	i := 1
	for i < len(s) && i <= 3 && isDigit(s[i]) {
		i++
	}
	if i == 1 || i >= len(s) || s[i] != '>' {
		return h, false
	}
	i++
	if i+1 >= len(s) || s[i] != '1' || s[i+1] != ' ' {
		return h, false
	}
	i += 2
	var toks [5]string
	for t := 0; t < 5; t++ {
		start := i
		for i < len(s) && !isReSpace(s[i]) {
			i++
		}
		if i == start || i >= len(s) || s[i] != ' ' {
			return h, false
		}
		toks[t] = s[start:i]
		i++
	}
	rest := s[i:]
	if rest == "" || strings.IndexByte(rest, '\n') >= 0 {
		return h, false
	}
	h.ts, h.host, h.app, h.msgid, h.rest = toks[0], toks[1], toks[2], toks[4], rest
	return h, true
}

// parseWrapped matches ^(\d{4}-\d{2}-\d{2}T\S+)\s+(\S+)\s+(\S+)\s+\S+\s+(\S+)\s+(.+)$ on body (which contains
// no LF) and returns the inner HOSTNAME, APP-NAME, MSGID and rest.
func parseWrapped(b string) (header, bool) {
	var h header
	if len(b) < 12 {
		return h, false
	}
	for i := 0; i < 11; i++ {
		c := b[i]
		switch i {
		case 4, 7:
			if c != '-' {
				return h, false
			}
		case 10:
			if c != 'T' {
				return h, false
			}
		default:
			if !isDigit(c) {
				return h, false
			}
		}
	}
	i := 0
	var toks [5]string
	for t := 0; t < 5; t++ {
		if t > 0 {
			ws := i
			for i < len(b) && isReSpace(b[i]) {
				i++
			}
			if i == ws {
				return h, false
			}
		}
		start := i
		for i < len(b) && !isReSpace(b[i]) {
			i++
		}
		if i == start || (t == 0 && i-start < 12) {
			return h, false
		}
		toks[t] = b[start:i]
	}
	ws := i
	for i < len(b) && isReSpace(b[i]) {
		i++
	}
	switch {
	case i == ws:
		return h, false
	case i < len(b):
		h.rest = b[i:]
	case i-ws >= 2: // whitespace to the end: \s+ backtracks so .+ takes the last character
		h.rest = b[len(b)-1:]
	default:
		return h, false
	}
	h.ts, h.host, h.app, h.msgid = toks[0], toks[1], toks[2], toks[4]
	return h, true
}

// kvList collects SD params; the first 16 live inline to avoid heap growth.
type kvList struct {
	n     int
	small [16][2]string
	more  [][2]string
}

func (l *kvList) add(k, v string) {
	if l.n < len(l.small) {
		l.small[l.n] = [2]string{k, v}
		l.n++
		return
	}
	l.more = append(l.more, [2]string{k, v})
}

func (l *kvList) len() int { return l.n + len(l.more) }

func (l *kvList) at(i int) (string, string) {
	if i < l.n {
		return l.small[i][0], l.small[i][1]
	}
	p := l.more[i-l.n]
	return p[0], p[1]
}

// parseSD reads consecutive SD-ELEMENTs from s (which starts with '['), collecting the params of relay@55555
// elements into kv. It returns the text after the last element, or ok=false when the SD is malformed.
func parseSD(s string, kv *kvList) (string, bool) {
	i := 0
	for i < len(s) && s[i] == '[' {
		i++
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != ']' {
			if s[i] == '=' || s[i] == '"' {
				return "", false
			}
			i++
		}
		if i == start || i >= len(s) {
			return "", false
		}
		keep := s[start:i] == SDID
		for {
			if i >= len(s) {
				return "", false
			}
			if s[i] == ']' {
				i++
				break
			}
			if s[i] != ' ' {
				return "", false
			}
			for i < len(s) && s[i] == ' ' {
				i++
			}
			if i >= len(s) {
				return "", false
			}
			if s[i] == ']' {
				i++
				break
			}
			ns := i
			for i < len(s) && s[i] != '=' {
				if c := s[i]; c == ' ' || c == ']' || c == '"' {
					return "", false
				}
				i++
			}
			if i == ns || i+1 >= len(s) || s[i+1] != '"' {
				return "", false
			}
			name := s[ns:i]
			i += 2
			val, n, ok := readSDValue(s[i:])
			if !ok {
				return "", false
			}
			i += n
			if keep {
				kv.add(name, val)
			}
		}
	}
	return s[i:], true
}

// readSDValue reads a PARAM-VALUE up to its closing quote; n counts the bytes consumed including that quote.
func readSDValue(s string) (val string, n int, ok bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			return s[:i], i + 1, true
		case '\\':
			return readSDValueSlow(s, i)
		}
	}
	return "", 0, false
}

func readSDValueSlow(s string, i int) (string, int, bool) {
	buf := make([]byte, 0, len(s))
	buf = append(buf, s[:i]...)
	for i < len(s) {
		c := s[i]
		switch c {
		case '"':
			return string(buf), i + 1, true
		case '\\':
			if i+1 >= len(s) {
				return "", 0, false
			}
			d := s[i+1]
			if d != '"' && d != '\\' && d != ']' {
				buf = append(buf, '\\')
			}
			buf = append(buf, d)
			i += 2
			continue
		}
		buf = append(buf, c)
		i++
	}
	return "", 0, false
}

// applyCMD implements the CMD convention (§3 step 4) on a record whose Msg starts with "CMD ".
func applyCMD(r *Record) {
	prefix, command, hasCmd := strings.Cut(r.Msg, " cmd=")
	eachKV(prefix, func(k, v string) bool {
		if _, ok := r.Fields[k]; !ok {
			r.SetField(k, v)
		}
		return true
	})
	if hasCmd {
		if _, ok := r.Fields["command"]; !ok {
			r.SetField("command", command)
		}
	}
}

// eachKV calls fn for every match of \w+=\S+ in s, left to right and non-overlapping (regexp FindAll semantics),
// until fn returns false.
func eachKV(s string, fn func(k, v string) bool) {
	i := 0
	for i < len(s) {
		if !isWord(s[i]) {
			i++
			continue
		}
		start := i
		for i < len(s) && isWord(s[i]) {
			i++
		}
		if i+1 < len(s) && s[i] == '=' && !isReSpace(s[i+1]) {
			vs := i + 1
			j := vs
			for j < len(s) && !isReSpace(s[j]) {
				j++
			}
			if !fn(s[start:i], s[vs:j]) {
				return
			}
			i = j
		}
	}
}

// parseTimestamp parses an RFC 3339 timestamp (Z or numeric offset, optional fraction) into UTC, truncated to
// microseconds.
func parseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	num := func(a, b int) int {
		v := 0
		for i := a; i < b; i++ {
			if !isDigit(s[i]) {
				return -1
			}
			v = v*10 + int(s[i]-'0')
		}
		return v
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 ||
		sec < 0 || sec > 59 || day > daysIn(month, year) {
		return time.Time{}, false
	}
	i := 19
	nsec := 0
	if s[i] == '.' {
		i++
		start := i
		scale := 100000000
		for i < len(s) && isDigit(s[i]) {
			nsec += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == start {
			return time.Time{}, false
		}
	}
	if i >= len(s) {
		return time.Time{}, false
	}
	offset := 0
	switch s[i] {
	case 'Z', 'z':
		if i+1 != len(s) {
			return time.Time{}, false
		}
	case '+', '-':
		if len(s)-i != 6 || s[i+3] != ':' {
			return time.Time{}, false
		}
		oh, om := num(i+1, i+3), num(i+4, i+6)
		if oh < 0 || oh > 23 || om < 0 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if s[i] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec-nsec%1000, time.UTC)
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
		if y := t.Year(); y < 1 || y > 9999 { // outside RFC 3339's range once in UTC
			return time.Time{}, false
		}
	}
	return t, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ipKeys are the fields tried, in order, for the attacker IP (§4.2 step 1).
var ipKeys = [...]string{"src_ip", "src", "client_ip", "remote_ip", "remote_addr", "target_ip", "ip"}

func isIPKey(k string) bool {
	for _, x := range ipKeys {
		if x == k {
			return true
		}
	}
	return false
}

// canonIP returns the canonical text of s when it is an IP address (IPv4-mapped IPv6 → IPv4; zoned addresses
// are rejected).
func canonIP(s string) (string, bool) {
	if s == "" || len(s) > 64 {
		return "", false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return "", false
	}
	if a.Is4() {
		return s, true // netip only accepts canonical dotted quads
	}
	if a.Is4In6() {
		return a.Unmap().String(), true
	}
	return a.String(), true
}

// splitHostPort splits a.b.c.d:port or [v6]:port with an all-digit port.
func splitHostPort(s string) (host, port string, ok bool) {
	c := strings.LastIndexByte(s, ':')
	if c <= 0 || c == len(s)-1 {
		return "", "", false
	}
	port = s[c+1:]
	for i := 0; i < len(port); i++ {
		if !isDigit(port[i]) {
			return "", "", false
		}
	}
	host = s[:c]
	if host[0] == '[' {
		if len(host) < 3 || host[len(host)-1] != ']' {
			return "", "", false
		}
		return host[1 : len(host)-1], port, true
	}
	if strings.IndexByte(host, ':') >= 0 {
		return "", "", false
	}
	return host, port, true
}

// extractIP implements §4.2 on a record whose Fields and Msg are final.
func extractIP(r *Record) string {
	for _, k := range ipKeys {
		v, ok := r.Fields[k]
		if !ok {
			continue
		}
		if ip, ok := canonIP(v); ok {
			return ip
		}
		if host, port, ok := splitHostPort(v); ok {
			if ip, ok := canonIP(host); ok {
				if _, has := r.Fields["remote_port"]; !has {
					r.SetField("remote_port", port)
				}
				return ip
			}
		}
	}
	msg := r.Msg
	if msg == "" {
		return ""
	}
	var found string
	eachKV(msg, func(k, v string) bool {
		if isIPKey(k) {
			if ip, ok := canonIP(v); ok {
				found = ip
				return false
			}
		}
		return true
	})
	if found != "" {
		return found
	}
	if ip, ok := anchoredIP(msg); ok {
		return ip
	}
	if ip, ok := bareIPv4(msg); ok {
		return ip
	}
	return ""
}

var anchors = [...]string{"from", "rhost", "client", "src"}

// anchoredIP implements \b(?:from|rhost[:=]|client[:=]|src[:=])\s*(IPv4|IPv6), case-insensitive; the first
// match whose address is valid wins.
func anchoredIP(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c != 'f' && c != 'r' && c != 'c' && c != 's' {
			continue
		}
		if i > 0 && isWord(s[i-1]) {
			continue
		}
		for _, a := range anchors {
			if len(s)-i < len(a) || !strings.EqualFold(s[i:i+len(a)], a) {
				continue
			}
			j := i + len(a)
			if a != "from" {
				if j >= len(s) || (s[j] != ':' && s[j] != '=') {
					continue
				}
				j++
			}
			for j < len(s) && (isReSpace(s[j]) || s[j] == '\v') {
				j++
			}
			if ip, ok := ipAt(s[j:]); ok {
				return ip, true
			}
		}
	}
	return "", false
}

// ipAt reads an IPv4 (dotted quad not followed by a digit) or IPv6 (maximal run of hex digits, ':' and '.')
// address at the start of s.
func ipAt(s string) (string, bool) {
	if n := quadLen(s); n > 0 && (n == len(s) || !isDigit(s[n])) {
		if ip, ok := canonIP(s[:n]); ok {
			return ip, true
		}
	}
	n := 0
	colon := false
	for n < len(s) && (isHex(s[n]) || s[n] == ':' || s[n] == '.') {
		colon = colon || s[n] == ':'
		n++
	}
	if !colon {
		return "", false
	}
	cand := s[:n]
	if ip, ok := canonIP(cand); ok {
		return ip, true
	}
	cand = strings.TrimRight(cand, ":.")
	return canonIP(cand)
}

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// quadLen returns the length of \d{1,3}(\.\d{1,3}){3} (maximal digit runs) at the start of s, or 0.
func quadLen(s string) int {
	i := 0
	for g := 0; g < 4; g++ {
		if g > 0 {
			if i >= len(s) || s[i] != '.' {
				return 0
			}
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if n := i - start; n < 1 || n > 3 {
			return 0
		}
	}
	return i
}

// bareIPv4 implements the first valid match of \b\d{1,3}(?:\.\d{1,3}){3}\b (FindAll semantics).
func bareIPv4(s string) (string, bool) {
	i := 0
	for i < len(s) {
		if !isDigit(s[i]) || (i > 0 && isWord(s[i-1])) {
			i++
			continue
		}
		n := quadLen(s[i:])
		if n == 0 || (i+n < len(s) && isWord(s[i+n])) {
			i++
			continue
		}
		if ip, ok := canonIP(s[i : i+n]); ok {
			return ip, true
		}
		i += n
	}
	return "", false
}
