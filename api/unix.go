package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/sys/unix"
)

// ControlSocket is the path of decnetd's root-only control socket.
const ControlSocket = "/run/decnet/decnetd.sock"

// ControlSocketEnv names the environment variable that overrides ControlSocket. It exists for tests that
// run several isolated decnetd instances side by side; production always uses ControlSocket.
const ControlSocketEnv = "DECNET_CONTROL_SOCKET"

// ControlSocketPath returns the control socket path: $DECNET_CONTROL_SOCKET when set, else ControlSocket.
func ControlSocketPath() string {
	if p := os.Getenv(ControlSocketEnv); p != "" {
		return p
	}
	return ControlSocket
}

// ListenControl listens on the unix socket path with mode 0600. A stale socket file is replaced; a socket
// that still answers belongs to a running decnetd and is an error.
func ListenControl(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("control socket dir: %w", err)
	}
	if conn, err := net.DialTimeout("unix", path, time.Second); err == nil {
		conn.Close()
		return nil, fmt.Errorf("control socket %s is in use: is another decnetd running?", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("remove stale control socket: %w", err)
	}
	old := unix.Umask(0o177)
	l, err := net.Listen("unix", path)
	unix.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("listen on control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("chmod control socket: %w", err)
	}
	return l, nil
}

type peerKey struct{}

// PeerUID returns the uid of the unix-socket peer of a request (SO_PEERCRED), if known.
func PeerUID(ctx context.Context) (uint32, bool) {
	v, ok := ctx.Value(peerKey{}).(uint32)
	return v, ok
}

// connContext records the peer credentials of a unix connection in its context.
func connContext(ctx context.Context, c net.Conn) context.Context {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return ctx
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return ctx
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil || cerr != nil {
		return ctx
	}
	return context.WithValue(ctx, peerKey{}, cred.Uid)
}

// RequireRootPeer answers 403 unless the request came over a unix socket from uid 0.
func RequireRootPeer() gin.HandlerFunc {
	return func(c *gin.Context) {
		uid, ok := PeerUID(c.Request.Context())
		if !ok || uid != 0 {
			c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"detail": "Forbidden: the control socket is for root only"})
			return
		}
		c.Next()
	}
}

// NewControlServer serves h (usually NewControlRouter, which applies RequireRootPeer) with the unix peer
// credentials of each connection recorded in the request context.
func NewControlServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ConnContext: connContext, ReadHeaderTimeout: 10 * time.Second}
}
