package event

import (
	"reflect"
	"strings"
	"testing"
)

func TestPrintableAndB64(t *testing.T) {
	tests := []struct{ in, printable, b64 string }{
		{"héllo\x00", "h??llo?", "aMOpbGxvAA=="},
		{"pässw\x00rd", "p??ssw?rd", "cMOkc3N3AHJk"},
		{`p@ss"w]rd`, `p@ss"w]rd`, "cEBzcyJ3XXJk"},
		{"", "", ""},
		{"~\x7f ", "~? ", "fn8g"},
	}
	for _, tc := range tests {
		if got := Printable([]byte(tc.in)); got != tc.printable {
			t.Errorf("Printable(%q) = %q, want %q", tc.in, got, tc.printable)
		}
		if got := B64([]byte(tc.in)); got != tc.b64 {
			t.Errorf("B64(%q) = %q, want %q", tc.in, got, tc.b64)
		}
	}
}

func TestCredFields(t *testing.T) {
	got := CredFields("root", "plaintext", []byte("hunter2"), "failure")
	want := []Field{F("principal", "root"), F("secret_kind", "plaintext"), F("secret_printable", "hunter2"),
		F("secret_b64", "aHVudGVyMg=="), F("outcome", "failure")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	got = CredFields("", "http_bearer", []byte("t\x01"), "")
	want = []Field{F("secret_kind", "http_bearer"), F("secret_printable", "t?"), F("secret_b64", "dAE=")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
	got = CredFieldsWith("u", "mysql_native_password", "0a0b", []byte{10, 11}, "")
	if got[2] != F("secret_printable", "0a0b") || got[3] != F("secret_b64", "Cgs=") {
		t.Fatalf("got %v", got)
	}
	// The credential fields survive encode → parse exactly.
	ev := Event{Time: t0, Hostname: "d", App: "ftp", Type: "auth_attempt",
		Fields: append([]Field{F("src_ip", "203.0.113.7")}, CredFields("root", "plaintext", []byte("p@ss\"w]rd\n\\"), "")...)}
	r, err := Parse(string(ev.Encode()), t0)
	if err != nil {
		t.Fatal(err)
	}
	if r.Fields["secret_printable"] != `p@ss"w]rd?\` || r.Fields["secret_b64"] != B64([]byte("p@ss\"w]rd\n\\")) {
		t.Fatalf("fields %v", r.Fields)
	}
}

func TestClassifyAuthorization(t *testing.T) {
	tests := []struct {
		header string
		ok     bool
		want   Credential
	}{
		{"Basic YWRtaW46czNjcjN0", true, Credential{"admin", KindPlaintext, []byte("s3cr3t")}},
		{"basic YWRtaW46czNjcjN0", true, Credential{"admin", KindPlaintext, []byte("s3cr3t")}},
		{"Basic YTpiOmM=", true, Credential{"a", KindPlaintext, []byte("b:c")}},
		{"Basic Og==", true, Credential{"", KindPlaintext, []byte("")}},
		{"Basic YWRtaW4=", false, Credential{}},           // no colon
		{"Basic YWRtaW46czNjcjN0!", false, Credential{}},  // bad base64
		{"Basic YWRtaW46czNjcjN", false, Credential{}},    // bad padding
		{"Basic YWRtaW46\nczNjcjN0", false, Credential{}}, // newline
		{"Bearer abc.def", true, Credential{"", KindHTTPBearer, []byte("abc.def")}},
		{"TOKEN xyz", true, Credential{"", KindHTTPBearer, []byte("xyz")}},
		{`Digest username="bob", realm="x", nonce="n", uri="/", response="6629fae49393a05397450978507c4ef1"`, true,
			Credential{"bob", KindHTTPDigest, []byte("6629fae49393a05397450978507c4ef1")}},
		{`Digest username=bob,response=abc`, true, Credential{"bob", KindHTTPDigest, []byte("abc")}},
		{`Digest username="b\"ob", response="r"`, true, Credential{`b"ob`, KindHTTPDigest, []byte("r")}},
		{`Digest response="r"`, true, Credential{"", KindHTTPDigest, []byte("r")}},
		{`Digest username="bob", realm="x"`, false, Credential{}},
		{`Digest username="bob, response="r`, false, Credential{}},
		{"NTLM TlRMTVNTUAAB", false, Credential{}},
		{"Negotiate YIIB", false, Credential{}},
		{"AWS4-HMAC-SHA256 Credential=x", false, Credential{}},
		{"Bearer", false, Credential{}},
		{"", false, Credential{}},
	}
	for _, tc := range tests {
		got, ok := ClassifyAuthorization(tc.header)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("ClassifyAuthorization(%q) = %+v, %v; want %+v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
	// E18 encodings.
	c, _ := ClassifyAuthorization("Bearer abc.def")
	if fs := c.Fields(""); fs[1] != F("secret_printable", "abc.def") || fs[2] != F("secret_b64", "YWJjLmRlZg==") {
		t.Errorf("bearer fields %v", fs)
	}
	c, _ = ClassifyAuthorization("Basic YWRtaW46czNjcjN0")
	if fs := c.Fields(""); fs[0] != F("principal", "admin") || fs[2] != F("secret_printable", "s3cr3t") || fs[3] != F("secret_b64", "czNjcjN0") {
		t.Errorf("basic fields %v", fs)
	}
}

func TestClassifyForm(t *testing.T) {
	const ct = "application/x-www-form-urlencoded"
	tests := []struct {
		ct, body string
		ok       bool
		want     Credential
	}{
		{ct, "log=admin&pwd=hunter2&wp-submit=1", true, Credential{"admin", KindPlaintext, []byte("hunter2")}},
		{ct, "user=admin", false, Credential{}},
		{ct + "; charset=UTF-8", "Username=a%40b.c&PASSWORD=p+w%21&password=second", true, Credential{"a@b.c", KindPlaintext, []byte("p w!")}},
		{"Application/X-WWW-Form-Urlencoded", "email=x&user=y&pass=z", true, Credential{"y", KindPlaintext, []byte("z")}},
		{ct, "pma_password=%zz%4", true, Credential{"", KindPlaintext, []byte("%zz%4")}},
		{ct, "passwd=&uname=u", true, Credential{"u", KindPlaintext, []byte{}}},
		{ct, "pass%77ord=x", true, Credential{"", KindPlaintext, []byte("x")}},
		{ct, "pwd=%ff%00", true, Credential{"", KindPlaintext, []byte{0xff, 0}}},
		{"application/json", `{"password":"x"}`, false, Credential{}},
		{"multipart/form-data", "password=x", false, Credential{}},
		{ct, "", false, Credential{}},
	}
	for _, tc := range tests {
		got, ok := ClassifyForm(tc.ct, []byte(tc.body))
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("ClassifyForm(%q, %q) = %+v, %v; want %+v, %v", tc.ct, tc.body, got, ok, tc.want, tc.ok)
		}
	}
	c, _ := ClassifyForm(ct, []byte("log=admin&pwd=hunter2"))
	if B64(c.Secret) != "aHVudGVyMg==" {
		t.Error("E19 b64")
	}
}

func TestDeriveCredential(t *testing.T) {
	e5 := `<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - auth_attempt [relay@55555 src_ip="5.6.7.8" username="ro\"ot" secret_b64="aHVudGVyMg==" secret_kind="plaintext" outcome="failure"] login failed`
	d, ok := DeriveCredential(mustParse(t, e5))
	if !ok {
		t.Fatal("E5: no credential")
	}
	if d.AttackerIP != "5.6.7.8" || d.DeckyName != "decky-01" || d.Service != "ssh" || d.Principal != `ro"ot` ||
		d.PrincipalKey != `ro"ot` || d.SecretKind != "plaintext" || d.Outcome != "failure" ||
		d.SecretSHA256 != "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7" ||
		d.SecretPrintable != "hunter2" || d.SecretB64 != "aHVudGVyMg==" || !d.Time.Equal(mustParse(t, e5).Timestamp) {
		t.Fatalf("E5: %+v", d)
	}

	e6 := `<134>1 2024-01-15T12:00:00+00:00 decky-01 ssh - auth_attempt [relay@55555 src_ip="5.6.7.8" username="a\"b\]c" secret_b64="aHVudGVyMg=="]`
	d, ok = DeriveCredential(mustParse(t, e6))
	if !ok || d.Principal != `a"b]c` || d.SecretKind != "plaintext" || d.Outcome != "" {
		t.Fatalf("E6: %v %+v", ok, d)
	}

	e7 := `<134>1 2026-04-04T10:00:00.123456Z decky-01 ftp - auth_attempt [relay@55555 src_ip="203.0.113.7" src_port="51514" username="root" principal="root" secret_kind="plaintext" secret_printable="p@ss\"w\]rd" secret_b64="cEBzcyJ3XXJk"]`
	r7 := mustParse(t, e7)
	if len(r7.Fields) != 7 || r7.Fields["secret_printable"] != `p@ss"w]rd` || FormatTime(r7.Timestamp) != "2026-04-04T10:00:00.123456Z" {
		t.Fatalf("E7 record %+v", r7)
	}
	d, ok = DeriveCredential(r7)
	if !ok || d.SecretSHA256 != "0e06bbae60fe103896d31b86839595b7c8e5462df39c3515efd7ae0ed454af12" || d.SecretPrintable != `p@ss"w]rd` {
		t.Fatalf("E7: %+v", d)
	}

	for _, bad := range []string{"not!base64!!", "aHVudGVyMg", "aHVudGVyMg===", "aHVu ZGVy", "=aHVudGVyMg="} {
		r := mustParse(t, hdr+` [relay@55555 src_ip="1.2.3.4" secret_b64="`+bad+`"]`)
		if _, ok := DeriveCredential(r); ok {
			t.Errorf("E8 %q: credential derived", bad)
		}
	}
	if _, ok := DeriveCredential(Record{Fields: map[string]string{"secret_b64": "aHVu\nZGVyMg=="}}); ok {
		t.Error("newline inside secret_b64 accepted")
	}
	if _, ok := DeriveCredential(mustParse(t, hdr+` [relay@55555 src_ip="1.2.3.4"]`)); ok {
		t.Error("credential without secret_b64")
	}

	// Truncations (characters), principal fallback, unknown outcome dropped.
	long := strings.Repeat("é", 300)
	r := mustParse(t, hdr+` [relay@55555 principal="" username="`+long+`" secret_kind="`+strings.Repeat("k", 40)+`" secret_b64="" outcome="maybe"]`)
	d, ok = DeriveCredential(r)
	if !ok || d.Principal != strings.Repeat("é", 256) || len(d.SecretKind) != 32 || d.Outcome != "" ||
		d.SecretSHA256 != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" || d.AttackerIP != "" {
		t.Fatalf("truncation: %+v", d)
	}
}
