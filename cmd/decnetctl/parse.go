package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/spf13/cobra"
)

// parseErrorJSON is printed for a line that does not parse.
type parseErrorJSON struct {
	Error   string `json:"error"`
	RawLine string `json:"raw_line"`
}

func (a *app) parseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "parse [FILE|-]",
		Short: "Parse RFC 5424 log lines into JSON records, one per input line",
		Long: "parse reads RFC 5424 lines from FILE (or stdin when FILE is - or absent) and prints one JSON object\n" +
			"per line: the parsed record, or {\"error\":...,\"raw_line\":...} for a line that does not parse.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			in, closeIn, err := a.openInput(name)
			if err != nil {
				return err
			}
			defer closeIn()
			out := bufio.NewWriter(a.stdout)
			err = eachLine(in, func(line string) error {
				rec, perr := event.Parse(line, time.Now())
				var b []byte
				if perr != nil {
					b, perr = compactJSON(parseErrorJSON{Error: perr.Error(), RawLine: line})
				} else {
					b, perr = rec.MarshalJSON()
				}
				if perr != nil {
					return fmt.Errorf("encode record: %w", perr)
				}
				out.Write(b)
				return out.WriteByte('\n')
			})
			if ferr := out.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return failure(fmt.Errorf("parse %s: %w", name, err))
			}
			return nil
		},
	}
}

// openInput opens FILE, or stdin for "-". A file that cannot be opened is a usage error (exit 2).
func (a *app) openInput(name string) (io.Reader, func(), error) {
	if name == "-" {
		return a.stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = fmt.Errorf("cannot read %s: %w", name, pe.Err)
		}
		return nil, nil, usageErr(err)
	}
	st, err := f.Stat()
	if err == nil && st.IsDir() {
		f.Close()
		return nil, nil, usageErrf("cannot read %s: is a directory", name)
	}
	return f, func() { f.Close() }, nil
}

// eachLine calls fn with every line of r (without its LF; a CR before it is removed too), however long.
func eachLine(r io.Reader, fn func(string) error) error {
	br := bufio.NewReaderSize(r, 64*1024)
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
			if ferr := fn(line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	}
}
