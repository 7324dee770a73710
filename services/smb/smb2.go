package smb

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/decnet/decnet/services/ntlmssp"
)

// SMB2 commands handled by the emulator.
const (
	smb2Negotiate      = 0x0000
	smb2SessionSetup   = 0x0001
	smb2Logoff         = 0x0002
	smb2TreeConnect    = 0x0003
	smb2TreeDisconnect = 0x0004
	smb2Echo           = 0x000d
)

// SMB2 dialects, lowest first.
var smb2Dialects = []uint16{0x0202, 0x0210, 0x0300, 0x0302, 0x0311}

const smb2Wildcard = 0x02ff

func dialectName(d uint16) string {
	switch d {
	case 0x0202:
		return "2.0.2"
	case 0x0210:
		return "2.1"
	case 0x0300:
		return "3.0"
	case 0x0302:
		return "3.0.2"
	case 0x0311:
		return "3.1.1"
	case smb2Wildcard:
		return "2.??"
	}
	return fmt.Sprintf("0x%04x", d)
}

// smb2Header is the sync SMB2 packet header (MS-SMB2 2.2.1.2).
type smb2Header struct {
	CreditCharge uint16
	Status       uint32
	Command      uint16
	Credits      uint16
	Flags        uint32
	Next         uint32
	MessageID    uint64
	ProcessID    uint32
	TreeID       uint32
	SessionID    uint64
}

var errSMB2Short = errors.New("smb2: message truncated")

// parseSMB2Header parses the 64-byte header at the start of msg.
func parseSMB2Header(msg []byte) (smb2Header, error) {
	if len(msg) < 64 || string(msg[:4]) != "\xfeSMB" {
		return smb2Header{}, errSMB2Short
	}
	if binary.LittleEndian.Uint16(msg[4:]) != 64 {
		return smb2Header{}, errors.New("smb2: bad header structure size")
	}
	le := binary.LittleEndian
	return smb2Header{CreditCharge: le.Uint16(msg[6:]), Status: le.Uint32(msg[8:]), Command: le.Uint16(msg[12:]),
		Credits: le.Uint16(msg[14:]), Flags: le.Uint32(msg[16:]), Next: le.Uint32(msg[20:]), MessageID: le.Uint64(msg[24:]),
		ProcessID: le.Uint32(msg[32:]), TreeID: le.Uint32(msg[36:]), SessionID: le.Uint64(msg[40:])}, nil
}

// negContext is one SMB 3.1.1 negotiate context.
type negContext struct {
	Type uint16
	Data []byte
}

// smb2NegotiateReq is a parsed SMB2 NEGOTIATE request.
type smb2NegotiateReq struct {
	SecurityMode uint16
	Capabilities uint32
	Dialects     []uint16
	Contexts     []negContext
}

// parseSMB2Negotiate parses the NEGOTIATE request body of msg (a whole SMB2 message).
func parseSMB2Negotiate(msg []byte) (smb2NegotiateReq, error) {
	var r smb2NegotiateReq
	if len(msg) < 64+36 {
		return r, errSMB2Short
	}
	le := binary.LittleEndian
	b := msg[64:]
	n := int(le.Uint16(b[2:]))
	if n == 0 || n > 64 {
		return r, fmt.Errorf("smb2 negotiate: %d dialects", n)
	}
	if len(b) < 36+2*n {
		return r, errSMB2Short
	}
	r.SecurityMode = le.Uint16(b[4:])
	r.Capabilities = le.Uint32(b[8:])
	for i := range n {
		r.Dialects = append(r.Dialects, le.Uint16(b[36+2*i:]))
	}
	if slices.Contains(r.Dialects, 0x0311) {
		off := int(le.Uint32(b[28:]))
		cnt := int(le.Uint16(b[32:]))
		for i := 0; i < cnt && i < 32; i++ {
			if off < 64 || off+8 > len(msg) {
				break
			}
			typ := le.Uint16(msg[off:])
			dl := int(le.Uint16(msg[off+2:]))
			if off+8+dl > len(msg) {
				break
			}
			r.Contexts = append(r.Contexts, negContext{Type: typ, Data: msg[off+8 : off+8+dl]})
			off = (off + 8 + dl + 7) &^ 7
		}
	}
	return r, nil
}

func (r smb2NegotiateReq) context(typ uint16) []byte {
	for _, c := range r.Contexts {
		if c.Type == typ {
			return c.Data
		}
	}
	return nil
}

