package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/fleet"
	"github.com/decnet/decnet/runtime"
)

// RuntimeFactory creates a runtime whose new deckies attach to parent (macvlan, or ipvlan when asked).
type RuntimeFactory func(parent string, ipvlan bool) (runtime.Interface, error)

// EngineConfig configures an Engine.
type EngineConfig struct {
	StateDir   string
	Drawable   []string       // services with an emulator in this build (services.Names())
	NewRuntime RuntimeFactory // required
	Inspector  Inspector      // required
	// Out receives the daemon's own event lines (decky_mutated).
	Out chan<- runtime.Line
	// Detect reads the host network facts (default fleet.DetectNetwork).
	Detect func() (fleet.Network, error)
	// MutateInterval is the fleet default mutation interval (default 30 min).
	MutateInterval time.Duration
	InstanceID     string
	Parallel       int // deckies brought up at once (default 4)
	Log            *slog.Logger
	Now            func() time.Time
	Rand           *rand.Rand // mutation draws and unseeded deploys (default: random seed)
}

// Engine owns the desired fleet and drives the runtime towards it. It implements api.Backend.
type Engine struct {
	cfg EngineConfig
	log *slog.Logger

	mu     sync.Mutex // serialises fleet changes (deploy, teardown, mutate, reconcile)
	rt     runtime.Interface
	parent string
	ipvlan bool

	smu sync.RWMutex // guards st (readers: list, health)
	st  *FleetState

	rmu sync.Mutex
	rng *rand.Rand
}

var _ api.Backend = (*Engine)(nil)

// runtimeNameRE is the decky-name grammar the runtime accepts (container ids, netns and paths).
var runtimeNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// NewEngine loads the desired fleet from the state dir. Call Start before serving.
func NewEngine(cfg EngineConfig) (*Engine, error) {
	if cfg.NewRuntime == nil || cfg.Inspector == nil {
		return nil, errors.New("engine: runtime factory and inspector are required")
	}
	if cfg.Detect == nil {
		cfg.Detect = fleet.DetectNetwork
	}
	if cfg.MutateInterval <= 0 {
		cfg.MutateInterval = 30 * time.Minute
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	st, err := LoadState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, log: cfg.Log.With("component", "fleet"), st: st, rng: cfg.Rand}, nil
}

// snapshot returns a copy of the desired fleet.
func (e *Engine) snapshot() *FleetState {
	e.smu.RLock()
	defer e.smu.RUnlock()
	return e.st.clone()
}

// update applies f to the desired fleet and persists it.
func (e *Engine) update(f func(s *FleetState)) error {
	e.smu.Lock()
	defer e.smu.Unlock()
	f(e.st)
	return SaveState(e.cfg.StateDir, e.st)
}

// Start creates the runtime for the persisted fleet and reconciles: it adopts what a previous decnetd left
// running, creates the desired deckies that are missing and removes strays.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.snapshot()
	if err := e.ensureRuntimeLocked(st.Plan.Interface, st.IPVLAN, true); err != nil {
		return err
	}
	return e.reconcileLocked(ctx)
}

// Close releases the runtime without touching the deckies (a later decnetd adopts them).
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.rt == nil {
		return nil
	}
	err := e.rt.Close()
	e.rt = nil
	return err
}

// ensureRuntimeLocked makes sure the runtime attaches new deckies to parent. A runtime that still manages
// deckies on another parent is only replaced when force is set (startup).
func (e *Engine) ensureRuntimeLocked(parent string, ipvlan, force bool) error {
	if e.rt != nil && e.parent == parent && e.ipvlan == ipvlan {
		return nil
	}
	if e.rt != nil {
		if n := len(e.rt.Deckies()); n > 0 && !force {
			return api.Errorf(http.StatusConflict, "%d running deckies are attached to %s; tear them down or deploy with mode replace", n, e.parent)
		}
		e.rt.Close()
		e.rt = nil
	}
	rt, err := e.cfg.NewRuntime(parent, ipvlan)
	if err != nil {
		return fmt.Errorf("create runtime: %w", err)
	}
	e.rt, e.parent, e.ipvlan = rt, parent, ipvlan
	return nil
}

