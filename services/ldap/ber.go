package ldap

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// BER limits: LDAP messages from clients are small; anything bigger is hostile.
const (
	MaxMessage = 64 << 10
	MaxDepth   = 16
)

// BER class bits.
const (
	classUniversal   = 0x00
	classApplication = 0x40
	classContext     = 0x80
	constructed      = 0x20
)

var (
	errTruncated = errors.New("ber: truncated")
	errLength    = errors.New("ber: bad length")
	errTag       = errors.New("ber: multi-byte tags not supported")
	errDepth     = errors.New("ber: nesting too deep")
)

// Elem is one decoded BER element (single-byte tag, definite length).
type Elem struct {
	Tag   byte // full identifier octet: class | constructed | number
	Value []byte
}

// Constructed reports whether the element holds nested elements.
func (e Elem) Constructed() bool { return e.Tag&constructed != 0 }

// Number returns the tag number.
func (e Elem) Number() byte { return e.Tag & 0x1f }

// parseHeader reads the identifier and length at the start of b and returns the tag, the value length and
// the header size.
func parseHeader(b []byte) (tag byte, n, hdr int, err error) {
	if len(b) < 2 {
		return 0, 0, 0, errTruncated
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, 0, 0, errTag
	}
	l := int(b[1])
	if l < 0x80 {
		return tag, l, 2, nil
	}
	k := l & 0x7f
	if k == 0 || k > 4 {
		return 0, 0, 0, errLength // indefinite or absurd lengths are not valid in LDAP
	}
	if len(b) < 2+k {
		return 0, 0, 0, errTruncated
	}
	n = 0
	for _, c := range b[2 : 2+k] {
		n = n<<8 | int(c)
	}
	if n > MaxMessage {
		return 0, 0, 0, errLength
	}
	return tag, n, 2 + k, nil
}

// ReadElem decodes the first element of b and returns it with the remaining bytes.
func ReadElem(b []byte) (Elem, []byte, error) {
	tag, n, hdr, err := parseHeader(b)
	if err != nil {
		return Elem{}, nil, err
	}
	if n > len(b)-hdr {
		return Elem{}, nil, errTruncated
	}
	return Elem{Tag: tag, Value: b[hdr : hdr+n]}, b[hdr+n:], nil
}

// Children decodes every element inside a constructed value.
func Children(v []byte) ([]Elem, error) {
	var out []Elem
	for len(v) > 0 {
		if len(out) >= 1024 {
			return nil, errLength
		}
		e, rest, err := ReadElem(v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
		v = rest
	}
	return out, nil
}

// ReadMessage reads one whole BER element (an LDAPMessage) from r, bounded by MaxMessage.
func ReadMessage(r *bufio.Reader) ([]byte, error) {
	head, err := r.Peek(2)
	if err != nil {
		return nil, err
	}
	hl := 2
	if head[1] >= 0x80 {
		hl += int(head[1] & 0x7f)
		if hl > 6 {
			return nil, errLength
		}
	}
	head, err = r.Peek(hl)
	if err != nil {
		return nil, err
	}
	_, n, hdr, err := parseHeader(head)
	if err != nil {
		return nil, err
	}
	msg := make([]byte, hdr+n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return nil, fmt.Errorf("read ldap message: %w", err)
	}
	return msg, nil
}

// Int decodes a BER INTEGER/ENUMERATED value (up to 4 bytes, two's complement).
func Int(v []byte) (int, error) {
	if len(v) == 0 || len(v) > 4 {
		return 0, errLength
	}
	n := int(int8(v[0]))
	for _, c := range v[1:] {
		n = n<<8 | int(c)
	}
	return n, nil
}

// FilterString renders a search filter (RFC 4515 form), bounded in depth and size.
func FilterString(e Elem) (string, error) {
	var sb strings.Builder
	err := filterString(&sb, e, 0)
	return sb.String(), err
}

func filterString(sb *strings.Builder, e Elem, depth int) error {
	if depth > MaxDepth {
		return errDepth
	}
	if sb.Len() > 4096 {
		return errLength
	}
	if e.Tag&0xc0 != classContext {
		return fmt.Errorf("ber: filter tag 0x%02x", e.Tag)
	}
	sb.WriteByte('(')
	defer sb.WriteByte(')')
	switch e.Number() {
	case 0, 1, 2: // and, or, not
		sb.WriteByte("&|!"[e.Number()])
		kids, err := Children(e.Value)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := filterString(sb, k, depth+1); err != nil {
				return err
			}
		}
	case 3, 5, 6, 8: // equality, >=, <=, ~=
		kids, err := Children(e.Value)
		if err != nil || len(kids) != 2 {
			return fmt.Errorf("ber: attribute value assertion: %v", err)
		}
		op := map[byte]string{3: "=", 5: ">=", 6: "<=", 8: "~="}[e.Number()]
		sb.WriteString(escapeFilter(kids[0].Value) + op + escapeFilter(kids[1].Value))
	case 4: // substrings
		kids, err := Children(e.Value)
		if err != nil || len(kids) != 2 {
			return fmt.Errorf("ber: substring filter: %v", err)
		}
		subs, err := Children(kids[1].Value)
		if err != nil {
			return err
		}
		sb.WriteString(escapeFilter(kids[0].Value) + "=")
		for i, s := range subs {
			if s.Number() != 0 || i > 0 {
				sb.WriteByte('*')
			}
			sb.WriteString(escapeFilter(s.Value))
		}
		if len(subs) == 0 || subs[len(subs)-1].Number() != 2 {
			sb.WriteByte('*')
		}
	case 7: // present
		sb.WriteString(escapeFilter(e.Value) + "=*")
	case 9: // extensible match
		sb.WriteString(":extensible:")
	default:
		return fmt.Errorf("ber: filter choice %d", e.Number())
	}
	return nil
}

func escapeFilter(v []byte) string {
	var sb strings.Builder
	for _, c := range v {
		if c < 0x20 || c > 0x7e || c == '*' || c == '(' || c == ')' || c == '\\' {
			fmt.Fprintf(&sb, "\\%02x", c)
			continue
		}
		sb.WriteByte(c)
	}
	return sb.String()
}

// BER encoding. Constructed elements use the 4-byte long length form (0x84) as Active Directory and
// OpenLDAP 2.4+ do; primitives use the minimal form.

func appendLen(b []byte, n int, long bool) []byte {
	if long {
		return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
}

// cons encodes a constructed element.
func cons(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := appendLen(append(make([]byte, 0, n+6), tag), n, true)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// prim encodes a primitive element.
func prim(tag byte, v []byte) []byte {
	return append(appendLen([]byte{tag}, len(v), false), v...)
}

func octet(s string) []byte { return prim(0x04, []byte(s)) }

func integer(tag byte, n int) []byte {
	var v []byte
	switch {
	case n >= -0x80 && n < 0x80:
		v = []byte{byte(n)}
	case n >= -0x8000 && n < 0x8000:
		v = []byte{byte(n >> 8), byte(n)}
	default:
		v = []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return prim(tag, v)
}