func hexDialects(ds []uint16) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = fmt.Sprintf("0x%04x", d)
	}
	return strings.Join(parts, ",")
}

// smb2 handles one SMB2 message (possibly a compound chain) and returns the framed-less reply.
func (cn *conn) smb2(msg []byte) ([]byte, error) {
	var out []byte
	prevStart := -1
	for chain := 0; len(msg) > 0 && chain < 16; chain++ {
		h, err := parseSMB2Header(msg)
		if err != nil {
			return nil, err
		}
		cur := msg
		if h.Next != 0 {
			if int(h.Next) < 64 || int(h.Next) > len(msg) || h.Next%8 != 0 {
				return nil, fmt.Errorf("smb2: bad next command offset %d", h.Next)
			}
			cur, msg = msg[:h.Next], msg[h.Next:]
		} else {
			msg = nil
		}
		resp, err := cn.smb2One(h, cur)
		if err != nil || resp == nil {
			return nil, err
		}
		if prevStart >= 0 {
			for len(out)%8 != 0 {
				out = append(out, 0)
			}
			le32(out[prevStart+20:], uint32(len(out)-prevStart))
		}
		prevStart = len(out)
		out = append(out, resp...)
	}
	return out, nil
}

func (cn *conn) smb2One(h smb2Header, msg []byte) ([]byte, error) {
	switch h.Command {
	case smb2Negotiate:
		req, err := parseSMB2Negotiate(msg)
		if err != nil {
			return nil, err
		}
		cn.s.env.Info("negotiate", "", append(cn.src[:len(cn.src):len(cn.src)], fieldDialects(hexDialects(req.Dialects)))...)
		d := cn.pickDialect(req.Dialects)
		if d == 0 {
			return cn.smb2Error(h, StatusNotSupported), nil
		}
		cn.dialect = d
		return cn.smb2Resp(h, StatusSuccess, cn.negotiateBody(d, req)), nil
	case smb2SessionSetup:
		if len(msg) < 64+24 {
			return nil, errSMB2Short
		}
		b := msg[64:]
		off, n := int(binary.LittleEndian.Uint16(b[12:])), int(binary.LittleEndian.Uint16(b[14:]))
		var blob []byte
		if n > 0 {
			if off < 64 || off+n > len(msg) {
				return nil, fmt.Errorf("smb2 session setup: security buffer out of bounds")
			}
			blob = msg[off : off+n]
		}
		if cn.session == 0 {
			var r [8]byte
			_, _ = rand.Read(r[:])
			cn.session = binary.LittleEndian.Uint64(r[:]) | 1<<40
		}
		h.SessionID = cn.session
		token, status := cn.ntlm(blob)
		switch status {
		case StatusMoreProcessingRequired, StatusSuccess:
			var flags uint16
			if status == StatusSuccess {
				flags = 0x0002 // SMB2_SESSION_FLAG_IS_NULL
				if ntlmssp.IsSPNEGO(blob) {
					token = ntlmssp.NegTokenResp(ntlmssp.NegAcceptCompleted, nil)
				}
			} else if ntlmssp.IsSPNEGO(blob) {
				token = ntlmssp.NegTokenResp(ntlmssp.NegAcceptIncomplete, token)
			}
			body := make([]byte, 8, 8+len(token))
			le16(body[0:], 9)
			le16(body[2:], flags)
			le16(body[4:], 72)
			le16(body[6:], uint16(len(token)))
			return cn.smb2Resp(h, status, append(body, token...)), nil
		default:
			cn.session = 0
			return cn.smb2Error(h, status), nil
		}
	case smb2Logoff, smb2Echo:
		if h.Command == smb2Logoff {
			cn.anonymous = false
		}
		return cn.smb2Resp(h, StatusSuccess, []byte{4, 0, 0, 0}), nil
	}
	if h.SessionID == 0 || h.SessionID != cn.session {
		return cn.smb2Error(h, StatusUserSessionDeleted), nil
	}
	return cn.smb2Error(h, StatusAccessDenied), nil
}

func (cn *conn) pickDialect(offered []uint16) uint16 {
	best := uint16(0)
	for _, d := range offered {
		if d <= cn.s.id.OS.MaxDialect && slices.Contains(smb2Dialects, d) && d > best {
			best = d
		}
	}
	return best
}

// securityMode returns the SMB2 SecurityMode: signing enabled, required on servers.
func (s *Server) securityMode() uint16 {
	if s.signingReq {
		return 0x0003
	}
	return 0x0001
}

