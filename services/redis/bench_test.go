package redis

import (
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkAuth measures AUTH attempts (connect, AUTH, reply, QUIT) per second.
func BenchmarkAuth(b *testing.B) {
	in := servicetest.Start(b, "redis", func(e *services.Env) { e.MaxConnsPerIP = 0 })
	b.ReportAllocs()
	for b.Loop() {
		raw(b, in.Addr(Port), "AUTH pw\r\n")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
