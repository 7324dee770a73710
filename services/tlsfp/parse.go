package tlsfp

import (
	"errors"
	"fmt"
)

// MaxHelloRecord bounds how many bytes ParseClientHelloRecord reads: one TLS record header plus the
// largest record payload (16 KiB) plus slack for a hello split over several records.
const MaxHelloRecord = 5 + 1<<16

// ErrIncomplete reports that the bytes end before the ClientHello does.
var ErrIncomplete = errors.New("tls client hello incomplete")

// ParseClientHelloRecord parses a ClientHello from the first bytes a client sent on a TLS connection
// (one or more handshake records). It never reads beyond data and never panics on hostile input.
func ParseClientHelloRecord(data []byte) (ClientHello, error) {
	if len(data) > MaxHelloRecord {
		data = data[:MaxHelloRecord]
	}
	// Reassemble handshake payload from consecutive records.
	var hs []byte
	for len(data) >= 5 {
		if data[0] != 0x16 {
			return ClientHello{}, fmt.Errorf("tls record type %d is not handshake", data[0])
		}
		n := int(data[3])<<8 | int(data[4])
		if n == 0 || n > 1<<14+2048 {
			return ClientHello{}, fmt.Errorf("tls record length %d out of range", n)
		}
		if len(data) < 5+n {
			hs = append(hs, data[5:]...)
			break
		}
		hs = append(hs, data[5:5+n]...)
		data = data[5+n:]
		if len(hs) >= 4 && len(hs) >= 4+(int(hs[1])<<16|int(hs[2])<<8|int(hs[3])) {
			break
		}
	}
	if len(hs) < 4 {
		return ClientHello{}, ErrIncomplete
	}
	if hs[0] != 1 {
		return ClientHello{}, fmt.Errorf("handshake type %d is not client hello", hs[0])
	}
	n := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
	if len(hs) < 4+n {
		return ClientHello{}, ErrIncomplete
	}
	return ParseClientHello(hs[4 : 4+n])
}

// reader is a bounds-checked big-endian cursor.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) u8() uint8 {
	if len(r.b) < 1 {
		r.err = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) u16() uint16 {
	if len(r.b) < 2 {
		r.err = true
		return 0
	}
	v := uint16(r.b[0])<<8 | uint16(r.b[1])
	r.b = r.b[2:]
	return v
}

func (r *reader) bytes(n int) []byte {
	if n < 0 || len(r.b) < n {
		r.err = true
		r.b = nil
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) vec8() *reader  { return &reader{b: r.bytes(int(r.u8()))} }
func (r *reader) vec16() *reader { return &reader{b: r.bytes(int(r.u16()))} }

func (r *reader) list16() []uint16 {
	out := make([]uint16, 0, len(r.b)/2)
	for len(r.b) >= 2 {
		out = append(out, r.u16())
	}
	return out
}

// ParseClientHello parses the body of a ClientHello handshake message (after the 4-byte handshake header).
func ParseClientHello(body []byte) (ClientHello, error) {
	var h ClientHello
	r := &reader{b: body}
	h.Version = r.u16()
	r.bytes(32) // random
	r.vec8()    // session id
	cs := r.vec16()
	h.Ciphers = cs.list16()
	r.vec8() // compression methods
	if r.err {
		return ClientHello{}, ErrIncomplete
	}
	if len(r.b) == 0 {
		return h, nil // no extensions (SSLv3 / old TLS)
	}
	exts := r.vec16()
	if r.err {
		return ClientHello{}, ErrIncomplete
	}
	for len(exts.b) >= 4 && len(h.Extensions) < 512 {
		typ := exts.u16()
		data := exts.vec16()
		if exts.err {
			return ClientHello{}, ErrIncomplete
		}
		h.Extensions = append(h.Extensions, typ)
		switch typ {
		case ExtServerName:
			list := data.vec16()
			for len(list.b) >= 3 {
				kind := list.u8()
				name := list.vec16()
				if kind == 0 && h.SNI == "" && !list.err {
					h.SNI = string(name.b)
				}
			}
		case ExtSupportedGroups:
			h.Groups = data.vec16().list16()
		case ExtECPointFormats:
			h.PointFormats = append([]uint8(nil), data.vec8().b...)
		case ExtSignatureAlgs:
			h.SignatureAlgs = data.vec16().list16()
		case ExtALPN:
			list := data.vec16()
			for len(list.b) > 0 && len(h.ALPN) < 64 {
				p := list.vec8()
				if list.err {
					break
				}
				h.ALPN = append(h.ALPN, string(p.b))
			}
		case ExtSupportedVersions:
			h.SupportedVersions = data.vec8().list16()
		}
	}
	return h, nil
}
