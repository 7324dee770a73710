package services

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Listener is a TCP listener hardened for hostile peers: connections beyond the per-source cap are
// closed at once, and every accepted connection carries an idle read deadline and a lifetime cap.
type Listener struct {
	net.Listener
	env     *Env
	mu      sync.Mutex
	perIP   map[string]int
	dropped atomic.Int64
}

// ListenTCP binds a declared TCP port (offset and bind address applied) and closes it when ctx is done.
func (e *Env) ListenTCP(ctx context.Context, port int) (*Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", e.Addr(port))
	if err != nil {
		return nil, fmt.Errorf("%s listen tcp %s: %w", e.Service, e.Addr(port), err)
	}
	l := &Listener{Listener: ln, env: e, perIP: map[string]int{}}
	context.AfterFunc(ctx, func() { ln.Close() })
	return l, nil
}

// Dropped returns how many connections were refused by the per-source cap.
func (l *Listener) Dropped() int64 { return l.dropped.Load() }

// Accept returns the next connection within the per-source cap, wrapped with deadlines.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return nil, err
		}
		ip := SourceIP(c.RemoteAddr())
		l.mu.Lock()
		if max := l.env.MaxConnsPerIP; max > 0 && l.perIP[ip] >= max {
			l.mu.Unlock()
			l.dropped.Add(1)
			l.env.Log.Warn("connection cap reached, dropping", "service", l.env.Service, "src", ip, "cap", max)
			c.Close()
			continue
		}
		l.perIP[ip]++
		l.mu.Unlock()
		return newGuardedConn(c, l.env, func() {
			l.mu.Lock()
			if l.perIP[ip]--; l.perIP[ip] <= 0 {
				delete(l.perIP, ip)
			}
			l.mu.Unlock()
		}), nil
	}
}

// guardedConn refreshes an idle read deadline before every read and enforces a lifetime cap. Deadlines
// set by a protocol library are honoured too: the effective deadline is the earlier of the two.
type guardedConn struct {
	net.Conn
	idle    time.Duration
	expires time.Time
	once    sync.Once
	release func()

	mu     sync.Mutex
	userRD time.Time // read deadline requested by the caller (zero = none)
	userWD time.Time // write deadline requested by the caller (zero = none)
}

func newGuardedConn(c net.Conn, e *Env, release func()) *guardedConn {
	g := &guardedConn{Conn: c, idle: e.IdleTimeout, release: release}
	if e.MaxLifetime > 0 {
		g.expires = time.Now().Add(e.MaxLifetime)
	}
	return g
}

// guard returns the earlier of the guard's own deadline and the caller's.
func (g *guardedConn) guard(user time.Time) time.Time {
	var d time.Time
	if g.idle > 0 {
		d = time.Now().Add(g.idle)
	}
	for _, t := range []time.Time{g.expires, user} {
		if !t.IsZero() && (d.IsZero() || t.Before(d)) {
			d = t
		}
	}
	return d
}

// Read refreshes the read deadline, then reads.
func (g *guardedConn) Read(p []byte) (int, error) {
	g.mu.Lock()
	_ = g.Conn.SetReadDeadline(g.guard(g.userRD))
	g.mu.Unlock()
	return g.Conn.Read(p)
}

// Write bounds each write by the same kind of deadline so a peer that never reads cannot pin the handler.
func (g *guardedConn) Write(p []byte) (int, error) {
	g.mu.Lock()
	_ = g.Conn.SetWriteDeadline(g.guard(g.userWD))
	g.mu.Unlock()
	return g.Conn.Write(p)
}

// SetReadDeadline records the caller's read deadline and applies it at once (capped by the guard).
func (g *guardedConn) SetReadDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.userRD = t
	return g.Conn.SetReadDeadline(g.guard(t))
}

// SetWriteDeadline records the caller's write deadline and applies it at once (capped by the guard).
func (g *guardedConn) SetWriteDeadline(t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.userWD = t
	return g.Conn.SetWriteDeadline(g.guard(t))
}

// SetDeadline sets both deadlines.
func (g *guardedConn) SetDeadline(t time.Time) error {
	if err := g.SetReadDeadline(t); err != nil {
		return err
	}
	return g.SetWriteDeadline(t)
}

// Close closes the connection and releases its slot in the per-source cap.
func (g *guardedConn) Close() error {
	g.once.Do(g.release)
	return g.Conn.Close()
}

// Serve runs an accept loop on l, handling each connection in its own goroutine with panic containment.
// It returns when the listener is closed (ctx done) after every handler has returned.
func (e *Env) Serve(ctx context.Context, l net.Listener, handle func(ctx context.Context, c net.Conn)) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]struct{}{}
	)
	stop := context.AfterFunc(ctx, func() {
		l.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	for {
		c, err := l.Accept()
		if err != nil {
			wg.Wait()
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("%s accept: %w", e.Service, err)
		}
		mu.Lock()
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				mu.Lock()
				delete(conns, c)
				mu.Unlock()
				c.Close()
			}()
			defer e.Recover("connection", c.RemoteAddr())
			handle(ctx, c)
		}()
	}
}

// Recover contains a panic in a handler: it is logged to stderr with its stack, and the process goes on.
// Use it as `defer env.Recover("what", peer)`.
func (e *Env) Recover(what string, peer net.Addr) {
	if r := recover(); r != nil {
		e.Log.Error("handler panic contained", "service", e.Service, "what", what, "peer", fmt.Sprint(peer),
			"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
	}
}

// ListenUDP binds a declared UDP port and closes it when ctx is done.
func (e *Env) ListenUDP(ctx context.Context, port int) (net.PacketConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", e.Addr(port))
	if err != nil {
		return nil, fmt.Errorf("%s listen udp %s: %w", e.Service, e.Addr(port), err)
	}
	context.AfterFunc(ctx, func() { pc.Close() })
	return pc, nil
}

// ServePackets reads datagrams from pc until it is closed, calling handle for each with panic containment.
// Datagrams are handled one at a time, in order.
func (e *Env) ServePackets(ctx context.Context, pc net.PacketConn, handle func(ctx context.Context, pc net.PacketConn, from net.Addr, pkt []byte)) error {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("%s read udp: %w", e.Service, err)
		}
		pkt := append([]byte(nil), buf[:n]...)
		func() {
			defer e.Recover("datagram", from)
			handle(ctx, pc, from, pkt)
		}()
	}
}
