package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/decnet/decnet/store"
	"github.com/spf13/cobra"
)

func (a *app) credentialsCmd() *cobra.Command {
	var search, service, attacker string
	cmd := &cobra.Command{
		Use:   "credentials",
		Short: "List captured credentials (newest first)",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&search, "search", "", "substring of principal, secret or decky")
	cmd.Flags().StringVar(&service, "service", "", "only this service")
	cmd.Flags().StringVar(&attacker, "attacker-ip", "", "only this attacker IP")
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
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		raw, err := c.list(ctx, "/api/v1/credentials", pq, map[string]string{"search": search, "service": service, "attacker_ip": attacker})
		if err != nil {
			return err
		}
		if format == "json" {
			printJSON(a.stdout, raw)
			return nil
		}
		var p struct {
			Total int64              `json:"total"`
			Data  []store.Credential `json:"data"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return failure(fmt.Errorf("decode credentials: %w", err))
		}
		rows := make([][]string, 0, len(p.Data))
		for _, x := range p.Data {
			outcome := strOr(x.Outcome)
			if outcome == "success" {
				outcome = colour(a.stdout, "31", outcome)
			}
			rows = append(rows, []string{shortTime(x.LastSeen), strOr(x.AttackerIP), x.DeckyName, x.Service, strOr(x.Principal),
				strOr(x.SecretPrintable), x.SecretKind, outcome, fmt.Sprint(x.AttemptCount)})
		}
		table(a.stdout, []string{"LAST SEEN (UTC)", "ATTACKER", "DECKY", "SERVICE", "PRINCIPAL", "SECRET", "KIND", "OUTCOME", "ATTEMPTS"}, rows)
		fmt.Fprintf(a.stdout, "%d of %d credentials\n", len(rows), p.Total)
		return nil
	}
	return cmd
}
