// Package ntlmssp implements the server side of the NTLM authentication messages (MS-NLMP): it parses
// NEGOTIATE and AUTHENTICATE messages, builds CHALLENGE messages with target-info AV pairs and a version
// field, and formats a captured AUTHENTICATE response as a hashcat line (modes 5600 and 5500).
package ntlmssp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/decnet/decnet/event"
)

// Signature opens every NTLMSSP message.
const Signature = "NTLMSSP\x00"

// Message types.
const (
	TypeNegotiate    = 1
	TypeChallenge    = 2
	TypeAuthenticate = 3
)

// Negotiate flags (MS-NLMP 2.2.2.5) used by this package.
const (
	FlagUnicode                 = 0x00000001
	FlagOEM                     = 0x00000002
	FlagRequestTarget           = 0x00000004
	FlagSign                    = 0x00000010
	FlagSeal                    = 0x00000020
	FlagLMKey                   = 0x00000080
	FlagNTLM                    = 0x00000200
	FlagAnonymous               = 0x00000800
	FlagAlwaysSign              = 0x00008000
	FlagTargetTypeDomain        = 0x00010000
	FlagTargetTypeServer        = 0x00020000
	FlagExtendedSessionSecurity = 0x00080000
	FlagTargetInfo              = 0x00800000
	FlagVersion                 = 0x02000000
	Flag128                     = 0x20000000
	FlagKeyExchange             = 0x40000000
	Flag56                      = 0x80000000
)

// MaxMessage bounds every message this package parses.
const MaxMessage = 64 << 10

// Errors returned by the parsers.
var (
	ErrNotNTLMSSP = errors.New("ntlmssp: missing signature")
	ErrType       = errors.New("ntlmssp: unexpected message type")
	ErrShort      = errors.New("ntlmssp: message truncated")
	ErrField      = errors.New("ntlmssp: field out of bounds")
)

// Find returns the NTLMSSP message embedded in blob (for example inside a SPNEGO or CredSSP token),
// starting at its signature, or nil when there is none.
func Find(blob []byte) []byte {
	i := bytes.Index(blob, []byte(Signature))
	if i < 0 {
		return nil
	}
	b := blob[i:]
	if len(b) > MaxMessage {
		b = b[:MaxMessage]
	}
	return b
}

// MessageType returns the type of an NTLMSSP message, or 0 when msg is not one.
func MessageType(msg []byte) uint32 {
	if len(msg) < 12 || string(msg[:8]) != Signature {
		return 0
	}
	return binary.LittleEndian.Uint32(msg[8:12])
}

func header(msg []byte, typ uint32, min int) error {
	if len(msg) < 12 || string(msg[:8]) != Signature {
		return ErrNotNTLMSSP
	}
	if t := binary.LittleEndian.Uint32(msg[8:12]); t != typ {
		return fmt.Errorf("%w: %d, want %d", ErrType, t, typ)
	}
	if len(msg) < min {
		return ErrShort
	}
	return nil
}

// field reads a (len, maxlen, offset) security buffer descriptor at off and returns its bytes.
func field(msg []byte, off int) ([]byte, error) {
	if off+8 > len(msg) {
		return nil, ErrShort
	}
	n := int(binary.LittleEndian.Uint16(msg[off:]))
	start := int(binary.LittleEndian.Uint32(msg[off+4:]))
	if n == 0 {
		return nil, nil
	}
	if start < 0 || start > len(msg) || n > len(msg)-start {
		return nil, ErrField
	}
	return msg[start : start+n], nil
}

// Negotiate is a parsed NEGOTIATE (type 1) message.
type Negotiate struct {
	Flags       uint32
	Domain      string // OEM domain supplied by the client, if any
	Workstation string // OEM workstation supplied by the client, if any
}

// ParseNegotiate parses a NEGOTIATE message.
func ParseNegotiate(msg []byte) (*Negotiate, error) {
	if err := header(msg, TypeNegotiate, 16); err != nil {
		return nil, fmt.Errorf("parse negotiate: %w", err)
	}
	n := &Negotiate{Flags: binary.LittleEndian.Uint32(msg[12:16])}
	if len(msg) >= 32 {
		if d, err := field(msg, 16); err == nil {
			n.Domain = string(d)
		}
		if w, err := field(msg, 24); err == nil {
			n.Workstation = string(w)
		}
	}
	return n, nil
}

