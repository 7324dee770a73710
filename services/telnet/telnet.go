// Package telnet is the telnet emulator (catalog §1 `telnet`): option negotiation, the distro's
// /etc/issue and `login:`/`Password:` prompts, credential logging with the ssh rule, and the emulated
// shell of services/shell (no sudo; `su -` asks for the root password), recorded as a transcript.
package telnet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/shell"
)

// Port is the declared telnet port.
const Port = 23

// maxLoginTries is how many failed logins end a connection, like login(1).
const maxLoginTries = 3

func init() { services.Register("telnet", func() services.Emulator { return &Server{} }) }

// Server is the telnet emulator.
type Server struct {
	env *services.Env
	sys *shell.System
	// FailDelay is the pause after a failed login (jittered); default 1 s.
	FailDelay time.Duration
}

// Serve binds port 23 (+offset) and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	s.sys = shell.NewServiceSystem(env, true)
	if s.FailDelay == 0 {
		s.FailDelay = time.Second
	}
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started("Telnet server starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// tconn wraps a client connection: reads strip telnet commands (answering negotiation), writes escape IAC.
type tconn struct {
	c        net.Conn
	p        Parser
	wmu      sync.Mutex
	answered map[[2]byte]bool
	cols     int
	rows     int
	term     string
	pending  []byte
}

// Like Linux (netkit) telnetd, the server first asks for the terminal type, speed, X display and
// environment, and says nothing more until the client answers; then it takes over echo.
var (
	firstNegotiation  = []byte{IAC, DO, OptTType, IAC, DO, OptTSpeed, IAC, DO, OptXDisploc, IAC, DO, OptNewEnv}
	secondNegotiation = []byte{IAC, WILL, OptEcho, IAC, WILL, OptSGA, IAC, DO, OptNAWS}
	// answerWait bounds how long the server waits for the client's first answer.
	answerWait = 10 * time.Second
)

func (t *tconn) rawWrite(b []byte) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_, err := t.c.Write(b)
	return err
}

