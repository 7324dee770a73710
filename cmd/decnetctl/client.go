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
	"time"

	"github.com/decnet/decnet/api"
)

// daemonClient is the API client of decnetd used by the online verbs.
type daemonClient interface {
	Deploy(ctx context.Context, req api.DeployRequest, progress func(api.Progress)) error
	Deckies(ctx context.Context) ([]api.Decky, error)
	Teardown(ctx context.Context, name string) error
	TeardownAll(ctx context.Context) ([]string, error)
	Mutate(ctx context.Context, name string) (api.MutateResult, error)
	MutateAll(ctx context.Context) ([]api.MutateResult, error)
}

// errDaemonUnreachable is reported by online verbs decnetd does not serve yet (online correlation).
var errDaemonUnreachable = errors.New("decnetd is not reachable for online correlation: this decnetd has no correlation API yet")

// apiError is an error answer of decnetd.
type apiError struct {
	status int
	detail string
}

func (e *apiError) Error() string { return e.detail }

// classify turns a client error into a decnetctl exit error: request/configuration errors (400, 409, 415,
// 422) exit 2, everything else 1.
func classify(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err // already classified (a usage error found before any request)
	}
	var ae *apiError
	if errors.As(err, &ae) {
		switch ae.status {
		case http.StatusBadRequest, http.StatusConflict, http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity, http.StatusNotFound:
			return usageErr(err)
		}
	}
	return failure(err)
}

// socketClient talks HTTP to decnetd over its unix control socket.
type socketClient struct {
	socket string
	hc     *http.Client
}

// dialDaemon connects to decnetd on its control socket (DECNET_CONTROL_SOCKET overrides the path) and
// checks that it answers.
func dialDaemon() (daemonClient, error) {
	// DECNET_API_URL selects the authenticated TCP API; so does a stored login when the socket is unusable.
	if u := os.Getenv("DECNET_API_URL"); u != "" {
		return dialTCPDaemon(u)
	}
	sock := api.ControlSocketPath()
	if conn, err := net.DialTimeout("unix", sock, time.Second); err == nil {
		conn.Close()
	} else if s, ok := loadLogin(); ok {
		return dialTCPDaemon(s.APIURL)
	}
	c := &socketClient{socket: sock, hc: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
	}}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var h api.Health
	err := c.do(ctx, http.MethodGet, "/api/v1/health", nil, &h)
	var ae *apiError
	switch {
	case err == nil, errors.As(err, &ae) && ae.status == http.StatusServiceUnavailable:
		// A degraded daemon (containerd down) still answers; verbs report their own errors.
	case errors.As(err, &ae):
		return nil, fmt.Errorf("decnetd at %s: %w", sock, err)
	default:
		return nil, fmt.Errorf("decnetd is not reachable at %s (is it running, and are you root?): %w", sock, err)
	}
	return c, nil
}

// request sends a request and returns the response when its status is below 400.
func (c *socketClient) request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://decnetd"+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var e struct {
			Detail string `json:"detail"`
			Error  string `json:"error"`
		}
		msg := string(bytes.TrimSpace(b))
		if json.Unmarshal(b, &e) == nil && e.Detail != "" {
			msg = e.Detail
			if e.Error != "" {
				msg += ": " + e.Error
			}
		}
		return nil, &apiError{status: resp.StatusCode, detail: msg}
	}
	return resp, nil
}

// do sends a request and decodes a JSON answer into out (nil = discard).
func (c *socketClient) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", method, path, err)
	}
	return nil
}

// Deploy posts a deploy and calls progress for every NDJSON line; a final line with an error fails.
func (c *socketClient) Deploy(ctx context.Context, req api.DeployRequest, progress func(api.Progress)) error {
	resp, err := c.request(ctx, http.MethodPost, "/api/v1/deckies/deploy", req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	done := false
	var failed error
	for sc.Scan() {
		var p api.Progress
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return fmt.Errorf("bad progress line %q: %w", sc.Text(), err)
		}
		progress(p)
		if p.Step == "done" {
			done = true
			if p.Error != "" {
				failed = errors.New(p.Error)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read deploy progress: %w", err)
	}
	if !done {
		return errors.New("deploy progress ended early: decnetd went away?")
	}
	return failed
}

// Deckies lists the fleet.
func (c *socketClient) Deckies(ctx context.Context) ([]api.Decky, error) {
	var out []api.Decky
	return out, c.do(ctx, http.MethodGet, "/api/v1/deckies", nil, &out)
}

// Teardown removes one decky.
func (c *socketClient) Teardown(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/deckies/"+url.PathEscape(name), nil, nil)
}

// TeardownAll removes every decky.
func (c *socketClient) TeardownAll(ctx context.Context) ([]string, error) {
	var out struct {
		Removed []string `json:"removed"`
	}
	return out.Removed, c.do(ctx, http.MethodDelete, "/api/v1/deckies", nil, &out)
}

// Mutate re-rolls one decky's services.
func (c *socketClient) Mutate(ctx context.Context, name string) (api.MutateResult, error) {
	var out api.MutateResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/deckies/"+url.PathEscape(name)+"/mutate", nil, &out)
}

// MutateAll re-rolls every decky's services.
func (c *socketClient) MutateAll(ctx context.Context) ([]api.MutateResult, error) {
	var out []api.MutateResult
	return out, c.do(ctx, http.MethodPost, "/api/v1/deckies/mutate", nil, &out)
}
