package mysql

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Capability flags of the MySQL client/server protocol used here.
const (
	capLongPassword     = 0x00000001
	capConnectWithDB    = 0x00000008
	capProtocol41       = 0x00000200
	capSSL              = 0x00000800
	capSecureConnection = 0x00008000
	capPluginAuth       = 0x00080000
	capConnectAttrs     = 0x00100000
	capPluginAuthLenenc = 0x00200000
	capCompress         = 0x00000020
)

// serverCaps is what the emulated server advertises: everything a MySQL 5.7/8.0 server offers except
// CLIENT_SSL (so the login arrives in clear) and CLIENT_COMPRESS.
const serverCaps = 0x01ffffff &^ capSSL &^ capCompress

// maxPacket bounds one protocol packet; logins are far smaller.
const maxPacket = 64 << 10

// errPacketTooLarge is returned for a packet whose length exceeds maxPacket.
var errPacketTooLarge = errors.New("mysql packet too large")

// readPacket reads one packet (3-byte little-endian length, sequence id, payload).
func readPacket(r io.Reader) (payload []byte, seq byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, 0, fmt.Errorf("read mysql packet header: %w", err)
	}
	n := int(hdr[0]) | int(hdr[1])<<8 | int(hdr[2])<<16
	if n > maxPacket {
		return nil, 0, fmt.Errorf("%w: %d bytes", errPacketTooLarge, n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, 0, fmt.Errorf("read mysql packet body: %w", err)
	}
	return payload, hdr[3], nil
}

// appendPacket frames payload with its header.
func appendPacket(b []byte, seq byte, payload []byte) []byte {
	n := len(payload)
	b = append(b, byte(n), byte(n>>8), byte(n>>16), seq)
	return append(b, payload...)
}

// handshakeV10 builds the Protocol::HandshakeV10 payload.
func handshakeV10(version string, connID uint32, scramble []byte, charset byte) []byte {
	b := make([]byte, 0, 128)
	b = append(b, 10)
	b = append(b, version...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint32(b, connID)
	b = append(b, scramble[:8]...)
	b = append(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps&0xffff))
	b = append(b, charset)
	b = binary.LittleEndian.AppendUint16(b, 0x0002) // SERVER_STATUS_AUTOCOMMIT
	b = binary.LittleEndian.AppendUint16(b, uint16(serverCaps>>16))
	b = append(b, byte(len(scramble)+1))
	b = append(b, make([]byte, 10)...)
	b = append(b, scramble[8:]...)
	b = append(b, 0)
	b = append(b, "mysql_native_password"...)
	return append(b, 0)
}

// authSwitch builds an AuthSwitchRequest to mysql_native_password with a fresh scramble.
func authSwitch(scramble []byte) []byte {
	b := []byte{0xfe}
	b = append(b, "mysql_native_password"...)
	b = append(b, 0)
	b = append(b, scramble...)
	return append(b, 0)
}

// errPacket builds an ERR packet payload.
func errPacket(code uint16, state, msg string) []byte {
	b := []byte{0xff}
	b = binary.LittleEndian.AppendUint16(b, code)
	b = append(b, '#')
	b = append(b, state...)
	return append(b, msg...)
}

// HandshakeResponse is the part of a client's login packet the emulator records.
type HandshakeResponse struct {
	Caps     uint32
	SSL      bool // the packet is an SSLRequest (client wants TLS before the login)
	Username string
	Auth     []byte // auth response as sent
	Database string
	Plugin   string // client auth plugin ("" when not sent)
}

// ParseHandshakeResponse decodes a HandshakeResponse41 or HandshakeResponse320 payload. Every field is
// bounded by the payload; a malformed packet returns an error.
func ParseHandshakeResponse(p []byte) (HandshakeResponse, error) {
	var h HandshakeResponse
	if len(p) < 4 {
		return h, errors.New("handshake response too short")
	}
	if binary.LittleEndian.Uint16(p)&capProtocol41 == 0 {
		return parse320(p)
	}
	if len(p) < 32 {
		return h, errors.New("handshake response 41 too short")
	}
	h.Caps = binary.LittleEndian.Uint32(p)
	if len(p) == 32 && h.Caps&capSSL != 0 {
		h.SSL = true
		return h, nil
	}
	rest := p[32:]
	var ok bool
	if h.Username, rest, ok = cstring(rest); !ok {
		return h, errors.New("handshake response: unterminated username")
	}
	switch {
	case h.Caps&capPluginAuthLenenc != 0:
		n, r, ok := lenenc(rest)
		if !ok || n > uint64(len(r)) {
			return h, errors.New("handshake response: bad auth response length")
		}
		h.Auth, rest = r[:n], r[n:]
	case h.Caps&capSecureConnection != 0:
		if len(rest) < 1 || int(rest[0]) > len(rest)-1 {
			return h, errors.New("handshake response: bad auth response length")
		}
		n := int(rest[0])
		h.Auth, rest = rest[1:1+n], rest[1+n:]
	default:
		var s string
		if s, rest, ok = cstring(rest); !ok {
			return h, errors.New("handshake response: unterminated auth response")
		}
		h.Auth = []byte(s)
	}
	if h.Caps&capConnectWithDB != 0 && len(rest) > 0 {
		if h.Database, rest, ok = cstring(rest); !ok {
			h.Database, rest = string(rest), nil
		}
	}
	if h.Caps&capPluginAuth != 0 && len(rest) > 0 {
		if h.Plugin, _, ok = cstring(rest); !ok {
			h.Plugin = string(rest)
		}
	}
	return h, nil
}

func parse320(p []byte) (HandshakeResponse, error) {
	var h HandshakeResponse
	if len(p) < 5 {
		return h, errors.New("handshake response 320 too short")
	}
	h.Caps = uint32(binary.LittleEndian.Uint16(p))
	rest := p[5:]
	var ok bool
	if h.Username, rest, ok = cstring(rest); !ok {
		return h, errors.New("handshake response 320: unterminated username")
	}
	if h.Caps&capConnectWithDB != 0 {
		var s string
		if s, rest, ok = cstring(rest); ok {
			h.Auth = []byte(s)
			h.Database, _, _ = cstring(rest)
			return h, nil
		}
	}
	h.Auth = bytes.TrimRight(rest, "\x00")
	return h, nil
}

func cstring(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", b, false
	}
	return string(b[:i]), b[i+1:], true
}

// lenenc decodes a length-encoded integer.
func lenenc(b []byte) (uint64, []byte, bool) {
	if len(b) == 0 {
		return 0, b, false
	}
	switch c := b[0]; {
	case c < 0xfb:
		return uint64(c), b[1:], true
	case c == 0xfc && len(b) >= 3:
		return uint64(binary.LittleEndian.Uint16(b[1:])), b[3:], true
	case c == 0xfd && len(b) >= 4:
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, b[4:], true
	case c == 0xfe && len(b) >= 9:
		return binary.LittleEndian.Uint64(b[1:]), b[9:], true
	}
	return 0, b, false
}
