package daemon

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/fleet"
)

// maxDrawAttempts bounds the redraws of a mutation (api.md §7).
const maxDrawAttempts = 20

// Mutate re-rolls one decky's services on the operator's request.
func (e *Engine) Mutate(ctx context.Context, name, actor string) (api.MutateResult, error) {
	ctx = context.WithoutCancel(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.mutateLocked(ctx, name, "operator", actor)
}

// MutateAll re-rolls every decky's services.
func (e *Engine) MutateAll(ctx context.Context, actor string) ([]api.MutateResult, error) {
	ctx = context.WithoutCancel(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.snapshot()
	if len(st.Plan.Deckies) == 0 {
		return nil, api.Errorf(http.StatusNotFound, "No active deployment")
	}
	var out []api.MutateResult
	var errs []error
	for _, d := range st.Plan.Deckies {
		r, err := e.mutateLocked(ctx, d.Name, "operator", actor)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	return out, errors.Join(errs...)
}

// pool returns the services a decky's mutation draws from: its archetype's services, else every service
// with an emulator, in both cases limited to services that have an emulator in this build.
func (e *Engine) pool(d fleet.Decky) []string {
	if d.Archetype != "" {
		if a, err := conf.LookupArchetype(d.Archetype); err == nil {
			var out []string
			for _, s := range a.Services {
				if slices.Contains(e.cfg.Drawable, s) {
					out = append(out, s)
				}
			}
			return out
		}
	}
	return slices.Clone(e.cfg.Drawable)
}

// draw picks a new service set from pool (n uniform in 1..min(3,|pool|), n distinct services), redrawing
// while it equals current or has a port conflict, at most 20 times. ok is false when no draw qualified.
func (e *Engine) draw(pool, current []string, custom []conf.CustomService) ([]string, bool) {
	if len(pool) == 0 {
		return nil, false
	}
	e.rmu.Lock()
	defer e.rmu.Unlock()
	cur := slices.Clone(current)
	slices.Sort(cur)
	for range maxDrawAttempts {
		n := 1 + e.rng.IntN(min(3, len(pool)))
		perm := e.rng.Perm(len(pool))[:n]
		set := make([]string, n)
		for i, j := range perm {
			set[i] = pool[j]
		}
		sorted := slices.Clone(set)
		slices.Sort(sorted)
		if slices.Equal(sorted, cur) {
			continue
		}
		if _, _, _, _, conflict := fleet.PortConflict(set, custom); conflict {
			continue
		}
		return set, true
	}
	return nil, false
}

// mutateLocked swaps one decky's service containers for a new draw; the sandbox, IP and MAC stay.
func (e *Engine) mutateLocked(ctx context.Context, name, trigger, actor string) (api.MutateResult, error) {
	st := e.snapshot()
	i := st.Find(name)
	if i < 0 {
		if len(st.Plan.Deckies) == 0 {
			return api.MutateResult{}, api.Errorf(http.StatusNotFound, "No active deployment")
		}
		return api.MutateResult{}, api.NotFound(name)
	}
	d := st.Plan.Deckies[i]
	res := api.MutateResult{Decky: name, OldServices: slices.Clone(d.Services), NewServices: slices.Clone(d.Services)}
	set, ok := e.draw(e.pool(d), d.Services, st.Plan.Custom)
	now := e.cfg.Now()
	if ok {
		specs, err := serviceSpecs(st.Plan, d, set)
		if err != nil {
			return res, err
		}
		if err := e.rt.SetServices(ctx, name, specs); err != nil {
			return res, err
		}
		res.NewServices, res.Changed = set, true
	}
	if err := e.update(func(s *FleetState) {
		if j := s.Find(name); j >= 0 {
			s.Plan.Deckies[j].Services = slices.Clone(res.NewServices)
		}
		s.LastMutated[name] = now
	}); err != nil {
		return res, err
	}
	if res.Changed {
		e.log.Info("mutated decky", "decky", name, "old", res.OldServices, "new", res.NewServices, "trigger", trigger)
		e.emit(ctx, name, mutatedEvent(name, res.OldServices, res.NewServices, trigger, actor))
	}
	return res, nil
}

// due returns the deckies whose mutation interval has elapsed at now.
func (e *Engine) due(now time.Time) []string {
	st := e.snapshot()
	var out []string
	for _, d := range st.Plan.Deckies {
		iv := e.cfg.MutateInterval
		if d.MutateInterval != nil {
			iv = time.Duration(*d.MutateInterval) * time.Minute
		}
		if now.Sub(st.LastMutated[d.Name]) >= iv {
			out = append(out, d.Name)
		}
	}
	return out
}

// RunMutator mutates due deckies (trigger "scheduled") every tick until ctx ends.
func (e *Engine) RunMutator(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, n := range e.due(e.cfg.Now()) {
			if ctx.Err() != nil {
				return
			}
			e.mu.Lock()
			if _, err := e.mutateLocked(ctx, n, "scheduled", ""); err != nil {
				e.log.Warn("scheduled mutation", "decky", n, "err", err)
			}
			e.mu.Unlock()
		}
	}
}
