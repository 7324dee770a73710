package event

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const hdr = "<134>1 2024-01-15T12:00:00+00:00 decky-01 http - request"

var recvTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func mustParse(t *testing.T, line string) Record {
	t.Helper()
	r, err := Parse(line, recvTime)
	if err != nil {
		t.Fatalf("Parse(%q): %v", line, err)
	}
	return r
}

func TestParseE1JSON(t *testing.T) {
	line := hdr + ` [relay@55555 src_ip="1.2.3.4" method="GET" path="/login"] hello world`
	r := mustParse(t, line)
	got, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(line)
	want := `{"timestamp":"2024-01-15T12:00:00Z","decky":"decky-01","service":"http","event_type":"request",` +
		`"attacker_ip":"1.2.3.4","fields":{"src_ip":"1.2.3.4","method":"GET","path":"/login"},"msg":"hello world",` +
		`"raw_line":` + string(raw) + `}`
	if string(got) != want {
		t.Fatalf("JSON\n got %s\nwant %s", got, want)
	}
	if !r.TimeValid {
		t.Error("TimeValid false for a valid timestamp")
	}
}

func TestParseRecords(t *testing.T) {
	type want struct {
		decky, service, event, ip, msg string
		fields                         map[string]string
		keys                           []string // expected field order when set
	}
	tests := []struct {
		name string
		line string
		want want
	}{
		{"E2 host:port", hdr + ` [relay@55555 remote_addr="192.168.1.5:40838"]`,
			want{"decky-01", "http", "request", "192.168.1.5", "",
				map[string]string{"remote_addr": "192.168.1.5:40838", "remote_port": "40838"},
				[]string{"remote_addr", "remote_port"}}},
		{"E2 plain", hdr + ` [relay@55555 remote_addr="192.168.1.5"]`,
			want{"decky-01", "http", "request", "192.168.1.5", "", map[string]string{"remote_addr": "192.168.1.5"}, nil}},
		{"E3 v6 host:port", hdr + ` [relay@55555 remote_addr="[2001:db8::5]:443"]`,
			want{"decky-01", "http", "request", "2001:db8::5", "",
				map[string]string{"remote_addr": "[2001:db8::5]:443", "remote_port": "443"}, nil}},
		{"E3 v6 plain", hdr + ` [relay@55555 src="2001:db8::7"]`,
			want{"decky-01", "http", "request", "2001:db8::7", "", map[string]string{"src": "2001:db8::7"}, nil}},
		{"E4 no ip", hdr + ` [relay@55555 user="admin"]`,
			want{"decky-01", "http", "request", "", "", map[string]string{"user": "admin"}, nil}},
		{"E4 key priority", hdr + ` [relay@55555 src="2.2.2.2" src_ip="1.1.1.1"]`,
			want{"decky-01", "http", "request", "1.1.1.1", "", map[string]string{"src_ip": "1.1.1.1", "src": "2.2.2.2"}, nil}},
		{"E4 skip non-ip", hdr + ` [relay@55555 src_ip="n/a" src="2.2.2.2"]`,
			want{"decky-01", "http", "request", "2.2.2.2", "", map[string]string{"src_ip": "n/a", "src": "2.2.2.2"}, nil}},
		{"remote_port kept when present", hdr + ` [relay@55555 remote_port="1" remote_addr="1.2.3.4:80"]`,
			want{"decky-01", "http", "request", "1.2.3.4", "", map[string]string{"remote_port": "1", "remote_addr": "1.2.3.4:80"}, nil}},
		{"ipv4-mapped normalised", hdr + ` [relay@55555 src_ip="::ffff:10.0.0.1"]`,
			want{"decky-01", "http", "request", "10.0.0.1", "", map[string]string{"src_ip": "::ffff:10.0.0.1"}, nil}},
		{"ipv4-mapped in brackets", hdr + ` [relay@55555 remote_addr="[::ffff:10.0.0.1]:8080"]`,
			want{"decky-01", "http", "request", "10.0.0.1", "", map[string]string{"remote_addr": "[::ffff:10.0.0.1]:8080", "remote_port": "8080"}, nil}},
		{"v6 canonicalised", hdr + ` [relay@55555 ip="2001:DB8:0::1"]`,
			want{"decky-01", "http", "request", "2001:db8::1", "", map[string]string{"ip": "2001:DB8:0::1"}, nil}},
		{"bad port not split", hdr + ` [relay@55555 remote_addr="1.2.3.4:http"]`,
			want{"decky-01", "http", "request", "", "", map[string]string{"remote_addr": "1.2.3.4:http"}, nil}},
		{"E5", "<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - auth_attempt " +
			`[relay@55555 src_ip="5.6.7.8" username="ro\"ot" secret_b64="aHVudGVyMg==" secret_kind="plaintext" outcome="failure"] login failed`,
			want{"decky-01", "ssh", "auth_attempt", "5.6.7.8", "login failed", map[string]string{"src_ip": "5.6.7.8",
				"username": `ro"ot`, "secret_b64": "aHVudGVyMg==", "secret_kind": "plaintext", "outcome": "failure"}, nil}},
		{"E6", "<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - auth_attempt " +
			`[relay@55555 src_ip="5.6.7.8" username="a\"b\]c" secret_b64="aHVudGVyMg=="]`,
			want{"decky-01", "ssh", "auth_attempt", "5.6.7.8", "", map[string]string{"src_ip": "5.6.7.8",
				"username": `a"b]c`, "secret_b64": "aHVudGVyMg=="}, nil}},
		{"E9 from beats later ip", `<38>1 2026-04-27T03:08:45+00:00 dmz-gateway sshd 940 - - Connection from 157.66.144.16 port 42772 on 10.0.0.2 port 22 rdomain ""`,
			want{"dmz-gateway", "sshd", "-", "157.66.144.16", `Connection from 157.66.144.16 port 42772 on 10.0.0.2 port 22 rdomain ""`, map[string]string{}, nil}},
		{"E9 bare", `<38>1 2026-04-27T03:08:45+00:00 dmz-gateway sshd 940 - - Connection closed by authenticating user root 157.66.144.16 port 42772 [preauth]`,
			want{"dmz-gateway", "sshd", "-", "157.66.144.16", "Connection closed by authenticating user root 157.66.144.16 port 42772 [preauth]", map[string]string{}, nil}},
		{"E9 rhost", `<38>1 2026-04-27T03:08:45+00:00 dmz-gateway sshd 940 - - pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=157.66.144.16 user=root`,
			want{"dmz-gateway", "sshd", "-", "157.66.144.16", "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=157.66.144.16 user=root", map[string]string{}, nil}},
		{"E10 CMD", `<14>1 2026-04-28T22:35:58.021674+00:00 dmz-gateway bash - - -  CMD uid=0 user=root src=31.56.209.39 pwd=/root cmd=echo "rm -rf *.sh" | sh`,
			want{"dmz-gateway", "bash", "command", "31.56.209.39", `CMD uid=0 user=root src=31.56.209.39 pwd=/root cmd=echo "rm -rf *.sh" | sh`,
				map[string]string{"uid": "0", "user": "root", "src": "31.56.209.39", "pwd": "/root", "command": `echo "rm -rf *.sh" | sh`},
				[]string{"uid", "user", "src", "pwd", "command"}}},
		{"E11 double wrap", `<14>1 2026-05-02T06:22:48.089309+00:00 omega-decky 1 - - -  2026-05-02T06:22:48.089286+00:00 SRV-DELTA-77 bash - command [timeQuality tzKnown="1" isSynced="1" syncAccuracy="326228"] CMD uid=0 user=root src=192.168.1.5 pwd=/root cmd=ls /var/www/html`,
			want{"SRV-DELTA-77", "bash", "command", "192.168.1.5", "CMD uid=0 user=root src=192.168.1.5 pwd=/root cmd=ls /var/www/html",
				map[string]string{"uid": "0", "user": "root", "src": "192.168.1.5", "pwd": "/root", "command": "ls /var/www/html"}, nil}},
		{"E12 non-dash msgid never unwrapped", `<14>1 2026-04-04T10:00:00Z host app - auth_attempt - 2026-05-02T06:22:48Z X y - z rest`,
			want{"host", "app", "auth_attempt", "", "2026-05-02T06:22:48Z X y - z rest", map[string]string{}, nil}},
		{"E12 prose", `<14>1 2026-04-04T10:00:00Z host app - - - Failed password for root from 192.168.1.5 port 42772 ssh2`,
			want{"host", "app", "-", "192.168.1.5", "Failed password for root from 192.168.1.5 port 42772 ssh2", map[string]string{}, nil}},
		{"E14 dash msg", hdr + ` - some message`,
			want{"decky-01", "http", "request", "", "some message", map[string]string{}, nil}},
		{"E14 bare msg", hdr + ` hello world`,
			want{"decky-01", "http", "request", "", "hello world", map[string]string{}, nil}},
		{"E14 escaped quote", hdr + ` [relay@55555 path="/foo\"bar"]`,
			want{"decky-01", "http", "request", "", "", map[string]string{"path": `/foo"bar`}, nil}},
		{"E14 lone backslash kept", hdr + ` [relay@55555 path="C:\temp"]`,
			want{"decky-01", "http", "request", "", "", map[string]string{"path": `C:\temp`}, nil}},
		{"E14 hex escape kept", hdr + ` [relay@55555 body="a\x0ab"]`,
			want{"decky-01", "http", "request", "", "", map[string]string{"body": `a\x0ab`}, nil}},
		{"E15 other sd-id skipped, literal ]", hdr + ` [timeQuality tzKnown="1"][relay@55555 a="1" b="x]y"] tail`,
			want{"decky-01", "http", "request", "", "tail", map[string]string{"a": "1", "b": "x]y"}, nil}},
		{"E15 unterminated", hdr + ` [relay@55555 a="1`,
			want{"decky-01", "http", "request", "", `[relay@55555 a="1`, map[string]string{}, nil}},
		{"unterminated element", hdr + ` [relay@55555 a="1"`,
			want{"decky-01", "http", "request", "", `[relay@55555 a="1"`, map[string]string{}, nil}},
		{"malformed discards earlier elements", hdr + ` [relay@55555 a="1"][relay@55555 b=2] m`,
			want{"decky-01", "http", "request", "", `[relay@55555 a="1"][relay@55555 b=2] m`, map[string]string{}, nil}},
		{"bracket prose is not SD", hdr + ` [hello world] tail`,
			want{"decky-01", "http", "request", "", `[hello world] tail`, map[string]string{}, nil}},
		{"later duplicates win, first position kept", hdr + ` [relay@55555 a="1" b="2"][relay@55555 a="3"]`,
			want{"decky-01", "http", "request", "", "", map[string]string{"a": "3", "b": "2"}, []string{"a", "b"}}},
		{"escaped backslash then quote ends value", hdr + ` [relay@55555 a="x\\" b="y"] m`,
			want{"decky-01", "http", "request", "", "m", map[string]string{"a": `x\`, "b": "y"}, nil}},
		{"empty element and no space before msg", hdr + ` [relay@55555]msg`,
			want{"decky-01", "http", "request", "", "msg", map[string]string{}, nil}},
		{"E16 mutation", `<134>1 2026-04-04T10:07:00.000000Z decky-03 mutator - decky_mutated [relay@55555 decky="decky-03" old_services="http" new_services="smb,rdp" trigger="scheduled"]`,
			want{"decky-03", "mutator", "decky_mutated", "", "", map[string]string{"decky": "decky-03", "old_services": "http", "new_services": "smb,rdp", "trigger": "scheduled"}, nil}},
		{"msg kv token ip", hdr + ` - note src=10.1.2.3, client_ip=10.9.9.9 ip=10.8.8.8`,
			want{"decky-01", "http", "request", "10.9.9.9", "note src=10.1.2.3, client_ip=10.9.9.9 ip=10.8.8.8", map[string]string{}, nil}},
		{"anchored case-insensitive", hdr + ` - 10.0.0.9 said hi, FROM 2001:db8::1.`,
			want{"decky-01", "http", "request", "2001:db8::1", "10.0.0.9 said hi, FROM 2001:db8::1.", map[string]string{}, nil}},
		{"anchor needs word boundary", hdr + ` - datafrom 10.0.0.1 x from 10.0.0.2`,
			want{"decky-01", "http", "request", "10.0.0.2", "datafrom 10.0.0.1 x from 10.0.0.2", map[string]string{}, nil}},
		{"invalid bare skipped", hdr + ` - x 300.1.1.1 10.0.0.2`,
			want{"decky-01", "http", "request", "10.0.0.2", "x 300.1.1.1 10.0.0.2", map[string]string{}, nil}},
		{"bare needs boundaries", hdr + ` - v1.2.3.4 1.2.3.4567 5.6.7.8`,
			want{"decky-01", "http", "request", "5.6.7.8", "v1.2.3.4 1.2.3.4567 5.6.7.8", map[string]string{}, nil}},
		{"CMD without cmd=", `<14>1 2026-04-04T10:00:00Z h bash - command CMD uid=0 user=root`,
			want{"h", "bash", "command", "", "CMD uid=0 user=root", map[string]string{"uid": "0", "user": "root"}, nil}},
		{"CMD does not override SD", `<14>1 2026-04-04T10:00:00Z h bash - - [relay@55555 user="sd" command="x"] CMD user=root cmd=ls`,
			want{"h", "bash", "command", "", "CMD user=root cmd=ls", map[string]string{"user": "sd", "command": "x"}, nil}},
		{"CMD only for - or command", `<14>1 2026-04-04T10:00:00Z h bash - exec - CMD user=root cmd=ls`,
			want{"h", "bash", "exec", "", "CMD user=root cmd=ls", map[string]string{}, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := mustParse(t, tc.line)
			w := tc.want
			if r.Decky != w.decky || r.Service != w.service || r.EventType != w.event || r.AttackerIP != w.ip || r.Msg != w.msg {
				t.Errorf("got decky=%q service=%q event=%q ip=%q msg=%q\nwant decky=%q service=%q event=%q ip=%q msg=%q",
					r.Decky, r.Service, r.EventType, r.AttackerIP, r.Msg, w.decky, w.service, w.event, w.ip, w.msg)
			}
			if !reflect.DeepEqual(r.Fields, w.fields) {
				t.Errorf("fields = %#v, want %#v", r.Fields, w.fields)
			}
			if w.keys != nil && !reflect.DeepEqual(r.FieldKeys(), w.keys) {
				t.Errorf("field order = %v, want %v", r.FieldKeys(), w.keys)
			}
			if r.RawLine != tc.line {
				t.Errorf("raw line = %q", r.RawLine)
			}
		})
	}
}

func TestParseTimestamps(t *testing.T) {
	tests := []struct {
		ts    string
		want  time.Time
		valid bool
	}{
		{"2024-01-15T12:00:00+00:00", time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC), true},
		{"2026-04-04T10:00:00.123456Z", time.Date(2026, 4, 4, 10, 0, 0, 123456000, time.UTC), true},
		{"2026-04-04T12:30:00.5+02:30", time.Date(2026, 4, 4, 10, 0, 0, 500000000, time.UTC), true},
		{"2026-04-04T10:00:00-01:00", time.Date(2026, 4, 4, 11, 0, 0, 0, time.UTC), true},
		{"2026-04-04T10:00:00.1234567891Z", time.Date(2026, 4, 4, 10, 0, 0, 123456000, time.UTC), true},
		{"2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), true},
		{"2023-02-29T00:00:00Z", recvTime, false},
		{"2026-13-04T10:00:00Z", recvTime, false},
		{"2026-04-04T24:00:00Z", recvTime, false},
		{"2026-04-04T10:00:00", recvTime, false},
		{"2026-04-04T10:00:00.Z", recvTime, false},
		{"2026-04-04T10:00:00+0100", recvTime, false},
		{"2026-04-04 10:00:00Z", recvTime, false}, // a space splits the header token; see below
		{"-", recvTime, false},
		{"0001-01-01T00:00:00+10:00", recvTime, false},
		{"9999-12-31T23:00:00-05:00", recvTime, false},
		{"0000-06-01T00:00:00Z", recvTime, false},
		{"not-a-date", recvTime, false},
	}
	for _, tc := range tests {
		line := "<134>1 " + tc.ts + " decky-01 http - request -"
		r, err := Parse(line, recvTime)
		if strings.Contains(tc.ts, " ") {
			// "2026-04-04 10:00:00Z decky-01 http - request -" shifts the header by one token.
			if err != nil || r.TimeValid {
				t.Errorf("%q: err=%v valid=%v", tc.ts, err, r.TimeValid)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tc.ts, err)
		}
		if r.TimeValid != tc.valid || !r.Timestamp.Equal(tc.want) || r.Timestamp.Location() != time.UTC {
			t.Errorf("%q: got %v valid=%v, want %v valid=%v", tc.ts, r.Timestamp, r.TimeValid, tc.want, tc.valid)
		}
	}
}

func TestParseE13InvalidTimestamp(t *testing.T) {
	r := mustParse(t, "<134>1 not-a-date decky-01 http - request -")
	if r.TimeValid || !r.Timestamp.Equal(recvTime) || len(r.Fields) != 0 || r.Msg != "" || r.AttackerIP != "" {
		t.Fatalf("got %+v", r)
	}
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"timestamp":"2030-01-02T03:04:05Z"`) || !strings.Contains(string(b), `"attacker_ip":null,"fields":{},"msg":""`) {
		t.Fatalf("JSON %s", b)
	}
}

func TestParseUnparseable(t *testing.T) {
	for _, line := range []string{
		"", "not a syslog line", "Jan  1 00:00:00 host sshd: blah",
		"<134>1 2024-01-15T12:00:00Z d a - t",    // no REST
		"<134>1 2024-01-15T12:00:00Z d a - t ",   // REST empty
		"<1345>1 2024-01-15T12:00:00Z d a - t -", // 4-digit PRI
		"<>1 2024-01-15T12:00:00Z d a - t -",
		"<134>2 2024-01-15T12:00:00Z d a - t -",
		"<134>1 2024-01-15T12:00:00Z  d a - t -", // empty token
		"<134>1 2024-01-15T12:00:00Z d\ta - t -", // tab is not a separator
		"<134>1 2024-01-15T12:00:00Z d a - t -\nx",
	} {
		r, err := Parse(line, recvTime)
		if !errors.Is(err, ErrUnparseable) {
			t.Errorf("Parse(%q) err = %v, want ErrUnparseable", line, err)
		}
		if r.RawLine != strings.TrimSuffix(line, "\n") {
			t.Errorf("Parse(%q) raw line = %q", line, r.RawLine)
		}
	}
}

func TestParseTrailingLFAndProcID(t *testing.T) {
	r := mustParse(t, "<0>1 2024-01-15T12:00:00Z d a 1234 t - m\n")
	if r.RawLine != "<0>1 2024-01-15T12:00:00Z d a 1234 t - m" || r.EventType != "t" || r.Msg != "m" {
		t.Fatalf("got %+v", r)
	}
}

func TestParseDoubleWrapEdgeCases(t *testing.T) {
	// Inner body without a date-shaped first token: not unwrapped, MSG = text after '-'.
	r := mustParse(t, "<14>1 2026-04-04T10:00:00Z outer app - - -   hello there friend of mine ok")
	if r.Decky != "outer" || r.Service != "app" || r.Msg != "hello there friend of mine ok" {
		t.Fatalf("got %+v", r)
	}
	// Inner rest that is only whitespace after the fifth token: .+ backtracks to the last blank.
	r = mustParse(t, "<14>1 2026-04-04T10:00:00Z outer app - - - 2026-04-04T10:00:00Z in svc - evt  \t")
	if r.Decky != "in" || r.Service != "svc" || r.EventType != "evt" || r.Msg != "" {
		t.Fatalf("got %+v", r)
	}
	// Outer timestamp kept.
	if !r.Timestamp.Equal(time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("timestamp %v", r.Timestamp)
	}
}

func TestRecordJSONRoundTrip(t *testing.T) {
	line := `<134>1 2026-04-04T10:00:00.123456Z decky-01 ftp - auth_attempt [relay@55555 src_ip="203.0.113.7" z="1" a="<&>\"é"] m` + "\x01"
	r := mustParse(t, line)
	b, err := r.MarshalJSON() // json.Marshal would additionally HTML-escape <, >, &
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"timestamp":"2026-04-04T10:00:00.123456Z"`) ||
		!strings.Contains(string(b), `"fields":{"src_ip":"203.0.113.7","z":"1","a":"<&>\"é"}`) {
		t.Fatalf("JSON %s", b)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	b2, _ := back.MarshalJSON()
	if string(b) != string(b2) {
		t.Fatalf("round trip\n%s\n%s", b, b2)
	}
	if !json.Valid(b) {
		t.Fatal("invalid JSON")
	}
}

func TestRecordJSONExternalFieldEdits(t *testing.T) {
	r := mustParse(t, hdr+` [relay@55555 b="1" a="2"]`)
	delete(r.Fields, "b")
	r.Fields["c"] = "3"
	r.SetField("a", "4")
	b, _ := json.Marshal(r)
	if !strings.Contains(string(b), `"fields":{"a":"4","c":"3"}`) {
		t.Fatalf("JSON %s", b)
	}
}

func TestAppendJSONStringInvalidUTF8(t *testing.T) {
	got := string(AppendJSONString(nil, "a\xffb\u2028\x1f\"\\\n"))
	want := `"a\ufffdb\u2028\u001f\"\\\n"`
	if got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}
