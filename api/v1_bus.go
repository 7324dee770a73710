package api

import (
	"sync"

	"github.com/decnet/decnet/ingest"
)

// BusNotifier adapts the ingest event bus to LogNotifier: every committed event's logs id is announced.
type BusNotifier struct{ Bus *ingest.Bus }

// SubscribeIDs subscribes to the bus and forwards the ids of committed events until cancel is called.
func (b BusNotifier) SubscribeIDs() (<-chan int64, func()) {
	sub := b.Bus.Subscribe(4096)
	out := make(chan int64, 4096)
	done := make(chan struct{})
	go func() {
		defer close(out)
		for {
			select {
			case <-done:
				return
			case ev, ok := <-sub.C:
				if !ok {
					return
				}
				if ev.ID <= 0 {
					continue
				}
				select {
				case out <- ev.ID:
				case <-done:
					return
				}
			}
		}
	}()
	var once sync.Once
	return out, func() {
		once.Do(func() {
			close(done)
			sub.Close()
		})
	}
}
