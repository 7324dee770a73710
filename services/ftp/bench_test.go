package ftp

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkLogin measures full FTP login attempts (connect, banner, USER, PASS, QUIT) per second.
func BenchmarkLogin(b *testing.B) {
	in := servicetest.Start(b, "ftp", servicetest.WithPersona(map[string]any{"login": "reject"}),
		func(e *services.Env) { e.MaxConnsPerIP = 0 })
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c, err := net.Dial("tcp", in.Addr(21))
			if err != nil {
				b.Error(err)
				return
			}
			r := bufio.NewReader(c)
			fmt.Fprintf(c, "USER root\r\nPASS toor\r\nQUIT\r\n")
			for range 4 {
				if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "2") && !strings.HasPrefix(l, "3") && !strings.HasPrefix(l, "5") {
					b.Errorf("reply %q %v", l, err)
					break
				}
			}
			c.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}
