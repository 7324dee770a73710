package smb_test

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	//lint:ignore SA1019 MD4 is what MS-NLMP NTOWFv2 uses; tests recompute real NTLM responses
	"golang.org/x/crypto/md4"

	"github.com/decnet/decnet/services/ntlmssp"
)

// testClient is a minimal SMB2 client speaking over direct TCP, for concurrency tests and benchmarks.
type testClient struct {
	c   net.Conn
	mid uint64
	sid uint64
}

func dial(addr string) (*testClient, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return &testClient{c: c}, nil
}

func (tc *testClient) roundTrip(cmd uint16, body []byte) (status uint32, resp []byte, err error) {
	h := make([]byte, 64)
	copy(h, "\xfeSMB")
	binary.LittleEndian.PutUint16(h[4:], 64)
	binary.LittleEndian.PutUint16(h[12:], cmd)
	binary.LittleEndian.PutUint16(h[14:], 1)
	binary.LittleEndian.PutUint64(h[24:], tc.mid)
	binary.LittleEndian.PutUint64(h[40:], tc.sid)
	tc.mid++
	msg := append(h, body...)
	frame := append([]byte{0, byte(len(msg) >> 16), byte(len(msg) >> 8), byte(len(msg))}, msg...)
	if _, err := tc.c.Write(frame); err != nil {
		return 0, nil, err
	}
	var nb [4]byte
	if _, err := io.ReadFull(tc.c, nb[:]); err != nil {
		return 0, nil, err
	}
	n := int(nb[1])<<16 | int(nb[2])<<8 | int(nb[3])
	resp = make([]byte, n)
	if _, err := io.ReadFull(tc.c, resp); err != nil {
		return 0, nil, err
	}
	if n < 64 || string(resp[:4]) != "\xfeSMB" {
		return 0, nil, fmt.Errorf("bad response %x", resp)
	}
	tc.sid = binary.LittleEndian.Uint64(resp[40:])
	return binary.LittleEndian.Uint32(resp[8:]), resp, nil
}

func (tc *testClient) negotiate(dialects ...uint16) (uint16, error) {
	body := make([]byte, 36)
	binary.LittleEndian.PutUint16(body[0:], 36)
	binary.LittleEndian.PutUint16(body[2:], uint16(len(dialects)))
	binary.LittleEndian.PutUint16(body[4:], 1)
	for _, d := range dialects {
		body = binary.LittleEndian.AppendUint16(body, d)
	}
	st, resp, err := tc.roundTrip(0, body)
	if err != nil {
		return 0, err
	}
	if st != 0 || len(resp) < 70 {
		return 0, fmt.Errorf("negotiate status 0x%08x", st)
	}
	return binary.LittleEndian.Uint16(resp[68:]), nil
}

func (tc *testClient) sessionSetup(token []byte) (uint32, []byte, error) {
	body := make([]byte, 24)
	binary.LittleEndian.PutUint16(body[0:], 25)
	binary.LittleEndian.PutUint16(body[12:], 64+24)
	binary.LittleEndian.PutUint16(body[14:], uint16(len(token)))
	st, resp, err := tc.roundTrip(1, append(body, token...))
	if err != nil {
		return 0, nil, err
	}
	if st == 0xC0000016 {
		off, n := int(binary.LittleEndian.Uint16(resp[68:])), int(binary.LittleEndian.Uint16(resp[70:]))
		if off+n > len(resp) {
			return 0, nil, fmt.Errorf("bad security buffer")
		}
		return st, resp[off : off+n], nil
	}
	return st, nil, nil
}

// type1 is a raw NTLMSSP NEGOTIATE with Unicode, NTLM and extended session security.
func type1() []byte {
	b := make([]byte, 32)
	copy(b, ntlmssp.Signature)
	b[8] = 1
	binary.LittleEndian.PutUint32(b[12:], ntlmssp.FlagUnicode|ntlmssp.FlagNTLM|ntlmssp.FlagExtendedSessionSecurity|ntlmssp.FlagRequestTarget)
	return b
}

// type3 builds an NTLMv2 AUTHENTICATE for user/domain/password against a CHALLENGE message.
func type3(chal []byte, user, domain, password string) ([]byte, error) {
	c, _, err := ntlmssp.ParseChallenge(chal)
	if err != nil {
		return nil, err
	}
	h := md4.New()
	h.Write(utf16le(password))
	m := hmac.New(md5.New, h.Sum(nil))
	m.Write(utf16le(strings.ToUpper(user) + domain))
	ntowf := m.Sum(nil)
	blob := []byte{1, 1, 0, 0, 0, 0, 0, 0}
	blob = binary.LittleEndian.AppendUint64(blob, ntlmssp.Filetime(time.Now()))
	blob = append(blob, "CLNTCHAL"...)
	blob = append(blob, 0, 0, 0, 0)
	blob = append(blob, c.Target.Marshal()...)
	blob = append(blob, 0, 0, 0, 0)
	m = hmac.New(md5.New, ntowf)
	m.Write(c.ServerChallenge[:])
	m.Write(blob)
	nt := append(m.Sum(nil), blob...)
	lm := make([]byte, 24)
	d, u, w := utf16le(domain), utf16le(user), utf16le("WS01")
	payload := [][]byte{lm, nt, d, u, w, nil}
	out := make([]byte, 64)
	copy(out, ntlmssp.Signature)
	out[8] = 3
	off := 64
	for i, p := range payload {
		binary.LittleEndian.PutUint16(out[12+8*i:], uint16(len(p)))
		binary.LittleEndian.PutUint16(out[14+8*i:], uint16(len(p)))
		binary.LittleEndian.PutUint32(out[16+8*i:], uint32(off))
		off += len(p)
	}
	binary.LittleEndian.PutUint32(out[60:], ntlmssp.FlagUnicode|ntlmssp.FlagNTLM|ntlmssp.FlagExtendedSessionSecurity)
	for _, p := range payload {
		out = append(out, p...)
	}
	return out, nil
}

// login runs negotiate + a full NTLMv2 session setup and expects STATUS_LOGON_FAILURE.
func login(addr, user, domain, password string) error {
	tc, err := dial(addr)
	if err != nil {
		return err
	}
	defer tc.c.Close()
	if _, err := tc.negotiate(0x0202, 0x0210, 0x0300, 0x0302, 0x0311); err != nil {
		return err
	}
	st, chal, err := tc.sessionSetup(type1())
	if err != nil {
		return err
	}
	if st != 0xC0000016 {
		return fmt.Errorf("type1: status 0x%08x", st)
	}
	t3, err := type3(chal, user, domain, password)
	if err != nil {
		return err
	}
	st, _, err = tc.sessionSetup(t3)
	if err != nil {
		return err
	}
	if st != 0xC000006D {
		return fmt.Errorf("type3: status 0x%08x, want LOGON_FAILURE", st)
	}
	return nil
}
