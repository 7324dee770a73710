package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// FleetBackend is what the v1 decky routes need from the fleet engine (helper's Backend subset).
type FleetBackend interface {
	Deploy(ctx context.Context, req DeployRequest, progress func(Progress)) error
	Deckies(ctx context.Context) ([]Decky, error)
	Teardown(ctx context.Context, name string) error
	Mutate(ctx context.Context, name, actor string) (MutateResult, error)
}

// MutateIntervalSetter is implemented by engines that store a per-decky mutation interval (minutes, nil =
// fleet default).
type MutateIntervalSetter interface {
	SetMutateInterval(ctx context.Context, name string, minutes *int) error
}

// V1Decky is one item of GET /api/v1/deckies (api.md §7).
type V1Decky struct {
	Name             string                    `json:"name"`
	IP               string                    `json:"ip"`
	MAC              string                    `json:"mac"`
	StartedAt        *time.Time                `json:"started_at"`
	ServicesState    []ServiceState            `json:"services_state"`
	Services         []string                  `json:"services"`
	Distro           string                    `json:"distro"`
	Hostname         string                    `json:"hostname"`
	Archetype        *string                   `json:"archetype"`
	ServiceConfig    map[string]map[string]any `json:"service_config"`
	NmapOS           string                    `json:"nmap_os"`
	MutateInterval   *int                      `json:"mutate_interval"`
	LastMutated      *time.Time                `json:"last_mutated"`
	LastLoginAttempt *time.Time                `json:"last_login_attempt"`
	State            string                    `json:"state"`
	LastError        *string                   `json:"last_error"`
}

// LifecycleRow is one decky_lifecycle row (api.md §7).
type LifecycleRow = store.LifecycleRow

// LifecycleStore persists decky_lifecycle rows (implemented by *store.Store).
type LifecycleStore interface {
	InsertLifecycle(ctx context.Context, id, decky, op string) error
	SetLifecycle(ctx context.Context, id, status, errText string) error
	Lifecycles(ctx context.Context, ids []string) ([]store.LifecycleRow, error)
}

// lifecycles tracks asynchronous operations in decky_lifecycle (or in process memory without a LifecycleStore).
type lifecycles struct {
	db   LifecycleStore
	log  *slog.Logger
	mu   sync.Mutex
	rows map[string]*LifecycleRow
}

