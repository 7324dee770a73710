package mssql

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"unicode/utf16"
)

// TDS packet types handled here.
const (
	typePrelogin = 0x12
	typeLogin7   = 0x10
	typeReply    = 0x04
)

// PRELOGIN option tokens.
const (
	optVersion    = 0x00
	optEncryption = 0x01
	optInstOpt    = 0x02
	optThreadID   = 0x03
	optMARS       = 0x04
	optTerminator = 0xff
)

// encryptNotSup is the ENCRYPTION value telling the client the server cannot encrypt.
const encryptNotSup = 0x02

// Bounds: one TDS packet is at most 32767 bytes; a login message never needs more than 64 KiB.
const (
	maxPacket  = 32767
	maxMessage = 64 << 10
)

// header is a TDS packet header.
type header struct {
	typ    byte
	status byte
	length int
}

func readHeader(r io.Reader) (header, error) {
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return header{}, fmt.Errorf("read tds header: %w", err)
	}
	return header{typ: b[0], status: b[1], length: int(binary.BigEndian.Uint16(b[2:]))}, nil
}

// readBody reads the rest of a message that started with h, following continuation packets until EOM.
func readBody(r io.Reader, h header) ([]byte, error) {
	var msg []byte
	for {
		if h.length < 8 || h.length > maxPacket {
			return nil, fmt.Errorf("tds packet length %d out of range", h.length)
		}
		if len(msg)+h.length-8 > maxMessage {
			return nil, errors.New("tds message too large")
		}
		start := len(msg)
		msg = append(msg, make([]byte, h.length-8)...)
		if _, err := io.ReadFull(r, msg[start:]); err != nil {
			return nil, fmt.Errorf("read tds packet: %w", err)
		}
		if h.status&0x01 != 0 {
			return msg, nil
		}
		next, err := readHeader(r)
		if err != nil {
			return nil, err
		}
		if next.typ != h.typ {
			return nil, fmt.Errorf("tds continuation of type %#x inside %#x", next.typ, h.typ)
		}
		h = next
	}
}

// packet frames a reply payload as one TDS packet (type 0x04, EOM, packet id 1).
func packet(payload []byte) []byte {
	b := []byte{typeReply, 0x01, 0, 0, 0, 0, 1, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(8+len(payload)))
	return append(b, payload...)
}

// ParsePrelogin returns the options of a PRELOGIN payload, each bounded by the payload.
func ParsePrelogin(p []byte) (map[byte][]byte, error) {
	opts := map[byte][]byte{}
	for i := 0; ; i += 5 {
		if i >= len(p) {
			return nil, errors.New("prelogin: missing terminator")
		}
		if p[i] == optTerminator {
			return opts, nil
		}
		if i+5 > len(p) {
			return nil, errors.New("prelogin: truncated option")
		}
		off, n := int(binary.BigEndian.Uint16(p[i+1:])), int(binary.BigEndian.Uint16(p[i+3:]))
		if off+n > len(p) {
			return nil, fmt.Errorf("prelogin: option %#x beyond payload", p[i])
		}
		opts[p[i]] = p[off : off+n]
	}
}

// preloginReply builds the PRELOGIN response: VERSION, ENCRYPTION = not supported, INSTOPT, THREADID
// (empty) and MARS only when the client sent it, laid out the way SQL Server does.
func preloginReply(version [6]byte, withMARS bool) []byte {
	type opt struct {
		tok  byte
		data []byte
	}
	opts := []opt{{optVersion, version[:]}, {optEncryption, []byte{encryptNotSup}}, {optInstOpt, []byte{0}}, {optThreadID, nil}}
	if withMARS {
		opts = append(opts, opt{optMARS, []byte{0}})
	}
	off := len(opts)*5 + 1
	var head, data []byte
	for _, o := range opts {
		head = append(head, o.tok)
		head = binary.BigEndian.AppendUint16(head, uint16(off+len(data)))
		head = binary.BigEndian.AppendUint16(head, uint16(len(o.data)))
		data = append(data, o.data...)
	}
	return packet(append(append(head, optTerminator), data...))
}

// Login7 is what the emulator records from a LOGIN7 message.
type Login7 struct {
	TDSVersion uint32
	Hostname   string
	Username   string
	Password   string
	AppName    string
	ServerName string
	Database   string
}

// ParseLogin7 decodes a LOGIN7 payload. Every offset/length pair is checked against the payload.
func ParseLogin7(p []byte) (Login7, error) {
	var l Login7
	if len(p) < 58 {
		return l, fmt.Errorf("login7: %d bytes, too short", len(p))
	}
	l.TDSVersion = binary.LittleEndian.Uint32(p[4:])
	var err error
	field := func(at int, obf bool) string {
		if err != nil || at+4 > len(p) {
			return ""
		}
		off, n := int(binary.LittleEndian.Uint16(p[at:])), 2*int(binary.LittleEndian.Uint16(p[at+2:]))
		if n == 0 {
			return ""
		}
		if off+n > len(p) {
			err = fmt.Errorf("login7: field at %d (offset %d, %d bytes) beyond payload of %d", at, off, n, len(p))
			return ""
		}
		b := p[off : off+n]
		if obf {
			b = deobfuscate(b)
		}
		return ucs2(b)
	}
	l.Hostname = field(36, false)
	l.Username = field(40, false)
	l.Password = field(44, true)
	l.AppName = field(48, false)
	l.ServerName = field(52, false)
	l.Database = field(68, false)
	return l, err
}

// deobfuscate reverses the LOGIN7 password obfuscation: XOR 0xA5, then swap the nibbles of each byte.
func deobfuscate(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		c ^= 0xa5
		out[i] = c<<4 | c>>4
	}
	return out
}

// obfuscate applies the client-side LOGIN7 password obfuscation (inverse of deobfuscate).
func obfuscate(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = (c<<4 | c>>4) ^ 0xa5
	}
	return out
}

func ucs2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func appendUCS2(b []byte, s string) []byte {
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// loginFailed builds the ERROR (18456) + DONE tokens of a failed login.
func loginFailed(user, server string, tdsVersion uint32) []byte {
	msg := utf16.Encode([]rune("Login failed for user '" + user + "'."))
	srv := utf16.Encode([]rune(server))
	if len(msg) > 4000 {
		msg = msg[:4000]
	}
	if len(srv) > 128 {
		srv = srv[:128]
	}
	var e []byte
	e = binary.LittleEndian.AppendUint32(e, 18456)
	e = append(e, 1, 14)
	e = binary.LittleEndian.AppendUint16(e, uint16(len(msg)))
	for _, u := range msg {
		e = binary.LittleEndian.AppendUint16(e, u)
	}
	e = append(e, byte(len(srv)))
	for _, u := range srv {
		e = binary.LittleEndian.AppendUint16(e, u)
	}
	e = append(e, 0) // ProcName
	modern := tdsVersion >= 0x72000000 || tdsVersion == 0
	if modern {
		e = binary.LittleEndian.AppendUint32(e, 1)
	} else {
		e = binary.LittleEndian.AppendUint16(e, 1)
	}
	b := []byte{0xaa}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e)))
	b = append(b, e...)
	b = append(b, 0xfd, 0x02, 0x00, 0x00, 0x00)
	if modern {
		b = append(b, make([]byte, 8)...)
	} else {
		b = append(b, make([]byte, 4)...)
	}
	return packet(b)
}
