package daemon

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/fleet"
)

// Deploy builds the plan of req and brings its deckies up, reporting progress. Additive mode (default) keeps
// the current fleet, reserves its IPs and rejects name clashes; replace mode retires the current fleet
// first. Validation errors are *api.Error (nothing changed, no progress reported). Once accepted, progress
// ends with a "done" line; a decky that fails to come up is removed and reported in its progress line, and
// Deploy then returns an error naming the failures.
func (e *Engine) Deploy(ctx context.Context, req api.DeployRequest, progress func(api.Progress)) error {
	if progress == nil {
		progress = func(api.Progress) {}
	}
	if !e.mu.TryLock() {
		return api.Errorf(http.StatusConflict, "Another deployment is in progress")
	}
	defer e.mu.Unlock()
	// The work must finish even if the client goes away mid-deploy.
	ctx = context.WithoutCancel(ctx)
	plan, err := e.planLocked(req)
	if err != nil {
		return err
	}
	names := make([]string, len(plan.Deckies))
	for i, d := range plan.Deckies {
		names[i] = d.Name
	}
	progress(api.Progress{Step: "plan", Deckies: names})

	if req.Replace() {
		retired, err := e.teardownAllLocked(ctx)
		if err != nil {
			return fmt.Errorf("retire current fleet: %w", err)
		}
		for _, n := range retired {
			progress(api.Progress{Decky: n, Step: "retire"})
		}
	}
	if err := e.ensureRuntimeLocked(plan.Interface, req.IPVLAN, false); err != nil {
		return err
	}
	now := e.cfg.Now()
	// Persist the desired deckies first: a crash mid-deploy is finished by the next start's reconcile.
	if err := e.update(func(s *FleetState) {
		s.Plan.Network, s.IPVLAN = plan.Network, req.IPVLAN
		for _, c := range plan.Custom {
			if !slices.ContainsFunc(s.Plan.Custom, func(x conf.CustomService) bool { return x.Name == c.Name }) {
				s.Plan.Custom = append(s.Plan.Custom, c)
			}
		}
		for _, d := range plan.Deckies {
			s.Plan.Deckies = append(s.Plan.Deckies, d)
			s.LastMutated[d.Name], s.DeployedAt[d.Name] = now, now
		}
	}); err != nil {
		return err
	}
	full := e.snapshot().Plan

	sem := make(chan struct{}, e.cfg.Parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	var ok []string
	for _, d := range plan.Deckies {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := e.upDecky(ctx, full, d, progress); err != nil {
				e.log.Error("deploy decky", "decky", d.Name, "err", err)
				progress(api.Progress{Decky: d.Name, Step: "failed", Error: err.Error()})
				e.rt.Teardown(ctx, d.Name)
				e.update(func(s *FleetState) { s.Remove(d.Name) })
				mu.Lock()
				failed = append(failed, d.Name)
				mu.Unlock()
				return
			}
			mu.Lock()
			ok = append(ok, d.Name)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(ok)
	slices.Sort(failed)
	if len(failed) > 0 {
		err := fmt.Errorf("%d of %d deckies failed: %s", len(failed), len(plan.Deckies), strings.Join(failed, ", "))
		progress(api.Progress{Step: "done", Deckies: ok, Error: err.Error()})
		return err
	}
	progress(api.Progress{Step: "done", Deckies: ok})
	return nil
}

// upDecky brings one decky up: the sandbox (netns, CNI attachment, sandbox task), then its services one by
// one so each gets its own progress line.
func (e *Engine) upDecky(ctx context.Context, p fleet.Plan, d fleet.Decky, progress func(api.Progress)) error {
	spec, err := deckySpec(p, d)
	if err != nil {
		return err
	}
	svcs := spec.Services
	spec.Services = nil
	if err := e.rt.Up(ctx, &spec); err != nil {
		return err
	}
	progress(api.Progress{Decky: d.Name, Step: "sandbox"})
	for i := range svcs {
		if err := e.rt.SetServices(ctx, d.Name, svcs[:i+1]); err != nil {
			return err
		}
		progress(api.Progress{Decky: d.Name, Step: "service " + svcs[i].Name})
	}
	if err := e.update(func(s *FleetState) {
		if spec.MAC != nil {
			s.MAC[d.Name] = spec.MAC.String()
		}
		delete(s.LastError, d.Name)
	}); err != nil {
		return err
	}
	progress(api.Progress{Decky: d.Name, Step: "ready"})
	e.emit(ctx, d.Name, mutatedEvent(d.Name, nil, d.Services, "creation", ""))
	return nil
}

// planLocked validates req against the current fleet and builds the new deckies' plan.
func (e *Engine) planLocked(req api.DeployRequest) (*fleet.Plan, error) {
	cur := e.snapshot()
	var dep *conf.Deployment
	if text := req.Text(); text != "" {
		d, err := conf.Load(text)
		if err != nil {
			return nil, configError(err)
		}
		dep = d
		// Name clashes and emulator-less services are reported before the build (api.md §7 order).
		for _, ds := range dep.Deckies {
			if !req.Replace() && cur.Find(ds.Name) >= 0 {
				return nil, api.Errorf(http.StatusConflict, "decky '%s' already exists; submit with replace_fleet=true to overwrite the fleet", ds.Name)
			}
			for _, s := range ds.Services {
				if !slices.Contains(dep.CustomNames(), s) && !slices.Contains(e.cfg.Drawable, s) {
					return nil, api.Errorf(http.StatusConflict, "service '%s' has no emulator in this build", s)
				}
			}
		}
	}
	flags, err := parseNetwork(req.Network)
	if err != nil {
		return nil, err
	}
	var general conf.General
	if dep != nil {
		general = dep.General
	}
	active := !req.Replace() && len(cur.Plan.Deckies) > 0
	detect := e.cfg.Detect
	if active {
		cn := cur.Plan.Network
		for _, c := range []struct {
			key     string
			set     bool
			val     string
			current string
		}{
			{"interface", general.Interface != "", general.Interface, cn.Interface},
			{"net", general.Net.IsValid(), general.Net.String(), cn.Subnet.String()},
			{"gw", general.Gateway.IsValid(), general.Gateway.String(), cn.Gateway.String()},
		} {
			if c.set && c.val != c.current {
				return nil, api.Errorf(http.StatusConflict, "INI [general] %s=%s conflicts with the active deployment (%s)", c.key, c.val, c.current)
			}
		}
		// The active deployment's facts come before detection (config.md §7.3, API path).
		if flags.Interface == "" && general.Interface == "" {
			flags.Interface = cn.Interface
		}
		if !flags.Subnet.IsValid() && !general.Net.IsValid() {
			flags.Subnet = cn.Subnet
		}
		if !flags.Gateway.IsValid() && !general.Gateway.IsValid() {
			flags.Gateway = cn.Gateway
		}
		if !flags.HostIP.IsValid() {
			flags.HostIP = cn.HostIP
		}
		detect = func() (fleet.Network, error) { return cn, nil }
	}
	netw, err := fleet.ResolveNetwork(flags, general, detect)
	if err != nil {
		return nil, api.Errorf(http.StatusConflict, "%s", err.Error())
	}
	if active && (netw.Interface != cur.Plan.Interface || netw.Subnet != cur.Plan.Subnet) {
		return nil, api.Errorf(http.StatusConflict, "network %s on %s conflicts with the active deployment (%s on %s); deploy with mode replace",
			netw.Subnet, netw.Interface, cur.Plan.Subnet, cur.Plan.Interface)
	}
	if active && req.IPVLAN != cur.IPVLAN {
		return nil, api.Errorf(http.StatusConflict, "ipvlan=%t conflicts with the active deployment (ipvlan=%t)", req.IPVLAN, cur.IPVLAN)
	}
	opt := fleet.Options{Drawable: e.cfg.Drawable, MutateInterval: req.MutateInterval}
	if req.Seed != nil {
		opt.Rand = fleet.NewRand(*req.Seed)
	} else {
		e.rmu.Lock()
		opt.Rand = rand.New(rand.NewPCG(e.rng.Uint64(), e.rng.Uint64()))
		e.rmu.Unlock()
	}
	if active {
		for _, d := range cur.Plan.Deckies {
			opt.ReservedIPs = append(opt.ReservedIPs, d.IP)
		}
	}
	var plan *fleet.Plan
	if dep != nil {
		plan, err = fleet.BuildFromINI(dep, netw, opt)
	} else {
		f := req.Flags
		fo := fleet.FlagOptions{Deckies: f.Deckies, Services: f.Services, Archetype: f.Archetype,
			RandomizeServices: f.RandomizeServices, Distros: f.Distros, RandomizeDistros: f.RandomizeDistros}
		if f.IPStart != "" {
			a, perr := netip.ParseAddr(f.IPStart)
			if perr != nil || !a.Is4() {
				return nil, api.Errorf(http.StatusUnprocessableEntity, "ip_start must be an IPv4 address, got '%s'", f.IPStart)
			}
			fo.IPStart = a
		}
		if err = fo.Validate(); err == nil {
			plan, err = fleet.BuildFromFlags(fo, netw, opt)
		}
	}
	if err != nil {
		return nil, configError(err)
	}
	if err := e.checkPlan(plan, cur, active); err != nil {
		return nil, err
	}
	return plan, nil
}

// checkPlan rejects deckies the runtime cannot run: services without an emulator, names it cannot use,
// name clashes with the active fleet, and custom services redefined differently.
func (e *Engine) checkPlan(plan *fleet.Plan, cur *FleetState, active bool) error {
	custom := map[string]conf.CustomService{}
	for _, c := range plan.Custom {
		custom[c.Name] = c
	}
	for _, d := range plan.Deckies {
		if !runtimeNameRE.MatchString(d.Name) {
			return api.Errorf(http.StatusConflict, "decky name '%s' cannot be deployed: use 1-40 lower-case letters, digits, '-' or '_', starting with a letter or digit", d.Name)
		}
		for _, s := range d.Services {
			if _, ok := custom[s]; ok {
				continue
			}
			if !slices.Contains(e.cfg.Drawable, s) {
				return api.Errorf(http.StatusConflict, "service '%s' has no emulator in this build", s)
			}
		}
		if active && cur.Find(d.Name) >= 0 {
			return api.Errorf(http.StatusConflict, "decky '%s' already exists; submit with replace_fleet=true to overwrite the fleet", d.Name)
		}
	}
	if active {
		for _, c := range cur.Plan.Custom {
			if n, ok := custom[c.Name]; ok && !customEqual(n, c) {
				return api.Errorf(http.StatusConflict, "custom service '%s' already exists with a different definition", c.Name)
			}
		}
	}
	return nil
}

func customEqual(a, b conf.CustomService) bool {
	return a.Name == b.Name && a.Image == b.Image && slices.Equal(a.Exec, b.Exec) && slices.Equal(a.Ports, b.Ports)
}

// configError maps a loader/planner error to the API: too large → 422, other configuration errors → 409
// with the message verbatim.
func configError(err error) error {
	var ce *conf.ConfigError
	if errors.As(err, &ce) && strings.HasPrefix(ce.Msg, "INI content is too large") {
		return &api.Error{Status: http.StatusUnprocessableEntity, Detail: "Invalid INI config"}
	}
	return &api.Error{Status: http.StatusConflict, Detail: err.Error()}
}
