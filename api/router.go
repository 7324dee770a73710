package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// MaxBodyBytes caps request bodies (an INI of a large fleet fits easily).
const MaxBodyBytes = 1 << 20

// NewControlRouter returns the router of the root-only control socket: every route of RegisterDeckies
// and the health route under /api/v1, gated by the peer-uid check (RequireRootPeer) instead of a token.
func NewControlRouter(b Backend, log *slog.Logger) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(Recovery(log), RequireRootPeer(), RequireJSON())
	g := r.Group("/api/v1")
	RegisterHealth(g, b)
	RegisterDeckies(g, b, log)
	r.NoRoute(func(c *gin.Context) { c.JSON(http.StatusNotFound, gin.H{"detail": "Not Found"}) })
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, gin.H{"detail": "Method Not Allowed"}) })
	r.HandleMethodNotAllowed = true
	return r
}

// Recovery turns a panic in a handler into the spec's 500 body and logs it with an error id.
func Recovery(log *slog.Logger) gin.HandlerFunc {
	if log == nil {
		log = slog.Default()
	}
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				id := errorID()
				log.Error("panic in handler", "error_id", id, "path", c.Request.URL.Path, "panic", v)
				if !c.Writer.Written() {
					c.AbortWithStatusJSON(http.StatusInternalServerError, gin.H{"detail": "Internal Server Error", "error_id": id})
				} else {
					c.Abort()
				}
			}
		}()
		c.Next()
	}
}

// RequireJSON answers 415 for a POST/PUT/PATCH under /api/ that carries a non-JSON body (api.md §1).
func RequireJSON() gin.HandlerFunc {
	return func(c *gin.Context) {
		m := c.Request.Method
		if (m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch) && strings.HasPrefix(c.Request.URL.Path, "/api/") &&
			(c.Request.ContentLength > 0 || (c.Request.ContentLength < 0 && len(c.Request.TransferEncoding) > 0)) &&
			!strings.HasPrefix(strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Type"))), "application/json") {
			c.Data(http.StatusUnsupportedMediaType, "text/plain; charset=utf-8",
				[]byte("Unsupported Media Type — Content-Type must be application/json"))
			c.Abort()
			return
		}
		c.Next()
	}
}

func errorID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// writeError answers err: an *Error with its status and detail, anything else as a logged 500.
func writeError(c *gin.Context, log *slog.Logger, err error) {
	var ae *Error
	if errors.As(err, &ae) {
		c.JSON(ae.Status, gin.H{"detail": ae.Detail})
		return
	}
	id := errorID()
	log.Error("request failed", "error_id", id, "path", c.Request.URL.Path, "err", err)
	c.JSON(http.StatusInternalServerError, gin.H{"detail": "Internal Server Error", "error_id": id, "error": err.Error()})
}

// RegisterHealth adds GET /health.
func RegisterHealth(g *gin.RouterGroup, b Backend) {
	g.GET("/health", func(c *gin.Context) {
		h := b.Health(c.Request.Context())
		status := http.StatusOK
		if h.Status != "ok" {
			status = http.StatusServiceUnavailable
		}
		c.JSON(status, h)
	})
}
