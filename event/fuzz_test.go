package event

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// escapeCtl is what a value or MSG looks like after encode → parse: control bytes become literal \xHH.
func escapeCtl(s string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			fmt.Fprintf(&sb, `\x%02x`, c)
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

func randString(rng *rand.Rand, alphabet []string, max int) string {
	n := rng.Intn(max + 1)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		sb.WriteString(alphabet[rng.Intn(len(alphabet))])
	}
	return sb.String()
}

func TestEncodeParseRoundTripProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(5424))
	valueAlpha := []string{"a", "Z", "0", " ", "\"", "\\", "]", "[", "=", "\x00", "\n", "\r", "\t", "\x7f", "é", "\\x0a",
		"\\]", "CMD ", "1.2.3.4", "%", "\u00a0"}
	nameAlpha := []string{"a", "b", "z", "_", "-", ".", "@", "[", "1", "\\", "k"}
	tokAlpha := []string{"a", "b", "-", "_", ".", "1", "\x01", " ", "é"}
	for i := 0; i < 3000; i++ {
		ev := Event{
			Time:     time.Unix(rng.Int63n(4e9), rng.Int63n(1e9)).UTC(),
			Severity: Severity(2 + rng.Intn(5)),
			Hostname: "h" + randString(rng, tokAlpha, 20),
			App:      "a" + randString(rng, tokAlpha, 60),
			Type:     "t" + randString(rng, tokAlpha, 40),
			Msg:      randString(rng, valueAlpha, 12),
		}
		want := map[string]string{}
		var order []string
		for n := rng.Intn(6); n > 0; n-- {
			k := "k" + randString(rng, nameAlpha, 40)
			v := randString(rng, valueAlpha, 15)
			ev.Fields = append(ev.Fields, F(k, v))
			if len(k) > 32 {
				k = k[:32]
			}
			if _, ok := want[k]; !ok {
				order = append(order, k)
			}
			want[k] = escapeCtl(v)
		}
		line := string(ev.Encode())
		r, err := Parse(line, time.Time{})
		if err != nil {
			t.Fatalf("Parse(Encode(%+v)) = %v\nline %q", ev, err, line)
		}
		hdrTok := func(s string, max int) string {
			if len(s) > max {
				s = s[:max]
			}
			return escapeCtl(strings.ReplaceAll(s, " ", "_"))
		}
		if r.Decky != hdrTok(ev.Hostname, 255) || r.Service != hdrTok(ev.App, 48) || r.EventType != hdrTok(ev.Type, 32) {
			t.Fatalf("header mismatch: %q %q %q\nline %q", r.Decky, r.Service, r.EventType, line)
		}
		if !r.TimeValid || !r.Timestamp.Equal(ev.Time.Truncate(time.Microsecond)) {
			t.Fatalf("time %v != %v", r.Timestamp, ev.Time)
		}
		if r.Msg != strings.TrimSpace(escapeCtl(ev.Msg)) {
			t.Fatalf("msg %q != %q\nline %q", r.Msg, escapeCtl(ev.Msg), line)
		}
		got := map[string]string{}
		for k, v := range r.Fields {
			if k != "remote_port" || want[k] != "" {
				got[k] = v
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("fields %q != %q\nline %q", got, want, line)
		}
		if keys := r.FieldKeys(); len(order) > 0 && strings.Join(keys[:len(order)], "\x00") != strings.Join(order, "\x00") {
			t.Fatalf("order %q != %q", keys, order)
		}
	}
}

