package api

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Sample is one Prometheus sample; every Name starts with decnet_.
type Sample struct {
	Name   string
	Help   string
	Type   string // counter or gauge
	Labels map[string]string
	Value  float64
}

// latencyBuckets are the API latency histogram bounds in seconds.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5}

type latencySeries struct {
	counts []uint64
	sum    float64
	n      uint64
}

// Metrics collects the API's own metrics and renders the Prometheus text format with the samples of
// Sources (ingest counters, queue depth, …) supplied by the daemon.
type Metrics struct {
	mu      sync.Mutex
	latency map[[3]string]*latencySeries // route, method, status class

	// Sources return extra samples (events ingested/dropped, queue depth, …).
	Sources []func(ctx context.Context) []Sample
}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics { return &Metrics{latency: map[[3]string]*latencySeries{}} }

// Observe records one request's latency.
func (m *Metrics) Observe(route, method string, status int, d time.Duration) {
	k := [3]string{route, method, strconv.Itoa(status/100) + "xx"}
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.latency[k]
	if s == nil {
		s = &latencySeries{counts: make([]uint64, len(latencyBuckets))}
		m.latency[k] = s
	}
	for i, b := range latencyBuckets {
		if sec <= b {
			s.counts[i]++
		}
	}
	s.sum += sec
	s.n++
}

// observe is the middleware timing every request.
func (s *Server) observe() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		if route == "/api/v1/stream" {
			return // long-lived; counted as active streams
		}
		s.metrics.Observe(route, c.Request.Method, c.Writer.Status(), time.Since(start))
	}
}

func labelText(l map[string]string) string {
	if len(l) == 0 {
		return ""
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + `="` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(l[k]) + `"`
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Render writes every metric in the Prometheus text exposition format.
func (m *Metrics) Render(ctx context.Context, extra []Sample) []byte {
	var samples []Sample
	for _, src := range m.Sources {
		samples = append(samples, src(ctx)...)
	}
	samples = append(samples, extra...)
	var b bytes.Buffer
	byName := map[string][]Sample{}
	var names []string
	for _, s := range samples {
		if !strings.HasPrefix(s.Name, "decnet_") {
			continue
		}
		if _, ok := byName[s.Name]; !ok {
			names = append(names, s.Name)
		}
		byName[s.Name] = append(byName[s.Name], s)
	}
	sort.Strings(names)
	for _, n := range names {
		ss := byName[n]
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", n, ss[0].Help, n, ss[0].Type)
		for _, s := range ss {
			fmt.Fprintf(&b, "%s%s %s\n", n, labelText(s.Labels), fmtFloat(s.Value))
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	const h = "decnet_api_request_duration_seconds"
	fmt.Fprintf(&b, "# HELP %s API request latency.\n# TYPE %s histogram\n", h, h)
	keys := make([][3]string, 0, len(m.latency))
	for k := range m.latency {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], " ") < strings.Join(keys[j][:], " ") })
	for _, k := range keys {
		s := m.latency[k]
		base := map[string]string{"route": k[0], "method": k[1], "code": k[2]}
		for i, ub := range latencyBuckets {
			l := map[string]string{"le": fmtFloat(ub)}
			for kk, vv := range base {
				l[kk] = vv
			}
			fmt.Fprintf(&b, "%s_bucket%s %d\n", h, labelText(l), s.counts[i])
		}
		l := map[string]string{"le": "+Inf"}
		for kk, vv := range base {
			l[kk] = vv
		}
		fmt.Fprintf(&b, "%s_bucket%s %d\n", h, labelText(l), s.n)
		fmt.Fprintf(&b, "%s_sum%s %s\n", h, labelText(base), fmtFloat(s.sum))
		fmt.Fprintf(&b, "%s_count%s %d\n", h, labelText(base), s.n)
	}
	return b.Bytes()
}

// serviceCounter is implemented by stores that count connections and credentials per service.
type serviceCounter interface {
	ServiceCounts(ctx context.Context) (conns, creds map[string]int64, err error)
}

// metricsHandler serves /metrics to loopback peers, root on the socket and admin tokens.
func (s *Server) metricsHandler(c *gin.Context) {
	allowed := fromRootSocket(c)
	if !allowed {
		if a, err := netip.ParseAddr(clientIP(c)); err == nil && a.Unmap().IsLoopback() {
			allowed = true
		}
	}
	if !allowed {
		p, ok := s.authenticate(c)
		if !ok {
			return
		}
		if p.Role != "admin" {
			detail(c, http.StatusForbidden, "Insufficient permissions")
			return
		}
	}
	ctx := c.Request.Context()
	extra := []Sample{{Name: "decnet_sse_streams_active", Help: "Open SSE streams.", Type: "gauge", Value: float64(activeStreams.Load())}}
	if s.o.Fleet != nil {
		if ds, err := s.o.Fleet.Deckies(ctx); err == nil {
			up := 0.0
			perSvc := map[string]float64{}
			for _, d := range ds {
				if d.State == "running" {
					up++
				}
				for _, ss := range d.ServicesState {
					if ss.State == "running" {
						perSvc[ss.Name]++
					}
				}
			}
			extra = append(extra, Sample{Name: "decnet_deckies_up", Help: "Deckies in state running.", Type: "gauge", Value: up},
				Sample{Name: "decnet_deckies_total", Help: "Deployed deckies.", Type: "gauge", Value: float64(len(ds))})
			for svc, n := range perSvc {
				extra = append(extra, Sample{Name: "decnet_services_up", Help: "Running service containers per service.", Type: "gauge",
					Labels: map[string]string{"service": svc}, Value: n})
			}
		}
	}
	if sc, ok := s.o.Data.(serviceCounter); ok {
		v, err := s.cached(ctx, "metrics-services", 15*time.Second, func(ctx context.Context) (any, error) {
			conns, creds, err := sc.ServiceCounts(ctx)
			return [2]map[string]int64{conns, creds}, err
		})
		if err == nil {
			m := v.([2]map[string]int64)
			for svc, n := range m[0] {
				extra = append(extra, Sample{Name: "decnet_connections_total", Help: "Connection events per service.", Type: "counter",
					Labels: map[string]string{"service": svc}, Value: float64(n)})
			}
			for svc, n := range m[1] {
				extra = append(extra, Sample{Name: "decnet_credentials_total", Help: "Captured credentials per service.", Type: "counter",
					Labels: map[string]string{"service": svc}, Value: float64(n)})
			}
		}
	}
	c.Data(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", s.metrics.Render(ctx, extra))
}
