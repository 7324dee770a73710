package shell

import (
	"errors"
	"io"
)

// ErrInterrupt is returned by ReadLine when the user pressed Ctrl-C.
var ErrInterrupt = errors.New("interrupt")

// MaxInputLine bounds one line typed at the terminal; longer input is cut.
const MaxInputLine = 16 << 10

// LineReader is a small terminal line editor for a raw-mode client: it echoes printable input, handles
// backspace, Ctrl-C, Ctrl-D, Ctrl-U, skips escape sequences and accepts CR, LF, CR LF or CR NUL as Enter.
// Output uses CR LF. It is the session's Terminal.
type LineReader struct {
	R    io.Reader
	W    io.Writer // echo goes here (nil = no echo at all, e.g. a client that echoes locally)
	Echo bool      // echo typed characters (pty sessions, telnet with WILL ECHO)

	buf     []byte
	pending []byte
	lastCR  bool
	esc     int // 0 none, 1 after ESC, 2 inside CSI
	eof     bool
	// OnInput, when set, sees every byte read from R (session transcript "i" events).
	OnInput func([]byte)
}

// ReadLine prints prompt and returns one edited line. io.EOF ends the session; ErrInterrupt means
// Ctrl-C (the caller prints a fresh prompt).
func (l *LineReader) ReadLine(prompt string) (string, error) { return l.read(prompt, l.Echo) }

// ReadPassword prints prompt and reads a line without echo.
func (l *LineReader) ReadPassword(prompt string) (string, error) {
	s, err := l.read(prompt, false)
	if err == nil && l.W != nil {
		_, _ = l.W.Write([]byte("\r\n"))
	}
	return s, err
}

func (l *LineReader) write(b []byte) {
	if l.W != nil {
		_, _ = l.W.Write(b)
	}
}

func (l *LineReader) read(prompt string, echo bool) (string, error) {
	if prompt != "" {
		l.write([]byte(prompt))
	}
	l.buf = l.buf[:0]
	var chunk [512]byte
	for {
		for len(l.pending) > 0 {
			c := l.pending[0]
			l.pending = l.pending[1:]
			line, done, err := l.feed(c, echo)
			if done || err != nil {
				return line, err
			}
		}
		if l.eof {
			return "", io.EOF
		}
		n, err := l.R.Read(chunk[:])
		if n > 0 {
			if l.OnInput != nil {
				l.OnInput(chunk[:n])
			}
			l.pending = append(l.pending[:0], chunk[:n]...)
		}
		if err != nil {
			l.eof = true
			if n == 0 {
				return "", err
			}
		}
	}
}

// feed processes one input byte; done reports a completed line.
func (l *LineReader) feed(c byte, echo bool) (string, bool, error) {
	wasCR := l.lastCR
	l.lastCR = false
	switch l.esc {
	case 1:
		if c == '[' || c == 'O' {
			l.esc = 2
		} else {
			l.esc = 0
		}
		return "", false, nil
	case 2:
		if c >= 0x40 && c <= 0x7e {
			l.esc = 0
		}
		return "", false, nil
	}
	switch c {
	case '\r':
		l.lastCR = true
		return l.finish(echo)
	case '\n', 0:
		if wasCR {
			return "", false, nil
		}
		if c == 0 {
			return "", false, nil
		}
		return l.finish(echo)
	case 0x7f, 0x08:
		if len(l.buf) > 0 {
			// drop a whole UTF-8 sequence
			i := len(l.buf) - 1
			for i > 0 && l.buf[i]&0xc0 == 0x80 {
				i--
			}
			l.buf = l.buf[:i]
			if echo {
				l.write([]byte("\b \b"))
			}
		}
	case 0x03:
		l.buf = l.buf[:0]
		if echo {
			l.write([]byte("^C\r\n"))
		} else {
			l.write([]byte("\r\n"))
		}
		return "", false, ErrInterrupt
	case 0x04:
		if len(l.buf) == 0 {
			return "", false, io.EOF
		}
	case 0x15:
		if echo {
			for range l.buf {
				l.write([]byte("\b \b"))
			}
		}
		l.buf = l.buf[:0]
	case 0x1b:
		l.esc = 1
	case '\t':
	default:
		if c < 0x20 {
			return "", false, nil
		}
		if len(l.buf) < MaxInputLine {
			l.buf = append(l.buf, c)
			if echo {
				l.write([]byte{c})
			}
		}
	}
	return "", false, nil
}

func (l *LineReader) finish(echo bool) (string, bool, error) {
	if echo {
		l.write([]byte("\r\n"))
	}
	s := string(l.buf)
	l.buf = l.buf[:0]
	return s, true, nil
}
