package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/decnet/decnet/store"
	"github.com/spf13/cobra"
)

func (a *app) logsCmd() *cobra.Command {
	var search, start, end string
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs",
		Short: "Show stored events (search grammar: key:value tokens, phrases in quotes)",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&search, "search", "", "search, e.g. 'decky:decky-01 cmd:whoami' or '\"failed password\" service:ssh'")
	cmd.Flags().StringVar(&start, "start", "", "start time (RFC 3339 or 'YYYY-MM-DD HH:MM:SS' UTC)")
	cmd.Flags().StringVar(&end, "end", "", "end time (inclusive)")
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "after the page, stream new matching events")
	output := outputFlag(cmd, "table", "json")
	page := pagingFlags(cmd)
	dial := a.apiFlag(cmd)
	cmd.RunE = func(*cobra.Command, []string) error {
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
		q := url.Values{}
		for k, v := range map[string]string{"search": search, "start_time": start, "end_time": end} {
			if v != "" {
				q.Set(k, v)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		raw, err := c.raw(ctx, http.MethodGet, "/api/v1/logs?"+pq+"&"+q.Encode(), nil)
		if err != nil {
			return classify(err)
		}
		var p struct {
			Total int64          `json:"total"`
			Data  []store.APILog `json:"data"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return failure(fmt.Errorf("decode logs: %w", err))
		}
		if format == "json" && !follow {
			printJSON(a.stdout, raw)
			return nil
		}
		// Oldest first reads naturally when following.
		rows := p.Data
		if follow {
			for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
				rows[i], rows[j] = rows[j], rows[i]
			}
		}
		a.printLogs(format, rows, !follow)
		if !follow {
			if format == "table" {
				fmt.Fprintf(a.stdout, "%d of %d events\n", len(rows), p.Total)
			}
			return nil
		}
		var last int64
		for _, r := range rows {
			last = max(last, r.ID)
		}
		if last > 0 {
			q.Set("lastEventId", fmt.Sprint(last))
		}
		sctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		return c.stream(sctx, q, func(typ string, data json.RawMessage) error {
			if typ != "logs" {
				return nil
			}
			var rows []store.APILog
			if err := json.Unmarshal(data, &rows); err != nil {
				return nil
			}
			a.printLogs(format, rows, false)
			return nil
		})
	}
	return cmd
}

// printLogs prints rows as a table (with its header when header is set; followed rows come without) or as
// one JSON object per line.
func (a *app) printLogs(format string, rows []store.APILog, header bool) {
	if format == "json" {
		for _, r := range rows {
			b, _ := json.Marshal(r)
			printJSON(a.stdout, b)
		}
		return
	}
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, []string{fmt.Sprint(r.ID), shortTime(r.Timestamp), r.Decky, colour(a.stdout, "36", r.Service),
			r.EventType, strOr(r.AttackerIP), fieldsText(r.Fields)})
	}
	if header {
		table(a.stdout, []string{"ID", "TIME (UTC)", "DECKY", "SERVICE", "EVENT", "ATTACKER", "FIELDS"}, out)
		return
	}
	for _, r := range out {
		fmt.Fprintln(a.stdout, joinTab(r))
	}
}

func joinTab(r []string) string {
	s := ""
	for i, x := range r {
		if i > 0 {
			s += "  "
		}
		s += x
	}
	return s
}

func fieldsText(f map[string]string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := ""
	for i, k := range keys {
		if i > 0 {
			s += " "
		}
		v := f[k]
		if len(v) > 60 {
			v = v[:57] + "..."
		}
		s += k + "=" + v
	}
	return s
}
