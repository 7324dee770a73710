package event

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)

func TestEncodeSpecExamples(t *testing.T) {
	long := strings.Repeat("abcdefghij", 10)
	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{"request with escaped path",
			Event{Time: t0, Severity: Info, Hostname: "decky-01", App: "http", Type: "request", Msg: "GET /",
				Fields: []Field{F("src_ip", "1.2.3.4"), F("path", `/a"b]`)}},
			`<134>1 2026-04-04T10:00:00.000000Z decky-01 http - request [relay@55555 src_ip="1.2.3.4" path="/a\"b\]"] GET /`},
		{"no fields no msg: NIL SD, no trailing space",
			Event{Time: t0, Hostname: "d", App: "ssh", Type: "connect"},
			`<134>1 2026-04-04T10:00:00.000000Z d ssh - connect -`},
		{"backslash",
			Event{Time: t0, Hostname: "d", App: "ssh", Type: "x", Fields: []Field{F("v", `a\b`)}},
			`<134>1 2026-04-04T10:00:00.000000Z d ssh - x [relay@55555 v="a\\b"]`},
		{"newline in value",
			Event{Time: t0, Hostname: "d", App: "ssh", Type: "x", Fields: []Field{F("v", "a\nb")}},
			`<134>1 2026-04-04T10:00:00.000000Z d ssh - x [relay@55555 v="a\x0ab"]`},
		{"control bytes in msg and header",
			Event{Time: t0, Hostname: "d\r", App: "ssh", Type: "x", Msg: "a\x00b\x7fc\td"},
			`<134>1 2026-04-04T10:00:00.000000Z d\x0d ssh - x - a\x00b\x7fc\x09d`},
		{"truncation of APP-NAME and MSGID",
			Event{Time: t0, Hostname: "d", App: long, Type: long},
			"<134>1 2026-04-04T10:00:00.000000Z d " + long[:48] + " - " + long[:32] + " -"},
		{"startup",
			Event{Time: t0, Hostname: "decky-02", App: "http", Type: "startup", Msg: "HTTP server starting as decky-02"},
			`<134>1 2026-04-04T10:00:00.000000Z decky-02 http - startup - HTTP server starting as decky-02`},
		{"severities",
			Event{Time: t0, Severity: Warning, Hostname: "d", App: "a", Type: "t"},
			`<132>1 2026-04-04T10:00:00.000000Z d a - t -`},
		{"empty hostname and fraction",
			Event{Time: t0.Add(123456 * time.Microsecond), Severity: Crit, App: "a", Type: "t"},
			`<130>1 2026-04-04T10:00:00.123456Z - a - t -`},
		{"value types and null omission",
			Event{Time: t0, Hostname: "d", App: "a", Type: "t", Fields: []Field{
				F("i", 42), F("f", 12.345), F("b", true), F("n", nil), F("l", []string{"a", "b"}),
				F("m", map[string]int{"x": 1}), F("p", (*int)(nil)), F("h", []string{"<&>"}), F("u", uint8(7)),
				F("i64", int64(-3)), F("ts", t0)}},
			`<134>1 2026-04-04T10:00:00.000000Z d a - t [relay@55555 i="42" f="12.345" b="true" l="[\"a\",\"b\"\]" m="{\"x\":1}" h="[\"<&>\"\]" u="7" i64="-3" ts="2026-04-04T10:00:00Z"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(tc.ev.Encode())
			want := tc.want
			if got != want {
				t.Errorf("Encode()\n got %s\nwant %s", got, want)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("encoded line contains CR/LF: %q", got)
			}
		})
	}
}

func TestEncodeAllNullFieldsGivesNilSD(t *testing.T) {
	ev := Event{Time: t0, Hostname: "d", App: "a", Type: "t", Fields: []Field{F("x", nil)}, Msg: "m"}
	if got, want := string(ev.Encode()), `<134>1 2026-04-04T10:00:00.000000Z d a - t - m`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestEncodeHostnameTruncationAndSpaces(t *testing.T) {
	host := strings.Repeat("h", 300)
	ev := Event{Time: t0, Hostname: host, App: "my app", Type: "t"}
	got := string(ev.Encode())
	want := "<134>1 2026-04-04T10:00:00.000000Z " + host[:255] + " my_app - t -"
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestEncodeParamNameSanitised(t *testing.T) {
	ev := Event{Time: t0, Hostname: "d", App: "a", Type: "t",
		Fields: []Field{F(`a b=c]"d`, "v"), F(strings.Repeat("k", 40), "w")}}
	got := string(ev.Encode())
	want := `<134>1 2026-04-04T10:00:00.000000Z d a - t [relay@55555 a_b_c__d="v" ` + strings.Repeat("k", 32) + `="w"]`
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestEncodeTimeConvertedToUTC(t *testing.T) {
	loc := time.FixedZone("X", 2*3600)
	ev := Event{Time: time.Date(2026, 4, 4, 12, 0, 0, 999, loc), Hostname: "d", App: "a", Type: "t"}
	if got, want := string(ev.Encode()), `<134>1 2026-04-04T10:00:00.000000Z d a - t -`; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}
