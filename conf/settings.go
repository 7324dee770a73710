package conf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultHostConfig is the default path of the host config file (DECNET_CONFIG, config.md §9).
const DefaultHostConfig = "/etc/decnet/decnet.ini"

// LevelCritical is the slog level used for CRITICAL operator warnings (e.g. a disabled limiter on a public API).
const LevelCritical = slog.Level(12)

// Settings holds every DECNET_* setting of config.md §9, resolved with the precedence
// real environment > --env-file > host config file > default.
type Settings struct {
	Config string // DECNET_CONFIG: host config file path

	APIHost string // DECNET_API_HOST
	APIPort int    // DECNET_API_PORT
	WebHost string // DECNET_WEB_HOST: origin host of a separately served development UI
	WebPort int    // DECNET_WEB_PORT

	CORSOrigins []string // DECNET_CORS_ORIGINS (default derived from WebHost/WebPort)

	JWTSecret     string // DECNET_JWT_SECRET (required by the daemon)
	JWTExpMinutes int    // DECNET_JWT_EXP_MINUTES
	AdminUser     string // DECNET_ADMIN_USER
	AdminPassword string // DECNET_ADMIN_PASSWORD (required by the daemon)

	Developer      bool // DECNET_DEVELOPER
	Testing        bool // DECNET_TESTING: test harness only; skips secret and public-binding checks
	LimiterEnabled bool // DECNET_LIMITER_ENABLED
	SSEMaxPerUser  int  // DECNET_SSE_MAX_PER_USER

	DBURL      string // DECNET_DB_URL: wins over the parts below
	DBHost     string // DECNET_DB_HOST
	DBPort     int    // DECNET_DB_PORT
	DBName     string // DECNET_DB_NAME
	DBUser     string // DECNET_DB_USER
	DBPassword string // DECNET_DB_PASSWORD
	DBPoolSize int    // DECNET_DB_POOL_SIZE

	LogDir         string // DECNET_LOG_DIR
	BatchSize      int    // DECNET_BATCH_SIZE
	BatchMaxWaitMS int    // DECNET_BATCH_MAX_WAIT_MS

	CollectorDropApps      []string // DECNET_COLLECTOR_DROP_APPS
	CollectorRLEventTypes  []string // DECNET_COLLECTOR_RL_EVENT_TYPES
	CollectorRLWindowSec   float64  // DECNET_COLLECTOR_RL_WINDOW_SEC (≤ 0 disables)
	CollectorReconcileSecs int      // DECNET_COLLECTOR_RECONCILE_S

	TrustedProxies []netip.Prefix // DECNET_TRUSTED_PROXIES (single IPs become /32 or /128)
	ArtifactsRoot  string         // DECNET_ARTIFACTS_ROOT (default <StateDir>/artifacts)
	StateDir       string         // DECNET_STATE_DIR
	DevStack       bool           // DECNET_DEV_STACK
	SnifferIface   string         // DECNET_SNIFFER_IFACE ("" = auto)

	// Warnings collects non-fatal problems of the host config file (unknown keys in mapped sections).
	Warnings []string

	lookup func(string) (string, bool)
}

// settingDef describes one DECNET_* variable: its default, how to store it and how to show it.
type settingDef struct {
	name   string
	def    string
	secret bool
	set    func(s *Settings, v string) error
	get    func(s *Settings) string
}

func strSetting(name, def string, f func(*Settings) *string) settingDef {
	return settingDef{name: name, def: def,
		set: func(s *Settings, v string) error { *f(s) = v; return nil },
		get: func(s *Settings) string { return *f(s) }}
}

func secretSetting(name string, f func(*Settings) *string) settingDef {
	d := strSetting(name, "", f)
	d.secret = true
	return d
}

func intSetting(name, def string, lo, hi int, f func(*Settings) *int) settingDef {
	return settingDef{name: name, def: def,
		set: func(s *Settings, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%s: expected an integer, got '%s'", name, v)
			}
			if n < lo || n > hi {
				return fmt.Errorf("%s: must be between %d and %d, got %d", name, lo, hi, n)
			}
			*f(s) = n
			return nil
		},
		get: func(s *Settings) string { return strconv.Itoa(*f(s)) }}
}

