package smb

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services/ntlmssp"
)

// SMB1 commands handled by the emulator.
const (
	smb1TreeDisconnect = 0x71
	smb1Negotiate      = 0x72
	smb1SessionSetup   = 0x73
	smb1LogoffAndX     = 0x74
	smb1Echo           = 0x2b
)

// SMB1 FLAGS2 bits.
const (
	flags2LongNames   = 0x0001
	flags2EAs         = 0x0002
	flags2IsLongName  = 0x0040
	flags2ExtSecurity = 0x0800
	flags2NTStatus    = 0x4000
	flags2Unicode     = 0x8000
)

// smb1Msg is a parsed SMB1 message (MS-CIFS 2.2.3).
type smb1Msg struct {
	Command byte
	Flags   byte
	Flags2  uint16
	PIDHigh uint16
	TID     uint16
	PIDLow  uint16
	UID     uint16
	MID     uint16
	Words   []byte
	Data    []byte
	dataOff int // offset of Data from the start of the header
}

var errSMB1Short = errors.New("smb1: message truncated")

// parseSMB1 parses an SMB1 message: the 32-byte header, parameter words and data bytes.
func parseSMB1(b []byte) (smb1Msg, error) {
	var m smb1Msg
	if len(b) < 35 || string(b[:4]) != "\xffSMB" {
		return m, errSMB1Short
	}
	le := binary.LittleEndian
	m.Command, m.Flags, m.Flags2 = b[4], b[9], le.Uint16(b[10:])
	m.PIDHigh, m.TID, m.PIDLow, m.UID, m.MID = le.Uint16(b[12:]), le.Uint16(b[24:]), le.Uint16(b[26:]), le.Uint16(b[28:]), le.Uint16(b[30:])
	wc := int(b[32])
	if 33+2*wc+2 > len(b) {
		return m, errSMB1Short
	}
	m.Words = b[33 : 33+2*wc]
	bc := int(le.Uint16(b[33+2*wc:]))
	m.dataOff = 33 + 2*wc + 2
	if m.dataOff+bc > len(b) {
		bc = len(b) - m.dataOff // Windows tolerates a byte count larger than the message; so do we.
	}
	m.Data = b[m.dataOff : m.dataOff+bc]
	return m, nil
}

// parseDialects returns the dialect strings of an SMB1 NEGOTIATE request's data (0x02 "name\0" …).
func parseDialects(data []byte) []string {
	var out []string
	for len(data) > 0 && len(out) < 64 {
		if data[0] != 0x02 {
			break
		}
		data = data[1:]
		i := bytes.IndexByte(data, 0)
		if i < 0 {
			out = append(out, string(data))
			break
		}
		out = append(out, string(data[:i]))
		data = data[i+1:]
	}
	return out
}

func fieldDialects(s string) event.Field { return event.F("dialects", s) }

func (cn *conn) smb1(msg []byte) ([]byte, error) {
	m, err := parseSMB1(msg)
	if err != nil {
		return nil, err
	}
	switch m.Command {
	case smb1Negotiate:
		return cn.smb1Negotiate(m)
	case smb1SessionSetup:
		return cn.smb1SessionSetup(m)
	case smb1LogoffAndX:
		cn.anonymous, cn.uid = false, 0
		return cn.smb1Resp(m, StatusSuccess, []byte{0xff, 0, 0, 0}, nil), nil
	case smb1TreeDisconnect:
		return cn.smb1Resp(m, StatusSuccess, nil, nil), nil
	case smb1Echo:
		return cn.smb1Resp(m, StatusSuccess, []byte{1, 0}, m.Data), nil
	}
	return cn.smb1Resp(m, StatusAccessDenied, nil, nil), nil
}

