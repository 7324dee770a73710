package postgres

import (
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkAuth measures cleartext login attempts (SSLRequest, startup, password, 28P01) per second.
func BenchmarkAuth(b *testing.B) {
	in := servicetest.Start(b, "postgres", func(e *services.Env) { e.MaxConnsPerIP = 0 })
	b.ReportAllocs()
	for b.Loop() {
		cleartextLogin(b, in.Addr(Port), "postgres")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