func boolSetting(name, def string, f func(*Settings) *bool) settingDef {
	return settingDef{name: name, def: def,
		set: func(s *Settings, v string) error {
			b, ok := parseBool(v)
			if !ok {
				return fmt.Errorf("%s: expected a boolean (true/false, 1/0, yes/no, on/off), got '%s'", name, v)
			}
			*f(s) = b
			return nil
		},
		get: func(s *Settings) string { return strconv.FormatBool(*f(s)) }}
}

func listSetting(name, def string, f func(*Settings) *[]string) settingDef {
	return settingDef{name: name, def: def,
		set: func(s *Settings, v string) error { *f(s) = splitList(v); return nil },
		get: func(s *Settings) string { return strings.Join(*f(s), ",") }}
}

// splitList splits a comma list, trimming items and dropping empty ones.
func splitList(v string) []string {
	out := []string{}
	for _, it := range strings.Split(v, ",") {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

// settingDefs lists every variable of config.md §9 in table order. DECNET_CORS_ORIGINS and DECNET_ARTIFACTS_ROOT
// have derived defaults ("" here), filled in by LoadSettings.
var settingDefs = []settingDef{
	strSetting("DECNET_CONFIG", DefaultHostConfig, func(s *Settings) *string { return &s.Config }),
	strSetting("DECNET_API_HOST", "127.0.0.1", func(s *Settings) *string { return &s.APIHost }),
	intSetting("DECNET_API_PORT", "8000", 1, 65535, func(s *Settings) *int { return &s.APIPort }),
	strSetting("DECNET_WEB_HOST", "127.0.0.1", func(s *Settings) *string { return &s.WebHost }),
	intSetting("DECNET_WEB_PORT", "8080", 1, 65535, func(s *Settings) *int { return &s.WebPort }),
	listSetting("DECNET_CORS_ORIGINS", "", func(s *Settings) *[]string { return &s.CORSOrigins }),
	secretSetting("DECNET_JWT_SECRET", func(s *Settings) *string { return &s.JWTSecret }),
	intSetting("DECNET_JWT_EXP_MINUTES", "240", 1, 1<<31-1, func(s *Settings) *int { return &s.JWTExpMinutes }),
	strSetting("DECNET_ADMIN_USER", "admin", func(s *Settings) *string { return &s.AdminUser }),
	secretSetting("DECNET_ADMIN_PASSWORD", func(s *Settings) *string { return &s.AdminPassword }),
	boolSetting("DECNET_DEVELOPER", "false", func(s *Settings) *bool { return &s.Developer }),
	boolSetting("DECNET_TESTING", "false", func(s *Settings) *bool { return &s.Testing }),
	boolSetting("DECNET_LIMITER_ENABLED", "true", func(s *Settings) *bool { return &s.LimiterEnabled }),
	intSetting("DECNET_SSE_MAX_PER_USER", "5", 1, 1<<31-1, func(s *Settings) *int { return &s.SSEMaxPerUser }),
	{name: "DECNET_DB_URL", secret: true,
		set: func(s *Settings, v string) error {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
				return fmt.Errorf("DECNET_DB_URL: expected a postgres:// URL")
			}
			s.DBURL = v
			return nil
		},
		get: func(s *Settings) string { return maskURL(s.DBURL) }},
	strSetting("DECNET_DB_HOST", "localhost", func(s *Settings) *string { return &s.DBHost }),
	intSetting("DECNET_DB_PORT", "5432", 1, 65535, func(s *Settings) *int { return &s.DBPort }),
	strSetting("DECNET_DB_NAME", "decnet", func(s *Settings) *string { return &s.DBName }),
	strSetting("DECNET_DB_USER", "decnet", func(s *Settings) *string { return &s.DBUser }),
	secretSetting("DECNET_DB_PASSWORD", func(s *Settings) *string { return &s.DBPassword }),
	intSetting("DECNET_DB_POOL_SIZE", "20", 1, 10000, func(s *Settings) *int { return &s.DBPoolSize }),
	strSetting("DECNET_LOG_DIR", "/var/log/decnet", func(s *Settings) *string { return &s.LogDir }),
	intSetting("DECNET_BATCH_SIZE", "1000", 1, 1<<31-1, func(s *Settings) *int { return &s.BatchSize }),
	intSetting("DECNET_BATCH_MAX_WAIT_MS", "100", 0, 1<<31-1, func(s *Settings) *int { return &s.BatchMaxWaitMS }),
	listSetting("DECNET_COLLECTOR_DROP_APPS", "sshd,pam_unix,sudo,su,CRON,cron,systemd,kernel,rsyslogd,dbus-daemon",
		func(s *Settings) *[]string { return &s.CollectorDropApps }),
	listSetting("DECNET_COLLECTOR_RL_EVENT_TYPES", "connect,disconnect,connection,accept,close",
		func(s *Settings) *[]string { return &s.CollectorRLEventTypes }),
	{name: "DECNET_COLLECTOR_RL_WINDOW_SEC", def: "1.0",
		set: func(s *Settings, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || f > 1e9 || f < -1e9 {
				return fmt.Errorf("DECNET_COLLECTOR_RL_WINDOW_SEC: expected a number of seconds, got '%s'", v)
			}
			s.CollectorRLWindowSec = f
			return nil
		},
		get: func(s *Settings) string { return strconv.FormatFloat(s.CollectorRLWindowSec, 'g', -1, 64) }},
	intSetting("DECNET_COLLECTOR_RECONCILE_S", "30", 1, 1<<31-1, func(s *Settings) *int { return &s.CollectorReconcileSecs }),
	{name: "DECNET_TRUSTED_PROXIES",
		set: func(s *Settings, v string) error {
			s.TrustedProxies = nil
			for _, it := range splitList(v) {
				p, err := parseIPOrCIDR(it)
				if err != nil {
					return fmt.Errorf("DECNET_TRUSTED_PROXIES: '%s' is not an IP address or CIDR", it)
				}
				s.TrustedProxies = append(s.TrustedProxies, p)
			}
			return nil
		},
		get: func(s *Settings) string {
			out := make([]string, len(s.TrustedProxies))
			for i, p := range s.TrustedProxies {
				out[i] = p.String()
			}
			return strings.Join(out, ",")
		}},
	strSetting("DECNET_ARTIFACTS_ROOT", "", func(s *Settings) *string { return &s.ArtifactsRoot }),
	strSetting("DECNET_STATE_DIR", "/var/lib/decnet", func(s *Settings) *string { return &s.StateDir }),
	boolSetting("DECNET_DEV_STACK", "false", func(s *Settings) *bool { return &s.DevStack }),
	strSetting("DECNET_SNIFFER_IFACE", "", func(s *Settings) *string { return &s.SnifferIface }),
}

// parseIPOrCIDR parses "10.0.0.1" (as a host prefix) or "10.0.0.0/8".
func parseIPOrCIDR(v string) (netip.Prefix, error) {
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// maskURL replaces the password of a URL with ****.
func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); !ok {
		return raw
	}
	u.User = url.UserPassword(u.User.Username(), "xxxx")
	return strings.Replace(u.String(), ":xxxx@", ":****@", 1)
}

