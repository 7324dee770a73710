package smb

import (
	"io"
	"testing"

	"github.com/decnet/decnet/services"
)

func fuzzConn() *conn {
	s := &Server{}
	env := services.NewEnv("smb", io.Discard)
	env.Hostname = "FUZZ"
	env.Persona = services.Persona{"smb1": true}
	s.init(env)
	return &conn{s: s}
}

// FuzzSMBMessage feeds arbitrary SMB1/SMB2 messages (header, negotiate, session setup) to the dispatcher.
func FuzzSMBMessage(f *testing.F) {
	f.Add([]byte("\xffSMBr\x00\x00\x00\x00\x18\x01\x48" + string(make([]byte, 20)) + "\x00\x0c\x00\x02NT LM 0.12\x00"))
	neg := make([]byte, 64+36+2)
	copy(neg, "\xfeSMB\x40")
	neg[64], neg[66], neg[100], neg[101] = 36, 1, 0x11, 0x03
	f.Add(neg)
	ss := make([]byte, 64+24)
	copy(ss, "\xfeSMB\x40")
	ss[12], ss[64] = 1, 25
	f.Add(append(ss, "NTLMSSP\x00\x01\x00\x00\x00"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		cn := fuzzConn()
		_, _ = cn.smb1(b)
		_, _ = cn.smb2(b)
		_, _ = parseSMB1(b)
		_, _ = parseSMB2Negotiate(b)
		_ = parseDialects(b)
	})
}
