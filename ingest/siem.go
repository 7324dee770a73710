package ingest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SIEMTargetsEnv is the setting listing the SIEM targets: a comma list of udp://host:port, tcp://host:port and
// tls://host:port.
const SIEMTargetsEnv = "DECNET_SIEM_TARGETS"

// SIEM TLS settings: a PEM CA bundle replacing the system roots, and the server name to verify (default the
// target's host).
const (
	SIEMTLSCAEnv         = "DECNET_SIEM_TLS_CA"
	SIEMTLSServerNameEnv = "DECNET_SIEM_TLS_SERVER_NAME"
	SIEMBufferEnv        = "DECNET_SIEM_BUFFER"
)

// SIEMTarget is one forwarding destination.
type SIEMTarget struct {
	Scheme string // udp, tcp or tls
	Addr   string // host:port
}

// String returns scheme://addr.
func (t SIEMTarget) String() string { return t.Scheme + "://" + t.Addr }

// ParseSIEMTargets parses a comma list of udp://, tcp:// and tls:// host:port targets (empty items ignored).
func ParseSIEMTargets(s string) ([]SIEMTarget, error) {
	var out []SIEMTarget
	for _, it := range strings.Split(s, ",") {
		it = strings.TrimSpace(it)
		if it == "" {
			continue
		}
		u, err := url.Parse(it)
		if err != nil {
			return nil, fmt.Errorf("%s: invalid target %q: %w", SIEMTargetsEnv, it, err)
		}
		switch u.Scheme {
		case "udp", "tcp", "tls":
		default:
			return nil, fmt.Errorf("%s: target %q: scheme must be udp, tcp or tls", SIEMTargetsEnv, it)
		}
		if u.Path != "" || u.RawQuery != "" || u.User != nil {
			return nil, fmt.Errorf("%s: target %q: expected scheme://host:port", SIEMTargetsEnv, it)
		}
		host, port, err := net.SplitHostPort(u.Host)
		if err != nil || host == "" {
			return nil, fmt.Errorf("%s: target %q: expected scheme://host:port", SIEMTargetsEnv, it)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%s: target %q: invalid port %q", SIEMTargetsEnv, it, port)
		}
		out = append(out, SIEMTarget{Scheme: u.Scheme, Addr: u.Host})
	}
	return out, nil
}

// ForwarderOptions tunes a Forwarder; zero values take the defaults noted.
type ForwarderOptions struct {
	Buffer      int           // lines queued per target while it is slow or unreachable; default 10 000
	DialTimeout time.Duration // default 5 s
	MinBackoff  time.Duration // first reconnect delay; default 100 ms
	MaxBackoff  time.Duration // reconnect delay cap; default 10 s
	TLSConfig   *tls.Config   // for tls:// targets; ServerName defaults to the target's host
	Logger      *slog.Logger
}

// ForwarderOptionsFromLookup reads DECNET_SIEM_BUFFER, DECNET_SIEM_TLS_CA and DECNET_SIEM_TLS_SERVER_NAME through
// lookup (e.g. conf.Settings.Lookup).
func ForwarderOptionsFromLookup(lookup func(string) (string, bool)) (ForwarderOptions, error) {
	var o ForwarderOptions
	if v, ok := lookup(SIEMBufferEnv); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return o, fmt.Errorf("%s: expected a positive integer, got %q", SIEMBufferEnv, v)
		}
		o.Buffer = n
	}
	ca, _ := lookup(SIEMTLSCAEnv)
	sn, _ := lookup(SIEMTLSServerNameEnv)
	if ca != "" || sn != "" {
		o.TLSConfig = &tls.Config{ServerName: sn, MinVersion: tls.VersionTLS12}
		if ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return o, fmt.Errorf("%s: %w", SIEMTLSCAEnv, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return o, fmt.Errorf("%s: no certificate in %s", SIEMTLSCAEnv, ca)
			}
			o.TLSConfig.RootCAs = pool
		}
	}
	return o, nil
}