func (l *lifecycles) add(decky, op string) string {
	now := time.Now().UTC()
	r := &LifecycleRow{ID: uuid.NewString(), DeckyName: decky, Operation: op, Status: "pending", StartedAt: now, UpdatedAt: now}
	if l.db != nil {
		if err := l.db.InsertLifecycle(context.Background(), r.ID, decky, op); err != nil {
			l.log.Error("lifecycle", "err", err)
		}
		return r.ID
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.rows == nil {
		l.rows = map[string]*LifecycleRow{}
	}
	l.rows[r.ID] = r
	return r.ID
}

func (l *lifecycles) set(id, status, errText string) {
	if l.db != nil {
		if err := l.db.SetLifecycle(context.Background(), id, status, errText); err != nil {
			l.log.Error("lifecycle", "err", err)
		}
		return
	}
	now := time.Now().UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.rows[id]
	if !ok || r.CompletedAt != nil {
		return
	}
	r.Status, r.UpdatedAt = status, now
	if errText != "" {
		r.Error = &errText
	}
	if status == "succeeded" || status == "failed" {
		r.CompletedAt = &now
	}
}

func (l *lifecycles) get(ctx context.Context, ids []string) ([]LifecycleRow, error) {
	if l.db != nil {
		return l.db.Lifecycles(ctx, ids)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := []LifecycleRow{}
	for _, id := range ids {
		if r, ok := l.rows[id]; ok {
			out = append(out, *r)
		}
	}
	return out, nil
}

var errNoFleet = &Error{Status: http.StatusServiceUnavailable, Detail: "Fleet engine not available"}

// durationRE is the mutation-interval grammar (config.md §8).
var durationRE = regexp.MustCompile(`^[1-9][0-9]*[mdMyY]$`)

func (s *Server) fleet(c *gin.Context) (FleetBackend, bool) {
	if s.o.Fleet == nil {
		s.fail(c, errNoFleet)
		return nil, false
	}
	return s.o.Fleet, true
}

func (s *Server) getDeckies(c *gin.Context) {
	f, ok := s.fleet(c)
	if !ok {
		return
	}
	ds, err := f.Deckies(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v1Deckies(ds, true))
}

// v1Deckies converts engine deckies to the v1 list shape ([] and {} instead of null), sorted by name when
// sorted is set (a dry run keeps the planner's build order).
func v1Deckies(ds []Decky, sorted bool) []V1Decky {
	out := make([]V1Decky, 0, len(ds))
	for _, d := range ds {
		ss := d.ServicesState
		if ss == nil {
			ss = []ServiceState{}
		}
		sc := d.ServiceConfig
		if sc == nil {
			sc = map[string]map[string]any{}
		}
		svcs := d.Services
		if svcs == nil {
			svcs = []string{}
		}
		out = append(out, V1Decky{Name: d.Name, IP: d.IP, MAC: d.MAC, StartedAt: d.StartedAt, ServicesState: ss,
			Services: svcs, Distro: d.Distro, Hostname: d.Hostname, Archetype: d.Archetype, ServiceConfig: sc,
			NmapOS: d.NmapOS, MutateInterval: d.MutateInterval, LastMutated: d.LastMutated, State: d.State, LastError: d.LastError})
	}
	if sorted {
		slices.SortFunc(out, func(a, b V1Decky) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

// V1DeployRequest is the body of POST /api/v1/deckies/deploy. DryRun (default false) runs the same
// validation and planning as a real deploy — same 400/409/422 answers — changes nothing and answers 200
// V1DryRunResponse.
type V1DeployRequest struct {
	INIContent   *string `json:"ini_content"`
	ReplaceFleet *bool   `json:"replace_fleet"`
	DryRun       *bool   `json:"dry_run"`
}

// V1DryRunResponse is the 200 answer of a dry-run deploy: the deckies the deploy would create, in the
// GET /deckies item shape and the planner's build order, with state "planned" (services_state "planned",
// mac "", started_at/last_mutated null). Services, distros and hostnames drawn at random when the INI does
// not fix them are one possible draw: the real deploy draws again.
type V1DryRunResponse struct {
	DryRun  bool      `json:"dry_run"`
	Deckies []V1Decky `json:"deckies"`
}

// DeployPlanner is implemented by fleet engines that can plan a deploy without applying it (dry run): it
// runs every check Deploy runs before accepting (same *Error values) and returns the planned deckies.
type DeployPlanner interface {
	PlanDeploy(ctx context.Context, req DeployRequest) ([]Decky, error)
}

// mapContentError maps a loader content error to the deploy route's answer (api.md §7 step 2–3).
func mapContentError(err error) *Error {
	msg := err.Error()
	switch {
	case msg == "INI content is empty":
		return &Error{Status: http.StatusConflict, Detail: "Configuration conflict: INI content is empty."}
	case strings.HasPrefix(msg, "INI content is too large"):
		return &Error{Status: http.StatusUnprocessableEntity, Detail: "Invalid INI config"}
	case strings.HasPrefix(msg, "Invalid INI format"):
		return &Error{Status: http.StatusConflict, Detail: "Configuration conflict: INI syntax or characters are invalid."}
	case strings.Contains(msg, "at least one section") || msg == "INI must contain at least one decky section":
		return &Error{Status: http.StatusConflict, Detail: "Invalid INI config structure: No decky sections found."}
	}
	return &Error{Status: http.StatusConflict, Detail: msg}
}

// deploymentLimit returns config_limits.deployment_limit (default 256).
func (s *Server) deploymentLimit(ctx context.Context) (int, error) {
	raw, found, err := s.o.Data.GetState(ctx, "config_limits")
	if err != nil || !found {
		return 256, err
	}
	var v struct {
		DeploymentLimit int `json:"deployment_limit"`
	}
	if json.Unmarshal(raw, &v) != nil || v.DeploymentLimit < 1 {
		return 256, nil
	}
	return v.DeploymentLimit, nil
}

func (s *Server) deploy(c *gin.Context) {
	var req V1DeployRequest
	if !decodeBody(c, &req) {
		return
	}
	if req.INIContent == nil {
		badRequest(c)
		return
	}
	f, ok := s.fleet(c)
	if !ok {
		return
	}
	replace := req.ReplaceFleet != nil && *req.ReplaceFleet
	ctx := c.Request.Context()
	dep, err := conf.Load(*req.INIContent)
	if err != nil {
		var ce *conf.ConfigError
		if !errors.As(err, &ce) {
			s.fail(c, err)
			return
		}
		s.fail(c, mapContentError(err))
		return
	}
	existing, err := f.Deckies(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	if !replace {
		have := map[string]bool{}
		for _, d := range existing {
			have[d.Name] = true
		}
		for _, d := range dep.Deckies {
			if have[d.Name] {
				s.fail(c, Errorf(http.StatusConflict, "decky '%s' already exists; submit with replace_fleet=true to overwrite the fleet", d.Name))
				return
			}
		}
	}
	limit, err := s.deploymentLimit(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	n := len(dep.Deckies)
	if !replace {
		n += len(existing)
	}
	if n > limit {
		s.fail(c, Errorf(http.StatusConflict, "Deployment would result in %d deckies, exceeding the configured limit of %d", n, limit))
		return
	}
	mode := "additive"
	if replace {
		mode = "replace"
	}
	engineReq := DeployRequest{INIContent: *req.INIContent, ReplaceFleet: replace, Mode: mode}
	if req.DryRun != nil && *req.DryRun {
		s.dryRun(c, f, engineReq)
		return
	}
	// The engine validates the rest synchronously and reports "plan" once accepted; the deployment then
	// continues in the background.
	accepted := make(chan []string, 1)
	result := make(chan error, 1)
	ids := map[string]string{}
	var idsMu sync.Mutex
	progress := func(p Progress) {
		switch {
		case p.Step == "plan":
			idsMu.Lock()
			for _, d := range p.Deckies {
				ids[d] = s.life.add(d, "deploy")
			}
			list := make([]string, 0, len(p.Deckies))
			for _, d := range p.Deckies {
				list = append(list, ids[d])
			}
			idsMu.Unlock()
			select {
			case accepted <- list:
			default:
			}
		case p.Decky != "":
			idsMu.Lock()
			id := ids[p.Decky]
			idsMu.Unlock()
			switch {
			case p.Step == "ready":
				s.life.set(id, "succeeded", "")
			case p.Step == "failed" || p.Error != "":
				s.life.set(id, "failed", p.Error)
			case p.Step != "retire":
				s.life.set(id, "running", "")
			}
		case p.Step == "done":
			idsMu.Lock()
			for _, id := range ids {
				if p.Error != "" {
					s.life.set(id, "failed", p.Error)
				} else {
					s.life.set(id, "succeeded", "")
				}
			}
			idsMu.Unlock()
		}
	}
	actorName := c.GetString("actor")
	go func() {
		bg := context.WithoutCancel(ctx)
		err := f.Deploy(bg, engineReq, progress)
		if err != nil {
			s.log.Warn("deploy finished with error", "actor", actorName, "err", err)
		}
		result <- err
	}()
	select {
	case list := <-accepted:
		s.cache.del("stats")
		c.JSON(http.StatusAccepted, gin.H{"message": "Deployment accepted", "mode": mode, "lifecycle_ids": list})
	case err := <-result:
		if err == nil {
			c.JSON(http.StatusAccepted, gin.H{"message": "Deployment accepted", "mode": mode, "lifecycle_ids": []string{}})
			return
		}
		s.fail(c, engineDeployError(err))
	}
}

// engineDeployError maps an engine validation error to the deploy answer (every 422 is "Invalid INI config").
func engineDeployError(err error) error {
	var ae *Error
	if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
		return &Error{Status: http.StatusUnprocessableEntity, Detail: "Invalid INI config"}
	}
	return err
}

// dryRun answers a deploy with dry_run: the engine plans req without applying it.
func (s *Server) dryRun(c *gin.Context, f FleetBackend, req DeployRequest) {
	p, ok := f.(DeployPlanner)
	if !ok {
		s.fail(c, &Error{Status: http.StatusNotImplemented, Detail: "Dry run not supported by this engine"})
		return
	}
	ds, err := p.PlanDeploy(c.Request.Context(), req)
	if err != nil {
		s.fail(c, engineDeployError(err))
		return
	}
	c.JSON(http.StatusOK, V1DryRunResponse{DryRun: true, Deckies: v1Deckies(ds, false)})
}

func (s *Server) getLifecycle(c *gin.Context) {
	ids := c.QueryArray("ids")
	if len(ids) > 1000 {
		invalidParams(c)
		return
	}
	rows, err := s.life.get(c.Request.Context(), ids)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rows": rows})
}

// deckyParam validates the path's decky name (422 otherwise).
func deckyParam(c *gin.Context) (string, bool) {
	n := c.Param("decky_name")
	if !deckyNameRE.MatchString(n) {
		invalidParams(c)
		return "", false
	}
	return n, true
}

// findDecky answers 404 (No active deployment / Decky <n> not found) unless the decky exists.
func (s *Server) findDecky(c *gin.Context, f FleetBackend, name string) bool {
	ds, err := f.Deckies(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return false
	}
	if len(ds) == 0 {
		detail(c, http.StatusNotFound, "No active deployment")
		return false
	}
	for _, d := range ds {
		if d.Name == name {
			return true
		}
	}
	s.fail(c, NotFound(name))
	return false
}

func (s *Server) mutateDecky(c *gin.Context) {
	name, ok := deckyParam(c)
	if !ok {
		return
	}
	f, ok := s.fleet(c)
	if !ok || !s.findDecky(c, f, name) {
		return
	}
	id := s.life.add(name, "mutate")
	actorName := c.GetString("actor")
	go func() {
		s.life.set(id, "running", "")
		if _, err := f.Mutate(context.Background(), name, actorName); err != nil {
			s.life.set(id, "failed", err.Error())
			return
		}
		s.life.set(id, "succeeded", "")
	}()
	c.JSON(http.StatusAccepted, gin.H{"lifecycle_ids": []string{id}})
}

// MutateIntervalRequest is the body of PUT /deckies/{name}/mutate-interval.
type MutateIntervalRequest struct {
	MutateInterval *string `json:"mutate_interval"`
}

func (s *Server) putMutateInterval(c *gin.Context) {
	name, ok := deckyParam(c)
	if !ok {
		return
	}
	var raw map[string]json.RawMessage
	if !decodeBody(c, &raw) {
		return
	}
	v, present := raw["mutate_interval"]
	if !present || len(raw) != 1 {
		badRequest(c)
		return
	}
	var minutes *int
	if string(v) != "null" {
		var str string
		if json.Unmarshal(v, &str) != nil {
			badRequest(c)
			return
		}
		if !durationRE.MatchString(str) {
			invalidParams(c)
			return
		}
		m, err := conf.ParseDuration(str)
		if err != nil {
			invalidParams(c)
			return
		}
		minutes = &m
	}
	f, ok := s.fleet(c)
	if !ok || !s.findDecky(c, f, name) {
		return
	}
	setter, ok := f.(MutateIntervalSetter)
	if !ok {
		s.fail(c, &Error{Status: http.StatusNotImplemented, Detail: "Mutation interval not supported by this engine"})
		return
	}
	if err := setter.SetMutateInterval(c.Request.Context(), name, minutes); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"message": "Mutation interval updated"})
}

func (s *Server) deleteDecky(c *gin.Context) {
	name, ok := deckyParam(c)
	if !ok {
		return
	}
	f, ok := s.fleet(c)
	if !ok {
		return
	}
	if err := f.Teardown(c.Request.Context(), name); err != nil {
		s.fail(c, err)
		return
	}
	s.cache.del("stats")
	c.Status(http.StatusNoContent)
}
