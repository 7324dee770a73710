package main

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/conf"
)

// hostileConns is how many hostile connections each declared TCP port receives.
const hostileConns = 200

// hugeLengths are headers whose length fields claim far more data than will ever come, one per
// protocol family of the catalogue, plus bare 32-bit lengths in both byte orders.
var hugeLengths = [][]byte{
	{0xff, 0xff, 0xff, 0xff},
	{0x7f, 0xff, 0xff, 0xff},
	{0x00, 0xff, 0xff, 0xff, 0xfe, 'S', 'M', 'B', 0x40, 0x00},                     // NetBIOS + SMB2
	{0x00, 0xff, 0xff, 0xff, 0xff, 'S', 'M', 'B', 0x72},                           // NetBIOS + SMB1
	{0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01},                        // BER SEQUENCE
	{0x30, 0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},                  // BER, 8-byte length
	{0x12, 0x01, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00},                              // TDS PRELOGIN
	{0x10, 0x01, 0xff, 0xff, 0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0x7f},      // TDS LOGIN7
	{0xff, 0xff, 0xff, 0x01, 0x8d, 0xa6},                                          // MySQL packet
	{0x7f, 0xff, 0xff, 0xff, 0x00, 0x03, 0x00, 0x00},                              // PostgreSQL startup
	{0x00, 0x00, 0x00, 0x08, 0x04, 0xd2, 0x16, 0x2f, 'p', 0x7f, 0xff, 0xff, 0xff}, // SSLRequest then huge message
	{0x03, 0x00, 0xff, 0xff, 0x02, 0xf0, 0x80, 0x7f, 0x65, 0x84, 0xff, 0xff},      // TPKT + MCS
	{0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0xff, 0xff, 0xff},                        // TLS ClientHello
	[]byte("*2147483647\r\n$2147483647\r\n"),                                      // RESP
	[]byte("$9223372036854775807\r\nAAAA"),                                        // RESP bulk
	[]byte("SSH-2.0-OpenSSH_9.2\r\n\xff\xff\xff\xff\x14"),                         // SSH packet
	[]byte("RFB 003.008\n\xff\xff\xff\xff"),                                       // RFB
	[]byte("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999\r\n\r\nAAAA"),
	[]byte("GET /?" + strings.Repeat("A", 70000) + " HTTP/1.1\r\n"),
	[]byte("USER " + strings.Repeat("x", 70000) + "\r\n"),
	[]byte("\xff\xfa\x18" + strings.Repeat("\x01", 70000)), // telnet SB without SE
}

// validPrefixes are well-formed openings used to build truncated messages.
var validPrefixes = [][]byte{
	[]byte("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), []byte("GET / HTTP/1.1\r\nHost: a\r\nAuthorization: Basic "),
	[]byte("USER anonymous\r\nPASS "), []byte("*3\r\n$3\r\nSET\r\n$1\r\n"), []byte("RFB 003.008\n"),
	tdsPrelogin(), ldapAnonBind(), smb2Negotiate(), x224Request(), pgStartup(),
}

// hostilePayload returns the bytes of hostile connection i (deterministic for a given rng).
func hostilePayload(rng *rand.Rand, i int, svcReq [][]byte) []byte {
	switch i % 5 {
	case 0: // random bytes
		b := make([]byte, 1+rng.IntN(8192))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		return b
	case 1: // truncated well-formed message of this service or another protocol
		all := append(append([][]byte(nil), svcReq...), validPrefixes...)
		m := all[rng.IntN(len(all))]
		return m[:rng.IntN(len(m))]
	case 2: // huge length prefixes
		return hugeLengths[rng.IntN(len(hugeLengths))]
	case 3: // valid opening followed by garbage
		m := validPrefixes[rng.IntN(len(validPrefixes))]
		b := append([]byte(nil), m...)
		for range 1 + rng.IntN(2048) {
			b = append(b, byte(rng.Uint32()))
		}
		return b
	default: // connect and close at once, or half a 32-bit length
		if i%2 == 0 {
			return nil
		}
		return binary.BigEndian.AppendUint16(nil, uint16(rng.Uint32()))
	}
}

// TestHostileInput hits every declared TCP port of every registered service with 200 hostile
// connections; afterwards a well-formed probe still gets a protocol answer, the process is alive, no
// panic was contained, and stdout is still nothing but RFC 5424 lines.
func TestHostileInput(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile input barrage skipped in -short mode")
	}
	for _, svc := range registered(t) {
		t.Run(svc, func(t *testing.T) {
			p, off := serveDecky(t, svc)
			cs, _ := conf.LookupService(svc)
			ps := probesFor(svc, cs.TCP)
			var reqs [][]byte
			for _, pr := range ps {
				if len(pr.req) > 0 {
					reqs = append(reqs, pr.req)
				}
			}
			for _, port := range cs.TCP {
				barrage(t, port+off, reqs, uint64(port))
			}
			if p.exited() {
				t.Fatalf("decky serve %s exited during the barrage: %v", svc, p.waitErr)
			}
			for _, pr := range ps {
				var err error
				// Hostile connections may still hold per-source slots for a moment; retry briefly.
				for try := 0; try < 10; try++ {
					if err = pr.run(off); err == nil {
						break
					}
					time.Sleep(300 * time.Millisecond)
				}
				if err != nil {
					t.Errorf("port %d no longer answers a well-formed probe after the barrage: %v", pr.port, err)
				}
			}
			if p.exited() {
				t.Fatalf("decky serve %s exited: %v", svc, p.waitErr)
			}
			if s := p.stderr.String(); strings.Contains(s, "panic") {
				t.Errorf("a handler panicked (contained by the framework, still a bug):\n%s", tail(s, 3000))
			}
			if code, _ := p.stop(t, 2*time.Second); code != 0 {
				t.Errorf("exit %d after SIGTERM", code)
			}
			p.checkStdout(t, svc, "d1")
		})
	}
}

// barrage opens hostileConns connections to a loopback port, 16 at a time; each writes its payload,
// drains whatever comes back for a short while and closes.
func barrage(t *testing.T, port int, svcReq [][]byte, seed uint64) {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	var mu sync.Mutex
	refused := 0
	for i := range hostileConns {
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		payload := hostilePayload(rng, i, svcReq)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", addr, 3*time.Second)
			if err != nil {
				mu.Lock()
				refused++
				mu.Unlock()
				return
			}
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(300 * time.Millisecond))
			if len(payload) > 0 {
				_, _ = c.Write(payload)
			}
			buf := make([]byte, 4096)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	if refused > 0 {
		t.Errorf("port %d refused %d of %d hostile connections (listener died?)", port, refused, hostileConns)
	}
}
