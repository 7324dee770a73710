package mssql

import (
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkAuth measures PRELOGIN + LOGIN7 attempts per second.
func BenchmarkAuth(b *testing.B) {
	in := servicetest.Start(b, "mssql", func(e *services.Env) { e.MaxConnsPerIP = 0 })
	b.ReportAllocs()
	for b.Loop() {
		clientLogin(b, in.Addr(Port), "sa", "pw")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
