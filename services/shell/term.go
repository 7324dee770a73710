package shell

import (
	"errors"
	"io"
	"strings"
)

// CRLF converts LF to CR LF on the way to a terminal (a CR LF already present is kept).
type CRLF struct {
	W      io.Writer
	lastCR bool
}

// Write converts and writes p; it reports len(p) on success.
func (c *CRLF) Write(p []byte) (int, error) {
	out := make([]byte, 0, len(p)+len(p)/8)
	for _, b := range p {
		if b == '\n' && !c.lastCR {
			out = append(out, '\r')
		}
		c.lastCR = b == '\r'
		out = append(out, b)
	}
	if _, err := c.W.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Interact runs the interactive loop of a terminal session: prompt, read a line, run it, until the
// user logs out or the input ends. Ctrl-C gives a fresh prompt.
func (ss *Session) Interact(lr *LineReader) error {
	for !ss.closed {
		line, err := lr.ReadLine(ss.Prompt())
		switch {
		case errors.Is(err, ErrInterrupt):
			ss.status = 130
			continue
		case errors.Is(err, io.EOF):
			if lr.Echo {
				_, _ = io.WriteString(ss.Out, "logout\n")
			}
			return nil
		case err != nil:
			return err
		}
		ss.Run(line)
	}
	return nil
}

// RunScript runs input line by line without prompts or echo (a shell request without a pty, whose
// client sends commands on stdin).
func (ss *Session) RunScript(r io.Reader) error {
	lr := &LineReader{R: r}
	for !ss.closed {
		line, err := lr.ReadLine("")
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if errors.Is(err, ErrInterrupt) {
				continue
			}
			return err
		}
		ss.Run(strings.TrimSpace(line))
	}
	return nil
}
