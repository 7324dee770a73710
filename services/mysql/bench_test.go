package mysql

import (
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkAuth measures full login attempts (connect, greeting, login, ERR 1045) per second.
func BenchmarkAuth(b *testing.B) {
	in := servicetest.Start(b, "mysql", func(e *services.Env) { e.MaxConnsPerIP = 0 })
	b.ReportAllocs()
	for b.Loop() {
		login(b, in.Addr(Port), "root", "pw", KindNativePassword)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
