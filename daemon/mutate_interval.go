package daemon

import (
	"context"
	"net/http"

	"github.com/decnet/decnet/api"
)

// SetMutateInterval stores a decky's mutation interval in minutes (nil = the fleet default applies).
func (e *Engine) SetMutateInterval(_ context.Context, name string, minutes *int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.snapshot().Find(name) < 0 {
		return api.NotFound(name)
	}
	var v *int
	if minutes != nil {
		m := *minutes
		if m < 1 {
			return api.Errorf(http.StatusUnprocessableEntity, "Invalid request parameters")
		}
		v = &m
	}
	return e.update(func(s *FleetState) {
		if i := s.Find(name); i >= 0 {
			s.Plan.Deckies[i].MutateInterval = v
		}
	})
}
