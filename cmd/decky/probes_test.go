package main

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"time"
)

// probe is a well-formed, nmap-free check that one declared port of a service answers like the protocol:
// it sends req (may be empty) and validates the first bytes of the answer.
type probe struct {
	port  int
	tls   bool
	req   []byte
	min   int // bytes to read before checking
	check func(b []byte) error
}

// probes is the per-service table of well-formed requests; services missing here get a TCP-accept check.
var probes = map[string][]probe{
	"ssh":      {{port: 22, min: 8, check: prefix("SSH-2.0-")}},
	"ftp":      {{port: 21, min: 4, check: prefix("220")}},
	"vnc":      {{port: 5900, min: 12, check: prefix("RFB 003.008\n")}},
	"telnet":   {{port: 23, min: 3, check: prefix("\xff")}},
	"mysql":    {{port: 3306, min: 5, check: mysqlGreeting}},
	"redis":    {{port: 6379, req: []byte("PING\r\n"), min: 1, check: anyPrefix("+", "-")}},
	"http":     {{port: 80, req: []byte("GET / HTTP/1.0\r\nHost: probe\r\n\r\n"), min: 8, check: prefix("HTTP/1.")}},
	"https":    {{port: 443, tls: true, req: []byte("GET / HTTP/1.0\r\nHost: probe\r\n\r\n"), min: 8, check: prefix("HTTP/1.")}},
	"postgres": {{port: 5432, req: pgStartup(), min: 1, check: anyPrefix("R", "E")}},
	"mssql":    {{port: 1433, req: tdsPrelogin(), min: 8, check: prefix("\x04")}},
	"ldap":     {{port: 389, req: ldapAnonBind(), min: 2, check: prefix("\x30")}},
	"smb":      {{port: 445, req: smb2Negotiate(), min: 8, check: smb2Answer}},
	"rdp":      {{port: 3389, req: x224Request(), min: 6, check: x224Confirm}},
}

func prefix(p string) func([]byte) error {
	return func(b []byte) error {
		if !bytes.HasPrefix(b, []byte(p)) {
			return fmt.Errorf("answer %q does not start with %q", b, p)
		}
		return nil
	}
}

func anyPrefix(ps ...string) func([]byte) error {
	return func(b []byte) error {
		for _, p := range ps {
			if bytes.HasPrefix(b, []byte(p)) {
				return nil
			}
		}
		return fmt.Errorf("answer %q starts with none of %q", b, ps)
	}
}

func mysqlGreeting(b []byte) error {
	if len(b) < 5 || b[3] != 0 || b[4] != 10 {
		return fmt.Errorf("not a protocol v10 greeting: %x", b)
	}
	return nil
}

func smb2Answer(b []byte) error {
	if len(b) < 8 || b[0] != 0 || !bytes.Equal(b[4:8], []byte("\xfeSMB")) {
		return fmt.Errorf("not an SMB2 answer over NetBIOS: %x", b)
	}
	return nil
}

func x224Confirm(b []byte) error {
	if len(b) < 6 || b[0] != 3 || b[5] != 0xd0 {
		return fmt.Errorf("not an X.224 connection confirm: %x", b)
	}
	return nil
}

// pgStartup is a protocol 3.0 StartupMessage for user postgres.
func pgStartup() []byte {
	body := []byte{0, 3, 0, 0}
	body = append(body, "user\x00postgres\x00database\x00postgres\x00\x00"...)
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body)+4)), body...)
}

// tdsPrelogin is a TDS PRELOGIN packet with VERSION and ENCRYPTION (not supported) options.
func tdsPrelogin() []byte {
	payload := []byte{
		0x00, 0x00, 0x0b, 0x00, 0x06, // VERSION at 11, 6 bytes
		0x01, 0x00, 0x11, 0x00, 0x01, // ENCRYPTION at 17, 1 byte
		0xff,
		0x0f, 0x00, 0x07, 0xd0, 0x00, 0x00, // version 15.0.2000.0
		0x02, // ENCRYPT_NOT_SUP
	}
	h := []byte{0x12, 0x01, 0, 0, 0, 0, 0x01, 0}
	binary.BigEndian.PutUint16(h[2:], uint16(8+len(payload)))
	return append(h, payload...)
}

// ldapAnonBind is an LDAPv3 anonymous simple bind request, message id 1.
func ldapAnonBind() []byte {
	return []byte{0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00}
}

// smb2Negotiate is an SMB2 NEGOTIATE request (dialects 2.0.2 and 2.1) in a NetBIOS session frame.
func smb2Negotiate() []byte {
	hdr := make([]byte, 64)
	copy(hdr, "\xfeSMB")
	hdr[4] = 64 // StructureSize
	hdr[14] = 1 // CreditRequest
	body := make([]byte, 36)
	body[0] = 36 // StructureSize
	body[2] = 2  // DialectCount
	body[4] = 1  // SecurityMode: signing enabled
	copy(body[12:28], "decky-probe-guid")
	body = append(body, 0x02, 0x02, 0x10, 0x02)
	msg := append(hdr, body...)
	nb := binary.BigEndian.AppendUint32(nil, uint32(len(msg)))
	return append(nb, msg...)
}

// x224Request is an X.224 Connection Request with an RDP negotiation request for TLS and CredSSP.
func x224Request() []byte {
	return []byte{0x03, 0x00, 0x00, 0x13, 0x0e, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00}
}

// run performs the probe against 127.0.0.1 at the given port offset.
func (p probe) run(off int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port+off))
	raw, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return fmt.Errorf("dial %s: %w", addr, err)
	}
	defer raw.Close()
	_ = raw.SetDeadline(time.Now().Add(5 * time.Second))
	c := raw
	if p.tls {
		tc := tls.Client(raw, &tls.Config{InsecureSkipVerify: true, ServerName: "probe"})
		if err := tc.Handshake(); err != nil {
			return fmt.Errorf("tls handshake %s: %w", addr, err)
		}
		c = tc
	}
	if len(p.req) > 0 {
		if _, err := c.Write(p.req); err != nil {
			return fmt.Errorf("write %s: %w", addr, err)
		}
	}
	b, err := readAtLeast(c, p.min, 5*time.Second)
	if err != nil {
		return fmt.Errorf("read %s (got %q): %w", addr, b, err)
	}
	return p.check(b)
}

// probesFor returns the probes of svc, or a TCP-accept check of every declared port.
func probesFor(svc string, tcpPorts []int) []probe {
	if ps, ok := probes[svc]; ok {
		return ps
	}
	var out []probe
	for _, port := range tcpPorts {
		out = append(out, probe{port: port, check: func([]byte) error { return nil }})
	}
	return out
}