// Write sends data with IAC doubled.
func (t *tconn) Write(p []byte) (int, error) {
	out := p
	if bytes.IndexByte(p, IAC) >= 0 {
		out = bytes.ReplaceAll(p, []byte{IAC}, []byte{IAC, IAC})
	}
	if err := t.rawWrite(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Read returns client data with telnet commands removed.
func (t *tconn) Read(p []byte) (int, error) {
	for len(t.pending) == 0 {
		var buf [1024]byte
		n, err := t.c.Read(buf[:])
		if n > 0 {
			var cmds []Cmd
			t.pending, cmds = t.p.Feed(buf[:n], t.pending[:0])
			for _, c := range cmds {
				t.answer(c)
			}
		}
		if err != nil {
			if len(t.pending) > 0 {
				break
			}
			return 0, err
		}
	}
	n := copy(p, t.pending)
	t.pending = t.pending[n:]
	return n, nil
}

// awaitAnswer waits up to d for the client to send anything (its answers to the first options); data
// bytes read meanwhile are kept for the login prompt. It reports false when the connection failed.
func (t *tconn) awaitAnswer(d time.Duration) bool {
	_ = t.c.SetReadDeadline(time.Now().Add(d))
	defer t.c.SetReadDeadline(time.Time{})
	var buf [1024]byte
	n, err := t.c.Read(buf[:])
	if n > 0 {
		var cmds []Cmd
		t.pending, cmds = t.p.Feed(buf[:n], t.pending[:0])
		for _, c := range cmds {
			t.answer(c)
		}
	}
	var ne net.Error
	return err == nil || errors.As(err, &ne) && ne.Timeout()
}

func (t *tconn) answer(c Cmd) {
	key := [2]byte{c.Verb, c.Opt}
	switch c.Verb {
	case SB:
		switch {
		case c.Opt == OptNAWS && len(c.Data) >= 4:
			t.cols, t.rows = int(binary.BigEndian.Uint16(c.Data)), int(binary.BigEndian.Uint16(c.Data[2:]))
		case c.Opt == OptTType && len(c.Data) > 1 && c.Data[0] == 0:
			t.term = string(c.Data[1:])
		}
		return
	}
	if t.answered[key] || len(t.answered) > 64 {
		return
	}
	t.answered[key] = true
	switch c.Verb {
	case DO:
		if c.Opt != OptEcho && c.Opt != OptSGA {
			_ = t.rawWrite([]byte{IAC, WONT, c.Opt})
		}
	case WILL:
		switch c.Opt {
		case OptTType:
			_ = t.rawWrite([]byte{IAC, SB, OptTType, 1, IAC, SE})
		case OptNAWS, OptTSpeed, OptXDisploc, OptNewEnv:
		default:
			_ = t.rawWrite([]byte{IAC, DONT, c.Opt})
		}
	}
}

func (s *Server) handle(ctx context.Context, nc net.Conn) {
	src := services.SrcA(nc.RemoteAddr())
	ip := services.SourceIP(nc.RemoteAddr())
	s.env.Info("connect", "", src...)
	defer s.env.Info("disconnect", "", src...)
	t := &tconn{c: nc, answered: map[[2]byte]bool{}}
	out := &shell.CRLF{W: t}
	lr := &shell.LineReader{R: t, W: out, Echo: true}
	if err := t.rawWrite(firstNegotiation); err != nil {
		return
	}
	if !t.awaitAnswer(answerWait) {
		return
	}
	if err := t.rawWrite(secondNegotiation); err != nil {
		return
	}
	_, _ = io.WriteString(out, "\n"+s.sys.Issue("pts/0"))
	host := s.sys.Hostname()
	jitter := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var user string
	for try := 0; ; try++ {
		if try >= maxLoginTries {
			return
		}
		u, err := lr.ReadLine(host + " login: ")
		if errors.Is(err, shell.ErrInterrupt) {
			continue
		}
		if err != nil {
			return
		}
		if u == "" {
			try--
			continue
		}
		pw, err := lr.ReadPassword("Password: ")
		if err != nil {
			return
		}
		ok := s.sys.CheckPassword(u, pw)
		outcome := "failure"
		if ok {
			outcome = "success"
		}
		s.env.Info("auth_attempt", "", services.With(src, append([]event.Field{event.F("username", u)},
			event.CredFields(u, event.KindPlaintext, []byte(pw), outcome)...)...)...)
		if ok {
			user = u
			break
		}
		shell.SleepCtx(ctx)(s.FailDelay/2 + time.Duration(jitter.Int64N(int64(s.FailDelay))))
		if ctx.Err() != nil {
			return
		}
		_, _ = io.WriteString(out, "\nLogin incorrect\n")
	}
	sid := uuid.NewString()
	rec := shell.StartRecording(s.env, src, sid, t.cols, t.rows, map[string]string{"SHELL": "/bin/bash", "TERM": t.term})
	defer shell.FinishRecording(s.env, src, sid, rec)
	recOut := &shell.CRLF{W: recTee{t, rec}}
	lr.W, lr.OnInput = recOut, rec.Input
	ss, err := s.sys.NewSession(user)
	if err != nil {
		return
	}
	ss.Src, ss.Out, ss.Term = ip, recOut, lr
	ss.OnCommand = shell.CommandHook(s.env, src, ip)
	ss.OnAuth = shell.AuthHook(s.env, src)
	ss.Sleep = shell.SleepCtx(ctx)
	if t.term != "" {
		ss.SetEnv("TERM", t.term)
	}
	_, _ = io.WriteString(recOut, s.sys.Motd("10.0.0."+itoa(20+s.env.Rand("lastlogin").IntN(200))))
	_ = ss.Interact(lr)
}

type recTee struct {
	w   io.Writer
	rec *shell.Recorder
}

func (r recTee) Write(p []byte) (int, error) {
	r.rec.Output(p)
	return r.w.Write(p)
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}
