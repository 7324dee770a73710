package profile

import (
	"container/list"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/decnet/decnet/intel/correlate"
	"github.com/decnet/decnet/store"
)

// Profiler defaults.
const (
	// DefaultMaxIPs bounds the IPs whose summaries stay in memory; the least recently updated one is dropped
	// beyond it and rebuilt from the database when its IP is seen again.
	DefaultMaxIPs = 10000
	// readPage is the number of an IP's logs rows read per query.
	readPage = 5000
)

// ipState is one IP's summary and the logs id it was read up to.
type ipState struct {
	ip     string
	lastID int64
	sum    Summary
}

// Profiler keeps attacker profiles current: Notify (the ingest OnCommit hook) marks IPs dirty and Run rebuilds
// them right after the commit, reading only the IP's logs rows added since its last update. Its memory is
// bounded: 8 bytes per event of the IPs it holds (plus their distinct values and commands), for at most MaxIPs
// IPs.
type Profiler struct {
	st *store.Store
	// MaxIPs is the number of IP summaries kept in memory (DefaultMaxIPs); set it before Run.
	MaxIPs int
	log    *slog.Logger

	update sync.Mutex // one Update at a time: an IP's summary is read and extended by one caller

	mu    sync.Mutex
	ips   map[string]*list.Element // of *ipState, most recently updated first in lru
	lru   *list.List
	dirty map[string]bool
	wake  chan struct{}
}

// NewProfiler returns a Profiler writing to st.
func NewProfiler(st *store.Store, log *slog.Logger) *Profiler {
	if log == nil {
		log = slog.Default()
	}
	return &Profiler{st: st, MaxIPs: DefaultMaxIPs, log: log, ips: map[string]*list.Element{}, lru: list.New(),
		dirty: map[string]bool{}, wake: make(chan struct{}, 1)}
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

// Held returns the number of IP summaries in memory.
func (p *Profiler) Held() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.ips)
}

// state returns ip's summary, creating it (and dropping the least recently updated one beyond MaxIPs).
func (p *Profiler) state(ip string) *ipState {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.ips[ip]; ok {
		p.lru.MoveToFront(e)
		return e.Value.(*ipState)
	}
	s := &ipState{ip: ip}
	p.ips[ip] = p.lru.PushFront(s)
	for p.MaxIPs > 0 && len(p.ips) > p.MaxIPs {
		old := p.lru.Remove(p.lru.Back()).(*ipState)
		delete(p.ips, old.ip)
	}
	return s
}

// forget drops ip's summary, so that the next Update rebuilds it from the database.
func (p *Profiler) forget(ip string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e, ok := p.ips[ip]; ok {
		p.lru.Remove(e)
		delete(p.ips, ip)
	}
}

// Update reads ip's new logs rows and upserts its profile. On an error the IP's summary is dropped (it may
// hold rows whose profile was not stored) and rebuilt from the database next time.
func (p *Profiler) Update(ctx context.Context, ip string) error {
	p.update.Lock()
	defer p.update.Unlock()
	s := p.state(ip)
	for {
		rows, err := p.st.LogsForIP(ctx, ip, s.lastID, readPage)
		if err != nil {
			p.forget(ip)
			return err
		}
		for i := range rows {
			if Counted(&rows[i].Rec) {
				s.sum.Add(Observe(&rows[i].Rec))
			}
			s.lastID = rows[i].ID
		}
		if len(rows) < readPage {
			break
		}
	}
	if s.sum.Len() == 0 {
		return nil
	}
	if _, err := p.st.UpsertAttacker(ctx, s.sum.Attacker(ip)); err != nil {
		p.forget(ip)
		return err
	}
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
