package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/decnet/decnet/store"
	"github.com/gin-gonic/gin"
	"golang.org/x/sync/singleflight"
)

// UserStore is the account storage the API needs (implemented by *store.Store).
type UserStore interface {
	UserByUUID(ctx context.Context, id string) (store.User, bool, error)
	UserByName(ctx context.Context, name string) (store.User, bool, error)
	ListUsers(ctx context.Context) ([]store.User, error)
	CreateUser(ctx context.Context, username, hash, role string, mustChange bool) (store.User, error)
	SetPassword(ctx context.Context, id, hash string, mustChange, bump bool) (bool, error)
	SetRole(ctx context.Context, id, role string) (bool, error)
	DeleteUser(ctx context.Context, id string) (bool, error)
	RevokeToken(ctx context.Context, jti, userUUID string, expires time.Time) error
	IsRevoked(ctx context.Context, jti string) (bool, error)
}

// LogStore is the event-data storage the API reads (implemented by *store.Store).
type LogStore interface {
	Ping(ctx context.Context) error
	SearchLogs(ctx context.Context, f store.LogFilter, limit, offset int, withTotal bool) (int64, []store.APILog, error)
	LogsSince(ctx context.Context, f store.LogFilter, afterID int64, limit int) ([]store.APILog, error)
	LogsByIDs(ctx context.Context, f store.LogFilter, ids []int64) ([]store.APILog, error)
	MaxLogID(ctx context.Context) (int64, error)
	Histogram(ctx context.Context, f store.LogFilter, intervalMinutes int) ([]store.HistogramBucket, error)
	LogStats(ctx context.Context) (store.LogStats, error)
	DeckyCounts(ctx context.Context) (running, all int64, err error)
	BountyPage(ctx context.Context, typ, search string, limit, offset int) (int64, []store.APIBounty, error)
	CredentialsPage(ctx context.Context, q store.CredentialQuery, limit, offset int) (int64, []store.Credential, error)
	AttackersPage(ctx context.Context, q store.AttackerQuery, limit, offset int) (int64, []map[string]any, error)
	AllAttackers(ctx context.Context) ([]map[string]any, error)
	AttackerObject(ctx context.Context, id string) (map[string]any, bool, error)
	IPLeaks(ctx context.Context, ip string, limit int) (int64, []store.APIBounty, error)
	ServiceActivity(ctx context.Context, ip string) (interacted, scanned []string, err error)
	GetState(ctx context.Context, key string) (json.RawMessage, bool, error)
	PutState(ctx context.Context, key string, value any) error
	Reinit(ctx context.Context) (store.PurgeCounts, error)
}

// LogNotifier announces committed logs ids (the in-process event bus) to SSE streams.
type LogNotifier interface {
	// SubscribeIDs returns a channel of committed logs ids and a cancel function.
	SubscribeIDs() (<-chan int64, func())
}

// ComponentStatus is one entry of GET /health's components.
type ComponentStatus struct {
	Status string `json:"status"` // ok or failing
	Detail string `json:"detail,omitempty"`
}

// Options configure the v1 API server.
type Options struct {
	Users    UserStore
	Data     LogStore
	Fleet    FleetBackend                      // nil: decky routes answer 503
	Notifier LogNotifier                       // nil: streams poll only
	Workers  func() map[string]ComponentStatus // ingestion_worker, collector_worker, … (nil: all "not started")
	// Containerd pings the runtime (nil: failing "not connected").
	Containerd func(ctx context.Context) error

	JWTSecret      string
	JWTExp         time.Duration // default 240 min
	CORSOrigins    []string
	LimiterEnabled bool
	SSEMaxPerUser  int // default 5
	Developer      bool
	Version        string
	// DefaultMutationInterval is the fleet default when config_globals is absent (default "30m").
	DefaultMutationInterval string
	UI                      http.Handler // served at / on the TCP listener when set
	Metrics                 *Metrics     // nil: a fresh registry
	Log                     *slog.Logger
}

// Server is the v1 REST API.
type Server struct {
	o       Options
	log     *slog.Logger
	tokens  *Tokens
	tickets Tickets
	limit   Limiter
	users   *ttlCache[string, store.User]
	names   *ttlCache[string, store.User]
	revoked *ttlCache[string, bool]
	cache   *ttlCache[string, any]
	health  *ttlCache[string, error]
	life    lifecycles
	sseMu   sync.Mutex
	sseN    map[string]int
	routes  []Route
	metrics *Metrics
	flight  singleflight.Group
}

