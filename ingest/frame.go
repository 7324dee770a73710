package ingest

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"time"
)

// Spool record framing: [4-byte big-endian payload length][4-byte CRC-32C of the payload][payload]. The payload
// is uvarint-length-prefixed stream, uvarint seq, varint receipt time (Unix ns), uvarint-length-prefixed decky
// and service, then the line text to the end.

// maxFrame bounds a payload; a larger length field means a corrupt frame.
const maxFrame = 4 << 20

const frameHeader = 8

var crcTable = crc32.MakeTable(crc32.Castagnoli)

var (
	errShortFrame   = errors.New("spool: incomplete frame")
	errCorruptFrame = errors.New("spool: corrupt frame")
)

// SpoolRecord is one spooled line: its identity (stream, seq), receipt time, attribution and text.
type SpoolRecord struct {
	Stream  string
	Seq     int64
	Recv    time.Time
	Decky   string
	Service string
	Text    string
}

// AppendFrame appends the framed encoding of r to b.
func AppendFrame(b []byte, r SpoolRecord) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = binary.AppendUvarint(b, uint64(len(r.Stream)))
	b = append(b, r.Stream...)
	b = binary.AppendUvarint(b, uint64(r.Seq))
	b = binary.AppendVarint(b, r.Recv.UnixNano())
	b = binary.AppendUvarint(b, uint64(len(r.Decky)))
	b = append(b, r.Decky...)
	b = binary.AppendUvarint(b, uint64(len(r.Service)))
	b = append(b, r.Service...)
	b = append(b, r.Text...)
	payload := b[start+frameHeader:]
	binary.BigEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(payload, crcTable))
	return b
}

// DecodeFrame decodes the frame at the start of b and returns it with its encoded length. It returns
// errShortFrame when b ends inside the frame and errCorruptFrame when the frame is invalid.
func DecodeFrame(b []byte) (SpoolRecord, int, error) {
	if len(b) < frameHeader {
		return SpoolRecord{}, 0, errShortFrame
	}
	n := binary.BigEndian.Uint32(b)
	if n == 0 || n > maxFrame {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	if uint64(len(b)) < frameHeader+uint64(n) {
		return SpoolRecord{}, 0, errShortFrame
	}
	payload := b[frameHeader : frameHeader+int(n)]
	if crc32.Checksum(payload, crcTable) != binary.BigEndian.Uint32(b[4:]) {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	var r SpoolRecord
	p := payload
	str := func() (string, bool) {
		l, k := binary.Uvarint(p)
		if k <= 0 || l > uint64(len(p)-k) {
			return "", false
		}
		s := string(p[k : k+int(l)])
		p = p[k+int(l):]
		return s, true
	}
	var ok bool
	if r.Stream, ok = str(); !ok {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	seq, k := binary.Uvarint(p)
	if k <= 0 || seq > 1<<62 {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	p = p[k:]
	ns, k := binary.Varint(p)
	if k <= 0 {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	p = p[k:]
	if r.Decky, ok = str(); !ok {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	if r.Service, ok = str(); !ok {
		return SpoolRecord{}, 0, errCorruptFrame
	}
	r.Seq, r.Recv, r.Text = int64(seq), time.Unix(0, ns).UTC(), string(p)
	return r, frameHeader + int(n), nil
}

// DecodeFrames decodes consecutive frames from the start of b, stopping at the first torn or corrupt one. It
// returns the records and the length of the valid prefix.
func DecodeFrames(b []byte) ([]SpoolRecord, int) {
	var out []SpoolRecord
	off := 0
	for off < len(b) {
		r, n, err := DecodeFrame(b[off:])
		if err != nil {
			break
		}
		out = append(out, r)
		off += n
	}
	return out, off
}
