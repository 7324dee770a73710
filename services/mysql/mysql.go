// Package mysql emulates a MySQL server up to authentication: it sends a protocol v10 handshake with a
// persona or seeded server version, records the login (username and mysql_native_password response) and
// answers ERR 1045 Access denied.
package mysql

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// Port is the declared MySQL port.
const Port = 3306

// KindNativePassword is the credential kind of a mysql_native_password auth response.
const KindNativePassword = "mysql_native_password"

func init() { services.Register("mysql", func() services.Emulator { return &Server{} }) }

// Server is the MySQL emulator.
type Server struct {
	env     *services.Env
	version string
	charset byte
	connID  atomic.Uint32
}

// versions are the seeded server versions with their weights.
var versions = []struct {
	v string
	w int
}{
	{"5.7.38-log", 1}, {"5.7.42", 2}, {"5.7.44-log", 1},
	{"8.0.32", 2}, {"8.0.36", 3}, {"8.0.39", 1}, {"8.0.40", 2},
}

// Version returns the server version an env claims: the persona `version`, else a seeded weighted pick,
// with the distro's package suffix (Ubuntu ships 8.0 only, as `8.0.x-0ubuntu0.<release>.1`).
func Version(env *services.Env) string {
	if v := env.Persona.String("version", ""); v != "" {
		return v
	}
	return pickVersion(env.Distro, env.Rand("mysql-version").IntN(1<<30))
}

func pickVersion(d conf.Distro, r int) string {
	list := versions
	if d.ID == "ubuntu" {
		list = versions[3:]
	}
	total := 0
	for _, x := range list {
		total += x.w
	}
	r %= total
	v := list[len(list)-1].v
	for _, x := range list {
		if r < x.w {
			v = x.v
			break
		}
		r -= x.w
	}
	if d.ID == "ubuntu" && d.VersionID != "" {
		v += "-0ubuntu0." + d.VersionID + ".1"
	}
	return v
}

// Serve listens on the MySQL port until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	s.version = Version(env)
	s.charset = 0xff // utf8mb4_0900_ai_ci
	if strings.HasPrefix(s.version, "5.") {
		s.charset = 0x08 // latin1_swedish_ci
	}
	s.connID.Store(uint32(8 + env.Rand("mysql-connid").IntN(4000)))
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started("MySQL server " + s.version + " starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// newScramble returns 20 random bytes in 0x01–0x7F without '$', like the server's salt generator.
func newScramble() []byte {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] &= 0x7f
		if b[i] == 0 || b[i] == '$' {
			b[i]++
		}
	}
	return b
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	src := services.SrcS(c.RemoteAddr())
	id := s.connID.Add(1)
	s.env.Info("connect", fmt.Sprintf("MySQL connection %d", id), services.With(src, event.F("connection_id", id))...)
	defer s.env.Info("disconnect", "", src...)

	scramble := newScramble()
	r := bufio.NewReaderSize(c, 4096)
	if _, err := c.Write(appendPacket(nil, 0, handshakeV10(s.version, id, scramble, s.charset))); err != nil {
		return
	}
	p, seq, err := readPacket(r)
	if err != nil {
		return
	}
	h, err := ParseHandshakeResponse(p)
	if err != nil || h.SSL {
		s.env.Log.Debug("mysql bad login packet", "err", err, "ssl", h.SSL)
		return
	}
	auth := h.Auth
	if h.Caps&capPluginAuth != 0 && h.Plugin != "" && h.Plugin != KindNativePassword {
		seq++
		if _, err := c.Write(appendPacket(nil, seq, authSwitch(scramble))); err != nil {
			return
		}
		if auth, seq, err = readPacket(r); err != nil {
			return
		}
	}
	s.env.Info("auth", "MySQL login attempt user="+h.Username+" scramble="+hex.EncodeToString(scramble), services.With(src,
		append([]event.Field{event.F("username", h.Username), event.F("connection_id", id)},
			event.CredFieldsWith(h.Username, KindNativePassword, hex.EncodeToString(auth), auth, "")...)...)...)
	using := "NO"
	if len(auth) > 0 {
		using = "YES"
	}
	msg := fmt.Sprintf("Access denied for user '%s'@'%s' (using password: %s)", h.Username, services.SourceIP(c.RemoteAddr()), using)
	_, _ = c.Write(appendPacket(nil, seq+1, errPacket(1045, "28000", msg)))
}