// NewServer checks the options and builds the server.
func NewServer(o Options) (*Server, error) {
	if o.Users == nil || o.Data == nil {
		return nil, errors.New("api server: user and log stores are required")
	}
	if o.JWTSecret == "" {
		return nil, errors.New("api server: DECNET_JWT_SECRET is required")
	}
	for _, origin := range o.CORSOrigins {
		if strings.TrimSpace(origin) == "*" {
			return nil, errors.New("api server: DECNET_CORS_ORIGINS must not contain '*'")
		}
	}
	if o.JWTExp <= 0 {
		o.JWTExp = 240 * time.Minute
	}
	if o.SSEMaxPerUser <= 0 {
		o.SSEMaxPerUser = 5
	}
	if o.DefaultMutationInterval == "" {
		o.DefaultMutationInterval = "30m"
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	s := &Server{o: o, log: o.Log, tokens: &Tokens{Secret: []byte(o.JWTSecret), TTL: o.JWTExp},
		users: newTTLCache[string, store.User](10 * time.Second), names: newTTLCache[string, store.User](5 * time.Second),
		revoked: newTTLCache[string, bool](10 * time.Second), cache: newTTLCache[string, any](5 * time.Second),
		health: newTTLCache[string, error](5 * time.Second), sseN: map[string]int{}, metrics: o.Metrics}
	s.life.log = o.Log
	if ls, ok := o.Data.(LifecycleStore); ok {
		s.life.db = ls
	}
	s.routes = s.routeTable()
	return s, nil
}

// Tokens returns the server's token minter (tests and tools).
func (s *Server) Tokens() *Tokens { return s.tokens }

// Routes returns the route table the router and the OpenAPI document are built from.
func (s *Server) Routes() []Route { return s.routes }

// Auth levels of a route (api.md §2 legend).
const (
	AuthPublic = "public" // —
	AuthToken  = "token"  // valid token; allowed while must_change_password
	AuthViewer = "viewer" // V
	AuthAdmin  = "admin"  // A
	AuthStream = "stream" // S: Bearer token or ?ticket=
)

// Route is one entry of the route table.
type Route struct {
	Method  string
	Path    string // gin syntax, relative to /api/v1
	Auth    string
	Summary string
	Body    any // request body example type for the OpenAPI document (nil: none)
	Handler gin.HandlerFunc
}

// Handler returns the TCP listener's handler: CORS, 415, auth and the v1 routes, /metrics and the UI at /.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(Recovery(s.log), s.observe(), s.cors(), RequireJSON())
	g := r.Group("/api/v1")
	for _, rt := range s.routes {
		g.Handle(rt.Method, rt.Path, s.guard(rt), rt.Handler)
	}
	r.GET("/metrics", s.metricsHandler)
	r.NoMethod(func(c *gin.Context) { c.JSON(http.StatusMethodNotAllowed, gin.H{"detail": "Method Not Allowed"}) })
	r.NoRoute(func(c *gin.Context) {
		if s.o.UI != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") && (c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead) {
			s.o.UI.ServeHTTP(c.Writer, c.Request)
			return
		}
		c.JSON(http.StatusNotFound, gin.H{"detail": "Not Found"})
	})
	return r
}

// MountControl adds every v1 route the control router r does not serve yet under /api/v1 (the socket's own
// deckies/health routes win). Socket requests from uid 0 pass the guards as admin.
func (s *Server) MountControl(r *gin.Engine) {
	have := map[string]bool{}
	for _, ri := range r.Routes() {
		have[ri.Method+" "+ri.Path] = true
	}
	g := r.Group("/api/v1")
	for _, rt := range s.routes {
		if have[rt.Method+" /api/v1"+rt.Path] || conflictsWithControl(rt, have) {
			continue
		}
		g.Handle(rt.Method, rt.Path, s.guard(rt), rt.Handler)
	}
}

// conflictsWithControl reports whether a route's wildcard would clash with an existing control route.
func conflictsWithControl(rt Route, have map[string]bool) bool {
	// The control router names the decky parameter :name; gin refuses a second name for the same segment.
	return strings.HasPrefix(rt.Path, "/deckies/:") && (have["POST /api/v1/deckies/:name/mutate"] || have["DELETE /api/v1/deckies/:name"])
}

