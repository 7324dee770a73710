package store

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// maxTotals bounds the number of filters whose totals are remembered (about 200 bytes each).
const maxTotals = 8192

// logTotals remembers, per search filter that needs a scan to count (field and free-text tokens, time bounds),
// the exact count of matching logs rows at some point, so that the next count only scans the rows appended
// since. A remembered count is used only while it is provably still exact: the rewrite generation of migration 4
// is unchanged (no row updated or deleted) and the total number of rows grew by exactly the number of rows above
// the remembered highest id (no row committed late below it). Concurrent requests for one filter share one count.
type logTotals struct {
	mu     sync.Mutex
	m      map[string]logTotal
	flight singleflight.Group
}

// logTotal is one remembered count: matching rows, highest id, all rows and rewrite generation, all read in one
// snapshot.
type logTotal struct {
	match, maxID, all, gen int64
}

func (c *logTotals) get(key string) (logTotal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	return t, ok
}

func (c *logTotals) put(key string, t logTotal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]logTotal)
	}
	if _, ok := c.m[key]; !ok && len(c.m) >= maxTotals {
		for k := range c.m { // evict one arbitrary entry
			delete(c.m, k)
			break
		}
	}
	c.m[key] = t
}

// countPlan is how the exact number of logs rows matching a filter is obtained.
type countPlan int

const (
	countFromCounters countPlan = iota // only decky/service/event tokens, no time bounds: a sum over log_counts
	countDirect                        // an attacker token and no scanned token: count(*) through its index
	countRemembered                    // field or free-text tokens, or time bounds alone: logTotals
)

// planCount chooses how to count the rows matching f.
func planCount(f LogFilter) countPlan {
	var b sqlBuilder
	return b.addLogFilter(f)
}

// countLogs returns the exact number of logs rows matching f, as planCount chooses.
func (s *Store) countLogs(ctx context.Context, f LogFilter) (int64, error) {
	var b sqlBuilder
	var q string
	switch b.addLogFilter(f) {
	case countFromCounters:
		q = "SELECT coalesce(sum(n), 0)::bigint FROM log_counts WHERE " + b.where()
	case countDirect:
		q = "SELECT count(*) FROM logs WHERE " + b.where()
	}
	if q != "" {
		var n int64
		if err := s.pool.QueryRow(ctx, q, b.args...).Scan(&n); err != nil {
			return 0, fmt.Errorf("count logs: %w", err)
		}
		return n, nil
	}
	key := b.where() + "\x00" + fmt.Sprintf("%#v", b.args)
	n, err, _ := s.totals.flight.Do(key, func() (any, error) {
		// Shared by every waiter: not ended by the first caller's cancellation.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		return s.countFiltered(ctx, key, b)
	})
	if err != nil {
		return 0, err
	}
	return n.(int64), nil
}

// countFiltered counts the rows matching the compiled filter b, from the total remembered under key when it is
// still exact.
func (s *Store) countFiltered(ctx context.Context, key string, b sqlBuilder) (int64, error) {
	where, args := b.where(), b.args
	if old, ok := s.totals.get(key); ok {
		var add, added int64
		cur := old
		after := "$" + strconv.Itoa(len(args)+1)
		err := s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE `+where+`), count(*), coalesce(max(id), `+after+`),
			(SELECT coalesce(sum(n), 0)::bigint FROM log_counts), (SELECT gen FROM log_rewrites)
			FROM logs WHERE id > `+after, append(args[:len(args):len(args)], old.maxID)...).Scan(
			&add, &added, &cur.maxID, &cur.all, &cur.gen)
		if err != nil {
			return 0, fmt.Errorf("count logs since id %d: %w", old.maxID, err)
		}
		if cur.gen == old.gen && cur.all == old.all+added {
			cur.match = old.match + add
			s.totals.put(key, cur)
			return cur.match, nil
		}
	}
	var t logTotal
	err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM logs WHERE `+where+`), (SELECT coalesce(max(id), 0) FROM logs),
		(SELECT coalesce(sum(n), 0)::bigint FROM log_counts), (SELECT gen FROM log_rewrites)`, args...).Scan(
		&t.match, &t.maxID, &t.all, &t.gen)
	if err != nil {
		return 0, fmt.Errorf("count logs: %w", err)
	}
	s.totals.put(key, t)
	return t.match, nil
}
