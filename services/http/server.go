package http

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	nethttp "net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/tlsfp"
)

// Limits applied to every connection and request.
const (
	maxHeaderBytes    = 64 << 10
	maxBodyRead       = 1 << 20
	maxBodyLogged     = 512 // characters of the body kept in the request event
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 60 * time.Second
	handshakeTimeout  = 10 * time.Second
)

func init() {
	services.Register("http", func() services.Emulator { return &Server{} })
	services.Register("https", func() services.Emulator { return &Server{TLS: true} })
}

// Server is the http emulator, or the https one when TLS is set.
type Server struct {
	TLS bool
}

type ctxKey struct{}

// connInfo travels in each connection's context from ConnContext to the handler.
type connInfo struct {
	remote net.Addr
	head   *headConn // nil for HTTP/2
}

// Serve binds port 80 (http) or 443 (https) and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	port := 80
	if s.TLS {
		port = 443
	}
	st, err := newSite(env, port)
	if err != nil {
		return err
	}
	defer st.close()
	versions := env.Persona.Strings("http_versions", []string{"http/1.1"})
	h2 := slices.Contains(versions, "http/2")

	var tlsCfg *tls.Config
	if s.TLS {
		cert, err := loadCertificate(env)
		if err != nil {
			return err
		}
		protos := []string{"http/1.1"}
		if h2 {
			protos = []string{"h2", "http/1.1"}
		}
		tlsCfg = &tls.Config{
			Certificates: []tls.Certificate{cert},
			NextProtos:   protos,
			MinVersion:   tls.VersionTLS10,
			GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
				emitClientHello(env, hi)
				return nil, nil
			},
		}
	}

	ln, err := env.ListenTCP(ctx, port)
	if err != nil {
		return err
	}
	cl := newChanListener(ln.Addr())
	var protocols nethttp.Protocols
	protocols.SetHTTP1(true)
	if h2 && s.TLS {
		protocols.SetHTTP2(true)
	} else if h2 {
		protocols.SetUnencryptedHTTP2(true)
	}
	hs := &nethttp.Server{
		Handler:           st,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		Protocols:         &protocols,
		TLSConfig:         tlsCfg,
		ErrorLog:          log.New(io.Discard, "", 0),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			ci := &connInfo{remote: c.RemoteAddr()}
			switch x := c.(type) {
			case *headConn:
				ci.head = x
			case tlsHeadConn:
				ci.head = x.headConn
			}
			return context.WithValue(ctx, ctxKey{}, ci)
		},
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = hs.Serve(cl)
	}()
	if s.TLS {
		env.Started(fmt.Sprintf("HTTPS server starting as %s", env.Decky))
	} else {
		env.Started(fmt.Sprintf("HTTP server starting as %s", env.Decky))
	}
	err = env.Serve(ctx, ln, func(ctx context.Context, c net.Conn) {
		done := make(chan struct{})
		cc := &closeConn{Conn: c, done: done}
		var hc net.Conn
		if tlsCfg != nil {
			tc := tls.Server(&helloConn{Conn: cc}, tlsCfg)
			hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
			err := tc.HandshakeContext(hctx)
			cancel()
			if err != nil {
				env.Log.Debug("tls handshake", "peer", c.RemoteAddr().String(), "err", err)
				return
			}
			if tc.ConnectionState().NegotiatedProtocol == "h2" {
				hc = tc
			} else {
				hc = tlsHeadConn{headConn: &headConn{Conn: tc}, tc: tc}
			}
		} else {
			hc = &headConn{Conn: cc}
		}
		if !cl.push(ctx, hc) {
			return
		}
		select {
		case <-done:
		case <-ctx.Done():
		}
	})
	cl.Close()
	_ = hs.Close()
	<-served
	return err
}

// closeConn signals done when net/http closes the connection.
type closeConn struct {
	net.Conn
	done chan struct{}
	once sync.Once
}

// Close closes the connection and signals done.
func (c *closeConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return c.Conn.Close()
}

// chanListener hands connections prepared by the framework's accept loop to net/http.
type chanListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
	addr   net.Addr
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{ch: make(chan net.Conn), closed: make(chan struct{}), addr: addr}
}

// Accept returns the next connection, or net.ErrClosed once closed.
func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) push(ctx context.Context, c net.Conn) bool {
	select {
	case l.ch <- c:
		return true
	case <-l.closed:
		return false
	case <-ctx.Done():
		return false
	}
}

// Close stops Accept.
func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

// Addr returns the real listener's address.
func (l *chanListener) Addr() net.Addr { return l.addr }

// countingWriter records the status and body bytes of a response.
type countingWriter struct {
	nethttp.ResponseWriter
	status int
	bytes  int64
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = nethttp.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += int64(n)
	return n, err
}

