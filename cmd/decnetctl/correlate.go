package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/decnet/decnet/intel/correlate"
	"github.com/spf13/cobra"
)

func (a *app) correlateCmd() *cobra.Command {
	var logFile string
	var minDeckies int
	var emitSyslog bool
	cmd := &cobra.Command{
		Use:   "correlate",
		Short: "Find attackers that traversed several deckies",
		Long: "correlate groups events by attacker IP and reports every IP that touched at least --min-deckies\n" +
			"distinct deckies. With --log-file FILE (- = stdin) it works offline on RFC 5424 lines; without it,\n" +
			"it asks decnetd to correlate the stored events.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&logFile, "log-file", "f", "", "RFC 5424 log file to correlate (- = stdin)")
	cmd.Flags().IntVarP(&minDeckies, "min-deckies", "m", 2, "minimum distinct deckies of a traversal")
	cmd.Flags().BoolVar(&emitSyslog, "emit-syslog", false, "feed traversal lines back into decnetd's intake (online only)")
	_ = cmd.MarkFlagFilename("log-file")
	output := outputFlag(cmd, "table", "json", "syslog")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		format, err := output()
		if err != nil {
			return err
		}
		if minDeckies < 1 {
			return usageErrf("--min-deckies must be at least 1, got %d", minDeckies)
		}
		if !cmd.Flags().Changed("log-file") {
			c, err := a.dial()
			if err != nil {
				return failure(fmt.Errorf("%w; use --log-file FILE to correlate a log offline", err))
			}
			cc, ok := c.(correlator)
			if !ok {
				return failure(errDaemonUnreachable)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Minute)
			defer cancel()
			out, err := cc.Correlate(ctx, minDeckies, format, emitSyslog)
			if err != nil {
				return classify(err)
			}
			_, err = a.stdout.Write(out)
			return err
		}
		if emitSyslog {
			return usageErrf("--emit-syslog needs decnetd; it cannot be used with --log-file")
		}
		in, closeIn, err := a.openInput(logFile)
		if err != nil {
			return err
		}
		defer closeIn()
		eng := correlate.New()
		if err := eachLine(in, func(line string) error { eng.Feed(line); return nil }); err != nil {
			return usageErr(fmt.Errorf("read %s: %w", logFile, err))
		}
		rep := eng.Report(minDeckies)
		switch format {
		case "json":
			b, err := rep.JSON()
			if err != nil {
				return failure(fmt.Errorf("encode report: %w", err))
			}
			_, err = fmt.Fprintf(a.stdout, "%s\n", b)
			return err
		case "syslog":
			var b []byte
			for _, ev := range rep.Syslog(time.Now()) {
				b = append(ev.AppendTo(b), '\n')
			}
			_, err := a.stdout.Write(b)
			return err
		default:
			return rep.Table(a.stdout)
		}
	}
	return cmd
}

// correlator is implemented by daemon clients that can correlate the stored events.
type correlator interface {
	// Correlate returns the report rendered as format (json, table or syslog).
	Correlate(ctx context.Context, minDeckies int, format string, emit bool) ([]byte, error)
}

// Correlate asks decnetd (GET /api/v1/correlate) to correlate the stored events and returns the rendered report;
// with emit, decnetd also feeds the traversal_detected lines back into its intake.
func (c *socketClient) Correlate(ctx context.Context, minDeckies int, format string, emit bool) ([]byte, error) {
	q := url.Values{"min_deckies": {strconv.Itoa(minDeckies)}, "format": {format}}
	if emit {
		q.Set("emit", "1")
	}
	resp, err := c.request(ctx, http.MethodGet, "/api/v1/correlate?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read correlation report: %w", err)
	}
	return b, nil
}
