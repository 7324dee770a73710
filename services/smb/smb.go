// Package smb emulates a Windows SMB server on 445 (direct TCP) and 139 (NetBIOS session service): SMB1 and
// SMB2/3 NEGOTIATE as the persona's Windows release would answer, then SESSION_SETUP with NTLMSSP whose
// AUTHENTICATE response is captured as a hashcat-ready NetNTLMv1/v2 credential before STATUS_LOGON_FAILURE.
//
// Anonymous (null) sessions are allowed, as on Windows: the session setup succeeds (SMB2 with the null-session
// flag) so `smbclient -L -N` and nmap's smb-os-discovery get that far, and every later request (tree connect,
// IPC$ access, …) is answered STATUS_ACCESS_DENIED. Anonymous logons carry no secret and emit no auth_attempt.
package smb

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/ntlmssp"
	"github.com/decnet/decnet/services/winid"
)

func init() { services.Register("smb", func() services.Emulator { return &Server{} }) }

// MaxMessage bounds one NetBIOS/direct-TCP SMB message.
const MaxMessage = 128 << 10

// NT status codes used by the emulator.
const (
	StatusSuccess                = 0x00000000
	StatusMoreProcessingRequired = 0xC0000016
	StatusLogonFailure           = 0xC000006D
	StatusAccessDenied           = 0xC0000022
	StatusNotSupported           = 0xC00000BB
	StatusInvalidParameter       = 0xC000000D
	StatusUserSessionDeleted     = 0xC0000203
)

// Server is the SMB emulator.
type Server struct {
	env        *services.Env
	id         winid.Identity
	smb1       bool
	signingReq bool
	guid       [16]byte
	boot       time.Time
}

// Serve binds 445 and 139 and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.init(env)
	var lns []net.Listener
	for _, p := range []int{445, 139} {
		ln, err := env.ListenTCP(ctx, p)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return err
		}
		lns = append(lns, ln)
	}
	env.Started(fmt.Sprintf("SMB server starting as %s (%s, dialects up to %s, smb1=%v)",
		s.id.NetBIOSName, s.id.OS.Name, dialectName(s.id.OS.MaxDialect), s.smb1))
	var wg sync.WaitGroup
	errs := make([]error, len(lns))
	for i, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = env.Serve(ctx, ln, s.handle)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Server) init(env *services.Env) {
	s.env = env
	s.id = winid.FromEnv(env)
	s.smb1 = env.Persona.Bool("smb1", false)
	s.signingReq = s.id.OS.Server
	r := env.Rand("smb-server-guid")
	for i := range s.guid {
		s.guid[i] = byte(r.Uint32())
	}
	// Believable uptime: booted some seeded hours ago.
	s.boot = time.Now().Add(-time.Duration(1+r.IntN(24*30)) * time.Hour)
}

// conn is the per-connection state.
type conn struct {
	s         *Server
	c         net.Conn
	src       []event.Field
	challenge [8]byte
	cflags    uint32 // client NEGOTIATE flags
	sentChal  bool
	dialect   uint16 // negotiated SMB2 dialect (0 = none yet)
	session   uint64
	anonymous bool // a null session is established
	smb1Basic bool // SMB1 negotiated without extended security
	smb1Probe bool // SMB1 answered only to a legacy fingerprinting probe (persona smb1 off)
	uid       uint16
	wbuf      []byte
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	cn := &conn{s: s, c: c, src: services.SrcA(c.RemoteAddr())}
	s.env.Info("connection", "", cn.src...)
	defer s.env.Info("disconnect", "", cn.src...)
	if err := cn.loop(ctx); err != nil && !isClosed(err) {
		s.env.Info("error", err.Error(), services.With(cn.src, event.F("msg", err.Error()))...)
	}
}

func isClosed(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrUnexpectedEOF) ||
		(errors.As(err, &ne) && ne.Timeout()) || strings.Contains(err.Error(), "connection reset")
}

// errClose ends a connection without an error event (as Windows silently drops some requests).
var errClose = errors.New("close")

