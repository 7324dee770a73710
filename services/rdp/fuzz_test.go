package rdp

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/decnet/decnet/services/ntlmssp"
)

func TestParseConnectionRequest(t *testing.T) {
	cases := []struct {
		in     string
		cookie string
		neg    bool
		proto  uint32
		ok     bool
	}{
		{"\x24\xe0\x00\x00\x00\x00\x00Cookie: mstshash=eve\r\n\x01\x00\x08\x00\x03\x00\x00\x00", "eve", true, 3, true},
		{"\x06\xe0\x00\x00\x00\x00\x00", "", false, 0, true},
		{"\x0e\xe0\x00\x00\x00\x00\x00\x01\x00\x08\x00\x0b\x00\x00\x00", "", true, 0xb, true},
		{"\x06\xd0\x00\x00\x00\x00\x00", "", false, 0, false},
		{"\x40\xe0\x00\x00\x00\x00\x00", "", false, 0, false},
	}
	for _, c := range cases {
		cr, err := ParseConnectionRequest([]byte(c.in))
		if (err == nil) != c.ok || cr.Cookie != c.cookie || cr.HasNegReq != c.neg || cr.RequestedProtocols != c.proto {
			t.Errorf("%q: %+v %v", c.in, cr, err)
		}
	}
}

func TestTSRequestCarriesToken(t *testing.T) {
	tok := ntlmssp.Challenge{}.Marshal()
	req := tsRequest(nil, tok, 0)
	got, err := readDER(bufio.NewReader(bytes.NewReader(req)))
	if err != nil || !bytes.Equal(got, req) || ntlmssp.MessageType(ntlmssp.Find(got)) != ntlmssp.TypeChallenge {
		t.Fatalf("%x %v", got, err)
	}
	if e := tsRequest(nil, nil, 0xC000006D); !bytes.HasSuffix(e, []byte{0xa4, 6, 2, 4, 0xc0, 0, 0, 0x6d}) {
		t.Errorf("error code encoding %x", e)
	}
}

// FuzzX224TSRequest feeds arbitrary bytes to the TPKT/X.224 and CredSSP TSRequest parsers.
func FuzzX224TSRequest(f *testing.F) {
	f.Add([]byte("\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=nmap\r\n\x01\x00\x08\x00\x03\x00\x00\x00"))
	f.Add(tsRequest(nil, []byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2"), 0))
	f.Add([]byte{0x30, 0x83, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if pdu, err := readTPKT(bytes.NewReader(b)); err == nil {
			_, _ = ParseConnectionRequest(pdu)
		}
		_, _ = ParseConnectionRequest(b)
		if m, err := readDER(bufio.NewReader(bytes.NewReader(b))); err == nil {
			msg := ntlmssp.Find(m)
			_, _ = ntlmssp.ParseNegotiate(msg)
			_, _ = ntlmssp.ParseAuthenticate(msg)
		}
	})
}
