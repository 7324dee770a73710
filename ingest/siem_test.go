package ingest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
)

func TestParseSIEMTargets(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []SIEMTarget
		wantErr string
	}{
		{"", nil, ""},
		{"udp://127.0.0.1:514", []SIEMTarget{{"udp", "127.0.0.1:514"}}, ""},
		{" tcp://siem.local:601 , tls://[::1]:6514,", []SIEMTarget{{"tcp", "siem.local:601"}, {"tls", "[::1]:6514"}}, ""},
		{"http://x:1", nil, "scheme must be udp, tcp or tls"},
		{"tcp://x", nil, "expected scheme://host:port"},
		{"tcp://x:0", nil, "invalid port"},
		{"tcp://x:99999", nil, "invalid port"},
		{"tcp://x:1/path", nil, "expected scheme://host:port"},
		{"127.0.0.1:514", nil, "invalid target"},
		{"siem:514", nil, "scheme must be"},
	} {
		got, err := ParseSIEMTargets(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %v %v, want %v", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseSIEMTargets(f *testing.F) {
	f.Add("udp://127.0.0.1:514,tcp://[::1]:601")
	f.Add("tls://a:1,,")
	f.Add("%zz://")
	f.Fuzz(func(t *testing.T, s string) {
		ts, err := ParseSIEMTargets(s)
		if err != nil {
			return
		}
		for _, x := range ts {
			if _, _, err := net.SplitHostPort(x.Addr); err != nil {
				t.Errorf("accepted %q with bad address %q", s, x.Addr)
			}
		}
	})
}

// receiver is a loopback syslog receiver for one transport, decoding octet-counted frames on tcp/tls.
type receiver struct {
	t      *testing.T
	scheme string
	addr   string
	tlsCfg *tls.Config
	ln     net.Listener
	pc     net.PacketConn
	mu     sync.Mutex
	got    []string
	conns  []net.Conn
	wg     sync.WaitGroup
}

func (r *receiver) start() {
	r.t.Helper()
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var err error
	switch r.scheme {
	case "udp":
		r.pc, err = net.ListenPacket("udp", addr)
		if err != nil {
			r.t.Fatal(err)
		}
		r.addr = r.pc.LocalAddr().String()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			b := make([]byte, 65536)
			for {
				n, _, err := r.pc.ReadFrom(b)
				if err != nil {
					return
				}
				r.add(string(b[:n]))
			}
		}()
		return
	case "tls":
		r.ln, err = tls.Listen("tcp", addr, r.tlsCfg)
	default:
		r.ln, err = net.Listen("tcp", addr)
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = r.ln.Addr().String()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := r.ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns = append(r.conns, c)
			r.mu.Unlock()
			r.wg.Add(1)
			go func() { defer r.wg.Done(); r.readFrames(c) }()
		}
	}()
}

// readFrames decodes RFC 6587 / RFC 5425 octet counting: "LEN SP MSG".
func (r *receiver) readFrames(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		n, err := br.ReadString(' ')
		if err != nil {
			return
		}
		size, err := strconv.Atoi(strings.TrimSuffix(n, " "))
		if err != nil || size < 0 || size > 1<<20 {
			r.t.Errorf("bad frame length %q", n)
			return
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(br, b); err != nil {
			return
		}
		r.add(string(b))
	}
}

func (r *receiver) add(s string) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
}

func (r *receiver) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func (r *receiver) stop() {
	if r.pc != nil {
		r.pc.Close()
	}
	if r.ln != nil {
		r.ln.Close()
	}
	r.mu.Lock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *receiver) waitLines(n int, within time.Duration) []string {
	r.t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := r.lines()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%s receiver got %d lines, want %d", r.scheme, len(got), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// selfSigned returns a server config and a client config trusting it, for 127.0.0.1.
func selfSigned(t *testing.T) (*tls.Config, *tls.Config) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "siem"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

func siemLine(i int) string {
	return string(event.Event{Time: time.Unix(1700000000, 0).UTC(), Severity: event.Info, Hostname: "a", App: "ssh",
		Type: "auth_attempt", Fields: []event.Field{event.F("n", i), event.F("msg", "with spaces and \"quotes\"")}}.Encode())
}

// TestForwarderTransports sends through every transport to a loopback receiver, restarts the receiver on the same
// port (the forwarder reconnects and delivers what was queued meanwhile) and forwards committed bus events.
func TestForwarderTransports(t *testing.T) {
	srvTLS, cliTLS := selfSigned(t)
	for _, scheme := range []string{"udp", "tcp", "tls"} {
		t.Run(scheme, func(t *testing.T) {
			r := &receiver{t: t, scheme: scheme, tlsCfg: srvTLS}
			r.start()
			defer func() { r.stop() }()
			f := NewForwarder([]SIEMTarget{{scheme, r.addr}}, ForwarderOptions{TLSConfig: cliTLS,
				MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
			defer f.Close()
			bus := NewBus()
			f.Attach(bus, 0)
			var want []string
			for i := 0; i < 50; i++ {
				want = append(want, siemLine(i))
				f.Send(want[i])
			}
			bus.Publish([]Event{{ID: 1, Record: event.Record{RawLine: "bus-line"}}})
			want = append(want, "bus-line")
			got := r.waitLines(len(want), 5*time.Second)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if scheme == "udp" {
				return
			}
			// Receiver restart: lines sent while it is down are delivered after the reconnect.
			r.stop()
			time.Sleep(100 * time.Millisecond) // the forwarder notices the peer's close
			addr := r.addr
			r = &receiver{t: t, scheme: scheme, tlsCfg: srvTLS, addr: addr}
			var after []string
			for i := 100; i < 120; i++ {
				after = append(after, siemLine(i))
				f.Send(after[len(after)-1])
			}
			time.Sleep(150 * time.Millisecond) // a few failed dials
			r.start()
			got = r.waitLines(len(after), 5*time.Second)
			if strings.Join(got, "\n") != strings.Join(after, "\n") {
				t.Fatalf("after reconnect received:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(after, "\n"))
			}
			st := f.Stats()[0]
			if st.Connects < 2 || st.DialErrors == 0 || st.Dropped != 0 || st.Sent != int64(len(want)+len(after)) {
				t.Errorf("stats %+v: want ≥ 2 connects, dial errors, no drops, %d sent", st, len(want)+len(after))
			}
		})
	}
}

// TestForwarderOverflow: with the target down, lines beyond the buffer are dropped and counted, never blocking.
func TestForwarderOverflow(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens: every dial is refused
	f := NewForwarder([]SIEMTarget{{"tcp", addr}}, ForwarderOptions{Buffer: 10, MinBackoff: 5 * time.Millisecond})
	defer f.Close()
	start := time.Now()
	for i := 0; i < 1000; i++ {
		f.Send(siemLine(i))
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Send blocked for %s", d)
	}
	time.Sleep(50 * time.Millisecond)
	st := f.Stats()[0]
	// The worker holds at most one line outside the queue while the target is down.
	if total := st.Dropped + int64(st.Queued); total < 999 || total > 1000 || st.Sent != 0 {
		t.Errorf("stats %+v: want ~989 dropped and counted", st)
	}
	if st.Queued < 9 {
		t.Errorf("queued %d, want the buffer (10) full but for the line the worker holds", st.Queued)
	}
}
