package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/spf13/cobra"
)

// statusDecky is one decky of `decnetctl status -o json`.
type statusDecky struct {
	Name           string             `json:"name"`
	IP             string             `json:"ip"`
	MAC            string             `json:"mac"`
	Hostname       string             `json:"hostname"`
	Distro         string             `json:"distro"`
	NmapOS         string             `json:"nmap_os"`
	Archetype      *string            `json:"archetype"`
	State          string             `json:"state"`
	Services       []api.ServiceState `json:"services"`
	StartedAt      *time.Time         `json:"started_at"`
	UptimeSeconds  int64              `json:"uptime_s"`
	MutateInterval *int               `json:"mutate_interval"`
	LastMutated    *time.Time         `json:"last_mutated"`
	LastError      *string            `json:"last_error"`
}

func toStatus(d api.Decky) statusDecky {
	s := statusDecky{Name: d.Name, IP: d.IP, MAC: d.MAC, Hostname: d.Hostname, Distro: d.Distro, NmapOS: d.NmapOS,
		Archetype: d.Archetype, State: d.State, Services: d.ServicesState, StartedAt: d.StartedAt,
		UptimeSeconds: d.UptimeSeconds, MutateInterval: d.MutateInterval, LastMutated: d.LastMutated, LastError: d.LastError}
	if s.Services == nil {
		s.Services = []api.ServiceState{}
	}
	return s
}

func (a *app) statusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the fleet and the state of every decky and service",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		c, err := a.dial()
		if err != nil {
			return failure(err)
		}
		ds, err := c.Deckies(context.Background())
		if err != nil {
			return classify(err)
		}
		if format == "json" {
			out := make([]statusDecky, 0, len(ds))
			for _, d := range ds {
				out = append(out, toStatus(d))
			}
			return writeJSON(a.stdout, out)
		}
		return writeStatusTable(a.stdout, ds)
	}
	return cmd
}

// writeStatusTable prints the fleet for humans.
func writeStatusTable(w io.Writer, ds []api.Decky) error {
	if len(ds) == 0 {
		fmt.Fprintln(w, "no deckies deployed")
		return nil
	}
	tw := newTable(w, "DECKY", "IP", "MAC", "HOSTNAME", "DISTRO", "OS", "STATE", "SERVICES", "UPTIME")
	for _, d := range ds {
		svcs := make([]string, len(d.ServicesState))
		for i, s := range d.ServicesState {
			svcs[i] = s.Name + ":" + s.State
		}
		up := "-"
		if d.StartedAt != nil {
			up = (time.Duration(d.UptimeSeconds) * time.Second).String()
		}
		row(tw, d.Name, d.IP, dash(d.MAC), d.Hostname, d.Distro, d.NmapOS, d.State, dash(strings.Join(svcs, " ")), up)
	}
	return tw.Flush()
}
