package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"

	"github.com/gin-gonic/gin"
)

// deckyNameRE is the decky-name grammar of path parameters (api.md §7).
var deckyNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,128}$`)

// Structural 400 detail (api.md §1).
const badRequestDetail = "Bad Request: Schema structural violation (wrong type, extra fields, or invalid length)."

// RegisterDeckies adds the decky routes (deploy, list, teardown, mutate) to g. The control socket and,
// later, the authenticated TCP listener share these handlers.
func RegisterDeckies(g *gin.RouterGroup, b Backend, log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	h := &deckyHandlers{b: b, log: log}
	g.GET("/deckies", h.list)
	g.POST("/deckies/deploy", h.deploy)
	g.POST("/deckies/mutate", h.mutateAll)
	g.POST("/deckies/:name/mutate", h.mutate)
	g.DELETE("/deckies", h.teardownAll)
	g.DELETE("/deckies/:name", h.teardown)
}

type deckyHandlers struct {
	b   Backend
	log *slog.Logger
}

// actor names who asked for an operation, for the decky_mutated event.
func actor(c *gin.Context) string {
	if v, ok := c.Get("actor"); ok {
		if s, ok := v.(string); ok {
			return s
		}
	}
	return "control-socket"
}

// DecodeDeploy parses and checks a deploy body: strict JSON (no unknown fields, one value), a known mode,
// and exactly one of INI text or plan flags. Errors are *Error (400 structural or 422).
func DecodeDeploy(body []byte) (DeployRequest, error) {
	var req DeployRequest
	if len(body) > MaxBodyBytes {
		return req, &Error{Status: http.StatusUnprocessableEntity, Detail: "Invalid INI config"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, &Error{Status: http.StatusBadRequest, Detail: badRequestDetail}
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, &Error{Status: http.StatusBadRequest, Detail: badRequestDetail}
	}
	switch req.Mode {
	case "", "additive", "replace":
	default:
		return req, &Error{Status: http.StatusUnprocessableEntity, Detail: "Invalid request parameters"}
	}
	if req.INI != "" && req.INIContent != "" {
		return req, &Error{Status: http.StatusBadRequest, Detail: badRequestDetail}
	}
	hasINI := req.Text() != ""
	if hasINI == (req.Flags != nil) {
		if !hasINI && req.Flags == nil {
			return req, &Error{Status: http.StatusConflict, Detail: "Configuration conflict: INI content is empty."}
		}
		return req, &Error{Status: http.StatusBadRequest, Detail: badRequestDetail}
	}
	if req.MutateInterval != nil && *req.MutateInterval < 1 {
		return req, &Error{Status: http.StatusUnprocessableEntity, Detail: "Invalid request parameters"}
	}
	return req, nil
}

// deploy validates the body, then streams NDJSON progress lines ending with a "done" line. Errors found
// before the first progress line are plain JSON errors with their status; later failures appear in the
// progress lines.
func (h *deckyHandlers) deploy(c *gin.Context) {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxBodyBytes+1))
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"detail": badRequestDetail})
		return
	}
	req, err := DecodeDeploy(body)
	if err != nil {
		writeError(c, h.log, err)
		return
	}
	var mu sync.Mutex
	started, done := false, false
	enc := json.NewEncoder(c.Writer)
	progress := func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if !started {
			started = true
			c.Header("Content-Type", "application/x-ndjson")
			c.Status(http.StatusOK)
		}
		done = done || p.Step == "done"
		enc.Encode(p)
		c.Writer.Flush()
	}
	err = h.b.Deploy(c.Request.Context(), req, progress)
	mu.Lock()
	wasStarted, wasDone := started, done
	mu.Unlock()
	if !wasStarted && err != nil {
		writeError(c, h.log, err)
		return
	}
	if !wasDone {
		p := Progress{Step: "done"}
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) {
				h.log.Error("deploy failed", "err", err)
			}
			p.Error = err.Error()
		}
		progress(p)
	}
}

func (h *deckyHandlers) list(c *gin.Context) {
	ds, err := h.b.Deckies(c.Request.Context())
	if err != nil {
		writeError(c, h.log, err)
		return
	}
	if ds == nil {
		ds = []Decky{}
	}
	c.JSON(http.StatusOK, ds)
}

func (h *deckyHandlers) name(c *gin.Context) (string, bool) {
	n := c.Param("name")
	if !deckyNameRE.MatchString(n) {
		c.JSON(http.StatusUnprocessableEntity, gin.H{"detail": "Invalid request parameters"})
		return "", false
	}
	return n, true
}

func (h *deckyHandlers) teardown(c *gin.Context) {
	n, ok := h.name(c)
	if !ok {
		return
	}
	if err := h.b.Teardown(c.Request.Context(), n); err != nil {
		writeError(c, h.log, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *deckyHandlers) teardownAll(c *gin.Context) {
	names, err := h.b.TeardownAll(c.Request.Context())
	if err != nil {
		writeError(c, h.log, err)
		return
	}
	if names == nil {
		names = []string{}
	}
	c.JSON(http.StatusOK, gin.H{"removed": names})
}

func (h *deckyHandlers) mutate(c *gin.Context) {
	n, ok := h.name(c)
	if !ok {
		return
	}
	res, err := h.b.Mutate(c.Request.Context(), n, actor(c))
	if err != nil {
		writeError(c, h.log, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

func (h *deckyHandlers) mutateAll(c *gin.Context) {
	res, err := h.b.MutateAll(c.Request.Context(), actor(c))
	if err != nil {
		writeError(c, h.log, err)
		return
	}
	if res == nil {
		res = []MutateResult{}
	}
	c.JSON(http.StatusOK, res)
}
