package rdp_test

import (
	"net"
	"testing"
	"time"

	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkConnectionRequest measures X.224 connection requests answered per second.
func BenchmarkConnectionRequest(b *testing.B) {
	in := servicetest.Start(b, "rdp")
	pkt := []byte("\x03\x00\x00\x2b\x26\xe0\x00\x00\x00\x00\x00Cookie: mstshash=bench\r\n\x01\x00\x08\x00\x03\x00\x00\x00")
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]byte, 19)
		for pb.Next() {
			c, err := net.Dial("tcp", in.Addr(3389))
			if err != nil {
				b.Error(err)
				return
			}
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(pkt); err != nil {
				b.Error(err)
			}
			if _, err := readFull(c, buf); err != nil {
				b.Error(err)
			}
			c.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "conns/s")
}