func (o *ForwarderOptions) fill() {
	if o.Buffer <= 0 {
		o.Buffer = 10000
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// SIEMStats are one target's counters.
type SIEMStats struct {
	Target     string `json:"target"`
	Sent       int64  `json:"sent"`     // lines written to the transport
	Dropped    int64  `json:"dropped"`  // lines lost to a full buffer
	Queued     int    `json:"queued"`   // lines waiting
	Connects   int64  `json:"connects"` // successful (re)connections
	DialErrors int64  `json:"dial_errors"`
	Connected  bool   `json:"connected"`
}

// Forwarder sends RFC 5424 lines to SIEM targets: UDP (one datagram per line, RFC 5426), TCP (octet counting,
// RFC 6587) and TLS (octet counting, RFC 5425). Each target has a bounded queue; Send never blocks, and a line
// that does not fit is dropped and counted. Broken stream connections are re-dialled with exponential backoff;
// the write that failed is retried on the new connection, so a SIEM may see a line twice but loses none that
// was queued.
type Forwarder struct {
	targets []*siemTarget
	opts    ForwarderOptions
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	subMu   sync.Mutex
	subs    []*Subscription
	busDrop atomic.Int64
}

type siemTarget struct {
	t         SIEMTarget
	q         chan string
	sent      atomic.Int64
	dropped   atomic.Int64
	connects  atomic.Int64
	dialErrs  atomic.Int64
	connected atomic.Bool
}

// NewForwarder starts one sender per target.
func NewForwarder(targets []SIEMTarget, opts ForwarderOptions) *Forwarder {
	opts.fill()
	f := &Forwarder{opts: opts}
	f.ctx, f.cancel = context.WithCancel(context.Background())
	for _, t := range targets {
		st := &siemTarget{t: t, q: make(chan string, opts.Buffer)}
		f.targets = append(f.targets, st)
		f.wg.Add(1)
		go func() { defer f.wg.Done(); f.run(st) }()
	}
	return f
}

// Send queues line for every target without blocking.
func (f *Forwarder) Send(line string) {
	for _, t := range f.targets {
		select {
		case t.q <- line:
		default:
			t.dropped.Add(1)
		}
	}
}

// Attach forwards the raw line of every event committed on bus (subscription queue buf; ≤ 0 means 65 536).
// Events the subscription loses are counted in BusDropped.
func (f *Forwarder) Attach(bus *Bus, buf int) {
	if buf <= 0 {
		buf = 65536
	}
	sub := bus.Subscribe(buf)
	f.subMu.Lock()
	f.subs = append(f.subs, sub)
	f.subMu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for ev := range sub.C {
			f.Send(ev.Record.RawLine)
		}
	}()
}

// BusDropped returns how many committed events the forwarder's bus subscriptions lost.
func (f *Forwarder) BusDropped() int64 {
	f.subMu.Lock()
	defer f.subMu.Unlock()
	n := f.busDrop.Load()
	for _, s := range f.subs {
		n += s.Dropped()
	}
	return n
}

// Stats returns every target's counters.
func (f *Forwarder) Stats() []SIEMStats {
	out := make([]SIEMStats, 0, len(f.targets))
	for _, t := range f.targets {
		out = append(out, SIEMStats{Target: t.t.String(), Sent: t.sent.Load(), Dropped: t.dropped.Load(), Queued: len(t.q),
			Connects: t.connects.Load(), DialErrors: t.dialErrs.Load(), Connected: t.connected.Load()})
	}
	return out
}

// Close detaches from the bus, stops the senders and closes their connections; queued lines are discarded.
func (f *Forwarder) Close() {
	f.subMu.Lock()
	subs := f.subs
	f.subs = nil
	for _, s := range subs {
		f.busDrop.Add(s.Dropped())
	}
	f.subMu.Unlock()
	for _, s := range subs {
		s.Close()
	}
	f.cancel()
	f.wg.Wait()
}

// siemConn is one live transport connection; dead is closed when the peer hangs up.
type siemConn struct {
	c    net.Conn
	dead chan struct{}
	once sync.Once
}

func (c *siemConn) close() {
	c.once.Do(func() { c.c.Close() })
}

func (f *Forwarder) dial(t SIEMTarget) (*siemConn, error) {
	d := net.Dialer{Timeout: f.opts.DialTimeout}
	var c net.Conn
	var err error
	switch t.Scheme {
	case "udp":
		c, err = d.DialContext(f.ctx, "udp", t.Addr)
	case "tcp":
		c, err = d.DialContext(f.ctx, "tcp", t.Addr)
	case "tls":
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if f.opts.TLSConfig != nil {
			cfg = f.opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName, _, _ = net.SplitHostPort(t.Addr)
		}
		td := tls.Dialer{NetDialer: &d, Config: cfg}
		c, err = td.DialContext(f.ctx, "tcp", t.Addr)
	default:
		err = fmt.Errorf("unknown scheme %q", t.Scheme)
	}
	if err != nil {
		return nil, fmt.Errorf("dial SIEM %s: %w", t, err)
	}
	sc := &siemConn{c: c, dead: make(chan struct{})}
	if t.Scheme == "udp" {
		return sc, nil
	}
	// A syslog receiver never writes: a read returning means the peer closed or reset the connection.
	go func() {
		var b [512]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				close(sc.dead)
				return
			}
		}
	}()
	return sc, nil
}

