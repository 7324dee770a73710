package ntlmssp

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

// buildAuth assembles an AUTHENTICATE message from its payload fields.
func buildAuth(flags uint32, lm, nt []byte, domain, user, ws string) []byte {
	enc := func(s string) []byte {
		if flags&FlagUnicode != 0 {
			return EncodeUTF16(s)
		}
		return []byte(s)
	}
	payload := [][]byte{lm, nt, enc(domain), enc(user), enc(ws), nil}
	out := make([]byte, 64)
	copy(out, Signature)
	out[8] = TypeAuthenticate
	off := 64
	for i, p := range payload {
		binary.LittleEndian.PutUint16(out[12+8*i:], uint16(len(p)))
		binary.LittleEndian.PutUint16(out[14+8*i:], uint16(len(p)))
		binary.LittleEndian.PutUint32(out[16+8*i:], uint32(off))
		off += len(p)
	}
	binary.LittleEndian.PutUint32(out[60:], flags)
	for _, p := range payload {
		out = append(out, p...)
	}
	return out
}

func TestAuthenticateHashcat(t *testing.T) {
	chal := [8]byte{1, 2, 3, 4, 5, 6, 7, 8}
	ntv2 := append(bytes.Repeat([]byte{0xaa}, 16), bytes.Repeat([]byte{0xbb}, 20)...)
	cases := []struct {
		name      string
		msg       []byte
		kind      string
		line      string
		principal string
		anonymous bool
	}{
		{"v2 unicode", buildAuth(FlagUnicode, make([]byte, 24), ntv2, "CORP", "Alice", "WS1"), "ntlmssp_v2",
			"Alice::CORP:0102030405060708:" + hexs(0xaa, 16) + ":" + hexs(0xbb, 20), `CORP\Alice`, false},
		{"v1 oem", buildAuth(FlagOEM, bytes.Repeat([]byte{0x11}, 24), bytes.Repeat([]byte{0x22}, 24), "dom", "bob", ""),
			"ntlmssp_v1", "bob::dom:" + hexs(0x11, 24) + ":" + hexs(0x22, 24) + ":0102030405060708", `dom\bob`, false},
		{"no domain", buildAuth(FlagUnicode, nil, ntv2, "", "eve", ""), "ntlmssp_v2",
			"eve:::0102030405060708:" + hexs(0xaa, 16) + ":" + hexs(0xbb, 20), "eve", false},
		{"anonymous", buildAuth(FlagUnicode, []byte{0}, nil, "", "", ""), "ntlmssp_v1", ":::00::0102030405060708", "", true},
		{"user without response", buildAuth(FlagUnicode, nil, nil, "W", "root", ""), "ntlmssp_v1", "root::W:::0102030405060708", `W\root`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := ParseAuthenticate(c.msg)
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind() != c.kind || a.Hashcat(chal) != c.line || a.Principal() != c.principal || a.Anonymous() != c.anonymous {
				t.Fatalf("kind %s line %s principal %s anon %v", a.Kind(), a.Hashcat(chal), a.Principal(), a.Anonymous())
			}
			fs := a.CredFields(chal)
			if fs[len(fs)-2].Value != c.line {
				t.Errorf("printable %v", fs)
			}
		})
	}
}

func hexs(b byte, n int) string {
	return string(hexAppend(nil, bytes.Repeat([]byte{b}, n)))
}

func TestParseErrors(t *testing.T) {
	good := buildAuth(FlagUnicode, nil, make([]byte, 30), "D", "u", "")
	bad := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[24:], 0xfffffff0) // NT offset out of bounds
	for _, m := range [][]byte{nil, []byte("NTLMSSP"), good[:40], bad, append([]byte("NTLMSSP\x00\x02\x00\x00\x00"), make([]byte, 60)...)} {
		if _, err := ParseAuthenticate(m); err == nil {
			t.Errorf("no error for %x", m)
		}
	}
}

func TestChallengeRoundTrip(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := Challenge{ServerChallenge: [8]byte{9, 8, 7, 6, 5, 4, 3, 2}, ClientFlags: FlagUnicode | FlagNTLM | FlagSign,
		Target: TargetInfo{NetBIOSComputer: "SRV01", NetBIOSDomain: "CORP", DNSComputer: "SRV01.corp.local",
			DNSDomain: "corp.local", DNSTree: "corp.local", Timestamp: ts},
		Version: Version{10, 0, 17763}, DomainJoined: true}
	msg := c.Marshal()
	got, flags, err := ParseChallenge(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got.ServerChallenge != c.ServerChallenge || got.Target != c.Target || got.Version != c.Version || !got.DomainJoined {
		t.Fatalf("round trip: %+v", got)
	}
	want := uint32(FlagUnicode | FlagNTLM | FlagSign | FlagRequestTarget | FlagAlwaysSign | FlagTargetInfo | FlagVersion | FlagTargetTypeDomain)
	if flags != want {
		t.Errorf("flags %08x want %08x", flags, want)
	}
	if DecodeUTF16(msg[56:64]) != "CORP" {
		t.Errorf("target name %q", DecodeUTF16(msg[56:64]))
	}
	if got.Version.String() != "10.0.17763" {
		t.Errorf("version %s", got.Version)
	}
}

func TestFindInSPNEGO(t *testing.T) {
	tok := NegTokenResp(NegAcceptIncomplete, Challenge{}.Marshal())
	if !IsSPNEGO(tok) || MessageType(Find(tok)) != TypeChallenge {
		t.Fatalf("NTLMSSP not found in %x", tok)
	}
	if Find([]byte("nothing here")) != nil {
		t.Error("found a message in garbage")
	}
}

func FuzzParseAuthenticate(f *testing.F) {
	f.Add(buildAuth(FlagUnicode, make([]byte, 24), make([]byte, 40), "CORP", "a", "w"))
	f.Add(buildAuth(FlagOEM, nil, nil, "", "", ""))
	f.Add([]byte("NTLMSSP\x00\x03\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAuthenticate(b)
		if err != nil {
			return
		}
		_ = a.Hashcat([8]byte{})
		_ = a.CredFields([8]byte{})
		_ = a.Anonymous()
	})
}

func FuzzParseNegotiateChallenge(f *testing.F) {
	f.Add([]byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2" + string(make([]byte, 16))))
	f.Add(Challenge{Target: TargetInfo{NetBIOSComputer: "X"}}.Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseNegotiate(b)
		_, _, _ = ParseChallenge(b)
		_, _ = ParseTargetInfo(b)
		_ = Find(b)
	})
}