// negotiateBody builds an SMB2 NEGOTIATE response body for dialect d.
func (cn *conn) negotiateBody(d uint16, req smb2NegotiateReq) []byte {
	s := cn.s
	blob := ntlmssp.NegTokenInit()
	body := make([]byte, 64, 256)
	le16(body[0:], 65)
	le16(body[2:], s.securityMode())
	le16(body[4:], d)
	copy(body[8:24], s.guid[:])
	var caps uint32
	maxIO := uint32(8 << 20)
	switch {
	case d == 0x0202 || d == smb2Wildcard:
		caps, maxIO = 0x01, 65536
	case d == 0x0210:
		caps, maxIO = 0x07, 1<<20
	case d == 0x0311:
		caps = 0x2f
	default:
		caps = 0x6f
	}
	le32(body[24:], caps)
	le32(body[28:], maxIO)
	le32(body[32:], maxIO)
	le32(body[36:], maxIO)
	le64(body[40:], filetime(time.Now()))
	if d < 0x0300 {
		le64(body[48:], filetime(s.boot))
	}
	le16(body[56:], 128)
	le16(body[58:], uint16(len(blob)))
	body = append(body, blob...)
	if d != 0x0311 {
		return body
	}
	var ctxs [][]byte
	salt := make([]byte, 32)
	_, _ = rand.Read(salt)
	pre := append([]byte{1, 0, 32, 0, 1, 0}, salt...)
	ctxs = append(ctxs, negCtx(1, pre))
	if data := req.context(2); len(data) >= 2 {
		if c := pickAlgo(data, []uint16{0x0002, 0x0001, 0x0004, 0x0003}); c != 0 {
			ctxs = append(ctxs, negCtx(2, []byte{1, 0, byte(c), byte(c >> 8)}))
		}
	}
	if data := req.context(8); len(data) >= 2 {
		pref := []uint16{0x0001, 0x0000}
		if s.id.OS.Version.Build >= 20348 {
			pref = []uint16{0x0002, 0x0001, 0x0000}
		}
		if c, ok := pickAlgoOK(data, pref); ok {
			ctxs = append(ctxs, negCtx(8, []byte{1, 0, byte(c), byte(c >> 8)}))
		}
	}
	for (64+len(body))%8 != 0 {
		body = append(body, 0)
	}
	le32(body[60:], uint32(64+len(body)))
	le16(body[6:], uint16(len(ctxs)))
	for i, c := range ctxs {
		if i > 0 {
			for (64+len(body))%8 != 0 {
				body = append(body, 0)
			}
		}
		body = append(body, c...)
	}
	return body
}

func negCtx(typ uint16, data []byte) []byte {
	b := make([]byte, 8, 8+len(data))
	le16(b[0:], typ)
	le16(b[2:], uint16(len(data)))
	return append(b, data...)
}

// pickAlgo returns the first algorithm of pref that the client's list (count + ids) offers, else 0.
func pickAlgo(data []byte, pref []uint16) uint16 {
	c, _ := pickAlgoOK(data, pref)
	return c
}

func pickAlgoOK(data []byte, pref []uint16) (uint16, bool) {
	n := int(binary.LittleEndian.Uint16(data))
	var offered []uint16
	for i := 0; i < n && 2+2*i+2 <= len(data); i++ {
		offered = append(offered, binary.LittleEndian.Uint16(data[2+2*i:]))
	}
	for _, p := range pref {
		if slices.Contains(offered, p) {
			return p, true
		}
	}
	return 0, false
}

// smb2Resp builds a response message: header echoing the request, then body.
func (cn *conn) smb2Resp(h smb2Header, status uint32, body []byte) []byte {
	b := make([]byte, 64, 64+len(body))
	copy(b, "\xfeSMB")
	le16(b[4:], 64)
	le16(b[6:], h.CreditCharge)
	le32(b[8:], status)
	le16(b[12:], h.Command)
	credits := h.Credits
	if credits == 0 {
		credits = 1
	}
	if credits > 32 {
		credits = 32
	}
	le16(b[14:], credits)
	le32(b[16:], 0x00000001) // SERVER_TO_REDIR
	le64(b[24:], h.MessageID)
	le32(b[32:], h.ProcessID)
	le32(b[36:], h.TreeID)
	le64(b[40:], h.SessionID)
	return append(b, body...)
}

func (cn *conn) smb2Error(h smb2Header, status uint32) []byte {
	return cn.smb2Resp(h, status, []byte{9, 0, 0, 0, 0, 0, 0, 0, 0})
}
