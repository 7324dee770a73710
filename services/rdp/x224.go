package rdp

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxPDU bounds one TPKT PDU or TSRequest.
const MaxPDU = 64 << 10

// Protocol flags of RDP_NEG_REQ / RDP_NEG_RSP (MS-RDPBCGR 2.2.1.1.1).
const (
	ProtocolRDP      = 0x0
	ProtocolSSL      = 0x1
	ProtocolHybrid   = 0x2
	ProtocolRDSTLS   = 0x4
	ProtocolHybridEx = 0x8
)

var errTPKT = errors.New("rdp: not a TPKT packet")

// readTPKT reads one TPKT (RFC 1006) packet and returns its payload.
func readTPKT(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	if h[0] != 3 {
		return nil, fmt.Errorf("%w (version %d)", errTPKT, h[0])
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	if n < 4 || n > MaxPDU {
		return nil, fmt.Errorf("rdp: tpkt length %d", n)
	}
	b := make([]byte, n-4)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// ConnectionRequest is a parsed X.224 Connection Request.
type ConnectionRequest struct {
	Cookie             string // mstshash value ("" when absent)
	RoutingToken       string // other cookie text, if any
	HasNegReq          bool
	RequestedProtocols uint32
}

// ParseConnectionRequest parses an X.224 Connection Request TPDU (TPKT payload).
func ParseConnectionRequest(b []byte) (ConnectionRequest, error) {
	var cr ConnectionRequest
	if len(b) < 7 {
		return cr, errors.New("rdp: x.224 connection request truncated")
	}
	li := int(b[0])
	if b[1]&0xf0 != 0xe0 {
		return cr, fmt.Errorf("rdp: x.224 code 0x%02x is not a connection request", b[1])
	}
	if li+1 > len(b) || li < 6 {
		return cr, fmt.Errorf("rdp: x.224 length indicator %d", li)
	}
	v := b[7 : li+1]
	if i := bytes.Index(v, []byte("\r\n")); i >= 0 && (bytes.HasPrefix(v, []byte("Cookie:")) || bytes.HasPrefix(v, []byte("mstshash"))) {
		line := string(v[:i])
		v = v[i+2:]
		if k, val, ok := strings.Cut(line, "mstshash="); ok && strings.HasPrefix(k, "Cookie:") {
			cr.Cookie = val
		} else {
			cr.RoutingToken = line
		}
	}
	if len(v) >= 8 && v[0] == 0x01 {
		cr.HasNegReq = true
		cr.RequestedProtocols = binary.LittleEndian.Uint32(v[4:8])
	}
	return cr, nil
}

// connectionConfirm builds the TPKT + X.224 Connection Confirm; neg is the RDP_NEG_RSP/FAILURE or nil.
func connectionConfirm(neg []byte) []byte {
	x := []byte{byte(6 + len(neg)), 0xd0, 0, 0, 0x12, 0x34, 0}
	x = append(x, neg...)
	return append([]byte{3, 0, byte((4 + len(x)) >> 8), byte(4 + len(x))}, x...)
}

// negResponse builds an RDP_NEG_RSP selecting proto with the flags Windows 10 sends.
func negResponse(proto uint32) []byte {
	b := []byte{0x02, 0x1f, 0x08, 0x00, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], proto)
	return b
}

// negFailure builds an RDP_NEG_FAILURE with the given code (5 = HYBRID_REQUIRED_BY_SERVER).
func negFailure(code uint32) []byte {
	b := []byte{0x03, 0x00, 0x08, 0x00, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], code)
	return b
}

// readDER reads one DER element (a TSRequest) from r, bounded by MaxPDU.
func readDER(r *bufio.Reader) ([]byte, error) {
	h, err := r.Peek(2)
	if err != nil {
		return nil, err
	}
	if h[0] != 0x30 {
		return nil, fmt.Errorf("rdp: credssp message tag 0x%02x", h[0])
	}
	n, hl := int(h[1]), 2
	if n >= 0x80 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return nil, fmt.Errorf("rdp: credssp length form 0x%02x", h[1])
		}
		h, err = r.Peek(2 + k)
		if err != nil {
			return nil, err
		}
		n = 0
		for _, c := range h[2 : 2+k] {
			n = n<<8 | int(c)
		}
		hl += k
	}
	if n > MaxPDU {
		return nil, fmt.Errorf("rdp: credssp message length %d", n)
	}
	b := make([]byte, hl+n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