func (cn *conn) loop(ctx context.Context) error {
	var hdr [4]byte
	buf := make([]byte, 0, 4096)
	for ctx.Err() == nil {
		if _, err := io.ReadFull(cn.c, hdr[:]); err != nil {
			return err
		}
		n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
		if n > MaxMessage {
			return fmt.Errorf("smb message length %d exceeds %d", n, MaxMessage)
		}
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		msg := buf[:n]
		if _, err := io.ReadFull(cn.c, msg); err != nil {
			return err
		}
		switch hdr[0] {
		case 0x00:
		case 0x81: // NetBIOS session request → positive session response
			if err := cn.write([]byte{0x82, 0, 0, 0}); err != nil {
				return err
			}
			continue
		case 0x85: // keepalive
			continue
		default:
			return fmt.Errorf("unexpected netbios message type 0x%02x", hdr[0])
		}
		var out []byte
		var err error
		switch {
		case len(msg) >= 4 && string(msg[:4]) == "\xffSMB":
			out, err = cn.smb1(msg)
		case len(msg) >= 4 && string(msg[:4]) == "\xfeSMB":
			out, err = cn.smb2(msg)
		default:
			return fmt.Errorf("not an SMB message (%d bytes)", len(msg))
		}
		if errors.Is(err, errClose) {
			return nil
		}
		if err != nil {
			return err
		}
		if out != nil {
			if err := cn.frame(out); err != nil {
				return err
			}
		}
	}
	return nil
}

func (cn *conn) frame(msg []byte) error {
	cn.wbuf = append(cn.wbuf[:0], 0, byte(len(msg)>>16), byte(len(msg)>>8), byte(len(msg)))
	cn.wbuf = append(cn.wbuf, msg...)
	return cn.write(cn.wbuf)
}

func (cn *conn) write(b []byte) error {
	_, err := cn.c.Write(b)
	return err
}

func (cn *conn) newChallenge() []byte {
	_, _ = rand.Read(cn.challenge[:])
	cn.sentChal = true
	return ntlmssp.Challenge{ServerChallenge: cn.challenge, ClientFlags: cn.cflags, Target: cn.s.target(),
		Version: cn.s.id.OS.Version, DomainJoined: cn.s.id.Joined()}.Marshal()
}

// ntlm runs one NTLMSSP leg. It returns the token to send back (nil when none), the NT status, and
// whether an anonymous session was established.
func (cn *conn) ntlm(blob []byte) (token []byte, status uint32) {
	msg := ntlmssp.Find(blob)
	switch ntlmssp.MessageType(msg) {
	case ntlmssp.TypeNegotiate:
		if neg, err := ntlmssp.ParseNegotiate(msg); err == nil {
			cn.cflags = neg.Flags
		}
		return cn.newChallenge(), StatusMoreProcessingRequired
	case ntlmssp.TypeAuthenticate:
		a, err := ntlmssp.ParseAuthenticate(msg)
		if err != nil || !cn.sentChal {
			return nil, StatusInvalidParameter
		}
		if a.Anonymous() {
			cn.anonymous = true
			return nil, StatusSuccess
		}
		cn.capture(a, cn.challenge)
		return nil, StatusLogonFailure
	}
	if len(blob) == 0 {
		// Empty blob: the client wants the server to start — answer with a challenge.
		return cn.newChallenge(), StatusMoreProcessingRequired
	}
	return nil, StatusInvalidParameter
}

// capture emits the auth_attempt event of one AUTHENTICATE message.
func (cn *conn) capture(a *ntlmssp.Authenticate, challenge [8]byte) {
	fields := services.With(cn.src, event.F("username", a.User), event.F("domain", a.Domain),
		event.F("workstation", a.Workstation))
	fields = append(fields, a.CredFields(challenge)...)
	cn.s.env.Warn("auth_attempt", "", fields...)
}

// filetime returns t as a little-endian FILETIME.
func filetime(t time.Time) uint64 { return ntlmssp.Filetime(t) }

func le16(b []byte, v uint16) { binary.LittleEndian.PutUint16(b, v) }
func le32(b []byte, v uint32) { binary.LittleEndian.PutUint32(b, v) }
func le64(b []byte, v uint64) { binary.LittleEndian.PutUint64(b, v) }

// target returns the NTLM target info with the current time.
func (s *Server) target() ntlmssp.TargetInfo {
	t := s.id.Target()
	t.Timestamp = time.Now()
	return t
}
