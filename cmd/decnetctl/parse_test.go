package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseVerb(t *testing.T) {
	input := `<134>1 2024-01-15T12:00:00+00:00 decky-01 http - request [relay@55555 src_ip="1.2.3.4" method="GET" path="/login"] hello <world>
not a syslog line

<134>1 2026-04-04T10:00:00.123456Z decky-01 ftp - auth_attempt [relay@55555 src_ip="203.0.113.7" username="root"]`
	for _, args := range [][]string{{"parse"}, {"parse", "-"}, {"parse", writeFile(t, "in.log", input+"\n")}} {
		c := newCLI(t)
		c.stdin = input
		out, errOut, code := c.run(args...)
		if code != 0 || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 4 {
			t.Fatalf("%v: %d output lines for 4 input lines:\n%s", args, len(lines), out)
		}
		var rec struct {
			Timestamp, Decky, Service, EventType, Msg, RawLine string
			AttackerIP                                         *string `json:"attacker_ip"`
			Fields                                             map[string]string
			Error                                              string
		}
		if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
			t.Fatal(err)
		}
		if rec.Decky != "decky-01" || rec.Service != "http" || rec.AttackerIP == nil || *rec.AttackerIP != "1.2.3.4" ||
			rec.Fields["path"] != "/login" || rec.Msg != "hello <world>" || rec.Timestamp != "2024-01-15T12:00:00Z" {
			t.Errorf("record %+v", rec)
		}
		if !strings.Contains(lines[0], `"raw_line":"<134>1 2024-01-15T12:00:00+00:00 decky-01`) {
			t.Errorf("raw_line missing or HTML-escaped: %s", lines[0])
		}
		for i, raw := range []string{"not a syslog line", ""} {
			var e map[string]string
			if err := json.Unmarshal([]byte(lines[1+i]), &e); err != nil || e["error"] == "" || e["raw_line"] != raw || len(e) != 2 {
				t.Errorf("line %d: %s", 2+i, lines[1+i])
			}
		}
		if !strings.Contains(lines[3], `"timestamp":"2026-04-04T10:00:00.123456Z"`) {
			t.Errorf("fractional timestamp: %s", lines[3])
		}
	}
}

func TestParseUnreadable(t *testing.T) {
	_, errOut, code := newCLI(t).run("parse", "/nonexistent/decnet.log")
	if code != 2 || !strings.Contains(errOut, "/nonexistent/decnet.log") {
		t.Errorf("exit %d stderr %q", code, errOut)
	}
	_, _, code = newCLI(t).run("parse", t.TempDir())
	if code != 2 {
		t.Errorf("directory: exit %d", code)
	}
}

func FuzzEachLine(f *testing.F) {
	f.Add("a\nb\r\n\nc")
	f.Add("")
	f.Add("\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		var got []string
		if err := eachLine(strings.NewReader(s), func(l string) error { got = append(got, l); return nil }); err != nil {
			t.Fatal(err)
		}
		want := strings.Count(s, "\n")
		if s != "" && !strings.HasSuffix(s, "\n") {
			want++
		}
		if len(got) != want {
			t.Errorf("%q: %d lines, want %d", s, len(got), want)
		}
		for _, l := range got {
			if strings.Contains(l, "\n") {
				t.Errorf("line %q contains LF", l)
			}
		}
	})
}