// appendFrame appends one line as sent on t's transport.
func appendFrame(b []byte, scheme, line string) []byte {
	if scheme == "udp" {
		return append(b, line...)
	}
	b = strconv.AppendInt(b, int64(len(line)), 10)
	b = append(b, ' ')
	return append(b, line...)
}

// maxStreamWrite bounds one write of framed lines on a stream transport.
const maxStreamWrite = 64 << 10

func (f *Forwarder) run(t *siemTarget) {
	log := f.opts.Logger.With("siem", t.t.String())
	var conn *siemConn
	defer func() {
		if conn != nil {
			conn.close()
		}
		t.connected.Store(false)
	}()
	backoff := f.opts.MinBackoff
	var pending []string // lines taken from the queue and not yet written
	var buf []byte
	for {
		if len(pending) == 0 {
			select {
			case l := <-t.q:
				pending = append(pending, l)
			case <-f.ctx.Done():
				return
			}
		}
		if conn != nil {
			select {
			case <-conn.dead:
				conn.close()
				conn = nil
				t.connected.Store(false)
				log.Warn("SIEM connection closed by peer; reconnecting")
			default:
			}
		}
		for conn == nil {
			c, err := f.dial(t.t)
			if err == nil {
				conn = c
				t.connects.Add(1)
				t.connected.Store(true)
				backoff = f.opts.MinBackoff
				break
			}
			t.dialErrs.Add(1)
			if t.dialErrs.Load()%50 == 1 {
				log.Warn("SIEM unreachable", "err", err, "retry_in", backoff)
			}
			select {
			case <-time.After(backoff):
			case <-f.ctx.Done():
				return
			}
			backoff = min(2*backoff, f.opts.MaxBackoff)
		}
		if t.t.Scheme != "udp" && len(pending) == 1 {
			// Connected: batch what is queued into one write (only now, so a down target holds one line
			// outside its bounded queue).
			size := len(pending[0])
		more:
			for size < maxStreamWrite {
				select {
				case l := <-t.q:
					pending = append(pending, l)
					size += len(l) + 8
				default:
					break more
				}
			}
		}
		var err error
		if t.t.Scheme == "udp" {
			for len(pending) > 0 {
				if _, err = conn.c.Write([]byte(pending[0])); err != nil {
					break
				}
				t.sent.Add(1)
				pending = pending[1:]
			}
			if err != nil && !errors.Is(err, net.ErrClosed) {
				// ICMP port unreachable surfaces as ECONNREFUSED on the next write: the datagram is gone.
				pending = pending[1:]
				t.dropped.Add(1)
			}
		} else {
			buf = buf[:0]
			for _, l := range pending {
				buf = appendFrame(buf, t.t.Scheme, l)
			}
			_ = conn.c.SetWriteDeadline(time.Now().Add(30 * time.Second))
			if _, err = conn.c.Write(buf); err == nil {
				t.sent.Add(int64(len(pending)))
				clear(pending)
				pending = pending[:0]
			}
		}
		if err != nil {
			conn.close()
			conn = nil
			t.connected.Store(false)
			log.Warn("SIEM write failed; reconnecting", "err", err)
		}
	}
}