// reconcileLocked adopts running deckies, starts missing desired ones, re-applies desired services and
// removes deckies nobody asked for.
func (e *Engine) reconcileLocked(ctx context.Context) error {
	adopted, err := e.rt.Adopt(ctx)
	if err != nil {
		e.log.Warn("adopt", "err", err)
	}
	e.log.Info("adopted deckies", "count", len(adopted), "deckies", adopted)
	st := e.snapshot()
	running := map[string]bool{}
	for _, n := range e.rt.Deckies() {
		running[n] = true
	}
	var errs []error
	for _, d := range st.Plan.Deckies {
		spec, err := deckySpec(st.Plan, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if running[d.Name] {
			if err := e.rt.SetServices(ctx, d.Name, spec.Services); err != nil {
				errs = append(errs, err)
			}
			delete(running, d.Name)
			continue
		}
		e.log.Info("creating missing decky", "decky", d.Name)
		err = e.rt.Up(ctx, &spec)
		e.update(func(s *FleetState) {
			if err != nil {
				s.LastError[d.Name] = err.Error()
			} else {
				delete(s.LastError, d.Name)
				s.MAC[d.Name] = spec.MAC.String()
			}
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	for n := range running {
		e.log.Info("removing stray decky", "decky", n)
		if err := e.rt.Teardown(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		e.log.Warn("reconcile", "err", err)
		return fmt.Errorf("reconcile: %w", err)
	}
	return nil
}

// deckySpec turns a planned decky into the runtime's spec.
func deckySpec(p fleet.Plan, d fleet.Decky) (runtime.DeckySpec, error) {
	s := runtime.DeckySpec{Name: d.Name, IP: d.IP, PrefixLen: p.Subnet.Bits(), Gateway: p.Gateway,
		Hostname: d.Hostname, Distro: d.Distro, NmapOS: d.NmapOS}
	svcs, err := serviceSpecs(p, d, d.Services)
	s.Services = svcs
	return s, err
}

// serviceSpecs builds the runtime service specs of names for decky d (persona from its service_config).
func serviceSpecs(p fleet.Plan, d fleet.Decky, names []string) ([]runtime.ServiceSpec, error) {
	out := make([]runtime.ServiceSpec, 0, len(names))
	for _, n := range names {
		ss := runtime.ServiceSpec{Name: n, Persona: d.ServiceConfig[n]}
		if i := slices.IndexFunc(p.Custom, func(c conf.CustomService) bool { return c.Name == n }); i >= 0 {
			c := p.Custom[i]
			ss.Custom = &c
		}
		out = append(out, ss)
	}
	return out, nil
}

// emit sends one daemon event line (as the mutator) into the output path.
func (e *Engine) emit(ctx context.Context, decky string, ev event.Event) {
	if e.cfg.Out == nil {
		return
	}
	ev.Time = e.cfg.Now()
	l := runtime.Line{Decky: decky, Stream: "stdout", Text: string(ev.Encode())}
	select {
	case e.cfg.Out <- l:
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		e.log.Error("output path blocked, dropping event line", "line", l.Text)
	}
}

// mutatedEvent builds a decky_mutated line (events.md §1, mutator emitter).
func mutatedEvent(decky string, old, new []string, trigger, actor string) event.Event {
	f := []event.Field{event.F("decky", decky), event.F("old_services", strings.Join(old, ",")),
		event.F("new_services", strings.Join(new, ",")), event.F("trigger", trigger)}
	if actor != "" {
		f = append(f, event.F("actor", actor))
	}
	return event.Event{Severity: event.Info, Hostname: decky, App: "mutator", Type: "decky_mutated", Fields: f}
}

// Teardown removes one decky (runtime and desired fleet) and emits its retirement.
func (e *Engine) Teardown(ctx context.Context, name string) error {
	ctx = context.WithoutCancel(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.snapshot()
	i := st.Find(name)
	managed := e.rt != nil && slices.Contains(e.rt.Deckies(), name)
	if i < 0 && !managed {
		return api.NotFound(name)
	}
	if e.rt != nil {
		if err := e.rt.Teardown(ctx, name); err != nil {
			return err
		}
	}
	var old []string
	if i >= 0 {
		old = st.Plan.Deckies[i].Services
	}
	if err := e.update(func(s *FleetState) { s.Remove(name) }); err != nil {
		return err
	}
	e.emit(ctx, name, mutatedEvent(name, old, nil, "retirement", ""))
	return nil
}

// TeardownAll removes every decky and returns their names.
func (e *Engine) TeardownAll(ctx context.Context) ([]string, error) {
	ctx = context.WithoutCancel(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.teardownAllLocked(ctx)
}

func (e *Engine) teardownAllLocked(ctx context.Context) ([]string, error) {
	st := e.snapshot()
	names := map[string][]string{}
	for _, d := range st.Plan.Deckies {
		names[d.Name] = d.Services
	}
	if e.rt != nil {
		for _, n := range e.rt.Deckies() {
			if _, ok := names[n]; !ok {
				names[n] = nil
			}
		}
		if err := e.rt.TeardownAll(ctx); err != nil {
			return nil, err
		}
	}
	if err := e.update(func(s *FleetState) {
		net, v := s.Plan.Network, s.IPVLAN
		*s = *newFleetState()
		s.Plan.Network, s.IPVLAN = net, v
	}); err != nil {
		return nil, err
	}
	out := slices.Sorted(func(yield func(string) bool) {
		for n := range names {
			if !yield(n) {
				return
			}
		}
	})
	for _, n := range out {
		e.emit(ctx, n, mutatedEvent(n, names[n], nil, "retirement", ""))
	}
	return out, nil
}

// Deckies lists the desired deckies with their runtime state, ordered by name.
func (e *Engine) Deckies(ctx context.Context) ([]api.Decky, error) {
	st := e.snapshot()
	info, err := e.cfg.Inspector.Inspect(ctx)
	if err != nil {
		e.log.Warn("inspect runtime", "err", err)
	}
	now := e.cfg.Now()
	out := make([]api.Decky, 0, len(st.Plan.Deckies))
	for _, d := range st.Plan.Deckies {
		out = append(out, deckyView(st, d, info, err == nil, now))
	}
	slices.SortFunc(out, func(a, b api.Decky) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// deckyView builds the API object of one decky.
func deckyView(st *FleetState, d fleet.Decky, info map[string]RuntimeInfo, known bool, now time.Time) api.Decky {
	v := api.Decky{Name: d.Name, IP: d.IP.String(), MAC: st.MAC[d.Name], Services: slices.Clone(d.Services),
		Distro: d.Distro, Hostname: d.Hostname, NmapOS: d.NmapOS, MutateInterval: d.MutateInterval,
		ServiceConfig: maskSecrets(d.ServiceConfig)}
	if v.Services == nil {
		v.Services = []string{}
	}
	if d.Archetype != "" {
		a := d.Archetype
		v.Archetype = &a
	}
	if t, ok := st.LastMutated[d.Name]; ok {
		v.LastMutated = &t
	}
	if msg, ok := st.LastError[d.Name]; ok {
		v.LastError = &msg
	}
	ri, ok := info[d.Name]
	switch {
	case !known:
		v.State = "unknown"
	case !ok || ri.Sandbox == "":
		v.State = "missing"
	default:
		v.State = ri.Sandbox
		if ri.MAC != "" {
			v.MAC = ri.MAC
		}
		if !ri.CreatedAt.IsZero() {
			t := ri.CreatedAt.UTC()
			v.StartedAt = &t
			v.UptimeSeconds = int64(now.Sub(t).Seconds())
		}
	}
	v.ServicesState = make([]api.ServiceState, 0, len(d.Services))
	for _, s := range d.Services {
		state := "missing"
		switch {
		case !known:
			state = "unknown"
		case ok:
			if x, found := ri.Services[s]; found {
				state = x
			}
		}
		v.ServicesState = append(v.ServicesState, api.ServiceState{Name: s, State: state})
		if v.State == "running" && state != "running" {
			v.State = "degraded"
		}
	}
	return v
}

// maskSecrets replaces password-typed persona values with "********".
func maskSecrets(sc map[string]map[string]any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for svc, kv := range sc {
		secret := map[string]bool{}
		if s, ok := conf.LookupService(svc); ok {
			for _, k := range s.Persona {
				secret[k.Key] = k.Secret
			}
		}
		m := map[string]any{}
		for k, v := range kv {
			if secret[k] {
				v = "********"
			}
			m[k] = v
		}
		out[svc] = m
	}
	return out
}

// Health reports whether containerd answers and how many deckies are desired.
func (e *Engine) Health(ctx context.Context) api.Health {
	st := e.snapshot()
	h := api.Health{Status: "ok", Containerd: e.cfg.Inspector.Ping(ctx), Deckies: len(st.Plan.Deckies), InstanceID: e.cfg.InstanceID}
	if !h.Containerd {
		h.Status = "degraded"
	}
	return h
}

// parseNetwork parses the request's explicit network facts.
func parseNetwork(n api.Network) (fleet.Network, error) {
	out := fleet.Network{Interface: strings.TrimSpace(n.Interface)}
	bad := func(what, v string) error {
		return api.Errorf(http.StatusUnprocessableEntity, "%s must be an IPv4 %s, got '%s'", what, map[bool]string{true: "CIDR", false: "address"}[what == "subnet"], v)
	}
	if n.Subnet != "" {
		p, err := netip.ParsePrefix(strings.TrimSpace(n.Subnet))
		if err != nil || !p.Addr().Is4() {
			return out, bad("subnet", n.Subnet)
		}
		out.Subnet = p.Masked()
	}
	for _, f := range []struct {
		name string
		raw  string
		dst  *netip.Addr
	}{{"gateway", n.Gateway, &out.Gateway}, {"host_ip", n.HostIP, &out.HostIP}} {
		if f.raw == "" {
			continue
		}
		a, err := netip.ParseAddr(strings.TrimSpace(f.raw))
		if err != nil || !a.Is4() {
			return out, bad(f.name, f.raw)
		}
		*f.dst = a
	}
	return out, nil
}
