package tlsfp

import (
	"crypto/tls"
	"encoding/binary"
	"net"
	"slices"
	"testing"
	"time"
)

// e26 is the ClientHello of spec/events.md E26.
func e26() ClientHello {
	return ClientHello{
		Version:           771,
		Ciphers:           []uint16{4865, 4866, 49195},
		Extensions:        []uint16{0, 10, 11, 13, 16, 43},
		Groups:            []uint16{29, 23},
		PointFormats:      []uint8{0},
		SignatureAlgs:     []uint16{0x0403, 0x0804},
		SupportedVersions: []uint16{772, 771},
		SNI:               "example.com",
		ALPN:              []string{"h2", "http/1.1"},
	}
}

func e26Grease() ClientHello {
	h := e26()
	h.Ciphers = []uint16{0x1a1a, 4865, 4866, 49195}
	h.Extensions = []uint16{0x2a2a, 10, 11, 13, 16, 43}
	h.Groups = []uint16{0x3a3a, 29, 23}
	h.SupportedVersions = []uint16{0x4a4a, 772, 771}
	h.SNI = ""
	h.ALPN = []string{"http/1.1"}
	return h
}

// foxioChrome is the Chrome hello of the FoxIO JA4 specification (raw fingerprint given there).
func foxioChrome() ClientHello {
	return ClientHello{
		Version:           771,
		Ciphers:           []uint16{0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035},
		Extensions:        []uint16{0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010, 0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x0015, 0x4469},
		SignatureAlgs:     []uint16{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
		SupportedVersions: []uint16{0x0304, 0x0303},
		SNI:               "example.org",
		ALPN:              []string{"h2", "http/1.1"},
	}
}

func TestClientFingerprints(t *testing.T) {
	tests := []struct {
		name           string
		h              ClientHello
		ja3s, ja3, ja4 string
		ja4raw         string
	}{
		{"E26", e26(), "771,4865-4866-49195,0-10-11-13-16-43,29-23,0", "11138d9933242c3a03b6aad35a296476",
			"t13d0306h2_5559582ccdc4_fb71836bce29", "t13d0306h2_1301,1302,c02b_000a,000b,000d,002b_0403,0804"},
		{"E26 GREASE", e26Grease(), "771,4865-4866-49195,10-11-13-16-43,29-23,0", "5c4780cd919164e7ce559ee4bd034d74",
			"t13i0305h1_5559582ccdc4_fb71836bce29", ""},
		{"FoxIO chrome", foxioChrome(), "", "", "t13d1516h2_8daaf6152771_e5627efa2ab1",
			"t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,0804,0401,0503,0805,0501,0806,0601"},
		{"no extensions", ClientHello{Version: 0x0301, Ciphers: []uint16{0x002f}}, "769,47,,,", "", "t10i010000_" + hash12("002f") + "_000000000000", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.ja3s != "" {
				if got := JA3String(tc.h); got != tc.ja3s {
					t.Errorf("JA3 string = %q, want %q", got, tc.ja3s)
				}
			}
			if tc.ja3 != "" {
				if got := JA3(tc.h); got != tc.ja3 {
					t.Errorf("JA3 = %q, want %q", got, tc.ja3)
				}
			}
			if got := JA4(tc.h); got != tc.ja4 {
				t.Errorf("JA4 = %q, want %q", got, tc.ja4)
			}
			if tc.ja4raw != "" {
				if got := JA4Raw(tc.h); got != tc.ja4raw {
					t.Errorf("JA4 raw = %q, want %q", got, tc.ja4raw)
				}
			}
		})
	}
	q := e26()
	q.QUIC = true
	if got := JA4(q); got != "q13d0306h2_5559582ccdc4_fb71836bce29" {
		t.Errorf("JA4 QUIC = %q", got)
	}
}

