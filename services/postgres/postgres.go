// Package postgres emulates a PostgreSQL server up to authentication: it answers SSL/GSS encryption
// requests with 'N', reads the StartupMessage, asks for the password the way the persona's auth_method
// says (cleartext, md5 or SCRAM-SHA-256), records it and fails the login like a real backend.
package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net"
	"strings"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// Port is the declared PostgreSQL port.
const Port = 5432

// Credential kinds of the captured secrets.
const (
	KindMD5   = "postgres_md5_challenge"
	KindSCRAM = "scram_sha256"
)

// Authentication methods (persona auth_method).
const (
	MethodCleartext = "cleartext"
	MethodMD5       = "md5"
	MethodSCRAM     = "scram-sha-256"
)

func init() { services.Register("postgres", func() services.Emulator { return &Server{} }) }

// Server is the PostgreSQL emulator.
type Server struct {
	env     *services.Env
	method  string
	version string
}

var versions = []string{"14.11", "14.13", "15.6", "15.8", "15.10", "16.2", "16.4", "16.6"}

// Version returns the server version an env claims: persona `version` or a seeded 14.x/15.x/16.x.
func Version(env *services.Env) string {
	if v := env.Persona.String("version", ""); v != "" {
		return v
	}
	return versions[env.Rand("postgres-version").IntN(len(versions))]
}

// Serve listens on the PostgreSQL port until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	s.method = env.Persona.String("auth_method", MethodCleartext)
	s.version = Version(env)
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started("PostgreSQL " + s.version + " server starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// startupLine is the postmaster.c line of the "unsupported frontend protocol" error per major version.
func (s *Server) startupLine() string {
	switch {
	case strings.HasPrefix(s.version, "14"):
		return "2138"
	case strings.HasPrefix(s.version, "15"):
		return "2194"
	}
	return "2201"
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	src := services.SrcS(c.RemoteAddr())
	s.env.Info("connect", "PostgreSQL connection", src...)
	defer s.env.Info("disconnect", "", src...)
	r := bufio.NewReaderSize(c, 4096)

	var st Startup
	for i := 0; ; i++ {
		code, body, err := readStartup(r)
		if err == errLength {
			_, _ = c.Write(fatal("08P01", "invalid length of startup packet", "postmaster.c", "2009", "ProcessStartupPacket"))
			return
		}
		if err != nil || i > 4 {
			return
		}
		switch {
		case code == codeSSLRequest || code == codeGSSENCRequest:
			if _, err := c.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		case code == codeCancelRequest:
			return
		case code>>16 != 3:
			msg := fmt.Sprintf("unsupported frontend protocol %d.%d: server supports 3.0 to 3.0", code>>16, code&0xffff)
			_, _ = c.Write(fatal("0A000", msg, "postmaster.c", s.startupLine(), "ProcessStartupPacket"))
			return
		}
		if st, err = ParseStartup(body); err != nil {
			_, _ = c.Write(fatal("08P01", "invalid startup packet layout: expected terminator as last byte", "postmaster.c", "2283", "ProcessStartupPacket"))
			return
		}
		break
	}
	user, db, app := st.Get("user"), st.Get("database"), st.Get("application_name")
	if db == "" {
		db = user
	}
	s.env.Info("startup_message", "startup user="+user+" database="+db, services.With(src,
		event.F("username", user), event.F("database", db), event.F("application_name", app))...)
	if user == "" {
		_, _ = c.Write(fatal("28000", "no PostgreSQL user name specified in startup packet", "postmaster.c", "2365", "ProcessStartupPacket"))
		return
	}

	fields, ok := s.authenticate(c, r, user)
	if !ok {
		return
	}
	s.env.Info("auth", "PostgreSQL login attempt user="+user, services.With(src,
		append([]event.Field{event.F("username", user), event.F("database", db)}, fields...)...)...)
	if db != "postgres" && db != "template1" && db != user {
		_, _ = c.Write(fatal("3D000", fmt.Sprintf("database \"%s\" does not exist", db), "postinit.c", "885", "InitPostgres"))
		return
	}
	_, _ = c.Write(fatal("28P01", fmt.Sprintf("password authentication failed for user \"%s\"", user), "auth.c", "323", "auth_failed"))
}

// authenticate runs the persona's authentication exchange and returns the credential fields.
func (s *Server) authenticate(c net.Conn, r *bufio.Reader, user string) ([]event.Field, bool) {
	switch s.method {
	case MethodMD5:
		salt := make([]byte, 4)
		_, _ = rand.Read(salt)
		if _, err := c.Write(authRequest(5, salt)); err != nil {
			return nil, false
		}
		pw, ok := readPassword(r)
		if !ok {
			return nil, false
		}
		return append(event.CredFields(user, KindMD5, pw, ""), event.F("salt", hex.EncodeToString(salt))), true
	case MethodSCRAM:
		return s.scram(c, r, user)
	default:
		if _, err := c.Write(authRequest(3, nil)); err != nil {
			return nil, false
		}
		pw, ok := readPassword(r)
		if !ok {
			return nil, false
		}
		return event.CredFields(user, event.KindPlaintext, pw, ""), true
	}
}

func readPassword(r *bufio.Reader) ([]byte, bool) {
	typ, body, err := readMessage(r)
	if err != nil || typ != 'p' {
		return nil, false
	}
	return ParsePassword(body), true
}

// scram runs SCRAM-SHA-256 up to the client-final message and returns the captured proof.
func (s *Server) scram(c net.Conn, r *bufio.Reader, user string) ([]event.Field, bool) {
	if _, err := c.Write(authRequest(10, []byte("SCRAM-SHA-256\x00\x00"))); err != nil {
		return nil, false
	}
	typ, body, err := readMessage(r)
	if err != nil || typ != 'p' {
		return nil, false
	}
	mech, data, err := ParseSASLInitial(body)
	if err != nil || mech != "SCRAM-SHA-256" {
		_, _ = c.Write(fatal("08P01", "client selected an invalid SASL authentication mechanism", "auth.c", "1010", "CheckSASLAuth"))
		return nil, false
	}
	cnonce, err := ParseClientFirst(data)
	if err != nil {
		_, _ = c.Write(fatal("08P01", "malformed SCRAM message", "auth-scram.c", "1176", "read_client_first_message"))
		return nil, false
	}
	rnd := make([]byte, 34)
	_, _ = rand.Read(rnd)
	first := "r=" + cnonce + base64.StdEncoding.EncodeToString(rnd[:18]) +
		",s=" + base64.StdEncoding.EncodeToString(rnd[18:]) + ",i=4096"
	if _, err := c.Write(authRequest(11, []byte(first))); err != nil {
		return nil, false
	}
	if typ, body, err = readMessage(r); err != nil || typ != 'p' {
		return nil, false
	}
	proof, err := ParseClientFinal(body)
	if err != nil {
		_, _ = c.Write(fatal("08P01", "malformed SCRAM message", "auth-scram.c", "1403", "read_client_final_message"))
		return nil, false
	}
	raw, err := base64.StdEncoding.DecodeString(proof)
	if err != nil {
		raw = []byte(proof)
	}
	return event.CredFieldsWith(user, KindSCRAM, proof, raw, ""), true
}
