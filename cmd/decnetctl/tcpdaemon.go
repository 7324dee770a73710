package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/decnet/decnet/api"
)

// tcpDaemon implements the daemon verbs (deploy, status, teardown, mutate) over the authenticated TCP API:
// asynchronous operations are followed through GET /deckies/lifecycle.
type tcpDaemon struct {
	c    *v1Client
	poll time.Duration
}

// dialTCPDaemon returns the TCP client of DECNET_API_URL with the stored (or DECNET_API_TOKEN) token.
func dialTCPDaemon(apiURL string) (daemonClient, error) {
	c, err := tcpV1Client(apiURL)
	if err != nil {
		return nil, err
	}
	return &tcpDaemon{c: c, poll: 300 * time.Millisecond}, nil
}

type lifecycleRow struct {
	ID        string  `json:"id"`
	DeckyName string  `json:"decky_name"`
	Status    string  `json:"status"`
	Error     *string `json:"error"`
}

// wait polls the lifecycle rows until every one completed, reporting each completion once.
func (t *tcpDaemon) wait(ctx context.Context, ids []string, done func(lifecycleRow)) error {
	if len(ids) == 0 {
		return nil
	}
	q := url.Values{"ids": ids}
	seen := map[string]bool{}
	for {
		var out struct {
			Rows []lifecycleRow `json:"rows"`
		}
		if err := t.c.call(ctx, http.MethodGet, "/api/v1/deckies/lifecycle?"+q.Encode(), nil, &out); err != nil {
			return err
		}
		pending := false
		for _, r := range out.Rows {
			switch r.Status {
			case "succeeded", "failed":
				if !seen[r.ID] {
					seen[r.ID] = true
					done(r)
				}
			default:
				pending = true
			}
		}
		if !pending && len(seen) == len(out.Rows) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(t.poll):
		}
	}
}

// Deploy posts the INI (plan flags need the control socket) and follows the lifecycle rows.
func (t *tcpDaemon) Deploy(ctx context.Context, req api.DeployRequest, progress func(api.Progress)) error {
	if req.Text() == "" {
		return usageErrf("deploying from flags needs the control socket (run as root on the host) or --config with an INI")
	}
	if fl := socketOnly(req); len(fl) > 0 {
		return usageErrf("%s need the control socket (run as root on the host): over the REST API only the INI is sent (network in its [general] section: net, gw, interface)",
			strings.Join(fl, ", "))
	}
	var acc struct {
		IDs []string `json:"lifecycle_ids"`
	}
	body := map[string]any{"ini_content": req.Text(), "replace_fleet": req.Replace()}
	if err := t.c.call(ctx, http.MethodPost, "/api/v1/deckies/deploy", body, &acc); err != nil {
		return err
	}
	var ok, failed []string
	err := t.wait(ctx, acc.IDs, func(r lifecycleRow) {
		if r.Status == "failed" {
			failed = append(failed, r.DeckyName)
			progress(api.Progress{Decky: r.DeckyName, Step: "failed", Error: strOr(r.Error)})
			return
		}
		ok = append(ok, r.DeckyName)
		progress(api.Progress{Decky: r.DeckyName, Step: "ready"})
	})
	if err != nil {
		return err
	}
	p := api.Progress{Step: "done", Deckies: ok}
	if len(failed) > 0 {
		p.Error = fmt.Sprintf("%d of %d deckies failed: %s", len(failed), len(acc.IDs), strings.Join(failed, ", "))
	}
	progress(p)
	if p.Error != "" {
		return errors.New(p.Error)
	}
	return nil
}

// socketOnly names the deploy flags set in req that the REST API's deploy body cannot carry.
func socketOnly(req api.DeployRequest) []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"--interface", req.Network.Interface != ""}, {"--subnet", req.Network.Subnet != ""},
		{"--gateway", req.Network.Gateway != ""}, {"--host-ip", req.Network.HostIP != ""},
		{"--mutate-interval", req.MutateInterval != nil}, {"--seed", req.Seed != nil}, {"--ipvlan", req.IPVLAN},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// Deckies lists the fleet.
func (t *tcpDaemon) Deckies(ctx context.Context) ([]api.Decky, error) {
	var out []api.Decky
	return out, t.c.call(ctx, http.MethodGet, "/api/v1/deckies", nil, &out)
}

// Teardown removes one decky.
func (t *tcpDaemon) Teardown(ctx context.Context, name string) error {
	return t.c.call(ctx, http.MethodDelete, "/api/v1/deckies/"+url.PathEscape(name), nil, nil)
}

// TeardownAll removes every decky, one by one.
func (t *tcpDaemon) TeardownAll(ctx context.Context) ([]string, error) {
	ds, err := t.Deckies(ctx)
	if err != nil {
		return nil, err
	}
	removed := []string{}
	for _, d := range ds {
		if err := t.Teardown(ctx, d.Name); err != nil {
			return removed, err
		}
		removed = append(removed, d.Name)
	}
	return removed, nil
}

// Mutate re-rolls one decky and reports its services before and after.
func (t *tcpDaemon) Mutate(ctx context.Context, name string) (api.MutateResult, error) {
	before, err := t.services(ctx, name)
	if err != nil {
		return api.MutateResult{}, err
	}
	var acc struct {
		IDs []string `json:"lifecycle_ids"`
	}
	if err := t.c.call(ctx, http.MethodPost, "/api/v1/deckies/"+url.PathEscape(name)+"/mutate", nil, &acc); err != nil {
		return api.MutateResult{}, err
	}
	var ferr error
	if err := t.wait(ctx, acc.IDs, func(r lifecycleRow) {
		if r.Status == "failed" {
			ferr = fmt.Errorf("mutate %s: %s", name, strOr(r.Error))
		}
	}); err != nil {
		return api.MutateResult{}, err
	}
	if ferr != nil {
		return api.MutateResult{}, ferr
	}
	after, err := t.services(ctx, name)
	if err != nil {
		return api.MutateResult{}, err
	}
	return api.MutateResult{Decky: name, OldServices: before, NewServices: after, Changed: !slices.Equal(before, after)}, nil
}

// MutateAll re-rolls every decky.
func (t *tcpDaemon) MutateAll(ctx context.Context) ([]api.MutateResult, error) {
	ds, err := t.Deckies(ctx)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, &apiError{status: http.StatusNotFound, detail: "No active deployment"}
	}
	out := []api.MutateResult{}
	for _, d := range ds {
		r, err := t.Mutate(ctx, d.Name)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (t *tcpDaemon) services(ctx context.Context, name string) ([]string, error) {
	ds, err := t.Deckies(ctx)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d.Name == name {
			return d.Services, nil
		}
	}
	return nil, &apiError{status: http.StatusNotFound, detail: fmt.Sprintf("Decky %s not found", name)}
}