// LoadSettings resolves the settings. env looks a variable up in the real environment (nil = os.LookupEnv);
// envFile is the --env-file path ("" = none; a missing file is an error). The host config file named by
// DECNET_CONFIG (real env > env file > default) is read when it exists. Empty values count as unset.
func LoadSettings(env func(string) (string, bool), envFile string) (*Settings, error) {
	if env == nil {
		env = os.LookupEnv
	}
	var fileVals map[string]string
	if envFile != "" {
		b, err := os.ReadFile(envFile)
		if err != nil {
			return nil, fmt.Errorf("read env file %s: %w", envFile, err)
		}
		if fileVals, err = parseEnvFile(string(b)); err != nil {
			return nil, fmt.Errorf("parse env file %s: %w", envFile, err)
		}
	}
	layers := []func(string) (string, bool){env, mapLookup(fileVals)}
	s := &Settings{}
	s.Config = DefaultHostConfig
	if v, ok := firstSet(layers, "DECNET_CONFIG"); ok {
		s.Config = v
	}
	b, err := os.ReadFile(s.Config)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("read host config %s: %w", s.Config, err)
	default:
		hostVals, warns, err := parseHostConfig(string(b))
		if err != nil {
			return nil, fmt.Errorf("parse host config %s: %w", s.Config, err)
		}
		for _, w := range warns {
			s.Warnings = append(s.Warnings, s.Config+": "+w)
		}
		layers = append(layers, mapLookup(hostVals))
	}
	s.lookup = func(name string) (string, bool) { return firstSet(layers, name) }

	for _, d := range settingDefs {
		v, ok := s.lookup(d.name)
		if !ok {
			v = d.def
		}
		if d.name == "DECNET_CONFIG" {
			continue // already resolved from env and env file only
		}
		if v == "" && !ok {
			continue
		}
		if err := d.set(s, v); err != nil {
			return nil, fmt.Errorf("load settings: %w", err)
		}
	}
	if len(s.CORSOrigins) == 0 {
		h := s.WebHost
		if h == "0.0.0.0" || h == "127.0.0.1" || h == "::" {
			h = "localhost"
		}
		s.CORSOrigins = []string{"http://" + net.JoinHostPort(h, strconv.Itoa(s.WebPort))}
	}
	if s.ArtifactsRoot == "" {
		s.ArtifactsRoot = strings.TrimRight(s.StateDir, "/") + "/artifacts"
	}
	return s, nil
}

func mapLookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// firstSet returns the first non-empty value of name across the layers.
func firstSet(layers []func(string) (string, bool), name string) (string, bool) {
	for _, l := range layers {
		if v, ok := l(name); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// Lookup returns the resolved value of any DECNET_* variable (same precedence as the typed fields), e.g. the
// per-probe DECNET_PROBE_PORTS_<PROBE> overrides.
func (s *Settings) Lookup(name string) (string, bool) {
	if s.lookup == nil {
		return "", false
	}
	return s.lookup(name)
}

// ProbePorts returns the DECNET_PROBE_PORTS_<PROBE> override of a prober probe (events.md §9.2), if set.
func (s *Settings) ProbePorts(probe string) ([]int, bool, error) {
	name := "DECNET_PROBE_PORTS_" + strings.ToUpper(probe)
	v, ok := s.Lookup(name)
	if !ok {
		return nil, false, nil
	}
	var out []int
	for _, it := range splitList(v) {
		n, err := strconv.Atoi(it)
		if err != nil || n < 1 || n > 65535 {
			return nil, false, fmt.Errorf("%s: invalid port '%s'", name, it)
		}
		out = append(out, n)
	}
	return out, true, nil
}

// DatabaseURL returns DECNET_DB_URL when set, else a postgres:// URL built from the DECNET_DB_* parts.
func (s *Settings) DatabaseURL() string {
	if s.DBURL != "" {
		return s.DBURL
	}
	u := url.URL{Scheme: "postgres", Host: net.JoinHostPort(s.DBHost, strconv.Itoa(s.DBPort)), Path: "/" + s.DBName}
	if s.DBPassword != "" {
		u.User = url.UserPassword(s.DBUser, s.DBPassword)
	} else {
		u.User = url.User(s.DBUser)
	}
	return u.String()
}

// CheckMode selects which startup guards Check applies.
type CheckMode int

const (
	// CheckOffline applies no guard: offline decnetctl verbs need no settings.
	CheckOffline CheckMode = iota
	// CheckDaemon applies every guard of config.md §9 (decnetd startup, `decnetctl config check`).
	CheckDaemon
)

// insecureSecrets are rejected JWT secrets (compared lower-cased).
var insecureSecrets = []string{"fallback-secret-key-change-me", "admin", "secret", "password", "changeme"}

// Check applies the startup guards of config.md §9 and returns every violation (nil = OK). With DECNET_TESTING=1
// the secret checks (JWT secret, admin password) and the public-binding guard are skipped.
func (s *Settings) Check(mode CheckMode) []error {
	if mode == CheckOffline {
		return nil
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !s.Testing {
		switch n := utf8.RuneCountInString(s.JWTSecret); {
		case s.JWTSecret == "":
			add("DECNET_JWT_SECRET is required: set it to a random value of at least 32 characters")
		case isInsecureSecret(s.JWTSecret):
			add("DECNET_JWT_SECRET is a well-known insecure value: set a random value of at least 32 characters")
		case n < 32 && !s.Developer:
			add("DECNET_JWT_SECRET is too short (%d characters, minimum 32)", n)
		}
		switch n := utf8.RuneCountInString(s.AdminPassword); {
		case s.AdminPassword == "":
			add("DECNET_ADMIN_PASSWORD is required")
		case n < 12 && !s.Developer:
			add("DECNET_ADMIN_PASSWORD is too short (%d characters, minimum 12)", n)
		}
	}
	for _, o := range s.CORSOrigins {
		if o == "*" {
			add("DECNET_CORS_ORIGINS must not contain '*': list the allowed origins explicitly")
		}
	}
	if !s.Testing && !isLoopbackHost(s.APIHost) {
		for _, o := range s.CORSOrigins {
			if o == "*" {
				continue
			}
			u, err := url.Parse(o)
			if err != nil || u.Host == "" {
				add("DECNET_CORS_ORIGINS: '%s' is not an origin URL", o)
				continue
			}
			if isLoopbackName(u.Hostname()) {
				add("DECNET_CORS_ORIGINS contains the loopback origin '%s' while DECNET_API_HOST=%s is public: set DECNET_CORS_ORIGINS to the dashboard's real origin", o, s.APIHost)
			}
		}
		if !s.LimiterEnabled {
			slog.Default().Log(context.Background(), LevelCritical,
				"request rate limiting is disabled on a publicly bound API", "DECNET_API_HOST", s.APIHost)
		}
	}
	if s.DBURL == "" && !s.DevStack && s.DBPassword == "" {
		add("DECNET_DB_PASSWORD is required unless DECNET_DB_URL is set or the dev stack is used (DECNET_DEV_STACK=1)")
	}
	return errs
}

func isInsecureSecret(v string) bool {
	v = strings.ToLower(v)
	for _, b := range insecureSecrets {
		if v == b {
			return true
		}
	}
	return false
}

// isLoopbackHost reports whether an API bind host is loopback-only (config.md §9).
func isLoopbackHost(h string) bool { return h == "localhost" || h == "127.0.0.1" || h == "::1" }

// isLoopbackName reports whether an origin's host name is loopback.
func isLoopbackName(h string) bool {
	if strings.EqualFold(h, "localhost") || strings.HasSuffix(strings.ToLower(h), ".localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// Effective returns every setting as [name, value] pairs in table order, with secrets shown as "****" when set
// (and the password of DECNET_DB_URL masked), for `decnetctl config check`.
func (s *Settings) Effective() [][2]string {
	out := make([][2]string, 0, len(settingDefs))
	for _, d := range settingDefs {
		v := d.get(s)
		if d.secret && v != "" && d.name != "DECNET_DB_URL" {
			v = "****"
		}
		out = append(out, [2]string{d.name, v})
	}
	return out
}

// parseEnvFile parses KEY=VALUE lines (# comments, blank lines, optional `export `, optional matching quotes).
func parseEnvFile(text string) (map[string]string, error) {
	out := map[string]string{}
	for i, line := range strings.Split(normaliseNewlines(text), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || t[0] == '#' {
			continue
		}
		t = strings.TrimPrefix(t, "export ")
		k, v, ok := strings.Cut(t, "=")
		k = strings.TrimSpace(k)
		if !ok || !envNameRE.MatchString(k) {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", i+1)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out, nil
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// hostConfigMap maps the keys of the mapped host-config sections to variables (config.md §9.2).
var hostConfigMap = map[string]map[string]string{
	"api": {"host": "DECNET_API_HOST", "port": "DECNET_API_PORT"},
	"web": {"host": "DECNET_WEB_HOST", "port": "DECNET_WEB_PORT", "admin-user": "DECNET_ADMIN_USER",
		"cors-origins": "DECNET_CORS_ORIGINS"},
	"database": {"url": "DECNET_DB_URL", "host": "DECNET_DB_HOST", "port": "DECNET_DB_PORT",
		"name": "DECNET_DB_NAME", "user": "DECNET_DB_USER"},
	"logging":  {"log-dir": "DECNET_LOG_DIR"},
	"ingester": {"batch-size": "DECNET_BATCH_SIZE", "batch-max-wait-ms": "DECNET_BATCH_MAX_WAIT_MS"},
}

// knownSetting reports whether name is a DECNET_* variable of config.md §9.
func knownSetting(name string) bool {
	if strings.HasPrefix(name, "DECNET_PROBE_PORTS_") {
		return true
	}
	for _, d := range settingDefs {
		if d.name == name {
			return true
		}
	}
	return false
}

// stripInlineComment removes a `#` or `;` comment that starts the value or follows whitespace.
func stripInlineComment(v string) string {
	for i := 0; i < len(v); i++ {
		if (v[i] == '#' || v[i] == ';') && (i == 0 || v[i-1] == ' ' || v[i-1] == '\t') {
			return strings.TrimSpace(v[:i])
		}
	}
	return strings.TrimSpace(v)
}

// parseHostConfig parses the host config file (config.md §9.2) into DECNET_* values and warnings.
// Later keys override earlier ones; unknown sections are ignored.
func parseHostConfig(text string) (map[string]string, []string, error) {
	out := map[string]string{}
	var warns []string
	section, inSection := "", false
	for i, line := range strings.Split(normaliseNewlines(text), "\n") {
		n := i + 1
		kind, name := classifyLine(line)
		switch kind {
		case lineBlank, lineComment:
			continue
		case lineHeader:
			section, inSection = strings.ToLower(name), true
			continue
		}
		t := strings.TrimSpace(line)
		sep := strings.IndexAny(t, "=:")
		if sep < 0 {
			return nil, nil, fmt.Errorf("line %d: expected 'key = value'", n)
		}
		if !inSection {
			return nil, nil, fmt.Errorf("line %d: key outside of any section", n)
		}
		key := strings.ToLower(strings.TrimSpace(t[:sep]))
		if key == "" {
			return nil, nil, fmt.Errorf("line %d: empty key", n)
		}
		val := stripInlineComment(t[sep+1:])
		if section == "decnet" {
			name := "DECNET_" + strings.ToUpper(strings.ReplaceAll(key, "-", "_"))
			if !knownSetting(name) {
				warns = append(warns, fmt.Sprintf("line %d: [decnet] %s maps to %s, which is not a known setting", n, key, name))
			}
			out[name] = val
			continue
		}
		m, mapped := hostConfigMap[section]
		if !mapped {
			continue
		}
		v, ok := m[strings.ReplaceAll(key, "_", "-")]
		if !ok {
			warns = append(warns, fmt.Sprintf("line %d: unknown key '%s' in [%s]; ignored", n, key, section))
			continue
		}
		out[v] = val
	}
	return out, warns, nil
}

var durationRE = regexp.MustCompile(`^[1-9][0-9]*[mdMyY]$`)

// ParseDuration parses the duration syntax of config.md §8 (`30m`, `5d`, `1M`, `2y`) into minutes.
func ParseDuration(s string) (minutes int, err error) {
	if !durationRE.MatchString(s) {
		return 0, fmt.Errorf("invalid duration '%s': expected <n>m, <n>d, <n>M or <n>y with n ≥ 1", s)
	}
	unit := map[byte]int{'m': 1, 'd': 1440, 'M': 43200, 'y': 525600, 'Y': 525600}[s[len(s)-1]]
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n > (1<<53)/unit {
		return 0, fmt.Errorf("invalid duration '%s': too large", s)
	}
	return n * unit, nil
}
