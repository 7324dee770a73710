package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
)

// Page is the paged response envelope (api.md §1).
type Page[T any] struct {
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
	Data   []T   `json:"data"`
}

// Stats is the body of GET /stats.
type Stats struct {
	TotalLogs       int64 `json:"total_logs"`
	UniqueAttackers int64 `json:"unique_attackers"`
	ActiveDeckies   int64 `json:"active_deckies"`
	DeployedDeckies int64 `json:"deployed_deckies"`
}

// logFilter parses search, start_time and end_time; ok is false when a 4xx was written.
func logFilter(c *gin.Context) (store.LogFilter, bool) {
	var f store.LogFilter
	f.Search = query(c, "search")
	if len([]rune(f.Search)) > 512 {
		invalidParams(c)
		return f, false
	}
	var ok bool
	if f.Start, ok = timeParam(c, "start_time"); !ok {
		return f, false
	}
	if f.End, ok = timeParam(c, "end_time"); !ok {
		return f, false
	}
	return f, true
}

func (s *Server) getLogs(c *gin.Context) {
	limit, offset, ok := paging(c, 1000)
	if !ok {
		return
	}
	f, ok := logFilter(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	// Only the unfiltered total may come from the per-process cache (api.md §1): rows are always read fresh, and a
	// filtered search is never cached, so a row is searchable as soon as its batch commits.
	if !f.IsZero() {
		total, rows, err := s.o.Data.SearchLogs(ctx, f, limit, offset, true)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, logsPage(total, limit, offset, rows))
		return
	}
	_, rows, err := s.o.Data.SearchLogs(ctx, f, limit, offset, false)
	if err != nil {
		s.fail(c, err)
		return
	}
	var total int64
	if len(rows) < limit && (len(rows) > 0 || offset == 0) {
		total = int64(offset + len(rows)) // a short page is the last one: its total is exact without a count
	} else if total, err = s.logsTotal(ctx); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, logsPage(total, limit, offset, rows))
}

// logsPage builds the /logs envelope (an empty page has data []).
func logsPage(total int64, limit, offset int, rows []store.APILog) Page[store.APILog] {
	if rows == nil {
		rows = []store.APILog{}
	}
	return Page[store.APILog]{Total: total, Limit: limit, Offset: offset, Data: rows}
}

// logsTotal returns the number of logs rows from the 2 s unfiltered-total cache (api.md §1).
func (s *Server) logsTotal(ctx context.Context) (int64, error) {
	v, err := s.cached(ctx, "logs_total", 2*time.Second, func(ctx context.Context) (any, error) {
		total, _, err := s.o.Data.SearchLogs(ctx, store.LogFilter{}, 1, 0, true)
		return total, err
	})
	if err != nil {
		return 0, err
	}
	return v.(int64), nil
}

