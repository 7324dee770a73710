package smb_test

import (
	"encoding/binary"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

func TestRawClientCapturesAndVerifies(t *testing.T) {
	in := servicetest.Start(t, "smb", servicetest.WithPersona(map[string]any{"dns_domain": "corp.local"}),
		func(e *services.Env) { e.NmapOS = "windows_server" })
	if err := login(in.Addr(445), "Bob", "CORP", "Winter2024"); err != nil {
		t.Fatal(err)
	}
	r := servicetest.Parse(t, in.WaitType(t, 2*time.Second, "auth_attempt"))
	if r.Fields["principal"] != `CORP\Bob` || r.Fields["workstation"] != "WS01" {
		t.Fatalf("fields %v", r.Fields)
	}
	verifyNetNTLMv2(t, r.Fields["secret_printable"], "Winter2024")
}

func TestChallengeCarriesPersonaIdentity(t *testing.T) {
	in := servicetest.Start(t, "smb", servicetest.WithPersona(map[string]any{"dns_domain": "corp.local", "os_version": "server2022"}))
	tc, err := dial(in.Addr(445))
	if err != nil {
		t.Fatal(err)
	}
	defer tc.c.Close()
	d, err := tc.negotiate(0x0202, 0x0311)
	if err != nil || d != 0x0311 {
		t.Fatalf("dialect 0x%04x, %v", d, err)
	}
	_, chal, err := tc.sessionSetup(type1())
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := parseChallenge(chal)
	if err != nil {
		t.Fatal(err)
	}
	want := [5]string{"SRV-TEST-42", "CORP", "SRV-TEST-42.corp.local", "corp.local", "corp.local"}
	got := [5]string{c.Target.NetBIOSComputer, c.Target.NetBIOSDomain, c.Target.DNSComputer, c.Target.DNSDomain, c.Target.DNSTree}
	if got != want || c.Version.String() != "10.0.20348" || c.Target.Timestamp.IsZero() {
		t.Fatalf("target %v version %s", got, c.Version)
	}
}

func TestSmbclientAnonymousFailsCleanly(t *testing.T) {
	need(t, "smbclient")
	in := servicetest.Start(t, "smb")
	out, err := run(t, 30*time.Second, "smbclient", "-L", "//127.0.0.1", "-p", itoa(in.Port(445)), "-N")
	if err == nil {
		t.Fatalf("anonymous listing unexpectedly succeeded: %s", out)
	}
	if !strings.Contains(out, "NT_STATUS_ACCESS_DENIED") {
		t.Errorf("smbclient -N output: %s", out)
	}
	in.WaitType(t, 2*time.Second, "disconnect")
	for _, l := range in.Lines() {
		if servicetest.MsgID(l) == "auth_attempt" || servicetest.MsgID(l) == "error" {
			t.Errorf("unexpected event for an anonymous session: %s", l)
		}
	}
}

func TestHostileInputKeepsServing(t *testing.T) {
	in := servicetest.Start(t, "smb")
	rng := rand.New(rand.NewPCG(1, 2))
	payloads := [][]byte{
		{0, 0xff, 0xff, 0xff},                            // oversized length
		{0, 0, 0, 10, 0xfe, 'S', 'M', 'B'},               // truncated
		append([]byte{0, 0, 0, 68}, make([]byte, 68)...), // zeros
		append([]byte{0, 0, 0, 70, 0xfe, 'S', 'M', 'B', 64, 0, 0, 0, 0, 0, 0, 0, 0, 0}, make([]byte, 52)...),
		append([]byte{0, 0, 0, 40, 0xff, 'S', 'M', 'B', 0x73}, make([]byte, 31)...),
		{0x81, 0, 0, 0, 0x81, 0, 0, 4, 1, 2, 3, 4},
	}
	// SMB2 negotiate with an absurd dialect count and context offsets.
	neg := make([]byte, 64+36+4)
	copy(neg, "\xfeSMB")
	binary.LittleEndian.PutUint16(neg[4:], 64)
	binary.LittleEndian.PutUint16(neg[66:], 2)
	binary.LittleEndian.PutUint16(neg[100:], 0x0311)
	binary.LittleEndian.PutUint32(neg[92:], 0xfffffff0)
	binary.LittleEndian.PutUint16(neg[96:], 0xffff)
	payloads = append(payloads, append([]byte{0, 0, 0, byte(len(neg))}, neg...))
	for range 50 {
		b := make([]byte, 4+rng.IntN(300))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if rng.IntN(2) == 0 {
			b[0], b[1], b[2], b[3] = 0, 0, byte((len(b)-4)>>8), byte(len(b)-4)
			if len(b) > 8 {
				copy(b[4:], "\xfeSMB")
			}
		}
		payloads = append(payloads, b)
	}
	for _, p := range payloads {
		c, err := net.Dial("tcp", in.Addr(445))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.Write(p)
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		_, _ = c.Read(make([]byte, 4096))
		c.Close()
	}
	if err := login(in.Addr(445), "carol", "X", "pw"); err != nil {
		t.Fatalf("service no longer answers after hostile input: %v", err)
	}
}

func TestFiveHundredConcurrentLogins(t *testing.T) {
	in := servicetest.Start(t, "smb", func(e *services.Env) { e.MaxConnsPerIP = 1000 })
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := login(in.Addr(445), "user"+itoa(i), "D", "pw"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n := in.Count("auth_attempt")
	if n != 500 {
		t.Fatalf("%d auth_attempt events, want 500", n)
	}
}
