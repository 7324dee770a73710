// Package vnc emulates a VNC server (RFB 3.8) up to authentication: it offers VNC authentication only,
// sends a random 16-byte challenge, records the client's DES response and rejects it.
package vnc

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// Port is the declared VNC port.
const Port = 5900

// KindDESResponse is the credential kind of a VNC authentication response.
const KindDESResponse = "vnc_des_response"

// serverVersion is the ProtocolVersion message the server sends.
const serverVersion = "RFB 003.008\n"

// secVNCAuth is RFB security type 2, VNC authentication.
const secVNCAuth = 2

func init() { services.Register("vnc", func() services.Emulator { return &Server{} }) }

// Server is the VNC emulator.
type Server struct{ env *services.Env }

// Serve listens on the VNC port until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started("VNC server starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// ParseVersion validates a 12-byte ProtocolVersion message "RFB xxx.yyy\n" and returns major and minor.
func ParseVersion(b []byte) (major, minor int, err error) {
	if len(b) != 12 || string(b[:4]) != "RFB " || b[7] != '.' || b[11] != '\n' {
		return 0, 0, errors.New("rfb: malformed protocol version")
	}
	num := func(d []byte) (int, error) {
		n := 0
		for _, c := range d {
			if c < '0' || c > '9' {
				return 0, errors.New("rfb: non-digit in protocol version")
			}
			n = n*10 + int(c-'0')
		}
		return n, nil
	}
	if major, err = num(b[4:7]); err != nil {
		return 0, 0, err
	}
	if minor, err = num(b[8:11]); err != nil {
		return 0, 0, err
	}
	return major, minor, nil
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	src := services.SrcS(c.RemoteAddr())
	s.env.Info("connect", "VNC connection", src...)
	defer s.env.Info("disconnect", "", src...)
	r := bufio.NewReaderSize(c, 64)
	if _, err := io.WriteString(c, serverVersion); err != nil {
		return
	}
	ver := make([]byte, 12)
	if _, err := io.ReadFull(r, ver); err != nil {
		return
	}
	major, minor, err := ParseVersion(ver)
	s.env.Info("version", "client version "+string(ver[:11]), services.With(src, event.F("client_version", string(ver[:11])))...)
	if err != nil || major != 3 {
		return
	}
	if minor < 7 { // RFB 3.3: the server decides the security type
		if _, err := c.Write(binary.BigEndian.AppendUint32(nil, secVNCAuth)); err != nil {
			return
		}
	} else {
		if _, err := c.Write([]byte{1, secVNCAuth}); err != nil {
			return
		}
		choice, err := r.ReadByte()
		if err != nil {
			return
		}
		s.env.Info("security_choice", fmt.Sprintf("security type %d", choice), services.With(src, event.F("type", int(choice)))...)
		if choice != secVNCAuth {
			s.fail(c, minor, "Security type not supported")
			return
		}
	}
	challenge := make([]byte, 16)
	_, _ = rand.Read(challenge)
	if _, err := c.Write(challenge); err != nil {
		return
	}
	resp := make([]byte, 16)
	if _, err := io.ReadFull(r, resp); err != nil {
		return
	}
	h := hex.EncodeToString(resp)
	s.env.Info("auth_response", "VNC auth response challenge="+hex.EncodeToString(challenge), services.With(src,
		append([]event.Field{event.F("response", h)}, event.CredFieldsWith("", KindDESResponse, h, resp, "")...)...)...)
	s.fail(c, minor, "Authentication failed")
}

// fail sends SecurityResult "failed", with the reason string from RFB 3.8 on.
func (s *Server) fail(c net.Conn, minor int, reason string) {
	b := binary.BigEndian.AppendUint32(nil, 1)
	if minor >= 8 {
		b = binary.BigEndian.AppendUint32(b, uint32(len(reason)))
		b = append(b, reason...)
	}
	_, _ = c.Write(b)
}