func TestALPNCode(t *testing.T) {
	for in, want := range map[string]string{"": "00", "h2": "h2", "http/1.1": "h1", "x": "xx", "\xabx\xcd": "ad", "h3-29": "h9", "spdy/3.1": "s1", "/x": "28"} {
		if got := alpnCode(in); got != want {
			t.Errorf("alpnCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestServerFingerprints(t *testing.T) {
	tests := []struct {
		name      string
		s         ServerHello
		str, ja3s string
		ja4s      string
	}{
		{"E27 TLS1.3", ServerHello{Version: 771, Cipher: 0x1301, Extensions: []uint16{43, 51}, SelectedVersion: 772},
			"771,4865,43-51", "f4febc55ea12b31ae17cfb7e614afda8", "t130200_1301_a56c5b993250"},
		{"E27 TLS1.2", ServerHello{Version: 771, Cipher: 0xc02f, Extensions: []uint16{65281, 0, 11, 16, 23}, ALPN: "h2"},
			"771,49199,65281-0-11-16-23", "5d79edf64e03689ff559a54e9d9487bc", "t1205h2_c02f_8763c20bf469"},
		{"FoxIO", ServerHello{Version: 0x0303, Cipher: 0xc030, Extensions: []uint16{0x0005, 0x0017, 0xff01, 0x0000}},
			"", "", "t120400_c030_4e8089b08790"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.str != "" && JA3SString(tc.s) != tc.str {
				t.Errorf("JA3S string = %q, want %q", JA3SString(tc.s), tc.str)
			}
			if tc.ja3s != "" && JA3S(tc.s) != tc.ja3s {
				t.Errorf("JA3S = %q, want %q", JA3S(tc.s), tc.ja3s)
			}
			if got := JA4S(tc.s); got != tc.ja4s {
				t.Errorf("JA4S = %q, want %q", got, tc.ja4s)
			}
		})
	}
}

func TestJA4H(t *testing.T) {
	hs := func(kv ...string) []Header {
		var out []Header
		for i := 0; i < len(kv); i += 2 {
			out = append(out, Header{kv[i], kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		r    HTTPRequest
		want string
	}{
		{"E28 cookies", HTTPRequest{"GET", "HTTP/1.1", hs("Host", "x", "User-Agent", "ua", "Accept", "*/*",
			"Cookie", "b=2; a=1", "Referer", "http://x/", "Accept-Language", "en-US")},
			"ge11cr04enus_8ddaef5d77af_1eb7c54d5283_06beefe2b477"},
		{"E28 h2", HTTPRequest{"POST", "HTTP/2.0", hs(":method", "POST", ":path", "/", "host", "x")},
			"po20nn010000_4740ae6347b0_000000000000_000000000000"},
		{"E28 fr", HTTPRequest{"GET", "HTTP/1.1", hs("Host", "x", "User-Agent", "ua", "Accept-Language", "fr-FR,fr;q=0.9", "Accept", "*/*")},
			"ge11nn04frfr_9558cec38d9e_000000000000_000000000000"},
		{"no headers", HTTPRequest{"X", "HTTP/9", nil}, "x000nn000000_000000000000_000000000000_000000000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := JA4H(tc.r); got != tc.want {
				t.Errorf("JA4H = %q, want %q", got, tc.want)
			}
		})
	}
}

// encodeHello builds a ClientHello record from h (test helper; the inverse of ParseClientHelloRecord).
func encodeHello(h ClientHello) []byte {
	u16 := func(b []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(b, v) }
	vec16 := func(b, body []byte) []byte { return append(u16(b, uint16(len(body))), body...) }
	list16 := func(vs []uint16) []byte {
		var b []byte
		for _, v := range vs {
			b = u16(b, v)
		}
		return b
	}
	var exts []byte
	for _, e := range h.Extensions {
		var d []byte
		switch e {
		case ExtServerName:
			d = vec16(nil, append([]byte{0}, vec16(nil, []byte(h.SNI))...))
		case ExtSupportedGroups:
			d = vec16(nil, list16(h.Groups))
		case ExtECPointFormats:
			d = append([]byte{byte(len(h.PointFormats))}, h.PointFormats...)
		case ExtSignatureAlgs:
			d = vec16(nil, list16(h.SignatureAlgs))
		case ExtALPN:
			var l []byte
			for _, p := range h.ALPN {
				l = append(append(l, byte(len(p))), p...)
			}
			d = vec16(nil, l)
		case ExtSupportedVersions:
			sv := list16(h.SupportedVersions)
			d = append([]byte{byte(len(sv))}, sv...)
		}
		exts = vec16(u16(exts, e), d)
	}
	body := u16(nil, h.Version)
	body = append(body, make([]byte, 32)...)
	body = append(body, 0)
	body = vec16(body, list16(h.Ciphers))
	body = append(body, 1, 0)
	body = vec16(body, exts)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{0x16, 3, 1, byte(len(hs) >> 8), byte(len(hs))}, hs...)
}

func TestParseClientHelloRecord(t *testing.T) {
	for _, h := range []ClientHello{e26(), foxioChrome()} {
		rec := encodeHello(h)
		got, err := ParseClientHelloRecord(rec)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if JA3(got) != JA3(h) || JA4(got) != JA4(h) || got.SNI != h.SNI || !slices.Equal(got.ALPN, h.ALPN) {
			t.Errorf("round trip mismatch: %+v vs %+v", got, h)
		}
		for i := range rec {
			if _, err := ParseClientHelloRecord(rec[:i]); err == nil && i < len(rec)-1 {
				// A truncated hello may still parse when the cut falls after the last extension; never panics.
				continue
			}
		}
	}
	if _, err := ParseClientHelloRecord([]byte("GET / HTTP/1.1\r\n\r\n")); err == nil {
		t.Error("plain HTTP parsed as a ClientHello")
	}
}

// TestParseRealClientHello checks the parser against what crypto/tls itself reports for a real Go client hello.
func TestParseRealClientHello(t *testing.T) {
	cli, srv := net.Pipe()
	defer cli.Close()
	defer srv.Close()
	go func() {
		c := tls.Client(cli, &tls.Config{ServerName: "decoy.example", NextProtos: []string{"h2", "http/1.1"}, InsecureSkipVerify: true})
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_ = c.Handshake()
	}()
	buf := make([]byte, 0, 4096)
	_ = srv.SetReadDeadline(time.Now().Add(2 * time.Second))
	var h ClientHello
	var err error
	for {
		tmp := make([]byte, 4096)
		n, rerr := srv.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if h, err = ParseClientHelloRecord(buf); err == nil || rerr != nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("parse real hello: %v", err)
	}
	if h.SNI != "decoy.example" || !slices.Equal(h.ALPN, []string{"h2", "http/1.1"}) || h.MaxVersion() != tls.VersionTLS13 {
		t.Errorf("unexpected hello %+v", h)
	}
	if ja4 := JA4(h); ja4[:10] != "t13d"+ja4[4:8]+"h2" {
		t.Errorf("JA4 %q", ja4)
	}
}

func FuzzParseClientHello(f *testing.F) {
	f.Add(encodeHello(e26()))
	f.Add(encodeHello(foxioChrome()))
	f.Add(encodeHello(e26Grease()))
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Add([]byte{0x16, 3, 1, 0xff, 0xff, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseClientHelloRecord(data)
		if err != nil {
			return
		}
		_ = JA3(h)
		if ja4 := JA4(h); len(ja4) < 36 {
			t.Fatalf("short JA4 %q", ja4)
		}
	})
}

func FuzzJA4H(f *testing.F) {
	f.Add("GET", "HTTP/1.1", "Host", "Cookie", "a=1; b", "Accept-Language", "en-US,en;q=0.5")
	f.Add("", "", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, m, p, h1, h2, v2, h3, v3 string) {
		got := JA4H(HTTPRequest{m, p, []Header{{h1, ""}, {h2, v2}, {h3, v3}}})
		if len(got) < 51 {
			t.Fatalf("short JA4H %q", got)
		}
	})
}
