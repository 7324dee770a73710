package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// DefaultAPIURL is decnetd's default TCP API address.
const DefaultAPIURL = "http://127.0.0.1:8000"

// v1Client talks to decnetd's REST API over TCP with a bearer token, or over the unix socket as root.
type v1Client struct {
	base   string // http://host:port, or http://decnetd for the socket
	token  string
	socket bool
	hc     *http.Client
}

// savedLogin is what `decnetctl login` stores under the user's config dir.
type savedLogin struct {
	APIURL      string `json:"api_url"`
	AccessToken string `json:"access_token"`
}

// loginPath is the token file: $XDG_CONFIG_HOME/decnet/token.json (or ~/.config/…).
func loginPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config dir: %w", err)
	}
	return filepath.Join(dir, "decnet", "token.json"), nil
}

func loadLogin() (savedLogin, bool) {
	p, err := loginPath()
	if err != nil {
		return savedLogin{}, false
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return savedLogin{}, false
	}
	var s savedLogin
	if json.Unmarshal(b, &s) != nil || s.AccessToken == "" {
		return savedLogin{}, false
	}
	return s, true
}

func storeLogin(s savedLogin) (string, error) {
	p, err := loginPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(p), err)
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.WriteFile(p, append(b, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", p, err)
	}
	return p, nil
}

// apiFlag adds --api to a verb; the returned function resolves the client.
func (a *app) apiFlag(cmd *cobra.Command) func() (*v1Client, error) {
	var apiURL string
	cmd.Flags().StringVar(&apiURL, "api", "", "decnetd API URL (env DECNET_API_URL; default: the unix socket as root, else "+DefaultAPIURL+")")
	return func() (*v1Client, error) { return a.dialAPI(apiURL) }
}

// dialAPI picks the transport: an explicit --api URL or DECNET_API_URL uses TCP with the saved token
// (DECNET_API_TOKEN wins); otherwise the control socket when it is reachable; otherwise the default URL.
func (a *app) dialAPI(apiURL string) (*v1Client, error) {
	if a.apiDial != nil {
		return a.apiDial(apiURL)
	}
	if apiURL == "" {
		apiURL = os.Getenv("DECNET_API_URL")
	}
	if apiURL == "" {
		sock := api.ControlSocketPath()
		if conn, err := net.DialTimeout("unix", sock, time.Second); err == nil {
			conn.Close()
			return socketV1Client(sock), nil
		}
		apiURL = DefaultAPIURL
	}
	return tcpV1Client(apiURL)
}

func socketV1Client(sock string) *v1Client {
	return &v1Client{base: "http://decnetd", socket: true, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}}
}

func tcpV1Client(apiURL string) (*v1Client, error) {
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrf("invalid API URL '%s': use http(s)://host:port", apiURL)
	}
	base := strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/")
	c := &v1Client{base: base, hc: &http.Client{}}
	if t := os.Getenv("DECNET_API_TOKEN"); t != "" {
		c.token = t
	} else if s, ok := loadLogin(); ok && strings.TrimRight(s.APIURL, "/") == base {
		c.token = s.AccessToken
	}
	return c, nil
}

// request sends a request; answers ≥ 400 become *apiError with the body's detail.
func (c *v1Client) request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && !c.socket {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		where := c.base
		if c.socket {
			where = "the control socket"
		}
		return nil, failure(fmt.Errorf("decnetd is not reachable at %s: %w", where, err))
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e struct {
			Detail string `json:"detail"`
		}
		msg := string(bytes.TrimSpace(b))
		if json.Unmarshal(b, &e) == nil && e.Detail != "" {
			msg = e.Detail
		}
		if resp.StatusCode == http.StatusUnauthorized && !c.socket {
			msg += " (run `decnetctl login`)"
		}
		return nil, &apiError{status: resp.StatusCode, detail: msg}
	}
	return resp, nil
}

// raw returns the JSON body of a successful call.
func (c *v1Client) raw(ctx context.Context, method, path string, body any) (json.RawMessage, error) {
	resp, err := c.request(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, failure(fmt.Errorf("read answer of %s %s: %w", method, path, err))
	}
	return b, nil
}

// call decodes a successful JSON answer into out.
func (c *v1Client) call(ctx context.Context, method, path string, body, out any) error {
	b, err := c.raw(ctx, method, path, body)
	if err != nil {
		return err
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return failure(fmt.Errorf("decode answer of %s %s: %w", method, path, err))
	}
	return nil
}

// stream opens GET /stream with query q (a ticket is fetched first over TCP) and calls fn for every
// "event: message" data object until ctx ends or the stream fails.
func (c *v1Client) stream(ctx context.Context, q url.Values, fn func(typ string, data json.RawMessage) error) error {
	if !c.socket {
		var t struct {
			Ticket string `json:"ticket"`
		}
		if err := c.call(ctx, http.MethodPost, "/api/v1/auth/sse-ticket", nil, &t); err != nil {
			return err
		}
		q.Set("ticket", t.Ticket)
	}
	resp, err := c.request(ctx, http.MethodGet, "/api/v1/stream?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			var m struct {
				Type    string          `json:"type"`
				Data    json.RawMessage `json:"data"`
				Message string          `json:"message"`
			}
			if json.Unmarshal([]byte(line[len("data: "):]), &m) != nil {
				continue
			}
			if event == "error" {
				return failure(fmt.Errorf("stream: %s", m.Message))
			}
			if err := fn(m.Type, m.Data); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	if err := sc.Err(); err != nil {
		return failure(fmt.Errorf("stream: %w", err))
	}
	return failure(errors.New("stream ended: decnetd went away?"))
}

// isTTY reports whether w is a terminal (tables get colour only then).
func isTTY(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// readSecret reads one line from stdin; on a terminal the prompt is shown and echo is off.
func (a *app) readSecret(prompt string) (string, error) {
	if f, ok := a.stdin.(*os.File); ok {
		if t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
			fmt.Fprint(a.stderr, prompt)
			noEcho := *t
			noEcho.Lflag &^= unix.ECHO
			_ = unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, &noEcho)
			defer func() {
				_ = unix.IoctlSetTermios(int(f.Fd()), unix.TCSETS, t)
				fmt.Fprintln(a.stderr)
			}()
		}
	}
	if a.in == nil {
		a.in = bufio.NewReader(a.stdin)
	}
	line, err := a.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", usageErrf("no password given on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// list runs a paged GET of path with the paging query pq and every non-empty parameter of params.
func (c *v1Client) list(ctx context.Context, path, pq string, params map[string]string) (json.RawMessage, error) {
	q := url.Values{}
	for k, v := range params {
		if v != "" {
			q.Set(k, v)
		}
	}
	raw, err := c.raw(ctx, http.MethodGet, path+"?"+pq+"&"+q.Encode(), nil)
	if err != nil {
		return nil, classify(err)
	}
	return raw, nil
}
