package smb_test

import (
	"strconv"
	"testing"

	"github.com/decnet/decnet/services/ntlmssp"
	"github.com/decnet/decnet/services/servicetest"
)

func itoa(i int) string { return strconv.Itoa(i) }

func parseChallenge(b []byte) (ntlmssp.Challenge, uint32, error) { return ntlmssp.ParseChallenge(b) }

// BenchmarkNTLMAuthAttempt measures full SMB2 NTLMv2 login attempts (connect, negotiate, two session
// setups, capture) per second.
func BenchmarkNTLMAuthAttempt(b *testing.B) {
	in := servicetest.Start(b, "smb")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := login(in.Addr(445), "bench", "D", "pw"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
}
