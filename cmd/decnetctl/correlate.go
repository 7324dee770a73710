package main

import (
	"fmt"
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
			if _, err := a.dial(); err != nil {
				return failure(fmt.Errorf("%w; use --log-file FILE to correlate a log offline", err))
			}
			return failure(errDaemonUnreachable)
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
