package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"strings"
	"sync"
)

// Limits of the client preamble parser.
const (
	maxPreamble     = 64 << 10 // bytes buffered while looking for the client KEXINIT
	maxPacketLength = 35000    // RFC 4253 §6.1
	maxVersionLine  = 255
)

// Preamble is what the client sent before encryption: its identification string and KEXINIT lists.
type Preamble struct {
	Version string   // client identification string, without CR LF
	Kex     []string // kex_algorithms, encryption c2s, mac c2s, compression c2s (HASSH inputs)
}

// HASSHAlgorithms returns the HASSH input string `kex;enc_c2s;mac_c2s;comp_c2s`.
func (p *Preamble) HASSHAlgorithms() string {
	if len(p.Kex) != 4 {
		return ""
	}
	return strings.Join(p.Kex, ";")
}

// HASSH returns the MD5 (hex) of HASSHAlgorithms, or "" without a KEXINIT.
func (p *Preamble) HASSH() string {
	a := p.HASSHAlgorithms()
	if a == "" {
		return ""
	}
	sum := md5.Sum([]byte(a))
	return hex.EncodeToString(sum[:])
}

// errNeedMore means the buffer does not yet hold a complete preamble.
var errNeedMore = errors.New("need more data")

// ParsePreamble parses the client's identification line and first binary packet (which must be an
// unencrypted SSH_MSG_KEXINIT) from the start of b. It returns errNeedMore when b is incomplete, and
// another error when b cannot be an SSH client preamble. Lines before the SSH- line are skipped.
func ParsePreamble(b []byte) (*Preamble, error) {
	p := &Preamble{}
	i := 0
	for {
		nl := -1
		for j := i; j < len(b) && j-i <= maxVersionLine; j++ {
			if b[j] == '\n' {
				nl = j
				break
			}
		}
		if nl < 0 {
			if len(b)-i > maxVersionLine {
				return nil, errors.New("identification line too long")
			}
			return p, errNeedMore
		}
		line := strings.TrimRight(string(b[i:nl]), "\r")
		i = nl + 1
		if strings.HasPrefix(line, "SSH-") {
			p.Version = line
			break
		}
		if i > 8*maxVersionLine {
			return nil, errors.New("no identification line")
		}
	}
	rest := b[i:]
	if len(rest) < 6 {
		return p, errNeedMore
	}
	plen := binary.BigEndian.Uint32(rest)
	if plen < 2 || plen > maxPacketLength {
		return p, errors.New("bad packet length")
	}
	pad := int(rest[4])
	if len(rest) < 4+int(plen) {
		return p, errNeedMore
	}
	if pad >= int(plen) {
		return p, errors.New("bad padding length")
	}
	payload := rest[5 : 4+int(plen)-pad]
	if len(payload) < 17 || payload[0] != 20 {
		return p, errors.New("first packet is not KEXINIT")
	}
	lists := payload[17:]
	var names [8]string
	for k := range names {
		if len(lists) < 4 {
			return p, errors.New("truncated KEXINIT")
		}
		n := binary.BigEndian.Uint32(lists)
		if uint64(n) > uint64(len(lists)-4) {
			return p, errors.New("truncated KEXINIT name-list")
		}
		names[k] = string(lists[4 : 4+n])
		lists = lists[4+n:]
	}
	// order: kex, hostkey, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s, comp s2c
	p.Kex = []string{names[0], names[2], names[4], names[6]}
	return p, nil
}

// peekConn copies what the client sends into a bounded buffer until its preamble is parsed, then calls
// done once (with the preamble, possibly partial, and whether the KEXINIT was complete).
type peekConn struct {
	net.Conn
	mu       sync.Mutex
	buf      []byte
	finished bool
	pre      *Preamble
	onDone   func(p *Preamble)
	once     sync.Once
}

func newPeekConn(c net.Conn, onDone func(*Preamble)) *peekConn {
	return &peekConn{Conn: c, onDone: onDone}
}

func (c *peekConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		if !c.finished {
			c.buf = append(c.buf, p[:n]...)
			pre, perr := ParsePreamble(c.buf)
			switch {
			case perr == nil:
				c.pre, c.finished = pre, true
			case errors.Is(perr, errNeedMore) && len(c.buf) < maxPreamble:
				c.pre = pre
			default:
				c.pre, c.finished = pre, true
			}
			if c.finished {
				c.buf = nil
			}
		}
		fin, pre := c.finished, c.pre
		c.mu.Unlock()
		if fin {
			c.finish(pre)
		}
	}
	return n, err
}

// finish reports the preamble once; it is also called when the handshake ends early.
func (c *peekConn) finish(pre *Preamble) {
	c.once.Do(func() {
		if pre == nil {
			pre = &Preamble{}
		}
		c.onDone(pre)
	})
}

// partial returns what was parsed so far.
func (c *peekConn) partial() *Preamble {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pre
}
