package ingest

import (
	"sync"
	"sync/atomic"

	"github.com/decnet/decnet/event"
)

// Event is one committed record as published on the Bus.
type Event struct {
	ID     int64 // logs.id
	Stream string
	Seq    int64
	Record event.Record
}

// Bus fans committed events out to subscribers (SSE, profiler, correlation). Publishing never blocks: a
// subscriber whose queue is full loses the event and its drop counter grows.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// Subscription is one subscriber's bounded queue.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	bus     *Bus
	dropped atomic.Int64
	once    sync.Once
}

// NewBus returns an empty Bus.
func NewBus() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscribe adds a subscriber with a queue of buf events (≤ 0 means 1024).
func (b *Bus) Subscribe(buf int) *Subscription {
	if buf <= 0 {
		buf = 1024
	}
	c := make(chan Event, buf)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Dropped returns how many events this subscriber lost to a full queue.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close removes the subscriber and closes its channel.
func (s *Subscription) Close() {
	s.once.Do(func() {
		s.bus.mu.Lock()
		delete(s.bus.subs, s)
		close(s.c)
		s.bus.mu.Unlock()
	})
}

// Publish delivers evs to every subscriber without blocking.
func (b *Bus) Publish(evs []Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		for _, e := range evs {
			select {
			case s.c <- e:
			default:
				s.dropped.Add(1)
			}
		}
	}
}
