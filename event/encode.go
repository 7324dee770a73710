package event

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"time"
)

// Severity is an RFC 5424 severity; every decnet line uses facility local0.
type Severity int

// Severities used by decnet.
const (
	Crit    Severity = 2
	Error   Severity = 3
	Warning Severity = 4
	Notice  Severity = 5
	Info    Severity = 6
)

// SDID is the structured-data element id of every decnet line.
const SDID = "relay@55555"

// Field is one structured-data parameter. Value may be a string, []byte, any integer or float type, a bool,
// a time.Time (FormatTime), a fmt.Stringer, or a list/map (rendered as compact JSON without HTML escaping);
// a nil Value, a nil pointer or a value whose JSON is null omits the parameter.
type Field struct {
	Key   string
	Value any
}

// F builds a Field.
func F(key string, value any) Field { return Field{Key: key, Value: value} }

// Event is one line to emit: header parts, ordered fields and an optional free-text message.
type Event struct {
	Time     time.Time
	Severity Severity
	Hostname string // decky name (or pseudo-decky of a host emitter)
	App      string // service slug or worker name
	Type     string // MSGID
	Fields   []Field
	Msg      string
}

// Encode renders e as one RFC 5424 line without the trailing LF (spec/events.md §1).
func (e Event) Encode() []byte { return e.AppendTo(make([]byte, 0, 256)) }

// AppendTo appends the encoded line (no LF) to b.
func (e Event) AppendTo(b []byte) []byte {
	sev := e.Severity
	if sev == 0 {
		sev = Info
	}
	t := e.Time
	if t.IsZero() {
		t = time.Now()
	}
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(128+sev), 10)
	b = append(b, ">1 "...)
	b = t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, ' ')
	b = appendHeader(b, e.Hostname, 255)
	b = append(b, ' ')
	b = appendHeader(b, e.App, 48)
	b = append(b, " - "...)
	b = appendHeader(b, e.Type, 32)
	b = append(b, ' ')
	n := 0
	for _, f := range e.Fields {
		v, ok := formatValue(f.Value)
		if !ok {
			continue
		}
		if n == 0 {
			b = append(b, '[')
			b = append(b, SDID...)
		}
		n++
		b = append(b, ' ')
		b = appendName(b, f.Key)
		b = append(b, '=', '"')
		b = appendValue(b, v)
		b = append(b, '"')
	}
	if n == 0 {
		b = append(b, '-')
	} else {
		b = append(b, ']')
	}
	if e.Msg != "" {
		b = append(b, ' ')
		b = appendEscaped(b, e.Msg, false)
	}
	return b
}

func appendHeader(b []byte, s string, max int) []byte {
	if s == "" {
		return append(b, '-')
	}
	if len(s) > max {
		s = s[:max]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' {
			c = '_'
		}
		b = appendByte(b, c)
	}
	return b
}

// appendName writes a PARAM-NAME, replacing characters RFC 5424 forbids with '_' and cutting at 32 bytes.
func appendName(b []byte, s string) []byte {
	if len(s) > 32 {
		s = s[:32]
	}
	if s == "" {
		return append(b, '_')
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '=' || c == ']' || c == '"' {
			c = '_'
		}
		b = append(b, c)
	}
	return b
}

func appendValue(b []byte, s string) []byte { return appendEscaped(b, s, true) }

func appendEscaped(b []byte, s string, sd bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if sd && (c == '\\' || c == '"' || c == ']') {
			b = append(b, '\\', c)
			continue
		}
		b = appendByte(b, c)
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendByte(b []byte, c byte) []byte {
	if c < 0x20 || c == 0x7f {
		return append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
	}
	return append(b, c)
}

// formatValue renders a PARAM-VALUE; ok is false for null (nil, a nil pointer, or anything whose JSON is null).
func formatValue(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", false
	case string:
		return x, true
	case []byte:
		return string(x), true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int8, int16, int32, int64:
		return strconv.FormatInt(toInt64(x), 10), true
	case uint, uint8, uint16, uint32, uint64:
		return strconv.FormatUint(toUint64(x), 10), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case time.Time:
		return FormatTime(x), true
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return "", false
	}
	if s, ok := v.(interface{ String() string }); ok {
		return s.String(), true
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	j := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	if string(j) == "null" {
		return "", false
	}
	return string(j), true
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	}
	return 0
}

func toUint64(v any) uint64 {
	switch x := v.(type) {
	case uint:
		return uint64(x)
	case uint8:
		return uint64(x)
	case uint16:
		return uint64(x)
	case uint32:
		return uint64(x)
	case uint64:
		return x
	}
	return 0
}
