package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"
)

// FormatTime renders t as RFC 3339 in UTC with a 6-digit fraction only when the microseconds are non-zero
// (`2024-01-15T12:00:00Z`, `2026-04-04T10:00:00.123456Z`), the timestamp form of every decnet JSON document.
func FormatTime(t time.Time) string { return string(AppendTime(nil, t)) }

// AppendTime appends FormatTime(t) to b.
func AppendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.AppendFormat(b, "2006-01-02T15:04:05Z")
	}
	return t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
}

// MarshalJSON renders the parsed-record JSON of spec/events.md §4: keys timestamp, decky, service, event_type,
// attacker_ip (null when empty), fields (in insertion order), msg, raw_line.
func (r Record) MarshalJSON() ([]byte, error) {
	return r.AppendJSON(make([]byte, 0, 256+2*len(r.RawLine))), nil
}

// AppendJSON appends the JSON of MarshalJSON to b.
func (r Record) AppendJSON(b []byte) []byte {
	b = append(b, `{"timestamp":"`...)
	b = AppendTime(b, r.Timestamp)
	b = append(b, `","decky":`...)
	b = AppendJSONString(b, r.Decky)
	b = append(b, `,"service":`...)
	b = AppendJSONString(b, r.Service)
	b = append(b, `,"event_type":`...)
	b = AppendJSONString(b, r.EventType)
	b = append(b, `,"attacker_ip":`...)
	if r.AttackerIP == "" {
		b = append(b, "null"...)
	} else {
		b = AppendJSONString(b, r.AttackerIP)
	}
	b = append(b, `,"fields":{`...)
	first := true
	emit := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = AppendJSONString(b, k)
		b = append(b, ':')
		b = AppendJSONString(b, r.Fields[k])
	}
	if len(r.order) == len(r.Fields) && r.orderMatches() {
		for _, k := range r.order {
			emit(k)
		}
	} else {
		for _, k := range r.FieldKeys() {
			emit(k)
		}
	}
	b = append(b, `},"msg":`...)
	b = AppendJSONString(b, r.Msg)
	b = append(b, `,"raw_line":`...)
	b = AppendJSONString(b, r.RawLine)
	return append(b, '}')
}

// orderMatches reports whether every ordered key is present in Fields (cheap check before the fast path).
func (r Record) orderMatches() bool {
	for _, k := range r.order {
		if _, ok := r.Fields[k]; !ok {
			return false
		}
	}
	return true
}

// UnmarshalJSON reads the JSON written by MarshalJSON (field order is kept). TimeValid is set when the timestamp
// parses.
func (r *Record) UnmarshalJSON(data []byte) error {
	var raw struct {
		Timestamp  string          `json:"timestamp"`
		Decky      string          `json:"decky"`
		Service    string          `json:"service"`
		EventType  string          `json:"event_type"`
		AttackerIP *string         `json:"attacker_ip"`
		Fields     json.RawMessage `json:"fields"`
		Msg        string          `json:"msg"`
		RawLine    string          `json:"raw_line"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("decode record: %w", err)
	}
	*r = Record{Decky: raw.Decky, Service: raw.Service, EventType: raw.EventType, Msg: raw.Msg,
		RawLine: raw.RawLine, Fields: map[string]string{}}
	if raw.AttackerIP != nil {
		r.AttackerIP = *raw.AttackerIP
	}
	if t, ok := parseTimestamp(raw.Timestamp); ok {
		r.Timestamp, r.TimeValid = t, true
	}
	if len(raw.Fields) == 0 || string(raw.Fields) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw.Fields))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("decode record fields: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("decode record fields: not an object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return fmt.Errorf("decode record fields: %w", err)
		}
		k, _ := kt.(string)
		var v string
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("decode record field %q: %w", k, err)
		}
		r.SetField(k, v)
	}
	return nil
}

// AppendJSONString appends s as a JSON string: `"` `\` and control characters escaped, invalid UTF-8 replaced
// by U+FFFD, U+2028/U+2029 escaped, other characters (including <, >, &) written as is.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&15])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
