package http

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net"
	"sync"

	"github.com/decnet/decnet/services/tlsfp"
)

// maxHeadRecord bounds the bytes a headConn keeps: the largest head net/http accepts (MaxHeaderBytes plus its
// 4 KiB slack) plus one read-ahead buffer.
const maxHeadRecord = maxHeaderBytes + 8<<10

// maxHeadHeaders bounds how many header lines ParseHead returns.
const maxHeadHeaders = 256

// Head is a parsed HTTP/1.x request head.
type Head struct {
	Method  string
	Target  string
	Proto   string
	Headers []tlsfp.Header // wire order, name case kept
}

var errNoHead = errors.New("incomplete request head")

// ParseHead parses an HTTP/1.x request head at the start of b (lines ending in CRLF or LF, obs-fold
// continuation lines joined to the previous value). It returns the head and the number of bytes it spans, or
// an error when b holds no complete, well-formed head.
func ParseHead(b []byte) (Head, int, error) {
	var h Head
	pos := 0
	line := func() ([]byte, bool) {
		i := bytes.IndexByte(b[pos:], '\n')
		if i < 0 {
			return nil, false
		}
		l := b[pos : pos+i]
		pos += i + 1
		return bytes.TrimSuffix(l, []byte("\r")), true
	}
	rl, ok := line()
	if !ok {
		return h, 0, errNoHead
	}
	parts := bytes.SplitN(rl, []byte(" "), 3)
	if len(parts) != 3 || len(parts[0]) == 0 || !bytes.HasPrefix(parts[2], []byte("HTTP/")) {
		return h, 0, errors.New("malformed request line")
	}
	h.Method, h.Target, h.Proto = string(parts[0]), string(parts[1]), string(parts[2])
	for {
		l, ok := line()
		if !ok {
			return Head{}, 0, errNoHead
		}
		if len(l) == 0 {
			return h, pos, nil
		}
		if l[0] == ' ' || l[0] == '\t' {
			if n := len(h.Headers); n > 0 {
				h.Headers[n-1].Value += " " + string(bytes.TrimSpace(l))
			}
			continue
		}
		name, value, found := bytes.Cut(l, []byte(":"))
		if !found || len(name) == 0 {
			continue
		}
		if len(h.Headers) < maxHeadHeaders {
			h.Headers = append(h.Headers, tlsfp.Header{Name: string(name), Value: string(bytes.TrimSpace(value))})
		}
	}
}

// headConn records what the client sends (bounded) so that the handler can recover the header names in wire
// order, which net/http does not keep.
type headConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

// tlsHeadConn is a headConn over TLS; ConnectionState lets net/http fill Request.TLS.
type tlsHeadConn struct {
	*headConn
	tc *tls.Conn
}

// ConnectionState returns the TLS state of the underlying connection.
func (t tlsHeadConn) ConnectionState() tls.ConnectionState { return t.tc.ConnectionState() }

// Read reads and records.
func (h *headConn) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	if n > 0 {
		h.mu.Lock()
		h.buf = append(h.buf, p[:n]...)
		if over := len(h.buf) - maxHeadRecord; over > 0 {
			h.buf = h.buf[:copy(h.buf, h.buf[over:])]
		}
		h.mu.Unlock()
	}
	return n, err
}

// take finds the head of the request whose request line is method SP target SP proto, returns it and drops
// every recorded byte up to its end.
func (h *headConn) take(method, target, proto string) (Head, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	needle := []byte(method + " " + target + " " + proto)
	off := 0
	for {
		i := bytes.Index(h.buf[off:], needle)
		if i < 0 {
			return Head{}, false
		}
		start := off + i
		if start == 0 || h.buf[start-1] == '\n' {
			hd, n, err := ParseHead(h.buf[start:])
			if err == nil {
				rest := copy(h.buf, h.buf[start+n:])
				h.buf = h.buf[:rest]
				return hd, true
			}
		}
		off = start + 1
	}
}
