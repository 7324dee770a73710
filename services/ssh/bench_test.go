package ssh

import (
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"

	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkPasswordAuth measures password attempts handled per second: each iteration is one TCP
// connection, key exchange and a rejected password (every attempt emits connect/auth_attempt/disconnect).
func BenchmarkPasswordAuth(b *testing.B) {
	in := servicetest.Start(b, "ssh", withKeys())
	cfg := &xssh.ClientConfig{User: "root", Auth: []xssh.AuthMethod{xssh.Password("wrong")},
		HostKeyCallback: xssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if c, err := xssh.Dial("tcp", in.Addr(22), cfg); err == nil {
			c.Close()
			b.Fatal("wrong password accepted")
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "attempts/s")
}

// BenchmarkExec measures full logins plus one exec request.
func BenchmarkExec(b *testing.B) {
	in := servicetest.Start(b, "ssh", withKeys())
	for b.Loop() {
		c := dialClient(b, in.Addr(22), "root", "admin")
		s, err := c.NewSession()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Output("uname -a"); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