func (s *Server) getHistogram(c *gin.Context) {
	f, ok := logFilter(c)
	if !ok {
		return
	}
	iv, ok := intParam(c, "interval_minutes", 15, 1, 525600)
	if !ok {
		return
	}
	load := func(ctx context.Context) (any, error) {
		h, err := s.o.Data.Histogram(ctx, f, int(iv))
		if err == nil && h == nil {
			h = []store.HistogramBucket{}
		}
		return h, err
	}
	var v any
	var err error
	if f.IsZero() && iv == 15 {
		v, err = s.cached(c.Request.Context(), "histogram", 5*time.Second, load)
	} else {
		v, err = load(c.Request.Context())
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

// stats returns the /stats body, from the 5 s cache when fresh.
func (s *Server) stats(ctx context.Context) (Stats, error) {
	v, err := s.cached(ctx, "stats", 5*time.Second, func(ctx context.Context) (any, error) {
		ls, err := s.o.Data.LogStats(ctx)
		if err != nil {
			return nil, err
		}
		st := Stats{TotalLogs: ls.TotalLogs, UniqueAttackers: ls.UniqueAttackers}
		if s.o.Fleet != nil {
			ds, err := s.o.Fleet.Deckies(ctx)
			if err != nil {
				return nil, err
			}
			st.DeployedDeckies = int64(len(ds))
			for _, d := range ds {
				if d.State == "running" {
					st.ActiveDeckies++
				}
			}
		} else if st.ActiveDeckies, st.DeployedDeckies, err = s.o.Data.DeckyCounts(ctx); err != nil {
			return nil, err
		}
		return st, nil
	})
	if err != nil {
		return Stats{}, err
	}
	return v.(Stats), nil
}

func (s *Server) getStats(c *gin.Context) {
	st, err := s.stats(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, st)
}

// Health is the body of the v1 GET /health.
type HealthReport struct {
	Status     string                     `json:"status"`
	Components map[string]ComponentStatus `json:"components"`
}

// Workers reported by GET /health.
var healthWorkers = []string{"ingestion_worker", "collector_worker", "attacker_worker", "sniffer_worker"}

// HealthReport checks every component (api.md §4).
func (s *Server) HealthReport(ctx context.Context) (HealthReport, int) {
	comp := map[string]ComponentStatus{}
	check := func(name string, ttl time.Duration, f func(context.Context) error) {
		err, ok := s.health.get(name)
		if !ok {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			err = f(cctx)
			cancel()
			s.health.putTTL(name, err, ttl)
		}
		if err != nil {
			comp[name] = ComponentStatus{Status: "failing", Detail: err.Error()}
		} else {
			comp[name] = ComponentStatus{Status: "ok"}
		}
	}
	check("database", time.Second, s.o.Data.Ping)
	check("containerd", 5*time.Second, func(ctx context.Context) error {
		if s.o.Containerd == nil {
			return fmt.Errorf("not connected")
		}
		return s.o.Containerd(ctx)
	})
	var ws map[string]ComponentStatus
	if s.o.Workers != nil {
		ws = s.o.Workers()
	}
	for _, w := range healthWorkers {
		st, ok := ws[w]
		if !ok {
			st = ComponentStatus{Status: "failing", Detail: "not started"}
		}
		comp[w] = st
	}
	status, code := "healthy", http.StatusOK
	for name, st := range comp {
		if st.Status == "ok" {
			continue
		}
		if name == "database" || name == "containerd" || name == "ingestion_worker" {
			status, code = "unhealthy", http.StatusServiceUnavailable
			break
		}
		status = "degraded"
	}
	return HealthReport{Status: status, Components: comp}, code
}

func (s *Server) getHealth(c *gin.Context) {
	h, code := s.HealthReport(c.Request.Context())
	c.JSON(code, h)
}

// sseFrame writes one "event: message" frame.
func sseFrame(c *gin.Context, typ string, data any) error {
	b, err := json.Marshal(struct {
		Type string `json:"type"`
		Data any    `json:"data"`
	}{typ, data})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(c.Writer, "event: message\ndata: %s\n\n", b); err != nil {
		return err
	}
	c.Writer.Flush()
	return nil
}

// acquireSSE takes a stream slot of key; false when the per-user cap is reached.
func (s *Server) acquireSSE(key string) bool {
	s.sseMu.Lock()
	defer s.sseMu.Unlock()
	if s.sseN[key] >= s.o.SSEMaxPerUser {
		return false
	}
	s.sseN[key]++
	return true
}

func (s *Server) releaseSSE(key string) {
	s.sseMu.Lock()
	defer s.sseMu.Unlock()
	if s.sseN[key]--; s.sseN[key] <= 0 {
		delete(s.sseN, key)
	}
}

// activeStreams counts open SSE streams (metrics).
var activeStreams atomic.Int64

func (s *Server) getStream(c *gin.Context) {
	last, ok := intParam(c, "lastEventId", 0, 0, 1<<62)
	if !ok {
		return
	}
	if h := c.GetHeader("Last-Event-ID"); last == 0 && h != "" {
		// An EventSource reconnect: same meaning as ?lastEventId.
		if n, err := strconv.ParseInt(h, 10, 64); err == nil && n > 0 {
			last = n
		}
	}
	f, ok := logFilter(c)
	if !ok {
		return
	}
	p := callerOf(c)
	key := p.UUID
	if p.Socket {
		key = "root"
	}
	if !s.acquireSSE(key) {
		detail(c, http.StatusTooManyRequests, "SSE connection limit ("+strconv.Itoa(s.o.SSEMaxPerUser)+") reached")
		return
	}
	defer s.releaseSSE(key)
	activeStreams.Add(1)
	defer activeStreams.Add(-1)
	ctx := c.Request.Context()
	if last == 0 {
		m, err := s.o.Data.MaxLogID(ctx)
		if err != nil {
			s.fail(c, err)
			return
		}
		last = m
	}
	var ids <-chan int64
	if s.o.Notifier != nil {
		ch, cancel := s.o.Notifier.SubscribeIDs()
		defer cancel()
		ids = ch
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	if _, err := c.Writer.WriteString(": keepalive\n\n"); err != nil {
		return
	}
	c.Writer.Flush()
	fail := func(err error) {
		s.log.Warn("stream interrupted", "err", err)
		fmt.Fprint(c.Writer, "event: error\ndata: {\"type\":\"error\",\"message\":\"Stream interrupted\"}\n\n")
		c.Writer.Flush()
	}
	sendStats := func() error {
		st, err := s.stats(ctx)
		if err != nil {
			return err
		}
		return sseFrame(c, "stats", st)
	}
	sendHist := func() error {
		hist, err := s.o.Data.Histogram(ctx, f, 15)
		if err != nil {
			return err
		}
		if hist == nil {
			hist = []store.HistogramBucket{}
		}
		return sseFrame(c, "histogram", hist)
	}
	sendRows := func(rows []store.APILog) error {
		if len(rows) == 0 {
			return nil
		}
		for _, r := range rows {
			if r.ID > last {
				last = r.ID
			}
		}
		return sseFrame(c, "logs", rows)
	}
	poll := func() (int, error) {
		rows, err := s.o.Data.LogsSince(ctx, f, last, 50)
		if err != nil {
			return 0, err
		}
		return len(rows), sendRows(rows)
	}
	if err := sendStats(); err != nil {
		fail(err)
		return
	}
	if err := sendHist(); err != nil {
		fail(err)
		return
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	polls := 0
	for {
		select {
		case <-ctx.Done():
			return
		case id, open := <-ids:
			if !open {
				ids = nil
				continue
			}
			// Collect what else is already queued, then push the committed rows matching the filters.
			batch := []int64{id}
		drain:
			for len(batch) < 500 {
				select {
				case more, open := <-ids:
					if !open {
						ids = nil
						break drain
					}
					batch = append(batch, more)
				default:
					break drain
				}
			}
			minID := batch[0]
			var want []int64
			for _, x := range batch {
				minID = min(minID, x)
				if x > last {
					want = append(want, x)
				}
			}
			if len(want) == 0 {
				continue
			}
			var err error
			if minID > last+1 {
				_, err = poll() // a gap: catch up in id order
			} else {
				var rows []store.APILog
				if rows, err = s.o.Data.LogsByIDs(ctx, f, want); err == nil {
					err = sendRows(rows)
				}
				if err == nil && len(rows) > 0 {
					err = sendHist()
				}
			}
			if err != nil && ctx.Err() == nil {
				fail(err)
				return
			}
		case <-tick.C:
			polls++
			if ids == nil || polls%5 == 0 {
				n, err := poll()
				if err == nil && n > 0 {
					err = sendHist()
				}
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
			}
			if polls%10 == 0 {
				err := sendStats()
				if err == nil {
					err = sendHist()
				}
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					return
				}
			} else if _, err := c.Writer.WriteString(": keepalive\n\n"); err != nil {
				return
			} else {
				c.Writer.Flush()
			}
		}
	}
}