// principal is the authenticated caller.
type principal struct {
	UUID     string
	Username string
	Role     string
	JTI      string
	Exp      time.Time
	Socket   bool // root on the unix socket
}

const principalKey = "decnet.principal"

func callerOf(c *gin.Context) *principal {
	if v, ok := c.Get(principalKey); ok {
		return v.(*principal)
	}
	return nil
}

func detail(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, gin.H{"detail": msg})
}

func unauthorized(c *gin.Context) {
	c.Header("WWW-Authenticate", "Bearer")
	detail(c, http.StatusUnauthorized, "Could not validate credentials")
}

// fromRootSocket reports whether the request came over the unix socket from uid 0.
func fromRootSocket(c *gin.Context) bool {
	uid, ok := PeerUID(c.Request.Context())
	return ok && uid == 0
}

// guard authenticates and authorises a request for rt (api.md §2).
func (s *Server) guard(rt Route) gin.HandlerFunc {
	return func(c *gin.Context) {
		if rt.Auth == AuthPublic {
			return
		}
		if fromRootSocket(c) {
			c.Set(principalKey, &principal{Username: "root", Role: "admin", Socket: true})
			c.Set("actor", "root")
			return
		}
		var p *principal
		if rt.Auth == AuthStream && c.Query("ticket") != "" {
			t, ok := s.tickets.Redeem(c.Query("ticket"))
			if !ok {
				unauthorized(c)
				return
			}
			u, found, err := s.userByUUID(c.Request.Context(), t.UUID)
			if err != nil {
				writeError(c, s.log, err)
				c.Abort()
				return
			}
			if !found {
				unauthorized(c)
				return
			}
			p = &principal{UUID: u.UUID, Username: u.Username, Role: u.Role}
			if u.MustChangePassword {
				detail(c, http.StatusForbidden, "Password change required before accessing this resource")
				return
			}
		} else {
			var ok bool
			if p, ok = s.authenticate(c); !ok {
				return
			}
		}
		c.Set(principalKey, p)
		c.Set("actor", p.Username)
		if rt.Auth == AuthToken {
			return
		}
		if rt.Auth == AuthAdmin && p.Role != "admin" {
			detail(c, http.StatusForbidden, "Insufficient permissions")
			return
		}
		if p.Role != "admin" && p.Role != "viewer" {
			detail(c, http.StatusForbidden, "Insufficient permissions")
		}
	}
}

// authenticate verifies the Bearer token and the user row; it writes the 401/403 itself.
func (s *Server) authenticate(c *gin.Context) (*principal, bool) {
	h := c.GetHeader("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		unauthorized(c)
		return nil, false
	}
	cl, err := s.tokens.Parse(strings.TrimSpace(tok))
	if err != nil {
		unauthorized(c)
		return nil, false
	}
	ctx := c.Request.Context()
	u, found, err := s.userByUUID(ctx, cl.UUID)
	if err != nil {
		writeError(c, s.log, err)
		c.Abort()
		return nil, false
	}
	if !found {
		unauthorized(c)
		return nil, false
	}
	if u.TokensValidFrom != nil && cl.IssuedAt.Unix() < u.TokensValidFrom.Unix() {
		unauthorized(c)
		return nil, false
	}
	rev, err := s.isRevoked(ctx, cl.ID)
	if err != nil {
		writeError(c, s.log, err)
		c.Abort()
		return nil, false
	}
	if rev {
		unauthorized(c)
		return nil, false
	}
	p := &principal{UUID: u.UUID, Username: u.Username, Role: u.Role, JTI: cl.ID, Exp: cl.ExpiresAt.Time}
	mustChangeOK := c.FullPath() == "/api/v1/auth/change-password" || c.FullPath() == "/api/v1/auth/logout"
	if u.MustChangePassword && !mustChangeOK {
		detail(c, http.StatusForbidden, "Password change required before accessing this resource")
		return nil, false
	}
	return p, true
}

func (s *Server) userByUUID(ctx context.Context, id string) (store.User, bool, error) {
	if u, ok := s.users.get(id); ok {
		return u, true, nil
	}
	u, found, err := s.o.Users.UserByUUID(ctx, id)
	if err != nil || !found {
		return u, found, err
	}
	s.users.put(id, u)
	return u, true, nil
}

