package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/decnet/decnet/conf"
	"github.com/spf13/cobra"
)

// personaJSON is one persona key of `services -o json`.
type personaJSON struct {
	Key     string   `json:"key"`
	Type    string   `json:"type"`
	Default string   `json:"default"`
	Values  []string `json:"values"`
}

// serviceJSON is one element of `services -o json`.
type serviceJSON struct {
	Name    string        `json:"name"`
	TCP     []int         `json:"tcp"`
	UDP     []int         `json:"udp"`
	Persona []personaJSON `json:"persona"`
}

func (a *app) servicesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "services",
		Short: "List the built-in services with their ports and persona keys",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		svcs := conf.Services()
		if format == "json" {
			out := make([]serviceJSON, 0, len(svcs))
			for _, s := range svcs {
				j := serviceJSON{Name: s.Name, TCP: orEmpty(s.TCP), UDP: orEmpty(s.UDP), Persona: []personaJSON{}}
				for _, p := range s.Persona {
					j.Persona = append(j.Persona, personaJSON{Key: p.Key, Type: string(p.Type), Default: p.Default,
						Values: orEmpty(p.Values)})
				}
				out = append(out, j)
			}
			return writeJSON(a.stdout, out)
		}
		tw := newTable(a.stdout, "NAME", "TCP", "UDP", "PERSONA KEYS")
		for _, s := range svcs {
			row(tw, s.Name, ints(s.TCP), ints(s.UDP), dash(strings.Join(s.KeyNames(), ", ")))
		}
		return tw.Flush()
	}
	return cmd
}

func (a *app) archetypesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archetypes",
		Short: "List the machine archetypes (service set, preferred distros, OS family)",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		archs := conf.Archetypes()
		if format == "json" {
			return writeJSON(a.stdout, archs)
		}
		tw := newTable(a.stdout, "SLUG", "NAME", "SERVICES", "DISTROS", "NMAP_OS", "DESCRIPTION")
		for _, x := range archs {
			row(tw, x.Slug, x.Name, strings.Join(x.Services, ","), strings.Join(x.Distros, ","), x.NmapOS, x.Description)
		}
		return tw.Flush()
	}
	return cmd
}

func (a *app) distrosCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "distros",
		Short: "List the distro personas deckies can present",
		Args:  cobra.NoArgs,
	}
	output := outputFlag(cmd, "table", "json")
	cmd.RunE = func(*cobra.Command, []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		ds := conf.Distros()
		if format == "json" {
			return writeJSON(a.stdout, ds)
		}
		tw := newTable(a.stdout, "SLUG", "NAME", "HOSTNAME STYLE", "SSH BANNER")
		for _, d := range ds {
			row(tw, d.Slug, d.Name, string(d.HostnameStyle), d.SSHBanner)
		}
		return tw.Flush()
	}
	return cmd
}

// writeJSON prints v as indented JSON (no HTML escaping) followed by a newline.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	return nil
}

// compactJSON renders v as one line of JSON without HTML escaping and without a newline.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode json: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// newTable starts an aligned table with a header row.
func newTable(w io.Writer, header ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row(tw, header...)
	return tw
}

func row(tw *tabwriter.Writer, cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func ints(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return dash(strings.Join(s, ","))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
