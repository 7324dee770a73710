package conf

import (
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// envMap returns an env lookup over m; DECNET_CONFIG points to a non-existent file unless m sets it.
func envMap(t *testing.T, m map[string]string) func(string) (string, bool) {
	t.Helper()
	if _, ok := m["DECNET_CONFIG"]; !ok {
		m["DECNET_CONFIG"] = filepath.Join(t.TempDir(), "absent.ini")
	}
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadSettingsDefaults(t *testing.T) {
	s, err := LoadSettings(envMap(t, map[string]string{}), "")
	if err != nil {
		t.Fatal(err)
	}
	if s.APIHost != "127.0.0.1" || s.APIPort != 8000 || s.WebHost != "127.0.0.1" || s.WebPort != 8080 ||
		!reflect.DeepEqual(s.CORSOrigins, []string{"http://localhost:8080"}) || s.JWTExpMinutes != 240 ||
		s.AdminUser != "admin" || s.Developer || s.Testing || !s.LimiterEnabled || s.SSEMaxPerUser != 5 ||
		s.DBHost != "localhost" || s.DBPort != 5432 || s.DBName != "decnet" || s.DBUser != "decnet" || s.DBPoolSize != 20 ||
		s.LogDir != "/var/log/decnet" || s.BatchSize != 1000 || s.BatchMaxWaitMS != 100 || len(s.CollectorDropApps) != 10 ||
		!reflect.DeepEqual(s.CollectorRLEventTypes, []string{"connect", "disconnect", "connection", "accept", "close"}) ||
		s.CollectorRLWindowSec != 1.0 || s.CollectorReconcileSecs != 30 || len(s.TrustedProxies) != 0 ||
		s.StateDir != "/var/lib/decnet" || s.ArtifactsRoot != "/var/lib/decnet/artifacts" || s.DevStack || s.SnifferIface != "" {
		t.Fatalf("defaults: %+v", s)
	}
}

func TestLoadSettingsCORSDefault(t *testing.T) {
	tests := []struct{ host, port, want string }{
		{"0.0.0.0", "3000", "http://localhost:3000"},
		{"::", "8080", "http://localhost:8080"},
		{"10.1.2.3", "8080", "http://10.1.2.3:8080"},
		{"fd00::5", "8080", "http://[fd00::5]:8080"},
		{"ui.example", "443", "http://ui.example:443"},
	}
	for _, tt := range tests {
		s, err := LoadSettings(envMap(t, map[string]string{"DECNET_WEB_HOST": tt.host, "DECNET_WEB_PORT": tt.port}), "")
		if err != nil || !reflect.DeepEqual(s.CORSOrigins, []string{tt.want}) {
			t.Fatalf("%s:%s → %v, %v", tt.host, tt.port, s.CORSOrigins, err)
		}
	}
}

func TestLoadSettingsPrecedence(t *testing.T) {
	host := writeFile(t, "decnet.ini", `
# host config
[decnet]
jwt-secret = from-host   ; inline comment
developer = yes
admin_password = host-pass # another
probe-ports-http = 80, 8080
typo-key = 1
[api]
host = 0.0.0.0
port = 9000
[web]
cors-origins = https://a.example, https://b.example
admin-user = root
colour = blue
[database]
host = db.internal
user = decnet_rw
[logging]
log-dir = /srv/log
[ingester]
batch-size = 500
batch_max_wait_ms = 50
[unknown]
anything = goes
`)
	envFile := writeFile(t, "decnet.env", "# env file\n\nDECNET_API_PORT=9100\nexport DECNET_DB_NAME=\"quoted\"\nDECNET_LOG_DIR='/env/log'\nDECNET_CONFIG="+host+"\n")
	s, err := LoadSettings(envMap(t, map[string]string{"DECNET_CONFIG": "", "DECNET_LOG_DIR": "/real/log", "DECNET_DB_HOST": ""}), envFile)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct{ name, got, want string }{
		{"config from env file", s.Config, host},
		{"api host from host file", s.APIHost, "0.0.0.0"},
		{"api port env file over host", strconv.Itoa(s.APIPort), "9100"},
		{"log dir env over env file", s.LogDir, "/real/log"},
		{"db name quoted", s.DBName, "quoted"},
		{"empty env falls through", s.DBHost, "db.internal"},
		{"db user", s.DBUser, "decnet_rw"},
		{"jwt inline comment", s.JWTSecret, "from-host"},
		{"admin password [decnet] underscore", s.AdminPassword, "host-pass"},
		{"admin user", s.AdminUser, "root"},
		{"cors", strings.Join(s.CORSOrigins, "|"), "https://a.example|https://b.example"},
		{"batch", strconv.Itoa(s.BatchSize) + "/" + strconv.Itoa(s.BatchMaxWaitMS), "500/50"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q want %q", c.name, c.got, c.want)
		}
	}
	if !s.Developer {
		t.Error("developer from [decnet]")
	}
	if ports, ok, err := s.ProbePorts("http"); err != nil || !ok || !reflect.DeepEqual(ports, []int{80, 8080}) {
		t.Errorf("probe ports %v %v %v", ports, ok, err)
	}
	if _, ok, _ := s.ProbePorts("smb"); ok {
		t.Error("unset probe ports reported set")
	}
	if len(s.Warnings) != 2 || !strings.Contains(s.Warnings[0], "DECNET_TYPO_KEY") || !strings.Contains(s.Warnings[1], "unknown key 'colour' in [web]") {
		t.Errorf("warnings %q", s.Warnings)
	}
}

func TestLoadSettingsErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"DECNET_API_PORT": "http"}, "DECNET_API_PORT: expected an integer, got 'http'"},
		{map[string]string{"DECNET_API_PORT": "70000"}, "DECNET_API_PORT: must be between 1 and 65535, got 70000"},
		{map[string]string{"DECNET_DEVELOPER": "maybe"}, "DECNET_DEVELOPER: expected a boolean"},
		{map[string]string{"DECNET_TRUSTED_PROXIES": "10.0.0.0/8, nope"}, "DECNET_TRUSTED_PROXIES: 'nope' is not an IP address or CIDR"},
		{map[string]string{"DECNET_DB_URL": "mysql://x"}, "DECNET_DB_URL: expected a postgres:// URL"},
		{map[string]string{"DECNET_COLLECTOR_RL_WINDOW_SEC": "NaN"}, "DECNET_COLLECTOR_RL_WINDOW_SEC: expected a number"},
	}
	for _, tt := range tests {
		_, err := LoadSettings(envMap(t, tt.env), "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.env, err, tt.want)
		}
	}
	if _, err := LoadSettings(envMap(t, map[string]string{}), filepath.Join(t.TempDir(), "missing.env")); err == nil {
		t.Error("missing --env-file accepted")
	}
	bad := writeFile(t, "bad.env", "DECNET_API_PORT=1\nthis is not a pair\n")
	if _, err := LoadSettings(envMap(t, map[string]string{}), bad); err == nil || !strings.Contains(err.Error(), "line 2: expected KEY=VALUE") {
		t.Errorf("bad env file: %v", err)
	}
	badHost := writeFile(t, "bad.ini", "orphan = 1\n")
	if _, err := LoadSettings(envMap(t, map[string]string{"DECNET_CONFIG": badHost}), ""); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad host config: %v", err)
	}
}

