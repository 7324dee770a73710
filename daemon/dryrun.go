package daemon

import (
	"context"
	"net/http"
	"slices"

	"github.com/decnet/decnet/api"
)

var _ api.DeployPlanner = (*Engine)(nil)

// PlanDeploy is Deploy's dry run: it runs the same loader, checks and planner against the current fleet
// (additive mode reserves the fleet's IPs, replace mode ignores the fleet) and returns the deckies the deploy
// would create, in build order, with state "planned". Nothing is changed and no event is emitted.
// Validation errors are the *api.Error values Deploy returns, including 409 "Another deployment is in
// progress" while a fleet change holds the engine. Random draws consume the engine's generator, so a later
// real deploy draws its own services/distros where the INI leaves them open.
func (e *Engine) PlanDeploy(_ context.Context, req api.DeployRequest) ([]api.Decky, error) {
	// planLocked only reads a snapshot and the guarded generator, so the plan does not hold e.mu: a dry
	// run never blocks (or fails) a real deploy for longer than the probe below.
	plan, err := e.planLocked(req)
	if err != nil {
		return nil, err
	}
	if !e.mu.TryLock() {
		return nil, api.Errorf(http.StatusConflict, "Another deployment is in progress")
	}
	e.mu.Unlock()
	out := make([]api.Decky, 0, len(plan.Deckies))
	for _, d := range plan.Deckies {
		v := api.Decky{Name: d.Name, IP: d.IP.String(), Services: slices.Clone(d.Services), Distro: d.Distro,
			Hostname: d.Hostname, NmapOS: d.NmapOS, MutateInterval: d.MutateInterval,
			ServiceConfig: maskSecrets(d.ServiceConfig), State: "planned"}
		if v.Services == nil {
			v.Services = []string{}
		}
		if d.Archetype != "" {
			a := d.Archetype
			v.Archetype = &a
		}
		v.ServicesState = make([]api.ServiceState, 0, len(d.Services))
		for _, s := range d.Services {
			v.ServicesState = append(v.ServicesState, api.ServiceState{Name: s, State: "planned"})
		}
		out = append(out, v)
	}
	return out, nil
}
