package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// RegisterIngestStats adds GET /ingest: the ingest pipeline's counters (received, committed, drops per stream,
// spool backlog, SIEM targets) as returned by stats.
func RegisterIngestStats(g *gin.RouterGroup, stats func() any) {
	g.GET("/ingest", func(c *gin.Context) { c.JSON(http.StatusOK, stats()) })
}