// Authenticate is a parsed AUTHENTICATE (type 3) message.
type Authenticate struct {
	Flags       uint32
	LM          []byte // LmChallengeResponse as sent
	NT          []byte // NtChallengeResponse as sent
	Domain      string // decoded per the Unicode flag, exactly as sent
	User        string
	Workstation string
	SessionKey  []byte // EncryptedRandomSessionKey
}

// ParseAuthenticate parses an AUTHENTICATE message. The byte slices it returns are copies.
func ParseAuthenticate(msg []byte) (*Authenticate, error) {
	if err := header(msg, TypeAuthenticate, 52); err != nil {
		return nil, fmt.Errorf("parse authenticate: %w", err)
	}
	a := &Authenticate{}
	var raw [6][]byte
	for i, off := range []int{12, 20, 28, 36, 44} {
		b, err := field(msg, off)
		if err != nil {
			return nil, fmt.Errorf("parse authenticate field %d: %w", i, err)
		}
		raw[i] = b
	}
	if len(msg) >= 64 {
		a.Flags = binary.LittleEndian.Uint32(msg[60:64])
		if k, err := field(msg, 52); err == nil {
			raw[5] = k
		}
	}
	unicode := a.Flags&FlagUnicode != 0 || (a.Flags == 0 && len(msg) < 64)
	if a.Flags&FlagOEM != 0 && a.Flags&FlagUnicode == 0 {
		unicode = false
	}
	dec := func(b []byte) string {
		if unicode {
			return DecodeUTF16(b)
		}
		return string(b)
	}
	a.LM = bytes.Clone(raw[0])
	a.NT = bytes.Clone(raw[1])
	a.Domain = dec(raw[2])
	a.User = dec(raw[3])
	a.Workstation = dec(raw[4])
	a.SessionKey = bytes.Clone(raw[5])
	return a, nil
}

// Anonymous reports whether the message is an anonymous (null session) authentication per MS-NLMP
// 3.2.5.1.2: no NT response and an empty or single-byte LM response (the user name is then ignored), or
// no user name at all.
func (a *Authenticate) Anonymous() bool {
	return (len(a.NT) == 0 && len(a.LM) <= 1) || a.User == ""
}

// Kind returns the credential kind of events.md §2: ntlmssp_v2 when the NT response is longer than
// 24 bytes (NTLMv2), else ntlmssp_v1.
func (a *Authenticate) Kind() string {
	if len(a.NT) > 24 {
		return "ntlmssp_v2"
	}
	return "ntlmssp_v1"
}

// Principal returns `DOMAIN\user` (just the user when no domain was sent).
func (a *Authenticate) Principal() string {
	if a.Domain == "" {
		return a.User
	}
	return a.Domain + `\` + a.User
}

// Hashcat returns the response as a hashcat line for the server challenge that was sent:
// mode 5600 `user::domain:challenge:ntproofstr:blob` for NTLMv2, mode 5500 `user::domain:lm:nt:challenge`
// for NTLMv1. User and domain are exactly as sent.
func (a *Authenticate) Hashcat(challenge [8]byte) string {
	var b []byte
	b = append(b, a.User...)
	b = append(b, "::"...)
	b = append(b, a.Domain...)
	b = append(b, ':')
	if len(a.NT) > 24 {
		b = hexAppend(b, challenge[:])
		b = append(b, ':')
		b = hexAppend(b, a.NT[:16])
		b = append(b, ':')
		b = hexAppend(b, a.NT[16:])
		return string(b)
	}
	b = hexAppend(b, a.LM)
	b = append(b, ':')
	b = hexAppend(b, a.NT)
	b = append(b, ':')
	b = hexAppend(b, challenge[:])
	return string(b)
}

func hexAppend(dst, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range src {
		dst = append(dst, digits[c>>4], digits[c&0xf])
	}
	return dst
}

// DecodeUTF16 decodes UTF-16LE bytes (an odd trailing byte is dropped).
func DecodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// EncodeUTF16 encodes s as UTF-16LE.
func EncodeUTF16(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// CredFields returns the credential SD params of events.md §2 for this response: principal `DOMAIN\user`,
// kind ntlmssp_v1/ntlmssp_v2, printable = the hashcat line, b64 = the raw NT response.
func (a *Authenticate) CredFields(challenge [8]byte) []event.Field {
	return event.CredFieldsWith(a.Principal(), a.Kind(), a.Hashcat(challenge), a.NT, "")
}