func TestLoadSettingsTrustedProxies(t *testing.T) {
	s, err := LoadSettings(envMap(t, map[string]string{"DECNET_TRUSTED_PROXIES": "10.0.0.7/8, 192.0.2.1, ::1"}), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"), netip.MustParsePrefix("::1/128")}
	if !reflect.DeepEqual(s.TrustedProxies, want) {
		t.Fatalf("%v", s.TrustedProxies)
	}
}

func errStrings(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func TestSettingsCheck(t *testing.T) {
	good := map[string]string{
		"DECNET_JWT_SECRET":     strings.Repeat("k", 32),
		"DECNET_ADMIN_PASSWORD": "correct-horse",
		"DECNET_DB_PASSWORD":    "pw",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want []string // substrings, one per expected error, in order
	}{
		{"all good", with(), nil},
		{"jwt unset", with("DECNET_JWT_SECRET", ""), []string{"DECNET_JWT_SECRET is required"}},
		{"jwt known bad", with("DECNET_JWT_SECRET", "ChangeMe"), []string{"DECNET_JWT_SECRET is a well-known insecure value"}},
		{"jwt known bad developer", with("DECNET_JWT_SECRET", "fallback-secret-key-change-me", "DECNET_DEVELOPER", "true"),
			[]string{"DECNET_JWT_SECRET is a well-known insecure value"}},
		{"jwt short", with("DECNET_JWT_SECRET", strings.Repeat("k", 31)), []string{"DECNET_JWT_SECRET is too short (31 characters, minimum 32)"}},
		{"jwt short developer", with("DECNET_JWT_SECRET", "short", "DECNET_DEVELOPER", "1", "DECNET_ADMIN_PASSWORD", "pw"), nil},
		{"admin unset", with("DECNET_ADMIN_PASSWORD", ""), []string{"DECNET_ADMIN_PASSWORD is required"}},
		{"admin short", with("DECNET_ADMIN_PASSWORD", "elevenchars"), []string{"DECNET_ADMIN_PASSWORD is too short (11 characters, minimum 12)"}},
		{"testing skips secrets", with("DECNET_JWT_SECRET", "", "DECNET_ADMIN_PASSWORD", "", "DECNET_TESTING", "1"), nil},
		{"cors star", with("DECNET_CORS_ORIGINS", "https://a, *"), []string{"DECNET_CORS_ORIGINS must not contain '*'"}},
		{"cors star even testing", with("DECNET_CORS_ORIGINS", "*", "DECNET_TESTING", "1"), []string{"must not contain '*'"}},
		{"public with loopback origin", with("DECNET_API_HOST", "0.0.0.0"),
			[]string{"DECNET_CORS_ORIGINS contains the loopback origin 'http://localhost:8080' while DECNET_API_HOST=0.0.0.0 is public"}},
		{"public with 127 origin", with("DECNET_API_HOST", "10.0.0.2", "DECNET_CORS_ORIGINS", "https://ops.example,http://127.0.0.1:3000"),
			[]string{"loopback origin 'http://127.0.0.1:3000'"}},
		{"public with real origin", with("DECNET_API_HOST", "0.0.0.0", "DECNET_CORS_ORIGINS", "https://ops.example"), nil},
		{"public skipped when testing", with("DECNET_API_HOST", "0.0.0.0", "DECNET_TESTING", "1"), nil},
		{"loopback api ::1", with("DECNET_API_HOST", "::1"), nil},
		{"db password missing", with("DECNET_DB_PASSWORD", ""), []string{"DECNET_DB_PASSWORD is required unless DECNET_DB_URL is set or the dev stack is used"}},
		{"db url instead", with("DECNET_DB_PASSWORD", "", "DECNET_DB_URL", "postgres://u:p@h/db"), nil},
		{"dev stack instead", with("DECNET_DB_PASSWORD", "", "DECNET_DEV_STACK", "1"), nil},
		{"several", with("DECNET_JWT_SECRET", "admin", "DECNET_ADMIN_PASSWORD", "x", "DECNET_DB_PASSWORD", ""),
			[]string{"DECNET_JWT_SECRET", "DECNET_ADMIN_PASSWORD", "DECNET_DB_PASSWORD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LoadSettings(envMap(t, tt.env), "")
			if err != nil {
				t.Fatal(err)
			}
			if errs := s.Check(CheckOffline); errs != nil {
				t.Fatalf("offline check reported %v", errs)
			}
			got := errStrings(s.Check(CheckDaemon))
			if len(got) != len(tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Fatalf("error %d: %q does not contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestSettingsEffective(t *testing.T) {
	s, err := LoadSettings(envMap(t, map[string]string{
		"DECNET_JWT_SECRET": "super-secret-value-super-secret-value", "DECNET_DB_URL": "postgres://app:hunter2@db:5432/decnet?sslmode=disable",
	}), "")
	if err != nil {
		t.Fatal(err)
	}
	eff := s.Effective()
	got := map[string]string{}
	for _, kv := range eff {
		got[kv[0]] = kv[1]
	}
	if len(got) != len(eff) || len(eff) != len(settingDefs) {
		t.Fatalf("names not unique or missing: %d %d", len(got), len(eff))
	}
	for _, want := range []string{"DECNET_CONFIG", "DECNET_API_HOST", "DECNET_CORS_ORIGINS", "DECNET_JWT_SECRET", "DECNET_DB_PASSWORD",
		"DECNET_COLLECTOR_RECONCILE_S", "DECNET_TRUSTED_PROXIES", "DECNET_SNIFFER_IFACE", "DECNET_DEV_STACK", "DECNET_DB_POOL_SIZE"} {
		if _, ok := got[want]; !ok {
			t.Errorf("missing %s", want)
		}
	}
	if got["DECNET_JWT_SECRET"] != "****" || got["DECNET_ADMIN_PASSWORD"] != "" {
		t.Errorf("secrets: %q %q", got["DECNET_JWT_SECRET"], got["DECNET_ADMIN_PASSWORD"])
	}
	if got["DECNET_DB_URL"] != "postgres://app:****@db:5432/decnet?sslmode=disable" {
		t.Errorf("db url %q", got["DECNET_DB_URL"])
	}
	for _, kv := range eff {
		if strings.Contains(kv[1], "hunter2") || strings.Contains(kv[1], "super-secret") {
			t.Errorf("secret leaked in %s", kv[0])
		}
	}
	if got["DECNET_API_PORT"] != "8000" || got["DECNET_LIMITER_ENABLED"] != "true" {
		t.Errorf("values %q %q", got["DECNET_API_PORT"], got["DECNET_LIMITER_ENABLED"])
	}
	if eff[0][0] != "DECNET_CONFIG" || eff[len(eff)-1][0] != "DECNET_SNIFFER_IFACE" {
		t.Errorf("first %v", eff[0])
	}
}

func TestSettingsDatabaseURL(t *testing.T) {
	s, err := LoadSettings(envMap(t, map[string]string{"DECNET_DB_PASSWORD": "p@ss:w/rd", "DECNET_DB_HOST": "db"}), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.DatabaseURL(); got != "postgres://decnet:p%40ss%3Aw%2Frd@db:5432/decnet" {
		t.Fatalf("url %q", got)
	}
	s.DBURL = "postgres://x@y/z"
	if s.DatabaseURL() != "postgres://x@y/z" {
		t.Fatal("DB URL must win")
	}
}

func TestParseDuration(t *testing.T) {
	ok := map[string]int{"30m": 30, "5d": 7200, "1M": 43200, "2y": 1051200, "1Y": 525600, "1m": 1}
	for in, want := range ok {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("%q → %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0m", "5s", "10h", "m", "-1d", " 5m", "5m ", "", "05m", "99999999999999999999y", "9007199254740993m"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30m", "5d", "1M", "2y", "0m", "99999999999999999999y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseDuration(s)
		if err == nil && n < 1 {
			t.Fatalf("%q → %d", s, n)
		}
	})
}

func FuzzParseHostConfig(f *testing.F) {
	for _, s := range []string{"[decnet]\njwt-secret=x ; c\n", "[api]\nport=1\n[web]\nbad=1\n", "x=1", "[a\n", "[database]\n:\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, _, err := parseHostConfig(s)
		if err != nil {
			return
		}
		for k := range m {
			if !strings.HasPrefix(k, "DECNET_") {
				t.Fatalf("non-DECNET key %q", k)
			}
		}
	})
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n# c\nexport B='2'\n", "C=\"x\n", "=1", "bad line"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseEnvFile(s)
		if err != nil {
			return
		}
		for k := range m {
			if !envNameRE.MatchString(k) {
				t.Fatalf("bad key %q", k)
			}
		}
	})
}
