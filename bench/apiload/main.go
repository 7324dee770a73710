// Command apiload measures the REST API under load: it fills a PostgreSQL database with N log rows (a
// throwaway dev cluster unless -db is given), serves the real v1 API over that store on loopback and runs
// C concurrent clients against GET /api/v1/logs (with searches) and GET /api/v1/stats, reporting req/s and
// latency percentiles per scenario.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/store"
	"github.com/decnet/decnet/store/storetest"
	"github.com/jackc/pgx/v5"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "log rows to load")
	clients := flag.Int("clients", 200, "concurrent clients")
	dur := flag.Duration("duration", 15*time.Second, "duration of each scenario")
	dbURL := flag.String("db", "", "PostgreSQL URL (default: a throwaway dev cluster)")
	pool := flag.Int("pool", 20, "database pool size (DECNET_DB_POOL_SIZE)")
	scen := flag.String("scenarios", "", "comma list of scenario names to run (default: all)")
	vacuum := flag.Bool("vacuum", true, "VACUUM the loaded table (false: only ANALYZE, the state right after a bulk load)")
	flag.Parse()
	if err := run(*rows, *clients, *dur, *dbURL, *pool, *scen, *vacuum); err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

var (
	deckies  = []string{"decky-01", "decky-02", "decky-03", "decky-04", "decky-05", "decky-06", "decky-07", "decky-08", "decky-09", "decky-10"}
	services = []string{"ssh", "http", "smb", "rdp", "ftp", "telnet", "mysql", "redis"}
	events   = []string{"connect", "auth_attempt", "command", "request", "disconnect"}
	commands = []string{"whoami", "id", "uname -a", "ls", "cat /etc/passwd", "wget http://x/y.sh", "ps aux", "nproc"}
	users    = []string{"root", "admin", "ubuntu", "test", "oracle", "pi"}
)

func run(n, clients int, dur time.Duration, dbURL string, poolSize int, only string, vacuum bool) error {
	ctx := context.Background()
	if dbURL == "" {
		c, err := storetest.Start(ctx)
		if err != nil {
			return err
		}
		defer c.Close()
		dbURL = c.PG().URL()
	}
	st, err := store.Open(ctx, dbURL, poolSize)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := load(ctx, st, n, vacuum); err != nil {
		return err
	}
	u, err := st.CreateUser(ctx, fmt.Sprintf("bench-%d", time.Now().UnixNano()), "x", "viewer", false)
	if err != nil {
		return err
	}
	srv, err := api.NewServer(api.Options{Users: st, Data: st, JWTSecret: "apiload-secret-apiload-secret-apiload",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	tok, err := srv.Tokens().Mint(u.UUID)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(ln)
	defer hs.Close()
	base := "http://" + ln.Addr().String()
	scenarios := []struct {
		name string
		path func(r *rand.Rand) string
	}{
		{"logs (no search)", func(*rand.Rand) string { return "/api/v1/logs" }},
		{"logs search field cmd:X", func(r *rand.Rand) string {
			return "/api/v1/logs?search=" + url.QueryEscape("cmd:"+quote(commands[r.Intn(len(commands))]))
		}},
		{"logs search decky:X service:Y", func(r *rand.Rand) string {
			return "/api/v1/logs?search=" + url.QueryEscape("decky:"+deckies[r.Intn(len(deckies))]+" service:"+services[r.Intn(len(services))])
		}},
		{"logs search attacker:IP", func(r *rand.Rand) string {
			return "/api/v1/logs?search=" + url.QueryEscape("attacker:"+attackerIP(r.Intn(5000)).String())
		}},
		{"stats", func(*rand.Rand) string { return "/api/v1/stats" }},
	}
	fmt.Printf("rows=%d clients=%d duration=%s pool=%d vacuum=%v\n", n, clients, dur, poolSize, vacuum)
	fmt.Printf("%-34s %10s %10s %10s %10s %8s\n", "scenario", "req/s", "p50 ms", "p99 ms", "max ms", "errors")
	for _, sc := range scenarios {
		if only != "" && !strings.Contains(","+only+",", ","+sc.name+",") {
			continue
		}
		res := hammer(base, tok, clients, dur, sc.path)
		fmt.Printf("%-34s %10.0f %10.1f %10.1f %10.1f %8d\n", sc.name, res.rps, res.p50, res.p99, res.max, res.errors)
	}
	return nil
}

func quote(s string) string {
	if strings.ContainsAny(s, " \t") {
		return `"` + s + `"`
	}
	return s
}

func attackerIP(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(45 + i%50), byte(i / 50 % 256), byte(i * 7 % 256), byte(1 + i%250)})
}

// load inserts rows with COPY (skipped when the table already holds at least n rows), then analyses the table
// and, with vacuum, marks its pages all-visible.
func load(ctx context.Context, st *store.Store, n int, vacuum bool) error {
	have, err := st.CountLogs(ctx)
	if err != nil {
		return err
	}
	if have >= int64(n) {
		fmt.Printf("logs already holds %d rows\n", have)
		return nil
	}
	start := time.Now()
	r := rand.New(rand.NewSource(1))
	now := time.Now().UTC()
	i := int(have)
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i >= n {
			return nil, nil
		}
		i++
		d, s, ev := deckies[r.Intn(len(deckies))], services[r.Intn(len(services))], events[r.Intn(len(events))]
		ip := attackerIP(r.Intn(5000))
		ts := now.Add(-time.Duration(r.Int63n(int64(30 * 24 * time.Hour))))
		fields := fmt.Sprintf(`{"src_ip":%q,"user":%q}`, ip, users[r.Intn(len(users))])
		if ev == "command" {
			fields = fmt.Sprintf(`{"src_ip":%q,"cmd":%q}`, ip, commands[r.Intn(len(commands))])
		}
		raw := fmt.Sprintf("<134>1 %s %s %s - %s [relay@55555 src_ip=\"%s\"] event %d", ts.Format(time.RFC3339), d, s, ev, ip, i)
		return []any{ts, d, s, ev, ip, raw, []byte(fields), ""}, nil
	})
	cols := []string{"timestamp", "decky", "service", "event_type", "attacker_ip", "raw_line", "fields", "msg"}
	if _, err := st.Pool().CopyFrom(ctx, pgx.Identifier{"logs"}, cols, src); err != nil {
		return fmt.Errorf("copy logs: %w", err)
	}
	analyze := "VACUUM ANALYZE logs" // the state autovacuum leaves a table of that age in
	if !vacuum {
		analyze = "ANALYZE logs" // worst case: nothing marked all-visible, index-only counts read the heap
	}
	if _, err := st.Pool().Exec(ctx, analyze); err != nil {
		return fmt.Errorf("%s: %w", analyze, err)
	}
	fmt.Printf("loaded %d rows in %s\n", n-int(have), time.Since(start).Round(time.Millisecond))
	return nil
}

type result struct {
	rps, p50, p99, max float64
	errors             int64
}

// hammer runs clients goroutines for dur, each sending requests back to back.
func hammer(base, tok string, clients int, dur time.Duration, path func(*rand.Rand) string) result {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	hc := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()
	var errs atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(seed int64) {
			defer wg.Done()
			r := rand.New(rand.NewSource(seed))
			var mine []time.Duration
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", base+path(r), nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				res, err := hc.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					errs.Add(1)
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}(int64(c))
	}
	wg.Wait()
	el := time.Since(start)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
	}
	return result{rps: float64(len(lat)) / el.Seconds(), p50: pct(0.50), p99: pct(0.99), max: pct(1), errors: errs.Load()}
}