func (cn *conn) smb1Negotiate(m smb1Msg) ([]byte, error) {
	dialects := parseDialects(m.Data)
	cn.s.env.Info("negotiate", "", append(cn.src[:len(cn.src):len(cn.src)], fieldDialects(strings.Join(dialects, ",")))...)
	// Windows answers an SMB1 negotiate offering SMB2 with an SMB2 NEGOTIATE response.
	var d uint16
	switch {
	case slices.Contains(dialects, "SMB 2.???") && cn.s.id.OS.MaxDialect > 0x0202:
		d = smb2Wildcard
	case slices.Contains(dialects, "SMB 2.002"), slices.Contains(dialects, "SMB 2.???"):
		d = 0x0202
	}
	if d != 0 {
		h := smb2Header{Command: smb2Negotiate, Credits: 1}
		if d == 0x0202 {
			cn.dialect = d
		}
		return cn.smb2Resp(h, StatusSuccess, cn.negotiateBody(d, smb2NegotiateReq{})), nil
	}
	idx := slices.Index(dialects, "NT LM 0.12")
	if !cn.s.smb1 && !slices.Contains(dialects, "PC NETWORK PROGRAM 1.0") {
		return nil, errClose // SMB1 disabled: Windows drops the connection
	}
	// With SMB1 disabled, the classic legacy-dialect probe (nmap -sV, old scanners) still gets a Windows
	// NT LM 0.12 answer so the port fingerprints as microsoft-ds; a later SMB1 session setup is dropped.
	cn.smb1Probe = !cn.s.smb1
	if idx < 0 {
		w := []byte{0xff, 0xff}
		return cn.smb1Resp(m, StatusSuccess, w, nil), nil
	}
	w := make([]byte, 34)
	le16(w[0:], uint16(idx))
	w[2] = 0x03 | 0x04 // user-level, encrypted passwords, signing enabled
	if cn.s.signingReq {
		w[2] |= 0x08
	}
	// Values as Windows sends them (nmap's microsoft-ds signatures key on them).
	mpx, maxBuf, caps := uint16(10), uint32(4356), uint32(0x8001e3fc)
	if cn.s.id.OS.Server {
		mpx, maxBuf, caps = 50, 16644, 0x8001f3fc
	}
	le16(w[3:], mpx)
	le16(w[5:], 1) // MaxNumberVcs
	le32(w[7:], maxBuf)
	le32(w[11:], 65536) // MaxRawSize
	now := time.Now()
	le64(w[23:], filetime(now))
	var data []byte
	if m.Flags2&flags2ExtSecurity != 0 {
		data = append(append(data, cn.s.guid[:]...), ntlmssp.NegTokenInit()...)
	} else {
		caps &^= 0x80000000
		cn.smb1Basic = true
		_, _ = rand.Read(cn.challenge[:])
		cn.sentChal = true
		w[33] = 8
		data = append(data, cn.challenge[:]...)
		data = append(append(data, ntlmssp.EncodeUTF16(cn.s.id.Workgroup)...), 0, 0)
		data = append(append(data, ntlmssp.EncodeUTF16(cn.s.id.NetBIOSName)...), 0, 0)
	}
	le32(w[19:], caps)
	return cn.smb1Resp(m, StatusSuccess, w, data), nil
}

// smb1Strings encodes null-terminated strings for a response whose data starts at dataOff, in Unicode
// (aligned) or ASCII per the client's FLAGS2.
func smb1Strings(unicode bool, dataOff int, data []byte, ss ...string) []byte {
	if unicode && (dataOff+len(data))%2 != 0 {
		data = append(data, 0)
	}
	for _, s := range ss {
		if unicode {
			data = append(append(data, ntlmssp.EncodeUTF16(s)...), 0, 0)
		} else {
			data = append(append(data, s...), 0)
		}
	}
	return data
}

