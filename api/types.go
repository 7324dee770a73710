package api

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// DeployRequest is the body of POST /api/v1/deckies/deploy: an INI text or plan flags, a mode and optional
// network facts (which override the INI's [general] section, like decnetctl's flags).
type DeployRequest struct {
	INI            string     `json:"ini,omitempty"`
	INIContent     string     `json:"ini_content,omitempty"` // alias of ini (REST API name)
	Mode           string     `json:"mode,omitempty"`        // "additive" (default) or "replace"
	ReplaceFleet   bool       `json:"replace_fleet,omitempty"`
	Flags          *PlanFlags `json:"flags,omitempty"`
	Network        Network    `json:"network"`
	MutateInterval *int       `json:"mutate_interval,omitempty"` // minutes, wins over the INI's values
	Seed           *uint64    `json:"seed,omitempty"`
	IPVLAN         bool       `json:"ipvlan,omitempty"`
}

// Text returns the INI text of the request ("" when it carries plan flags).
func (r DeployRequest) Text() string {
	if r.INI != "" {
		return r.INI
	}
	return r.INIContent
}

// Replace reports whether the request replaces the fleet.
func (r DeployRequest) Replace() bool { return r.Mode == "replace" || r.ReplaceFleet }

// PlanFlags are decnetctl's fleet-shaping deploy flags (config.md §7.1) when no INI is sent.
type PlanFlags struct {
	Deckies           int      `json:"deckies"`
	Services          []string `json:"services,omitempty"`
	Archetype         string   `json:"archetype,omitempty"`
	RandomizeServices bool     `json:"randomize_services,omitempty"`
	Distros           []string `json:"distros,omitempty"`
	RandomizeDistros  bool     `json:"randomize_distros,omitempty"`
	IPStart           string   `json:"ip_start,omitempty"`
}

// Network carries explicitly given network facts ("" = not given).
type Network struct {
	Interface string `json:"interface,omitempty"`
	Subnet    string `json:"subnet,omitempty"`
	Gateway   string `json:"gateway,omitempty"`
	HostIP    string `json:"host_ip,omitempty"`
}

// Progress is one NDJSON line of a deploy response. Step is "plan", "retire", "sandbox" (netns, CNI
// attachment and sandbox task), "service <s>", "ready" for a decky, or "done" for the final line (which
// lists the deployed deckies and, when any decky failed, an error).
type Progress struct {
	Decky   string   `json:"decky,omitempty"`
	Step    string   `json:"step"`
	Error   string   `json:"error,omitempty"`
	Deckies []string `json:"deckies,omitempty"`
}

// ServiceState is the runtime state of one service of a decky ("running" when healthy).
type ServiceState struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

// Decky is one item of GET /api/v1/deckies: the desired decky plus its runtime state.
type Decky struct {
	Name           string                    `json:"name"`
	IP             string                    `json:"ip"`
	MAC            string                    `json:"mac"`
	StartedAt      *time.Time                `json:"started_at"`
	UptimeSeconds  int64                     `json:"uptime_s"`
	Services       []string                  `json:"services"`
	ServicesState  []ServiceState            `json:"services_state"`
	Distro         string                    `json:"distro"`
	Hostname       string                    `json:"hostname"`
	Archetype      *string                   `json:"archetype"`
	ServiceConfig  map[string]map[string]any `json:"service_config"`
	NmapOS         string                    `json:"nmap_os"`
	MutateInterval *int                      `json:"mutate_interval"`
	LastMutated    *time.Time                `json:"last_mutated"`
	State          string                    `json:"state"` // running, degraded, stopped, missing
	LastError      *string                   `json:"last_error"`
}

// MutateResult reports one mutation.
type MutateResult struct {
	Decky       string   `json:"decky"`
	OldServices []string `json:"old_services"`
	NewServices []string `json:"new_services"`
	Changed     bool     `json:"changed"`
}

// Health is the body of GET /api/v1/health.
type Health struct {
	Status     string `json:"status"` // "ok" or "degraded"
	Containerd bool   `json:"containerd"`
	Deckies    int    `json:"deckies"`
	InstanceID string `json:"instance_id"`
}

// Backend is what the handlers need from the daemon (the fleet engine). Errors of type *Error carry
// their HTTP status; any other error is a 500.
type Backend interface {
	Deploy(ctx context.Context, req DeployRequest, progress func(Progress)) error
	Deckies(ctx context.Context) ([]Decky, error)
	Teardown(ctx context.Context, name string) error
	TeardownAll(ctx context.Context) ([]string, error)
	Mutate(ctx context.Context, name, actor string) (MutateResult, error)
	MutateAll(ctx context.Context, actor string) ([]MutateResult, error)
	Health(ctx context.Context) Health
}

// Error is a client-facing error with an HTTP status; Detail is the message returned as {"detail": ...}.
type Error struct {
	Status int
	Detail string
}

func (e *Error) Error() string { return e.Detail }

// Errorf builds an *Error.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Detail: fmt.Sprintf(format, args...)}
}

// NotFound is the 404 error of an unknown decky.
func NotFound(name string) *Error {
	return &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("Decky %s not found", name)}
}