func (s *Server) isRevoked(ctx context.Context, jti string) (bool, error) {
	if v, ok := s.revoked.get(jti); ok {
		return v, nil
	}
	v, err := s.o.Users.IsRevoked(ctx, jti)
	if err != nil {
		return false, err
	}
	s.revoked.put(jti, v)
	return v, nil
}

// forgetUser drops the process caches of a user after this process changed it.
func (s *Server) forgetUser(id, username string) {
	s.users.del(id)
	if username != "" {
		s.names.del(username)
	}
	s.names.clear()
}

// clientIP is the TCP peer address (forwarding headers are ignored).
func clientIP(c *gin.Context) string {
	host, _, err := net.SplitHostPort(c.Request.RemoteAddr)
	if err != nil {
		return c.Request.RemoteAddr
	}
	return host
}

// rateLimited counts a hit on key and answers 429 when over; it reports whether the request was refused.
func (s *Server) rateLimited(c *gin.Context, key string, max int, per time.Duration) bool {
	if !s.o.LimiterEnabled || fromRootSocket(c) {
		return false
	}
	ok, wait := s.limit.Allow(key, max, per)
	if ok {
		return false
	}
	secs := int(wait.Seconds() + 0.999)
	if secs < 1 {
		secs = 1
	}
	c.Header("Retry-After", strconv.Itoa(secs))
	detail(c, http.StatusTooManyRequests, "Rate limit exceeded")
	return true
}

// cors applies the allow-list (no wildcard, no credentials).
func (s *Server) cors() gin.HandlerFunc {
	allowed := map[string]bool{}
	for _, o := range s.o.CORSOrigins {
		if o = strings.TrimRight(strings.TrimSpace(o), "/"); o != "" {
			allowed[o] = true
		}
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			return
		}
		c.Header("Vary", "Origin")
		if !allowed[origin] {
			if c.Request.Method == http.MethodOptions {
				c.AbortWithStatus(http.StatusForbidden)
			}
			return
		}
		c.Header("Access-Control-Allow-Origin", origin)
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			c.Header("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			c.Header("Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID")
			c.Header("Access-Control-Max-Age", "600")
			c.AbortWithStatus(http.StatusNoContent)
		}
	}
}

// maxCacheEntries bounds every per-process cache.
const maxCacheEntries = 2048

// ttlCache is a small per-process cache with a fixed time-to-live.
type ttlCache[K comparable, V any] struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[K]ttlEntry[V]
}

type ttlEntry[V any] struct {
	v   V
	exp time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, m: map[K]ttlEntry[V]{}}
}

func (t *ttlCache[K, V]) get(k K) (V, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[k]
	if !ok || time.Now().After(e.exp) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (t *ttlCache[K, V]) put(k K, v V) { t.putTTL(k, v, t.ttl) }

func (t *ttlCache[K, V]) putTTL(k K, v V, ttl time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxCacheEntries {
		now := time.Now()
		for k, e := range t.m {
			if now.After(e.exp) {
				delete(t.m, k)
			}
		}
		if len(t.m) >= maxCacheEntries {
			return // full of live entries: serve uncached rather than grow without bound
		}
	}
	t.m[k] = ttlEntry[V]{v: v, exp: time.Now().Add(ttl)}
}

func (t *ttlCache[K, V]) del(k K) {
	t.mu.Lock()
	delete(t.m, k)
	t.mu.Unlock()
}

func (t *ttlCache[K, V]) clear() {
	t.mu.Lock()
	clear(t.m)
	t.mu.Unlock()
}

// cached returns the value cached under key, or computes it once for all concurrent callers (no stampede
// on a cold cache) and keeps it for ttl.
func (s *Server) cached(ctx context.Context, key string, ttl time.Duration, fn func(ctx context.Context) (any, error)) (any, error) {
	if v, ok := s.cache.get(key); ok {
		return v, nil
	}
	v, err, _ := s.flight.Do(key, func() (any, error) {
		if v, ok := s.cache.get(key); ok {
			return v, nil
		}
		// Detached from the first caller's cancellation: the others wait on the same computation.
		v, err := fn(context.WithoutCancel(ctx))
		if err == nil {
			s.cache.putTTL(key, v, ttl)
		}
		return v, err
	})
	return v, err
}
