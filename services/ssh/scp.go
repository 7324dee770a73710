package ssh

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/services/shell"
)

// maxSCPLine bounds one scp control line.
const maxSCPLine = 4096

func isSCPSink(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) < 2 || path.Base(f[0]) != "scp" {
		return false
	}
	for _, a := range f[1:] {
		if strings.HasPrefix(a, "-") && strings.Contains(a, "t") && !strings.Contains(a, "f") {
			return true
		}
	}
	return false
}

// SCPControl is one parsed scp control line.
type SCPControl struct {
	Kind  byte // 'C' file, 'D' directory, 'E' end of directory, 'T' times
	Mode  uint32
	Size  int64
	Name  string
	Mtime int64
}

// ParseSCPControl parses one scp sink control line (without the trailing LF).
func ParseSCPControl(line string) (SCPControl, error) {
	if line == "" {
		return SCPControl{}, errors.New("empty control line")
	}
	c := SCPControl{Kind: line[0]}
	switch c.Kind {
	case 'E':
		return c, nil
	case 'T':
		f := strings.Fields(line[1:])
		if len(f) != 4 {
			return c, errors.New("bad T line")
		}
		mt, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || mt < 0 {
			return c, errors.New("bad mtime")
		}
		c.Mtime = mt
		return c, nil
	case 'C', 'D':
		f := strings.SplitN(line[1:], " ", 3)
		if len(f) != 3 {
			return c, errors.New("bad file line")
		}
		m, err := strconv.ParseUint(f[0], 8, 32)
		if err != nil {
			return c, errors.New("bad mode")
		}
		sz, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || sz < 0 {
			return c, errors.New("bad size")
		}
		if f[2] == "" || strings.Contains(f[2], "/") || f[2] == ".." {
			return c, errors.New("unexpected filename")
		}
		c.Mode, c.Size, c.Name = uint32(m), sz, f[2]
		return c, nil
	}
	return c, fmt.Errorf("unknown control %q", c.Kind)
}

// scpSink speaks the receiving side of the scp protocol (`scp -t TARGET`), capturing every file.
func (c *conn) scpSink(ch io.ReadWriter, ss *shell.Session, cmd string) int {
	target := lastField(cmd)
	multi := strings.Contains(cmd, " -r") || strings.Contains(cmd, " -d")
	dir := ss.Abs(target)
	if !multi && !ss.IsDir(target) {
		dir = ""
	}
	br := bufio.NewReaderSize(ch, 4096)
	ack := func() bool { _, err := ch.Write([]byte{0}); return err == nil }
	fail := func(msg string) int {
		_, _ = ch.Write([]byte("\x01scp: " + msg + "\n"))
		return 1
	}
	if !ack() {
		return 1
	}
	var mtime time.Time
	for depth := 0; ; {
		line, err := readLine(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return 0
			}
			return 1
		}
		ctl, err := ParseSCPControl(line)
		if err != nil {
			return fail(err.Error())
		}
		switch ctl.Kind {
		case 'T':
			mtime = time.Unix(ctl.Mtime, 0)
			ack()
		case 'D':
			if depth > 32 {
				return fail("too deep")
			}
			depth++
			if dir == "" {
				dir = ss.Abs(target)
			} else {
				dir = path.Join(dir, ctl.Name)
			}
			ack()
		case 'E':
			if depth > 0 {
				depth--
				dir = path.Dir(dir)
			}
			ack()
		case 'C':
			orig := ss.Abs(target)
			if dir != "" {
				orig = path.Join(dir, ctl.Name)
			}
			cp, err := newCapture(c.env, c.src, orig, c.user, "scp", "scp")
			if err != nil {
				c.env.Log.Error("scp capture", "err", err)
				return fail("write error")
			}
			cp.mtime = mtime
			mtime = time.Time{}
			ack()
			if _, err := io.CopyN(cp, br, ctl.Size); err != nil {
				_ = cp.Close()
				return 1
			}
			if _, err := br.ReadByte(); err != nil { // the sender's status byte
				_ = cp.Close()
				return 1
			}
			if err := cp.Close(); err != nil {
				c.env.Log.Error("scp capture", "err", err)
			}
			ss.AddFile(orig, ctl.Size)
			ack()
		}
	}
}

func readLine(br *bufio.Reader) (string, error) {
	var b []byte
	for len(b) <= maxSCPLine {
		c, err := br.ReadByte()
		if err != nil {
			return "", err
		}
		if c == '\n' {
			return string(b), nil
		}
		b = append(b, c)
	}
	return "", errors.New("control line too long")
}
