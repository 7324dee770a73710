package http

import (
	"crypto/tls"
	"io"
	nethttp "net/http"
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

func benchRequests(b *testing.B, slug, url string, port int) {
	in := servicetest.Start(b, slug, func(e *services.Env) { e.MaxConnsPerIP = 0 })
	tr := &nethttp.Transport{MaxIdleConnsPerHost: 64, TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.CloseIdleConnections()
	client := &nethttp.Client{Transport: tr}
	target := url + in.Addr(port) + "/bench?q=1"
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := nethttp.NewRequest("GET", target, nil)
			req.SetBasicAuth("admin", "admin")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkHTTPRequests measures keep-alive requests per second, each logged with three events.
func BenchmarkHTTPRequests(b *testing.B) { benchRequests(b, "http", "http://", 80) }

// BenchmarkHTTPSRequests is the same over TLS (connections reused).
func BenchmarkHTTPSRequests(b *testing.B) { benchRequests(b, "https", "https://", 443) }
