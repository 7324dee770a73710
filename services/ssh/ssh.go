// Package ssh is the SSH-2 emulator (catalog §1 `ssh`): an x/crypto/ssh server announcing the distro's
// OpenSSH banner, logging every password, keyboard-interactive and public-key attempt plus the client's
// banner and HASSH, accepting the bait accounts into the emulated shell of services/shell (interactive
// and exec), capturing scp/sftp uploads to quarantine and recording sessions as asciinema transcripts.
package ssh

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	xssh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/shell"
)

// Port is the declared SSH port.
const Port = 22

// KindPublicKey is the credential kind of an offered public key (events.md §2).
const KindPublicKey = "ssh_publickey"

func init() { services.Register("ssh", func() services.Emulator { return &Server{} }) }

// Server is the ssh emulator.
type Server struct {
	env *services.Env
	sys *shell.System
	cfg *xssh.ServerConfig
	// handshakeTimeout bounds key exchange plus authentication.
	handshakeTimeout time.Duration
}

// Serve binds port 22 (+offset) and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	s.sys = shell.NewServiceSystem(env, false)
	if s.handshakeTimeout == 0 {
		s.handshakeTimeout = 2 * time.Minute
	}
	keys, err := hostKeys(env.Artifacts)
	if err != nil {
		return fmt.Errorf("ssh host keys: %w", err)
	}
	banner := env.Distro.SSHBanner
	if banner == "" {
		banner = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
	}
	cfg := &xssh.ServerConfig{ServerVersion: banner, MaxAuthTries: 6}
	for _, k := range keys {
		cfg.AddHostKey(k)
	}
	s.cfg = cfg
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started("SSH server starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// conn is the state of one client connection.
type conn struct {
	s    *Server
	env  *services.Env
	src  []event.Field
	ip   string
	user string
	ctx  context.Context
}

func (c *conn) info(typ, msg string, fields ...event.Field) {
	c.env.Info(typ, msg, services.With(c.src, fields...)...)
}

func (s *Server) handle(ctx context.Context, nc net.Conn) {
	c := &conn{s: s, env: s.env, src: services.SrcA(nc.RemoteAddr()), ip: services.SourceIP(nc.RemoteAddr()), ctx: ctx}
	pc := newPeekConn(nc, func(p *Preamble) {
		fields := []event.Field{event.F("client_version", nilIfEmpty(p.Version))}
		if h := p.HASSH(); h != "" {
			fields = append(fields, event.F("hassh", h), event.F("hassh_algorithms", p.HASSHAlgorithms()))
		}
		c.info("connect", "", fields...)
	})
	defer c.info("disconnect", "")
	cfg := c.config()
	_ = nc.SetDeadline(time.Now().Add(s.handshakeTimeout))
	sconn, chans, reqs, err := xssh.NewServerConn(pc, cfg)
	pc.finish(pc.partial())
	if err != nil {
		s.env.Log.Debug("ssh handshake", "src", c.ip, "err", err)
		return
	}
	_ = nc.SetDeadline(time.Time{})
	defer sconn.Close()
	c.user = sconn.User()
	go xssh.DiscardRequests(reqs)
	var wg sync.WaitGroup
	defer wg.Wait()
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(xssh.Prohibited, "administratively prohibited: open failed")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.env.Recover("ssh session", nc.RemoteAddr())
			c.session(ch, creqs)
		}()
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// config returns the per-connection server config whose callbacks log every attempt.
func (c *conn) config() *xssh.ServerConfig {
	cfg := *c.s.cfg
	cfg.PasswordCallback = func(md xssh.ConnMetadata, pw []byte) (*xssh.Permissions, error) {
		return c.password(md.User(), pw)
	}
	cfg.KeyboardInteractiveCallback = func(md xssh.ConnMetadata, ask xssh.KeyboardInteractiveChallenge) (*xssh.Permissions, error) {
		ans, err := ask("", "", []string{"Password: "}, []bool{false})
		if err != nil || len(ans) != 1 {
			return nil, errors.New("keyboard-interactive aborted")
		}
		return c.password(md.User(), []byte(ans[0]))
	}
	cfg.PublicKeyCallback = func(md xssh.ConnMetadata, key xssh.PublicKey) (*xssh.Permissions, error) {
		blob := key.Marshal()
		printable := key.Type() + " " + xssh.FingerprintSHA256(key)
		c.info("auth_attempt", "", append([]event.Field{event.F("username", md.User())},
			event.CredFieldsWith(md.User(), KindPublicKey, printable, blob, "failure")...)...)
		return nil, errors.New("public key not accepted")
	}
	return &cfg
}

func (c *conn) password(user string, pw []byte) (*xssh.Permissions, error) {
	ok := c.s.sys.CheckPassword(user, string(pw))
	outcome := "failure"
	if ok {
		outcome = "success"
	}
	c.info("auth_attempt", "", append([]event.Field{event.F("username", user)},
		event.CredFields(user, event.KindPlaintext, pw, outcome)...)...)
	if !ok {
		return nil, errors.New("permission denied")
	}
	return &xssh.Permissions{}, nil
}
