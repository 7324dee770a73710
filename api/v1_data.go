package api

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
)

func (s *Server) getBounty(c *gin.Context) {
	limit, offset, ok := paging(c, 1000)
	if !ok {
		return
	}
	typ := query(c, "bounty_type")
	switch typ {
	case "", "fingerprint", "ip_leak", "artifact":
	default:
		invalidParams(c)
		return
	}
	search := query(c, "search")
	if len(search) > 512 {
		invalidParams(c)
		return
	}
	key := ""
	if typ == "" && search == "" && limit == 50 && offset == 0 {
		key = "bounty-first"
		if v, hit := s.cache.get(key); hit {
			c.JSON(http.StatusOK, v)
			return
		}
	}
	total, rows, err := s.o.Data.BountyPage(c.Request.Context(), typ, search, limit, offset)
	if err != nil {
		s.fail(c, err)
		return
	}
	if rows == nil {
		rows = []store.APIBounty{}
	}
	p := Page[store.APIBounty]{Total: total, Limit: limit, Offset: offset, Data: rows}
	if key != "" {
		s.cache.putTTL(key, p, 5*time.Second)
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) getCredentials(c *gin.Context) {
	limit, offset, ok := paging(c, 1000)
	if !ok {
		return
	}
	q := store.CredentialQuery{Search: query(c, "search"), Service: query(c, "service"), AttackerIP: query(c, "attacker_ip")}
	if len(q.Search) > 512 || len(q.Service) > 128 || len(q.AttackerIP) > 64 {
		invalidParams(c)
		return
	}
	key := ""
	if q == (store.CredentialQuery{}) && limit == 50 && offset == 0 {
		key = "credentials-first"
		if v, hit := s.cache.get(key); hit {
			c.JSON(http.StatusOK, v)
			return
		}
	}
	total, rows, err := s.o.Data.CredentialsPage(c.Request.Context(), q, limit, offset)
	if err != nil {
		s.fail(c, err)
		return
	}
	if rows == nil {
		rows = []store.Credential{}
	}
	p := Page[store.Credential]{Total: total, Limit: limit, Offset: offset, Data: rows}
	if key != "" {
		s.cache.putTTL(key, p, 5*time.Second)
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) getAttackers(c *gin.Context) {
	limit, offset, ok := paging(c, 1000)
	if !ok {
		return
	}
	q := store.AttackerQuery{Search: query(c, "search"), SortBy: query(c, "sort_by"), Service: query(c, "service")}
	switch q.SortBy {
	case "", "recent", "active", "traversals":
	default:
		invalidParams(c)
		return
	}
	if len(q.Search) > 512 || len(q.Service) > 128 {
		invalidParams(c)
		return
	}
	total, rows, err := s.o.Data.AttackersPage(c.Request.Context(), q, limit, offset)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, Page[map[string]any]{Total: total, Limit: limit, Offset: offset, Data: rows})
}

// attacker loads the path's attacker or answers 404.
func (s *Server) attacker(c *gin.Context) (map[string]any, bool) {
	a, found, err := s.o.Data.AttackerObject(c.Request.Context(), c.Param("uuid"))
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	if !found {
		detail(c, http.StatusNotFound, "Attacker not found")
		return nil, false
	}
	return a, true
}

func (s *Server) getAttacker(c *gin.Context) {
	a, ok := s.attacker(c)
	if !ok {
		return
	}
	ip, _ := a["ip"].(string)
	ctx := c.Request.Context()
	inter, scanned, err := s.o.Data.ServiceActivity(ctx, ip)
	if err != nil {
		s.fail(c, err)
		return
	}
	total, leaks, err := s.o.Data.IPLeaks(ctx, ip, 10)
	if err != nil {
		s.fail(c, err)
		return
	}
	a["service_activity"] = map[string][]string{"interacted": inter, "scanned": scanned}
	a["ip_leaks"] = leaks
	a["ip_leaks_total"] = total
	c.JSON(http.StatusOK, a)
}

// AttackerCommand is one item of GET /attackers/{uuid}/commands.
type AttackerCommand struct {
	Service   string `json:"service"`
	Decky     string `json:"decky"`
	Command   string `json:"command"`
	Timestamp string `json:"timestamp"`
}

func (s *Server) getAttackerCommands(c *gin.Context) {
	limit, offset, ok := paging(c, 200)
	if !ok {
		return
	}
	svc := query(c, "service")
	a, ok := s.attacker(c)
	if !ok {
		return
	}
	var all []AttackerCommand
	raw, _ := json.Marshal(a["commands"])
	_ = json.Unmarshal(raw, &all)
	cmds := []AttackerCommand{}
	for _, x := range all {
		if svc == "" || x.Service == svc {
			cmds = append(cmds, x)
		}
	}
	sort.SliceStable(cmds, func(i, j int) bool {
		ti, _ := time.Parse(time.RFC3339Nano, cmds[i].Timestamp)
		tj, _ := time.Parse(time.RFC3339Nano, cmds[j].Timestamp)
		return ti.After(tj)
	})
	total := len(cmds)
	page := cmds[min(offset, total):min(offset+limit, total)]
	c.JSON(http.StatusOK, Page[AttackerCommand]{Total: int64(total), Limit: limit, Offset: offset, Data: page})
}

func (s *Server) exportAttackers(c *gin.Context) {
	all, err := s.o.Data.AllAttackers(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	now := time.Now().UTC()
	c.Header("Content-Disposition", `attachment; filename="decnet-export-`+now.Format("20060102T150405Z")+`.json"`)
	c.JSON(http.StatusOK, gin.H{
		"export_metadata": gin.H{"source": "decnet", "version": s.o.Version, "exported_at": now.Truncate(time.Second),
			"total_records": len(all), "schema_version": 1},
		"attackers": all,
	})
}
