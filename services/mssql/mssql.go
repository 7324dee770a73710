// Package mssql emulates Microsoft SQL Server up to authentication: it answers TDS PRELOGIN without
// encryption so LOGIN7 arrives in clear, de-obfuscates and records the password, and fails the login
// with error 18456.
package mssql

import (
	"bufio"
	"context"
	"fmt"
	"net"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// Port is the declared SQL Server port.
const Port = 1433

func init() { services.Register("mssql", func() services.Emulator { return &Server{} }) }

// Server is the SQL Server emulator.
type Server struct {
	env     *services.Env
	version [6]byte
}

// builds are SQL Server builds (major, minor, build) the seed picks from; 2019 RTM weighted double; all builds nmap 7.9x names.
var builds = [][3]int{{15, 0, 2000}, {15, 0, 2000}, {15, 0, 4153}, {15, 0, 4298}, {15, 0, 4375}, {14, 0, 3465}}

// Version returns the (major, minor, build) the emulator claims for an env (seeded).
func Version(env *services.Env) [3]int {
	return builds[env.Rand("mssql-version").IntN(len(builds))]
}

// Serve listens on the SQL Server port until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	v := Version(env)
	s.version = [6]byte{byte(v[0]), byte(v[1]), byte(v[2] >> 8), byte(v[2]), 0, 0}
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started(fmt.Sprintf("SQL Server %d.%d.%d starting as %s", v[0], v[1], v[2], env.Decky))
	return env.Serve(ctx, ln, s.handle)
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	src := services.SrcS(c.RemoteAddr())
	s.env.Info("connect", "SQL Server connection", src...)
	defer s.env.Info("disconnect", "", src...)
	r := bufio.NewReaderSize(c, 4096)
	prelogin := false
	for {
		h, err := readHeader(r)
		if err != nil {
			return
		}
		if h.typ == typePrelogin && !prelogin {
			body, err := readBody(r, h)
			if err != nil {
				return
			}
			opts, err := ParsePrelogin(body)
			if err != nil {
				s.env.Log.Debug("mssql bad prelogin", "err", err)
				return
			}
			_, mars := opts[optMARS]
			if _, err := c.Write(preloginReply(s.version, mars)); err != nil {
				return
			}
			prelogin = true
			continue
		}
		if h.typ != typeLogin7 {
			s.env.Info("unknown_packet", fmt.Sprintf("unexpected TDS packet type %#02x", h.typ),
				services.With(src, event.F("pkt_type", int(h.typ)))...)
			return
		}
		body, err := readBody(r, h)
		if err != nil {
			return
		}
		l, err := ParseLogin7(body)
		if err != nil {
			s.env.Log.Debug("mssql bad login7", "err", err)
			return
		}
		s.env.Info("auth", fmt.Sprintf("SQL Server login attempt user=%s host=%s app=%s server=%s", l.Username, l.Hostname, l.AppName, l.ServerName),
			services.With(src, append([]event.Field{event.F("username", l.Username)},
				event.CredFields(l.Username, event.KindPlaintext, []byte(l.Password), "")...)...)...)
		_, _ = c.Write(loginFailed(l.Username, s.env.Hostname, l.TDSVersion))
		return
	}
}
