package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func (a *app) loginCmd() *cobra.Command {
	var user string
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to decnetd's API and store the token under the user's config dir",
		Long:  "login asks for the password (read from stdin when it is not a terminal), logs in over TCP and stores\nthe access token for later verbs. Without --api it uses DECNET_API_URL or " + DefaultAPIURL + ".",
		Args:  cobra.NoArgs,
	}
	var apiURL string
	cmd.Flags().StringVar(&apiURL, "api", "", "decnetd API URL (env DECNET_API_URL, default "+DefaultAPIURL+")")
	cmd.Flags().StringVarP(&user, "username", "u", "admin", "user name")
	cmd.RunE = func(*cobra.Command, []string) error {
		if apiURL == "" {
			apiURL = os.Getenv("DECNET_API_URL")
		}
		if apiURL == "" {
			apiURL = DefaultAPIURL
		}
		c, err := tcpV1Client(apiURL)
		if a.apiDial != nil {
			c, err = a.apiDial(apiURL)
		}
		if err != nil {
			return err
		}
		c.token = ""
		pw, err := a.readSecret("Password for " + user + ": ")
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		var out struct {
			AccessToken string `json:"access_token"`
			MustChange  bool   `json:"must_change_password"`
		}
		if err := c.call(ctx, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": user, "password": pw}, &out); err != nil {
			return classify(err)
		}
		p, err := storeLogin(savedLogin{APIURL: c.base, AccessToken: out.AccessToken})
		if err != nil {
			return failure(err)
		}
		fmt.Fprintf(a.stdout, "Logged in to %s as %s; token stored in %s\n", c.base, user, p)
		if out.MustChange {
			fmt.Fprintln(a.stdout, "Password change required: run `decnetctl users passwd` before anything else.")
		}
		return nil
	}
	return cmd
}

// pagingFlags adds --limit (1..1000) and --offset.
func pagingFlags(cmd *cobra.Command) func() (string, error) {
	var limit, offset int
	cmd.Flags().IntVar(&limit, "limit", 50, "rows per page (1..1000)")
	cmd.Flags().IntVar(&offset, "offset", 0, "rows to skip")
	return func() (string, error) {
		if limit < 1 || limit > 1000 {
			return "", usageErrf("--limit must be between 1 and 1000, got %d", limit)
		}
		if offset < 0 || offset > 2147483647 {
			return "", usageErrf("--offset must be between 0 and 2147483647, got %d", offset)
		}
		return fmt.Sprintf("limit=%d&offset=%d", limit, offset), nil
	}
}

// printJSON writes raw JSON as the API returned it, one document per line.
func printJSON(w io.Writer, raw json.RawMessage) {
	w.Write(raw)
	if len(raw) == 0 || raw[len(raw)-1] != '\n' {
		io.WriteString(w, "\n")
	}
}

// table writes rows under a header; on a terminal the header is bold.
func table(w io.Writer, header []string, rows [][]string) {
	tty := isTTY(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	h := strings.Join(header, "\t")
	if tty {
		h = "\x1b[1m" + h + "\x1b[0m"
	}
	fmt.Fprintln(tw, h)
	for _, r := range rows {
		for i := range r {
			r[i] = strings.Map(func(c rune) rune {
				if c < 0x20 || c == 0x7f {
					return ' '
				}
				return c
			}, r[i])
		}
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// colour wraps s in an ANSI colour on a terminal.
func colour(w io.Writer, code, s string) string {
	if !isTTY(w) {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func strOr(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

func shortTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
