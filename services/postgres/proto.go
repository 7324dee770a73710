package postgres

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Startup request codes of the PostgreSQL wire protocol.
const (
	codeSSLRequest    = 80877103
	codeGSSENCRequest = 80877104
	codeCancelRequest = 80877102
	protocolV3        = 3 << 16
)

// Bounds on client messages: PostgreSQL itself caps the startup packet at 10000 bytes and an
// authentication token at 65535.
const (
	maxStartup = 10000
	maxMessage = 65535
)

var errLength = errors.New("invalid length of startup packet")

// readStartup reads one length-prefixed startup-phase packet and returns its code and the rest.
func readStartup(r io.Reader) (code uint32, body []byte, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("read startup length: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 8 || n > maxStartup {
		return 0, nil, errLength
	}
	buf := make([]byte, n-4)
	if _, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("read startup packet: %w", err)
	}
	return binary.BigEndian.Uint32(buf), buf[4:], nil
}

// Startup holds the parameters of a v3 StartupMessage.
type Startup struct {
	Params map[string]string
	Order  []string
}

// Get returns a parameter value ("" when absent).
func (s Startup) Get(k string) string { return s.Params[k] }

// ParseStartup decodes the parameter list of a v3 StartupMessage (after the protocol code).
func ParseStartup(body []byte) (Startup, error) {
	s := Startup{Params: map[string]string{}}
	for len(body) > 0 {
		if body[0] == 0 {
			return s, nil
		}
		k, rest, ok := cstring(body)
		if !ok {
			return s, errors.New("startup: unterminated parameter name")
		}
		v, rest, ok := cstring(rest)
		if !ok {
			return s, errors.New("startup: unterminated parameter value")
		}
		if _, dup := s.Params[k]; !dup {
			s.Order = append(s.Order, k)
		}
		s.Params[k] = v
		body = rest
	}
	return s, errors.New("startup: missing terminator")
}

// readMessage reads one typed frontend message (type byte, int32 length including itself, body).
func readMessage(r io.Reader) (typ byte, body []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, fmt.Errorf("read message header: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n < 4 || n > maxMessage {
		return 0, nil, fmt.Errorf("invalid message length %d", n)
	}
	body = make([]byte, n-4)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, fmt.Errorf("read message body: %w", err)
	}
	return hdr[0], body, nil
}

// ParsePassword returns the text of a PasswordMessage body (up to its NUL terminator).
func ParsePassword(body []byte) []byte {
	if i := bytes.IndexByte(body, 0); i >= 0 {
		return body[:i]
	}
	return body
}

// ParseSASLInitial decodes a SASLInitialResponse body: mechanism name and initial client data.
func ParseSASLInitial(body []byte) (mech string, data []byte, err error) {
	mech, rest, ok := cstring(body)
	if !ok || len(rest) < 4 {
		return "", nil, errors.New("sasl initial response: truncated")
	}
	n := int32(binary.BigEndian.Uint32(rest))
	rest = rest[4:]
	if n < 0 {
		return mech, nil, nil
	}
	if int(n) > len(rest) {
		return "", nil, errors.New("sasl initial response: length beyond message")
	}
	return mech, rest[:n], nil
}

// scramAttr returns the value of attribute key (e.g. "r", "p") in a comma-separated SCRAM message.
func scramAttr(msg, key string) (string, bool) {
	for part := range strings.SplitSeq(msg, ",") {
		if strings.HasPrefix(part, key+"=") {
			return part[len(key)+1:], true
		}
	}
	return "", false
}

// ParseClientFirst returns the client nonce of a SCRAM client-first-message (gs2 header included).
func ParseClientFirst(data []byte) (nonce string, err error) {
	s := string(data)
	// gs2-header: cbind-flag "," [authzid] ","
	i := strings.IndexByte(s, ',')
	if i < 0 {
		return "", errors.New("scram client-first: no gs2 header")
	}
	j := strings.IndexByte(s[i+1:], ',')
	if j < 0 {
		return "", errors.New("scram client-first: no gs2 header")
	}
	nonce, ok := scramAttr(s[i+1+j+1:], "r")
	if !ok || nonce == "" {
		return "", errors.New("scram client-first: no nonce")
	}
	return nonce, nil
}

// ParseClientFinal returns the base64 proof (p=) of a SCRAM client-final-message.
func ParseClientFinal(data []byte) (proof string, err error) {
	p, ok := scramAttr(string(data), "p")
	if !ok || p == "" {
		return "", errors.New("scram client-final: no proof")
	}
	return p, nil
}

func cstring(b []byte) (string, []byte, bool) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", b, false
	}
	return string(b[:i]), b[i+1:], true
}

// message builds a backend message: type, int32 length, body.
func message(typ byte, body []byte) []byte {
	b := make([]byte, 0, 5+len(body))
	b = append(b, typ)
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(body)))
	return append(b, body...)
}

// authRequest builds an Authentication* message with code and extra data.
func authRequest(code uint32, extra []byte) []byte {
	return message('R', append(binary.BigEndian.AppendUint32(nil, code), extra...))
}

// errorField is one ErrorResponse field.
type errorField struct {
	code byte
	val  string
}

// errorResponse builds an ErrorResponse message.
func errorResponse(fields ...errorField) []byte {
	var b []byte
	for _, f := range fields {
		b = append(b, f.code)
		b = append(b, f.val...)
		b = append(b, 0)
	}
	return message('E', append(b, 0))
}

// fatal builds the FATAL ErrorResponse a PostgreSQL backend sends.
func fatal(sqlstate, msg, file, line, routine string) []byte {
	return errorResponse(errorField{'S', "FATAL"}, errorField{'V', "FATAL"}, errorField{'C', sqlstate},
		errorField{'M', msg}, errorField{'F', file}, errorField{'L', line}, errorField{'R', routine})
}
