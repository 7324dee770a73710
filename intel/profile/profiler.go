package profile

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/decnet/decnet/intel/correlate"
	"github.com/decnet/decnet/store"
)

// ipState caches one IP's observations and the logs id they were read up to.
type ipState struct {
	lastID int64
	obs    []Obs
}

// Profiler keeps attacker profiles current: Notify (the ingest OnCommit hook) marks IPs dirty and Run rebuilds
// them right after the commit, reading only the IP's logs rows added since its last update.
type Profiler struct {
	st  *store.Store
	log *slog.Logger

	mu    sync.Mutex
	ips   map[string]*ipState
	dirty map[string]bool
	wake  chan struct{}
}

// NewProfiler returns a Profiler writing to st.
func NewProfiler(st *store.Store, log *slog.Logger) *Profiler {
	if log == nil {
		log = slog.Default()
	}
	return &Profiler{st: st, log: log, ips: map[string]*ipState{}, dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
}

// Notify marks ips for a rebuild; it never blocks.
func (p *Profiler) Notify(ips []string) {
	p.mu.Lock()
	for _, ip := range ips {
		p.dirty[ip] = true
	}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run rebuilds dirty profiles until ctx ends; failed IPs are retried.
func (p *Profiler) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-time.After(time.Second):
		}
		p.mu.Lock()
		batch := make([]string, 0, len(p.dirty))
		for ip := range p.dirty {
			batch = append(batch, ip)
		}
		clear(p.dirty)
		p.mu.Unlock()
		for _, ip := range batch {
			if err := p.Update(ctx, ip); err != nil {
				if ctx.Err() != nil {
					return
				}
				p.log.Warn("profiler: update", "ip", ip, "err", err)
				p.Notify([]string{ip})
			}
		}
	}
}

// Update reads ip's new logs rows and upserts its profile.
func (p *Profiler) Update(ctx context.Context, ip string) error {
	p.mu.Lock()
	s := p.ips[ip]
	if s == nil {
		s = &ipState{}
		p.ips[ip] = s
	}
	p.mu.Unlock()
	rows, err := p.st.LogsForIP(ctx, ip, s.lastID)
	if err != nil {
		return err
	}
	obs := s.obs
	last := s.lastID
	for i := range rows {
		if Counted(&rows[i].Rec) {
			obs = append(obs, Observe(&rows[i].Rec))
		}
		last = rows[i].ID
	}
	if len(obs) == 0 {
		p.mu.Lock()
		s.lastID = last
		p.mu.Unlock()
		return nil
	}
	if _, err := p.st.UpsertAttacker(ctx, Build(ip, obs)); err != nil {
		return err
	}
	p.mu.Lock()
	s.obs, s.lastID = obs, last
	p.mu.Unlock()
	return nil
}

// Correlate runs the traversal engine over every stored logs row (decnetctl correlate without --log-file).
func Correlate(ctx context.Context, st *store.Store, minDeckies int) (correlate.Report, error) {
	eng := correlate.New()
	err := st.ScanLogs(ctx, 0, 5000, func(l store.LogRow) error {
		eng.Add(l.Rec)
		return nil
	})
	if err != nil {
		return correlate.Report{}, fmt.Errorf("correlate stored events: %w", err)
	}
	return eng.Report(minDeckies), nil
}
