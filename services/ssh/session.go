package ssh

import (
	"encoding/binary"
	"io"
	"strings"
	"sync"

	"github.com/google/uuid"
	xssh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/services/shell"
)

// recWriter sends session output to the channel and the transcript.
type recWriter struct {
	w   io.Writer
	rec *shell.Recorder
}

func (r recWriter) Write(p []byte) (int, error) {
	r.rec.Output(p)
	return r.w.Write(p)
}

// sshString reads one SSH string from b.
func sshString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return "", nil, false
	}
	return string(b[4 : 4+n]), b[4+n:], true
}

type ptyInfo struct {
	term       string
	cols, rows int
}

func parsePty(b []byte) (ptyInfo, bool) {
	term, rest, ok := sshString(b)
	if !ok || len(rest) < 8 {
		return ptyInfo{}, false
	}
	return ptyInfo{term: term, cols: int(binary.BigEndian.Uint32(rest)), rows: int(binary.BigEndian.Uint32(rest[4:]))}, true
}

// session serves one "session" channel: pty/env requests, then one shell, exec or sftp subsystem.
func (c *conn) session(ch xssh.Channel, reqs <-chan *xssh.Request) {
	defer ch.Close()
	var (
		pty     *ptyInfo
		envs    = map[string]string{}
		started bool
		done    = make(chan struct{})
		once    sync.Once
	)
	finish := func(status int) {
		once.Do(func() {
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], uint32(status))
			_, _ = ch.SendRequest("exit-status", false, b[:])
			_ = ch.CloseWrite()
			ch.Close()
			close(done)
		})
	}
	for {
		var req *xssh.Request
		var ok bool
		select {
		case req, ok = <-reqs:
		case <-done:
			go xssh.DiscardRequests(reqs)
			return
		}
		if !ok {
			if started {
				<-done
			}
			return
		}
		switch req.Type {
		case "pty-req":
			p, ok := parsePty(req.Payload)
			if ok {
				pty = &p
			}
			_ = req.Reply(ok, nil)
		case "env":
			k, rest, ok1 := sshString(req.Payload)
			v, _, ok2 := sshString(rest)
			if ok1 && ok2 && len(envs) < 64 {
				envs[k] = v
			}
			_ = req.Reply(ok1 && ok2, nil)
		case "window-change":
			_ = req.Reply(false, nil)
		case "shell", "exec", "subsystem":
			if started {
				_ = req.Reply(false, nil)
				continue
			}
			arg := ""
			if req.Type != "shell" {
				var ok bool
				if arg, _, ok = sshString(req.Payload); !ok {
					_ = req.Reply(false, nil)
					continue
				}
			}
			if req.Type == "subsystem" && arg != "sftp" {
				_ = req.Reply(false, nil)
				continue
			}
			started = true
			_ = req.Reply(true, nil)
			typ := req.Type
			go func() {
				defer c.env.Recover("ssh "+typ, nil)
				status := 0
				defer func() { finish(status) }()
				switch typ {
				case "shell":
					status = c.runShell(ch, pty, envs)
				case "exec":
					status = c.runExec(ch, pty, envs, arg)
				default:
					c.runSFTP(ch)
				}
			}()
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
}

func (c *conn) newShell(out io.Writer, term shell.Terminal) *shell.Session {
	ss, err := c.s.sys.NewSession(c.user)
	if err != nil {
		return nil
	}
	ss.Src, ss.Out, ss.Term = c.ip, out, term
	ss.OnCommand = shell.CommandHook(c.env, c.src, c.ip)
	ss.OnAuth = shell.AuthHook(c.env, c.src)
	ss.Sleep = shell.SleepCtx(c.ctx)
	return ss
}

func (c *conn) runShell(ch xssh.Channel, pty *ptyInfo, envs map[string]string) int {
	sid := uuid.NewString()
	cols, rows := 80, 24
	if pty != nil {
		cols, rows = pty.cols, pty.rows
		envs["TERM"] = pty.term
	}
	rec := shell.StartRecording(c.env, c.src, sid, cols, rows, map[string]string{"SHELL": "/bin/bash", "TERM": envs["TERM"]})
	defer shell.FinishRecording(c.env, c.src, sid, rec)
	var out io.Writer = recWriter{ch, rec}
	if pty == nil {
		ss := c.newShell(out, nil)
		if ss == nil {
			return 1
		}
		applyEnv(ss, envs)
		_ = ss.RunScript(io.TeeReader(ch, inputRec{rec}))
		return 0
	}
	crlf := &shell.CRLF{W: out}
	lr := &shell.LineReader{R: ch, W: out, Echo: true, OnInput: rec.Input}
	ss := c.newShell(crlf, lr)
	if ss == nil {
		return 1
	}
	applyEnv(ss, envs)
	_, _ = io.WriteString(crlf, c.s.sys.Motd(lastLoginFrom(c.env.Rand("lastlogin").IntN(200))))
	_ = ss.Interact(lr)
	return 0
}

type inputRec struct{ rec *shell.Recorder }

func (i inputRec) Write(p []byte) (int, error) {
	i.rec.Input(p)
	return len(p), nil
}

func lastLoginFrom(n int) string { return "10.0.0." + itoa(20+n%200) }

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func applyEnv(ss *shell.Session, envs map[string]string) {
	for k, v := range envs {
		ss.SetEnv(k, v)
	}
}

func (c *conn) runExec(ch xssh.Channel, pty *ptyInfo, envs map[string]string, cmd string) int {
	if isSCPSink(cmd) {
		ss := c.newShell(io.Discard, nil)
		if ss == nil {
			return 1
		}
		ss.OnCommand(c.user, uidOf(ss), ss.Cwd(), cmd)
		return c.scpSink(ch, ss, cmd)
	}
	sid := uuid.NewString()
	rec := shell.StartRecording(c.env, c.src, sid, 80, 24, map[string]string{"SHELL": "/bin/bash"})
	defer shell.FinishRecording(c.env, c.src, sid, rec)
	var out io.Writer = recWriter{ch, rec}
	if pty != nil {
		out = &shell.CRLF{W: out}
	}
	ss := c.newShell(out, nil)
	if ss == nil {
		return 1
	}
	applyEnv(ss, envs)
	if strings.HasPrefix(strings.TrimSpace(cmd), "scp ") && strings.Contains(cmd, " -f") {
		_, _ = ch.Write([]byte("\x01scp: " + lastField(cmd) + ": No such file or directory\n"))
		ss.OnCommand(c.user, uidOf(ss), ss.Cwd(), cmd)
		return 1
	}
	return ss.Run(cmd)
}

func uidOf(ss *shell.Session) int {
	_, uid := ss.User()
	return uid
}

func lastField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}
