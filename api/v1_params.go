package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// Standard error details (api.md §1).
const (
	detailInvalidParams = "Invalid request parameters"
	detailInternal      = "Internal Server Error"
)

// fail answers err: an *Error with its status and detail, anything else as a logged 500 carrying only an
// error id (developer mode adds the Go type as exception_type).
func (s *Server) fail(c *gin.Context, err error) {
	var ae *Error
	if errors.As(err, &ae) {
		c.AbortWithStatusJSON(ae.Status, gin.H{"detail": ae.Detail})
		return
	}
	id := errorID()
	s.log.Error("request failed", "error_id", id, "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	body := gin.H{"detail": detailInternal, "error_id": id}
	if s.o.Developer {
		body["exception_type"] = fmt.Sprintf("%T", errors.Unwrap(err))
	}
	c.AbortWithStatusJSON(http.StatusInternalServerError, body)
}

func badRequest(c *gin.Context) { detail(c, http.StatusBadRequest, badRequestDetail) }

func invalidParams(c *gin.Context) { detail(c, http.StatusUnprocessableEntity, detailInvalidParams) }

// decodeBody strictly decodes a JSON object into dst (pointer fields detect presence): malformed JSON, a
// wrong type, an unknown field or trailing data answer 400 and return false.
func decodeBody(c *gin.Context, dst any) bool {
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, MaxBodyBytes+1))
	if err != nil || len(body) > MaxBodyBytes {
		badRequest(c)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		badRequest(c)
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		badRequest(c)
		return false
	}
	// A JSON null (or non-object) body decodes without error into a struct pointer's zero value: the
	// required-field checks of each handler reject it.
	return true
}

// strLen checks a required string's presence and its length in characters (and, when maxBytes > 0, bytes).
func strLen(v *string, min, max, maxBytes int) bool {
	if v == nil {
		return false
	}
	n := utf8.RuneCountInString(*v)
	if n < min || n > max {
		return false
	}
	return maxBytes <= 0 || len(*v) <= maxBytes
}

// isAbsent reports whether a query value counts as "parameter absent" (api.md §1).
func isAbsent(v string) bool {
	switch v {
	case "", "null", "NULL", "None", "undefined":
		return true
	}
	return false
}

// query returns a query parameter, "" when absent (including the absent spellings).
func query(c *gin.Context, name string) string {
	v := c.Query(name)
	if isAbsent(v) {
		return ""
	}
	return v
}

// intParam parses an optional integer query parameter in [min, max]; ok is false (422 written) on violation.
func intParam(c *gin.Context, name string, def, min, max int64) (int64, bool) {
	v := query(c, name)
	if v == "" {
		return def, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n < min || n > max {
		invalidParams(c)
		return 0, false
	}
	return n, true
}

// paging parses limit (1..maxLimit, default 50) and offset (0..2147483647).
func paging(c *gin.Context, maxLimit int64) (limit, offset int, ok bool) {
	l, ok := intParam(c, "limit", 50, 1, maxLimit)
	if !ok {
		return 0, 0, false
	}
	o, ok := intParam(c, "offset", 0, 0, 2147483647)
	if !ok {
		return 0, 0, false
	}
	return int(l), int(o), true
}

// ParseTimeParam reads a start_time/end_time value: RFC 3339, or "YYYY-MM-DD HH:MM:SS" as UTC.
func ParseTimeParam(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04:05", v, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: %w", v, err)
	}
	return t, nil
}

// timeParam parses an optional time query parameter; ok is false (422 written) when malformed.
func timeParam(c *gin.Context, name string) (*time.Time, bool) {
	v := query(c, name)
	if v == "" {
		return nil, true
	}
	t, err := ParseTimeParam(v)
	if err != nil {
		invalidParams(c)
		return nil, false
	}
	return &t, true
}