func checkRecordInvariants(t *testing.T, line string, r Record) {
	t.Helper()
	if r.RawLine != strings.TrimSuffix(line, "\n") {
		t.Fatalf("raw line %q of %q", r.RawLine, line)
	}
	if r.Fields == nil {
		t.Fatal("nil fields")
	}
	if r.Timestamp.Location() != time.UTC {
		t.Fatal("timestamp not UTC")
	}
	if r.Decky == "" || r.Service == "" || r.EventType == "" {
		t.Fatalf("empty header part: %+v", r)
	}
	if r.AttackerIP != "" {
		a, err := netip.ParseAddr(r.AttackerIP)
		if err != nil || a.Is4In6() || a.Zone() != "" || a.String() != r.AttackerIP {
			t.Fatalf("attacker ip %q not canonical", r.AttackerIP)
		}
	}
	if r.Msg != strings.TrimSpace(r.Msg) {
		t.Fatalf("msg not trimmed: %q", r.Msg)
	}
	b, err := r.MarshalJSON()
	if err != nil || !json.Valid(b) {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	validKeys := true // invalid UTF-8 keys may collide once replaced by U+FFFD
	for k := range r.Fields {
		validKeys = validKeys && utf8.ValidString(k)
	}
	if (validKeys && len(back.Fields) != len(r.Fields)) || back.AttackerIP != r.AttackerIP || !back.Timestamp.Equal(r.Timestamp) {
		t.Fatalf("JSON round trip: %+v vs %+v", back, r)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		hdr + ` [relay@55555 src_ip="1.2.3.4" method="GET" path="/login"] hello world`,
		hdr + ` [relay@55555 remote_addr="[2001:db8::5]:443"]`,
		hdr + ` [timeQuality tzKnown="1"][relay@55555 a="1" b="x]y"] tail`,
		hdr + ` [relay@55555 a="1`,
		hdr + ` [relay@55555 username="a\"b\]c" path="C:\temp" x="\\"]`,
		`<14>1 2026-04-28T22:35:58.021674+00:00 dmz-gateway bash - - -  CMD uid=0 user=root src=31.56.209.39 pwd=/root cmd=echo "rm -rf *.sh" | sh`,
		`<14>1 2026-05-02T06:22:48.089309+00:00 omega-decky 1 - - -  2026-05-02T06:22:48.089286+00:00 SRV-DELTA-77 bash - command [timeQuality tzKnown="1"] CMD uid=0 cmd=ls`,
		`<38>1 2026-04-27T03:08:45+00:00 dmz-gateway sshd 940 - - Connection from ::ffff:157.66.144.16 port 42772`,
		"<134>1 not-a-date decky-01 http - request -",
		"Jan  1 00:00:00 host sshd: blah",
		"",
		"<1>1 a b c d e \xff\xfe rhost=1.2.3.4 from [::1]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := Parse(line, time.Unix(0, 0))
		if err != nil {
			if r.RawLine != strings.TrimSuffix(line, "\n") {
				t.Fatalf("raw line on error")
			}
			return
		}
		checkRecordInvariants(t, line, r)
		// Deterministic.
		r2, _ := Parse(line, time.Unix(0, 0))
		if fmt.Sprint(r2) != fmt.Sprint(r) {
			t.Fatal("non-deterministic parse")
		}
		// Re-encoding the parsed fields and message reproduces them (control bytes as \xHH).
		if r.EventType == "-" || r.EventType == "command" {
			return
		}
		var fs []Field
		for _, k := range r.FieldKeys() {
			if len(k) > 32 || strings.IndexFunc(k, func(c rune) bool { return c <= ' ' || c >= 0x7f }) >= 0 {
				return
			}
			fs = append(fs, F(k, r.Fields[k]))
		}
		ev := Event{Time: r.Timestamp, Hostname: "h", App: "a", Type: "t", Fields: fs, Msg: r.Msg}
		r3, err := Parse(string(ev.Encode()), time.Unix(0, 0))
		if err != nil {
			t.Fatalf("re-encoded line unparseable: %v", err)
		}
		for _, k := range r.FieldKeys() {
			if r3.Fields[k] != escapeCtl(r.Fields[k]) {
				t.Fatalf("field %q: %q → %q", k, r.Fields[k], r3.Fields[k])
			}
		}
		if r3.Msg != strings.TrimSpace(escapeCtl(r.Msg)) {
			t.Fatalf("msg %q → %q", r.Msg, r3.Msg)
		}
	})
}

func FuzzClassifyAuthorization(f *testing.F) {
	for _, s := range []string{
		"Basic YWRtaW46czNjcjN0", "Bearer abc.def", "Token x",
		`Digest username="bob", realm="x", nonce="n", uri="/", response="6629fae49393a05397450978507c4ef1"`,
		`Digest username="b\"ob`, "NTLM TlRMTVNTUAAB", "", " ", "Basic ", "Digest a=,=b,,",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		c, ok := ClassifyAuthorization(h)
		if !ok {
			return
		}
		switch c.Kind {
		case KindPlaintext:
			dec, err := base64.StdEncoding.DecodeString(strings.Trim(strings.SplitN(strings.Trim(h, " \t"), " ", 2)[1], " \t"))
			if err != nil || string(dec) != c.Principal+":"+string(c.Secret) {
				t.Fatalf("basic %q → %+v", h, c)
			}
		case KindHTTPBearer:
			if c.Principal != "" || !strings.Contains(h, string(c.Secret)) || len(c.Secret) == 0 {
				t.Fatalf("bearer %q → %+v", h, c)
			}
		case KindHTTPDigest:
		default:
			t.Fatalf("kind %q", c.Kind)
		}
		_ = c.Fields("")
	})
}

func FuzzClassifyForm(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("log=admin&pwd=hunter2&wp-submit=1"))
	f.Add("application/x-www-form-urlencoded; charset=utf-8", []byte("user=%41&pass=%zz+%2"))
	f.Add("text/plain", []byte("password=x"))
	f.Add("application/x-www-form-urlencoded", []byte("&&=&password&"))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		c, ok := ClassifyForm(ct, body)
		if !ok {
			return
		}
		if c.Kind != KindPlaintext || c.Secret == nil || len(c.Secret) > len(body) {
			t.Fatalf("%q %q → %+v", ct, body, c)
		}
	})
}
