package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func (a *app) attackersCmd() *cobra.Command {
	var search, sortBy, service string
	cmd := &cobra.Command{
		Use:   "attackers [IP|ID]",
		Short: "List attacker profiles, or show one by IP or uuid",
		Args:  cobra.MaximumNArgs(1),
	}
	cmd.Flags().StringVar(&search, "search", "", "substring of the attacker IP")
	cmd.Flags().StringVar(&sortBy, "sort", "recent", "order: recent|active|traversals")
	cmd.Flags().StringVar(&service, "service", "", "only attackers that touched this service")
	output := outputFlag(cmd, "table", "json")
	page := pagingFlags(cmd)
	dial := a.apiFlag(cmd)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		pq, err := page()
		if err != nil {
			return err
		}
		c, err := dial()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if len(args) == 1 {
			return a.showAttacker(ctx, c, args[0], format)
		}
		raw, err := c.list(ctx, "/api/v1/attackers", pq, map[string]string{"sort_by": sortBy, "search": search, "service": service})
		if err != nil {
			return err
		}
		if format == "json" {
			printJSON(a.stdout, raw)
			return nil
		}
		var p struct {
			Total int64         `json:"total"`
			Data  []attackerRow `json:"data"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return failure(fmt.Errorf("decode attackers: %w", err))
		}
		rows := make([][]string, 0, len(p.Data))
		for _, x := range p.Data {
			trav := ""
			if x.IsTraversal {
				trav = colour(a.stdout, "31", "yes")
			}
			rows = append(rows, []string{x.IP, shortTime(x.LastSeen), fmt.Sprint(x.EventCount), strings.Join(x.Services, ","),
				strings.Join(x.Deckies, ","), trav, x.UUID})
		}
		table(a.stdout, []string{"IP", "LAST SEEN (UTC)", "EVENTS", "SERVICES", "DECKIES", "TRAVERSAL", "ID"}, rows)
		fmt.Fprintf(a.stdout, "%d of %d attackers\n", len(rows), p.Total)
		return nil
	}
	return cmd
}

// attackerRow holds the attacker fields the table shows.
type attackerRow struct {
	UUID        string    `json:"uuid"`
	IP          string    `json:"ip"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	EventCount  int       `json:"event_count"`
	Services    []string  `json:"services"`
	Deckies     []string  `json:"deckies"`
	IsTraversal bool      `json:"is_traversal"`
	Traversal   *string   `json:"traversal_path"`
	Commands    []struct {
		Service   string `json:"service"`
		Decky     string `json:"decky"`
		Command   string `json:"command"`
		Timestamp string `json:"timestamp"`
	} `json:"commands"`
	CredentialCount int `json:"credential_count"`
	BountyCount     int `json:"bounty_count"`
}

// showAttacker resolves an IP (via the list search) or a uuid and prints the detail object.
func (a *app) showAttacker(ctx context.Context, c *v1Client, arg, format string) error {
	id := arg
	if ip, err := netip.ParseAddr(arg); err == nil {
		var p struct {
			Data []attackerRow `json:"data"`
		}
		if err := c.call(ctx, http.MethodGet, "/api/v1/attackers?limit=1000&search="+url.QueryEscape(ip.String()), nil, &p); err != nil {
			return classify(err)
		}
		id = ""
		for _, x := range p.Data {
			if x.IP == ip.String() {
				id = x.UUID
			}
		}
		if id == "" {
			return usageErrf("Attacker not found")
		}
	} else if _, err := uuid.Parse(arg); err != nil {
		return usageErrf("'%s' is neither an IP address nor an attacker id", arg)
	}
	raw, err := c.raw(ctx, http.MethodGet, "/api/v1/attackers/"+url.PathEscape(id), nil)
	if err != nil {
		return classify(err)
	}
	if format == "json" {
		printJSON(a.stdout, raw)
		return nil
	}
	var x attackerRow
	if err := json.Unmarshal(raw, &x); err != nil {
		return failure(fmt.Errorf("decode attacker: %w", err))
	}
	rows := [][]string{
		{"ID", x.UUID}, {"IP", x.IP}, {"First seen", shortTime(x.FirstSeen)}, {"Last seen", shortTime(x.LastSeen)},
		{"Events", fmt.Sprint(x.EventCount)}, {"Services", strings.Join(x.Services, ", ")},
		{"Deckies", strings.Join(x.Deckies, ", ")}, {"Traversal", strOr(x.Traversal)},
		{"Credentials", fmt.Sprint(x.CredentialCount)}, {"Bounty", fmt.Sprint(x.BountyCount)},
	}
	table(a.stdout, []string{"FIELD", "VALUE"}, rows)
	if len(x.Commands) > 0 {
		fmt.Fprintln(a.stdout)
		cmds := make([][]string, 0, len(x.Commands))
		for _, cm := range x.Commands {
			cmds = append(cmds, []string{cm.Timestamp, cm.Decky, cm.Service, cm.Command})
		}
		table(a.stdout, []string{"TIME", "DECKY", "SERVICE", "COMMAND"}, cmds)
	}
	return nil
}
