package vnc

import (
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkAuth measures complete RFB 3.8 VNC-auth attempts per second.
func BenchmarkAuth(b *testing.B) {
	in := servicetest.Start(b, "vnc", func(e *services.Env) { e.MaxConnsPerIP = 0 })
	b.ReportAllocs()
	for b.Loop() {
		rfbAuth(b, in.Addr(Port), "RFB 003.008\n", "pw")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
