package redis

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Parser bounds: arguments per command, bytes per bulk string, bytes per inline command and bytes per
// command overall.
const (
	MaxArgs     = 1024
	MaxBulk     = 512 << 10
	MaxInline   = 64 << 10
	MaxCommand  = 4 << 20
	readBufSize = 4096
)

// ProtocolError is a malformed request; the server answers "-ERR Protocol error: …" and closes.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// NewReader returns a reader sized for the parser's bounds.
func NewReader(r io.Reader) *bufio.Reader { return bufio.NewReaderSize(r, readBufSize) }

// readLine returns one CRLF- (or LF-) terminated line without its terminator, at most MaxInline bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var acc []byte
	line, err := r.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		if len(acc)+len(line) > MaxInline {
			return nil, &ProtocolError{"too big inline request"}
		}
		acc = append(acc, line...)
		line, err = r.ReadSlice('\n')
	}
	if err != nil {
		return nil, err
	}
	if acc != nil {
		line = append(acc, line...)
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	if len(line) > MaxInline {
		return nil, &ProtocolError{"too big inline request"}
	}
	return line, nil
}

// ReadCommand reads one request: a RESP array of bulk strings or an inline command. Empty inline lines
// return an empty, nil-error command.
func ReadCommand(r *bufio.Reader) ([][]byte, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 || line[0] != '*' {
		return splitInline(line)
	}
	n, err := strconv.Atoi(string(line[1:]))
	if err != nil || n > MaxArgs {
		return nil, &ProtocolError{"invalid multibulk length"}
	}
	if n <= 0 {
		return [][]byte{}, nil
	}
	args := make([][]byte, 0, n)
	total := 0
	for range n {
		hdr, err := readLine(r)
		if err != nil {
			return nil, err
		}
		if len(hdr) == 0 || hdr[0] != '$' {
			return nil, &ProtocolError{fmt.Sprintf("expected '$', got '%c'", firstByte(hdr))}
		}
		l, err := strconv.Atoi(string(hdr[1:]))
		if err != nil || l < 0 || l > MaxBulk {
			return nil, &ProtocolError{"invalid bulk length"}
		}
		if total += l; total > MaxCommand {
			return nil, &ProtocolError{"command too large"}
		}
		buf := make([]byte, l+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if buf[l] != '\r' || buf[l+1] != '\n' {
			return nil, &ProtocolError{"bulk string not terminated by CRLF"}
		}
		args = append(args, buf[:l])
	}
	return args, nil
}

func firstByte(b []byte) byte {
	if len(b) == 0 {
		return ' '
	}
	return b[0]
}

// splitInline splits an inline command into arguments: whitespace-separated, with "double" (escapes
// \n \r \t \" \\ \xHH) and 'single' quoted arguments like redis' sdssplitargs.
func splitInline(line []byte) ([][]byte, error) {
	var args [][]byte
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		if len(args) >= MaxArgs {
			return nil, &ProtocolError{"too many arguments"}
		}
		var cur []byte
		switch line[i] {
		case '"':
			i++
			for {
				if i >= len(line) {
					return nil, &ProtocolError{"unbalanced quotes in request"}
				}
				c := line[i]
				if c == '"' {
					i++
					break
				}
				if c == '\\' && i+1 < len(line) {
					i++
					switch e := line[i]; e {
					case 'n':
						c = '\n'
					case 'r':
						c = '\r'
					case 't':
						c = '\t'
					case 'b':
						c = '\b'
					case 'a':
						c = '\a'
					case 'x':
						if i+2 < len(line) && isHex(line[i+1]) && isHex(line[i+2]) {
							v, _ := strconv.ParseUint(string(line[i+1:i+3]), 16, 8)
							c = byte(v)
							i += 2
						} else {
							c = 'x'
						}
					default:
						c = e
					}
				}
				cur = append(cur, c)
				i++
			}
			if i < len(line) && !isSpace(line[i]) {
				return nil, &ProtocolError{"unbalanced quotes in request"}
			}
		case '\'':
			i++
			for {
				if i >= len(line) {
					return nil, &ProtocolError{"unbalanced quotes in request"}
				}
				if line[i] == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					cur = append(cur, '\'')
					i += 2
					continue
				}
				if line[i] == '\'' {
					i++
					break
				}
				cur = append(cur, line[i])
				i++
			}
			if i < len(line) && !isSpace(line[i]) {
				return nil, &ProtocolError{"unbalanced quotes in request"}
			}
		default:
			j := i
			for j < len(line) && !isSpace(line[j]) {
				j++
			}
			cur = append(cur, line[i:j]...)
			i = j
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Reply builders (RESP2).

func simple(b *bytes.Buffer, s string) { b.WriteString("+" + s + "\r\n") }
func errorf(b *bytes.Buffer, s string) { b.WriteString("-" + s + "\r\n") }
func integer(b *bytes.Buffer, n int64) { b.WriteString(":" + strconv.FormatInt(n, 10) + "\r\n") }
func nullBulk(b *bytes.Buffer)         { b.WriteString("$-1\r\n") }

func bulk(b *bytes.Buffer, s []byte) {
	b.WriteString("$" + strconv.Itoa(len(s)) + "\r\n")
	b.Write(s)
	b.WriteString("\r\n")
}

func arrayHeader(b *bytes.Buffer, n int) { b.WriteString("*" + strconv.Itoa(n) + "\r\n") }

func bulkStrings(b *bytes.Buffer, items []string) {
	arrayHeader(b, len(items))
	for _, s := range items {
		bulk(b, []byte(s))
	}
}

// Match reports whether s matches a redis glob pattern (*, ?, [abc], [^a-z], \x). It runs in
// O(len(pattern)·len(s)) at worst.
func Match(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				for p < len(pattern) && pattern[p] == '*' {
					p++
				}
				if p == len(pattern) {
					return true
				}
				starP, starI = p, i
				continue
			case '?':
				p++
				i++
				continue
			case '[':
				if np, ok := matchClass(pattern, p, s[i]); ok {
					p, i = np, i+1
					continue
				}
			case '\\':
				if p+1 < len(pattern) && pattern[p+1] == s[i] {
					p, i = p+2, i+1
					continue
				}
				if p+1 == len(pattern) && s[i] == '\\' {
					p, i = p+1, i+1
					continue
				}
			default:
				if c == s[i] {
					p++
					i++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		starI++
		p, i = starP, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches c against the [..] class starting at pattern[p]; it returns the index after the class.
func matchClass(pattern string, p int, c byte) (int, bool) {
	p++
	neg := p < len(pattern) && pattern[p] == '^'
	if neg {
		p++
	}
	matched := false
	for p < len(pattern) && pattern[p] != ']' {
		switch {
		case pattern[p] == '\\' && p+1 < len(pattern):
			p++
			if pattern[p] == c {
				matched = true
			}
			p++
		case p+2 < len(pattern) && pattern[p+1] == '-' && pattern[p+2] != ']':
			lo, hi := pattern[p], pattern[p+2]
			if lo > hi {
				lo, hi = hi, lo
			}
			if c >= lo && c <= hi {
				matched = true
			}
			p += 3
		default:
			if pattern[p] == c {
				matched = true
			}
			p++
		}
	}
	if p < len(pattern) {
		p++ // ']'
	}
	return p, matched != neg
}