// ServeHTTP logs the request (request, http_request_fingerprint), answers it and logs http_access.
func (st *site) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {
	ci, _ := r.Context().Value(ctxKey{}).(*connInfo)
	var src []event.Field
	if ci != nil {
		src = services.SrcH(ci.remote)
	} else {
		src = []event.Field{event.F("remote_addr", r.RemoteAddr)}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyRead))

	var headers []tlsfp.Header
	if ci != nil && ci.head != nil {
		if hd, ok := ci.head.take(r.Method, r.RequestURI, r.Proto); ok {
			headers = hd.Headers
		}
	}
	if headers == nil {
		headers = headersFromMap(r)
	}
	target := r.RequestURI
	if target == "" {
		target = r.URL.RequestURI()
	}

	fields := services.With(src,
		event.F("method", r.Method),
		event.F("path", target),
		event.F("headers", headersJSON(headers)),
		event.F("body", truncChars(string(body), maxBodyLogged)))
	if c, ok := event.ClassifyAuthorization(r.Header.Get("Authorization")); ok {
		fields = append(fields, c.Fields("")...)
	} else if c, ok := event.ClassifyForm(r.Header.Get("Content-Type"), body); ok {
		fields = append(fields, c.Fields("")...)
	}
	st.env.Info("request", r.Method+" "+target, fields...)

	names := make([]string, len(headers))
	for i, h := range headers {
		names[i] = h.Name
	}
	st.env.Info("http_request_fingerprint", "", services.With(src,
		event.F("proto", r.Proto),
		event.F("method", r.Method),
		event.F("path", target),
		event.F("ja4h", tlsfp.JA4H(tlsfp.HTTPRequest{Method: r.Method, Proto: r.Proto, Headers: headers})),
		event.F("headers_ordered", strings.Join(names, ",")),
		event.F("cookie", r.Header.Get("Cookie")),
		event.F("accept_language", r.Header.Get("Accept-Language")))...)

	cw := &countingWriter{ResponseWriter: w}
	st.respond(cw, r, body)
	if cw.status == 0 {
		cw.status = nethttp.StatusOK
	}
	st.env.Info("http_access", "", services.With(src,
		event.F("method", r.Method),
		event.F("path", target),
		event.F("proto", r.Proto),
		event.F("status", cw.status),
		event.F("bytes", cw.bytes))...)
}

// headersFromMap is the fallback header list when the wire order is unknown (HTTP/2): Host first, then the
// remaining names sorted.
func headersFromMap(r *nethttp.Request) []tlsfp.Header {
	out := []tlsfp.Header{{Name: "Host", Value: r.Host}}
	if r.ProtoMajor >= 2 {
		out[0].Name = "host"
	}
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := k
		if r.ProtoMajor >= 2 {
			name = strings.ToLower(k)
		}
		out = append(out, tlsfp.Header{Name: name, Value: strings.Join(r.Header[k], ", ")})
	}
	return out
}

// headersJSON renders headers as a JSON object string; repeated names are joined with ", ".
func headersJSON(hs []tlsfp.Header) string {
	m := make(map[string]string, len(hs))
	for _, h := range hs {
		if v, ok := m[h.Name]; ok {
			m[h.Name] = v + ", " + h.Value
		} else {
			m[h.Name] = h.Value
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// truncChars returns the first n characters (runes) of s.
func truncChars(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// helloConn records the first bytes of a TLS connection so the ClientHello can be fingerprinted exactly.
type helloConn struct {
	net.Conn
	mu   sync.Mutex
	buf  []byte
	done bool
}

// Read reads and records until the hello has been fingerprinted.
func (h *helloConn) Read(p []byte) (int, error) {
	n, err := h.Conn.Read(p)
	h.mu.Lock()
	if !h.done && n > 0 {
		h.buf = append(h.buf, p[:min(n, tlsfp.MaxHelloRecord-len(h.buf))]...)
		if len(h.buf) >= tlsfp.MaxHelloRecord {
			h.done = true
		}
	}
	h.mu.Unlock()
	return n, err
}

// hello returns the recorded bytes and stops recording.
func (h *helloConn) hello() []byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := h.buf
	h.buf, h.done = nil, true
	return b
}

// emitClientHello fingerprints a ClientHello and emits tls_client_hello.
func emitClientHello(env *services.Env, hi *tls.ClientHelloInfo) {
	var ch tlsfp.ClientHello
	parsed := false
	if hc, ok := hi.Conn.(*helloConn); ok {
		if h, err := tlsfp.ParseClientHelloRecord(hc.hello()); err == nil {
			ch, parsed = h, true
		}
	}
	if !parsed {
		ch = tlsfp.FromClientHelloInfo(hi)
	}
	env.Info("tls_client_hello", "", services.With(services.SrcH(hi.Conn.RemoteAddr()),
		event.F("ja3", tlsfp.JA3(ch)),
		event.F("ja4", tlsfp.JA4(ch)),
		event.F("tls_version", tlsfp.VersionName(ch.MaxVersion())),
		event.F("sni", ch.SNI),
		event.F("alpn", strings.Join(ch.ALPN, ",")),
		event.F("raw_ciphers", joinDec(ch.Ciphers)),
		event.F("raw_extensions", joinDec(ch.Extensions)))...)
}

func joinDec(vs []uint16) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(int(v))
	}
	return strings.Join(parts, "-")
}

// osRoot opens the persona's static directory read-only, or returns nil when unset.
func osRoot(dir string) (*os.Root, error) {
	if dir == "" {
		return nil, nil
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open static files %s: %w", dir, err)
	}
	return root, nil
}
