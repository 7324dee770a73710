// Package rdp emulates a Windows Remote Desktop listener on 3389: X.224 connection request parsing
// (mstshash cookie, requested protocols), then with NLA (default) PROTOCOL_HYBRID, a TLS upgrade and
// CredSSP carrying NTLMSSP, whose AUTHENTICATE is captured as a NetNTLMv2 credential before the logon is
// refused; without NLA a classic Connection Confirm and a close after the MCS Connect Initial.
package rdp

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/ntlmssp"
	"github.com/decnet/decnet/services/winid"
)

func init() { services.Register("rdp", func() services.Emulator { return &Server{} }) }

// Server is the RDP emulator.
type Server struct {
	env    *services.Env
	id     winid.Identity
	nla    bool
	tlsCfg *tls.Config
}

// Serve binds 3389 and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	s.id = winid.FromEnv(env)
	s.nla = env.Persona.Bool("nla", true)
	cert, err := winid.SelfSigned(env.Artifacts, "rdp", s.id.DNSComputer)
	if err != nil {
		return fmt.Errorf("rdp: %w", err)
	}
	s.tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10}
	ln, err := env.ListenTCP(ctx, 3389)
	if err != nil {
		return err
	}
	env.Started(fmt.Sprintf("RDP server starting as %s (%s %s, nla=%v)", s.id.NetBIOSName, s.id.OS.Name, s.id.OS.Version, s.nla))
	err = env.Serve(ctx, ln, s.handle)
	env.Info("shutdown", "RDP server stopping")
	return err
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	src := services.SrcA(c.RemoteAddr())
	s.env.Info("connection", "", src...)
	defer s.env.Info("disconnect", "", src...)
	if err := s.session(ctx, c, src); err != nil && !quiet(err) {
		s.env.Info("error", err.Error(), services.With(src, event.F("msg", err.Error()))...)
	}
}

func quiet(err error) bool {
	var ne net.Error
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) ||
		(errors.As(err, &ne) && ne.Timeout()) || strings.Contains(err.Error(), "connection reset")
}

func (s *Server) session(ctx context.Context, c net.Conn, src []event.Field) error {
	pdu, err := readTPKT(c)
	if err != nil {
		return err
	}
	cr, err := ParseConnectionRequest(pdu)
	if err != nil {
		return err
	}
	proto := fmt.Sprintf("0x%x", cr.RequestedProtocols)
	if cr.Cookie != "" {
		s.env.Info("rdp_cookie", "", services.With(src, event.F("requested_protocols", proto),
			event.F("username", cr.Cookie), event.F("principal", cr.Cookie))...)
	} else {
		s.env.Info("connection_request", "", services.With(src, event.F("requested_protocols", proto))...)
	}
	if !cr.HasNegReq {
		// Legacy client: classic RDP security, then wait for the MCS Connect Initial and close.
		if _, err := c.Write(connectionConfirm(nil)); err != nil {
			return err
		}
		_, err := readTPKT(c)
		return err
	}
	if !s.nla {
		sel := uint32(ProtocolRDP)
		if cr.RequestedProtocols&ProtocolSSL != 0 {
			sel = ProtocolSSL
		}
		if _, err := c.Write(connectionConfirm(negResponse(sel))); err != nil {
			return err
		}
		var r io.Reader = c
		if sel == ProtocolSSL {
			tc, err := s.handshake(ctx, c, src)
			if err != nil {
				return nil
			}
			r = tc
		}
		_, err := readTPKT(r)
		return err
	}
	if cr.RequestedProtocols&(ProtocolHybrid|ProtocolHybridEx) == 0 {
		_, err := c.Write(connectionConfirm(negFailure(5))) // HYBRID_REQUIRED_BY_SERVER
		return err
	}
	if _, err := c.Write(connectionConfirm(negResponse(ProtocolHybrid))); err != nil {
		return err
	}
	tc, err := s.handshake(ctx, c, src)
	if err != nil {
		return nil
	}
	return s.credSSP(tc, src)
}

func (s *Server) handshake(ctx context.Context, c net.Conn, src []event.Field) (*tls.Conn, error) {
	tc := tls.Server(c, s.tlsCfg)
	hctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		s.env.Info("tls_handshake_failed", err.Error(), services.With(src, event.F("error", err.Error()))...)
		return nil, err
	}
	return tc, nil
}

// credSSP runs the NTLM exchange inside CredSSP TSRequests (MS-CSSP).
func (s *Server) credSSP(c net.Conn, src []event.Field) error {
	r := bufio.NewReader(c)
	var challenge [8]byte
	sent := false
	for range 4 {
		req, err := readDER(r)
		if err != nil {
			return err
		}
		msg := ntlmssp.Find(req)
		switch ntlmssp.MessageType(msg) {
		case ntlmssp.TypeNegotiate:
			neg, err := ntlmssp.ParseNegotiate(msg)
			if err != nil {
				return err
			}
			_, _ = rand.Read(challenge[:])
			sent = true
			t := s.id.Target()
			t.Timestamp = time.Now()
			chal := ntlmssp.Challenge{ServerChallenge: challenge, ClientFlags: neg.Flags, Target: t,
				Version: s.id.OS.Version, DomainJoined: s.id.Joined()}.Marshal()
			if _, err := c.Write(tsRequest(nil, chal, 0)); err != nil {
				return err
			}
		case ntlmssp.TypeAuthenticate:
			if !sent {
				return errors.New("credssp: authenticate before challenge")
			}
			a, err := ntlmssp.ParseAuthenticate(msg)
			if err != nil {
				return err
			}
			if !a.Anonymous() {
				fields := services.With(src, event.F("auth_path", "nla"), event.F("username", a.User),
					event.F("domain", a.Domain), event.F("workstation", a.Workstation))
				s.env.Warn("auth_attempt", "", append(fields, a.CredFields(challenge)...)...)
			}
			_, _ = c.Write(tsRequest(nil, nil, 0xC000006D)) // STATUS_LOGON_FAILURE
			return nil
		default:
			return errors.New("credssp: no NTLMSSP token in TSRequest")
		}
	}
	return nil
}

// tsRequest encodes a TSRequest (version 6) with an optional NTLM token and error code.
func tsRequest(_ []byte, token []byte, errorCode uint32) []byte {
	parts := [][]byte{ntlmssp.TLV(nil, 0xa0, []byte{0x02, 0x01, 0x06})}
	if token != nil {
		parts = append(parts, ntlmssp.TLV(nil, 0xa1, ntlmssp.TLV(nil, 0x30, ntlmssp.TLV(nil, 0x30,
			ntlmssp.TLV(nil, 0xa0, ntlmssp.TLV(nil, 0x04, token))))))
	}
	if errorCode != 0 {
		parts = append(parts, ntlmssp.TLV(nil, 0xa4, []byte{0x02, 0x04, byte(errorCode >> 24), byte(errorCode >> 16),
			byte(errorCode >> 8), byte(errorCode)}))
	}
	return ntlmssp.TLV(nil, 0x30, parts...)
}
