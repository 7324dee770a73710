package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/intel/correlate"
	"github.com/gin-gonic/gin"
)

// CorrelateFunc correlates the stored events (spec/events.md §7) with the given min_deckies.
type CorrelateFunc func(ctx context.Context, minDeckies int) (correlate.Report, error)

// RegisterCorrelate adds GET /correlate?min_deckies=N&format=json|table|syslog[&emit=1] (defaults 2 and json): the
// JSON report, or the table / syslog lines as text/plain, exactly as `decnetctl correlate -o FORMAT` prints them.
// With emit=1 the traversal_detected lines are also handed to emit (decnetd's intake, as a host emitter).
func RegisterCorrelate(g *gin.RouterGroup, fn CorrelateFunc, emit func(lines []string), log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	g.GET("/correlate", func(c *gin.Context) {
		min := 2
		if v, ok := c.GetQuery("min_deckies"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				c.JSON(http.StatusBadRequest, gin.H{"detail": fmt.Sprintf("min_deckies must be a positive integer, got %q", v)})
				return
			}
			min = n
		}
		format := c.DefaultQuery("format", "json")
		if format != "json" && format != "table" && format != "syslog" {
			c.JSON(http.StatusBadRequest, gin.H{"detail": fmt.Sprintf("format must be json, table or syslog, got %q", format)})
			return
		}
		rep, err := fn(c.Request.Context(), min)
		if err != nil {
			writeError(c, log, err)
			return
		}
		if v := c.Query("emit"); v == "1" || v == "true" {
			if emit == nil {
				c.JSON(http.StatusBadRequest, gin.H{"detail": "emitting traversal events is not supported"})
				return
			}
			var lines []string
			for _, ev := range rep.Syslog(time.Now()) {
				lines = append(lines, string(ev.AppendTo(nil)))
			}
			emit(lines)
		}
		switch format {
		case "table":
			var sb strings.Builder
			if err := rep.Table(&sb); err != nil {
				writeError(c, log, err)
				return
			}
			c.Data(http.StatusOK, "text/plain; charset=utf-8", []byte(sb.String()))
		case "syslog":
			var b []byte
			for _, ev := range rep.Syslog(time.Now()) {
				b = append(ev.AppendTo(b), '\n')
			}
			c.Data(http.StatusOK, "text/plain; charset=utf-8", b)
		default:
			b, err := rep.JSON()
			if err != nil {
				writeError(c, log, err)
				return
			}
			c.Data(http.StatusOK, "application/json; charset=utf-8", append(b, '\n'))
		}
	})
}
