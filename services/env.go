package services

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/fnv"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
)

// Env is everything an emulator learns from the runtime.
type Env struct {
	Service    string      // service slug (APP-NAME)
	Decky      string      // decky name: RFC 5424 HOSTNAME, an operator label never shown to attackers
	Hostname   string      // attacker-visible hostname
	Distro     conf.Distro // OS identity
	NmapOS     string      // OS family of the sandbox
	Persona    Persona     // typed persona values, validated against the service's schema
	InstanceID string      // per-installation id feeding the per-decky seed ("" when standalone)
	Artifacts  string      // writable directory for captures
	Bind       string      // listen address ("" = all addresses)
	PortOffset int         // added to every declared port
	// MaxConnsPerIP caps concurrent connections from one source address (default 256).
	MaxConnsPerIP int
	// IdleTimeout cuts a connection whose peer sends nothing for this long (default 60 s).
	IdleTimeout time.Duration
	// MaxLifetime cuts any connection after this long (default 30 min).
	MaxLifetime time.Duration
	Log         *slog.Logger // diagnostics (stderr); never events

	out     io.Writer
	outMu   sync.Mutex
	now     func() time.Time
	buf     []byte
	started sync.Once
}

// NewEnv returns an Env that prints events to out. Callers fill the exported fields before Serve.
func NewEnv(service string, out io.Writer) *Env {
	return &Env{
		Service:       service,
		Persona:       Persona{},
		MaxConnsPerIP: 256,
		IdleTimeout:   60 * time.Second,
		MaxLifetime:   30 * time.Minute,
		Log:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		out:           out,
		now:           time.Now,
	}
}

// Addr returns the listen address of a declared port, with the bind address and port offset applied.
func (e *Env) Addr(port int) string {
	return net.JoinHostPort(e.Bind, strconv.Itoa(port+e.PortOffset))
}

// Seed returns the per-decky seed of catalog §0: the first 8 bytes (big-endian) of
// SHA-256("<decky name>:<instance id>").
func (e *Env) Seed() uint64 {
	sum := sha256.Sum256([]byte(e.Decky + ":" + e.InstanceID))
	return binary.BigEndian.Uint64(sum[:8])
}

// Rand returns a deterministic generator for one purpose ("banner", "version", …): the same decky,
// instance id and purpose always give the same sequence, so seeded choices are stable across restarts.
func (e *Env) Rand(purpose string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(e.Seed(), h.Sum64()))
}

// Emit prints one event line (RFC 5424, spec/events.md §1) to the event stream. It is safe for
// concurrent use; each line is written with a single Write.
func (e *Env) Emit(typ string, sev event.Severity, msg string, fields ...event.Field) {
	ev := event.Event{Time: e.now(), Severity: sev, Hostname: e.Decky, App: e.Service, Type: typ, Fields: fields, Msg: msg}
	e.outMu.Lock()
	defer e.outMu.Unlock()
	e.buf = append(ev.AppendTo(e.buf[:0]), '\n')
	if _, err := e.out.Write(e.buf); err != nil {
		e.Log.Error("write event", "type", typ, "err", err)
	}
	if cap(e.buf) > 64<<10 {
		e.buf = nil
	}
}

// Info emits an INFO event.
func (e *Env) Info(typ, msg string, fields ...event.Field) { e.Emit(typ, event.Info, msg, fields...) }

// Warn emits a WARNING event.
func (e *Env) Warn(typ, msg string, fields ...event.Field) {
	e.Emit(typ, event.Warning, msg, fields...)
}

// Started emits the `startup` event once; call it after every listener is up. It also hands the memory
// that start-up needed (key generation, certificates) back to the OS, so an idle emulator stays small.
func (e *Env) Started(msg string) {
	e.started.Do(func() {
		e.Info("startup", msg)
		debug.FreeOSMemory()
	})
}

// SrcA returns the source fields of style A (src_ip, src_port): ssh, telnet, ftp, smb, rdp.
func SrcA(addr net.Addr) []event.Field {
	ip, port := splitAddr(addr)
	return []event.Field{event.F("src_ip", ip), event.F("src_port", port)}
}

// SrcS returns the source fields of style S (src, src_port): most services.
func SrcS(addr net.Addr) []event.Field {
	ip, port := splitAddr(addr)
	return []event.Field{event.F("src", ip), event.F("src_port", port)}
}

// SrcH returns the source field of style H (remote_addr as ip:port): http, https, docker_api, k8s.
func SrcH(addr net.Addr) []event.Field {
	ip, port := splitAddr(addr)
	return []event.Field{event.F("remote_addr", net.JoinHostPort(ip, strconv.Itoa(port)))}
}

// SourceIP returns the IP of a peer address as text.
func SourceIP(addr net.Addr) string {
	ip, _ := splitAddr(addr)
	return ip
}

func splitAddr(addr net.Addr) (string, int) {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return unmap(a.IP), a.Port
	case *net.UDPAddr:
		return unmap(a.IP), a.Port
	case nil:
		return "", 0
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String(), 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

func unmap(ip net.IP) string {
	if v4 := ip.To4(); v4 != nil {
		return v4.String()
	}
	return ip.String()
}

// With returns fields followed by more fields, for building an event's field list from source fields.
func With(src []event.Field, more ...event.Field) []event.Field {
	out := make([]event.Field, 0, len(src)+len(more))
	return append(append(out, src...), more...)
}
