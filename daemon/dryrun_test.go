package daemon

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/decnet/decnet/api"
)

func TestPlanDeployChangesNothing(t *testing.T) {
	h := newHarness(t, t.TempDir())
	ds, err := h.e.PlanDeploy(context.Background(), api.DeployRequest{INI: labINI})
	if err != nil {
		t.Fatal(err)
	}
	var names, ips []string
	for _, d := range ds {
		names, ips = append(names, d.Name), append(ips, d.IP)
		if d.State != "planned" || len(d.ServicesState) != len(d.Services) || d.MAC != "" || d.StartedAt != nil {
			t.Errorf("planned decky %+v", d)
		}
	}
	if !slices.Equal(names, []string{"linux", "embedded"}) || !slices.Equal(ips, []string{"10.213.0.10", "10.213.0.12"}) {
		t.Fatalf("planned %v %v", names, ips)
	}
	if ds[0].ServiceConfig["ssh"]["password"] != "********" || !slices.Equal(ds[0].Services, []string{"ssh", "http"}) || ds[1].NmapOS != "embedded" {
		t.Errorf("planned linux %+v", ds[0])
	}
	if cur, _ := h.e.Deckies(context.Background()); len(cur) != 0 {
		t.Errorf("dry run created %d deckies", len(cur))
	}
	if h.rt != nil && len(h.rt.Deckies()) != 0 {
		t.Errorf("dry run touched the runtime: %v", h.rt.Deckies())
	}
	if evs := drain(h.lines); len(evs) != 0 {
		t.Errorf("dry run emitted %+v", evs)
	}
	// The real deploy afterwards plans the same names and explicit IPs.
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI}); err != nil {
		t.Fatal(err)
	}
}

// Every validation error of Deploy is returned unchanged by PlanDeploy.
func TestPlanDeployErrorsMatchDeploy(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI}); err != nil {
		t.Fatal(err)
	}
	for _, req := range []api.DeployRequest{
		{INI: labINI},
		{INI: "[x]\nservices = rdp\n", Mode: "replace"},
		{INI: "[general]\ninterface = other0\n[y]\nservices = ssh\n"},
		{INI: "[z]\nip = 10.213.0.10\nservices = ssh\n"},
		{INI: "garbage"},
		{INI: "[Big.Name]\nservices = ssh\n"},
		{INI: "[q]\nservices=ssh\n", Network: api.Network{Subnet: "nope"}},
	} {
		_, perr := h.e.PlanDeploy(context.Background(), req)
		_, derr := h.deploy(t, req)
		var pe, de *api.Error
		if !errors.As(perr, &pe) || !errors.As(derr, &de) || *pe != *de {
			t.Errorf("%q: dry run %v, deploy %v", req.INI, perr, derr)
		}
	}
	// Replace mode ignores the fleet's names and IPs.
	ds, err := h.e.PlanDeploy(context.Background(), api.DeployRequest{INI: labINI, Mode: "replace"})
	if err != nil || len(ds) != 2 {
		t.Fatalf("replace dry run %v %+v", err, ds)
	}
	// A running fleet change answers like a concurrent deploy.
	h.e.mu.Lock()
	_, perr := h.e.PlanDeploy(context.Background(), api.DeployRequest{INI: "[w]\nservices = ssh\n"})
	h.e.mu.Unlock()
	var pe *api.Error
	if !errors.As(perr, &pe) || pe.Status != 409 || pe.Detail != "Another deployment is in progress" {
		t.Errorf("busy engine: %v", perr)
	}
	if ds, _ := h.e.Deckies(context.Background()); len(ds) != 2 {
		t.Errorf("dry runs changed the fleet: %d deckies", len(ds))
	}
}