func (cn *conn) smb1SessionSetup(m smb1Msg) ([]byte, error) {
	if cn.smb1Probe {
		return nil, errClose
	}
	unicode := m.Flags2&flags2Unicode != 0
	o := cn.s.id.OS
	if cn.uid == 0 {
		var r [2]byte
		_, _ = rand.Read(r[:])
		cn.uid = binary.LittleEndian.Uint16(r[:]) | 0x0800
	}
	m.UID = cn.uid
	switch len(m.Words) {
	case 24: // extended security
		n := int(binary.LittleEndian.Uint16(m.Words[14:]))
		if n > len(m.Data) {
			return nil, fmt.Errorf("smb1 session setup: security blob length %d exceeds data", n)
		}
		blob := m.Data[:n]
		token, status := cn.ntlm(blob)
		if status != StatusMoreProcessingRequired && status != StatusSuccess {
			return cn.smb1Resp(m, status, nil, nil), nil
		}
		if status == StatusSuccess {
			token = nil
			if ntlmssp.IsSPNEGO(blob) {
				token = ntlmssp.NegTokenResp(ntlmssp.NegAcceptCompleted, nil)
			}
		} else if ntlmssp.IsSPNEGO(blob) {
			token = ntlmssp.NegTokenResp(ntlmssp.NegAcceptIncomplete, token)
		}
		w := make([]byte, 8)
		w[0] = 0xff
		le16(w[6:], uint16(len(token)))
		data := smb1Strings(unicode, 32+1+8+2, token, o.NativeOS(), o.NativeLanMan)
		return cn.smb1Resp(m, status, w, data), nil
	case 26: // NTLM (v1/v2) responses in clear fields, after a basic negotiate
		lmLen, ntLen := int(binary.LittleEndian.Uint16(m.Words[14:])), int(binary.LittleEndian.Uint16(m.Words[16:]))
		if lmLen+ntLen > len(m.Data) {
			return nil, fmt.Errorf("smb1 session setup: password lengths %d+%d exceed data", lmLen, ntLen)
		}
		a := &ntlmssp.Authenticate{LM: bytes.Clone(m.Data[:lmLen]), NT: bytes.Clone(m.Data[lmLen : lmLen+ntLen])}
		rest := m.Data[lmLen+ntLen:]
		strs := readStrings(rest, unicode, (m.dataOff+lmLen+ntLen)%2 != 0, 2)
		a.User, a.Domain = strs[0], strs[1]
		if a.Anonymous() { // null session (nmap sends no user and an empty-password NT hash)
			cn.anonymous = true
			w := []byte{0xff, 0, 0, 0, 0, 0}
			data := smb1Strings(unicode, 32+1+6+2, nil, o.NativeOS(), o.NativeLanMan, cn.s.id.Workgroup)
			return cn.smb1Resp(m, StatusSuccess, w, data), nil
		}
		if !cn.sentChal {
			return cn.smb1Resp(m, StatusLogonFailure, nil, nil), nil
		}
		cn.capture(a, cn.challenge)
		return cn.smb1Resp(m, StatusLogonFailure, nil, nil), nil
	}
	return cn.smb1Resp(m, StatusInvalidParameter, nil, nil), nil
}

// readStrings reads up to n null-terminated strings (Unicode when unicode, after an optional pad byte).
func readStrings(b []byte, unicode, pad bool, n int) []string {
	out := make([]string, n)
	if unicode && pad && len(b) > 0 {
		b = b[1:]
	}
	for i := range n {
		if unicode {
			j := 0
			for j+1 < len(b) && (b[j] != 0 || b[j+1] != 0) {
				j += 2
			}
			if j+1 >= len(b) {
				out[i] = ntlmssp.DecodeUTF16(b)
				return out
			}
			out[i] = ntlmssp.DecodeUTF16(b[:j])
			b = b[j+2:]
		} else {
			j := bytes.IndexByte(b, 0)
			if j < 0 {
				out[i] = string(b)
				return out
			}
			out[i] = string(b[:j])
			b = b[j+1:]
		}
	}
	return out
}

// smb1Resp builds an SMB1 response echoing the request's ids.
func (cn *conn) smb1Resp(m smb1Msg, status uint32, words, data []byte) []byte {
	b := make([]byte, 32, 35+len(words)+len(data))
	copy(b, "\xffSMB")
	b[4] = m.Command
	le32(b[5:], status)
	b[9] = 0x88
	f2 := uint16(flags2LongNames|flags2NTStatus) | m.Flags2&(flags2Unicode|flags2ExtSecurity)
	le16(b[10:], f2)
	le16(b[12:], m.PIDHigh)
	le16(b[24:], m.TID)
	le16(b[26:], m.PIDLow)
	le16(b[28:], m.UID)
	le16(b[30:], m.MID)
	b = append(b, byte(len(words)/2))
	b = append(b, words...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(data)))
	return append(b, data...)
}
