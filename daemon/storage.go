package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/devstack"
	"github.com/decnet/decnet/ingest"
	"github.com/decnet/decnet/intel/correlate"
	"github.com/decnet/decnet/intel/profile"
	"github.com/decnet/decnet/runtime"
	"github.com/decnet/decnet/store"
)

// StorageConfig configures OpenStorage.
type StorageConfig struct {
	StateDir string         // the spool lives in <StateDir>/spool, the dev cluster's data is derived from it
	LogDir   string         // forensic log directory ("" = the Settings' DECNET_LOG_DIR)
	DevStack bool           // start or adopt the private PostgreSQL of StateDir instead of DECNET_DB_URL
	Settings *conf.Settings // DB, batching, collector and SIEM settings (nil = resolved from the environment)
	// OpenTimeout bounds how long OpenStorage retries an unreachable external database (default 30 s).
	OpenTimeout time.Duration
	Log         *slog.Logger
}

// Storage is decnetd's event path: the (dev or external) PostgreSQL, the store, the ingest pipeline with its spool
// and forensic log, the event bus, the attacker profiler and the SIEM forwarder.
type Storage struct {
	log   *slog.Logger
	pg    *devstack.Postgres // nil with an external database
	st    *store.Store
	bus   *ingest.Bus
	pipe  *ingest.Pipeline
	prof  *profile.Profiler
	siem  *ingest.Forwarder // nil without DECNET_SIEM_TARGETS
	stop  context.CancelFunc
	wg    sync.WaitGroup
	close sync.Once
}

// SpoolDir is the ingest spool's directory inside the state dir.
func SpoolDir(stateDir string) string { return filepath.Join(stateDir, "spool") }

// OpenStorage brings the event path up: PostgreSQL (dev cluster started or adopted under the state dir, else
// DECNET_DB_URL / DECNET_DB_* with retries), migrations, the pipeline (replaying its spool), the profiler and,
// when DECNET_SIEM_TARGETS is set, the SIEM forwarder.
func OpenStorage(ctx context.Context, cfg StorageConfig) (*Storage, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	s := cfg.Settings
	if s == nil {
		ls, err := conf.LoadSettings(nil, "")
		if err != nil {
			return nil, fmt.Errorf("storage settings: %w", err)
		}
		s = ls
	}
	if cfg.OpenTimeout <= 0 {
		cfg.OpenTimeout = 30 * time.Second
	}
	sg := &Storage{log: log, bus: ingest.NewBus()}
	var url string
	if cfg.DevStack {
		pg, err := devstack.StartPostgres(ctx, cfg.StateDir, devstack.PGOptions{Logger: log})
		if err != nil {
			return nil, fmt.Errorf("dev postgres: %w", err)
		}
		sg.pg, url = pg, pg.URL()
		log.Info("dev postgres ready", "pid", pg.PID(), "adopted", pg.Adopted, "data_dir", pg.DataDir)
	} else {
		if s.DBURL == "" && s.DBPassword == "" {
			return nil, errors.New("database: set DECNET_DB_URL or DECNET_DB_PASSWORD, or run with --dev-stack")
		}
		url = s.DatabaseURL()
	}
	st, err := openStoreRetry(ctx, url, s.DBPoolSize, cfg.OpenTimeout, log)
	if err != nil {
		sg.stopPG()
		return nil, err
	}
	sg.st = st
	sg.prof = profile.NewProfiler(st, log)

	opts := ingest.OptionsFromSettings(s)
	if cfg.LogDir != "" {
		opts.LogDir = cfg.LogDir
	}
	opts.Bus, opts.OnCommit, opts.Logger = sg.bus, sg.prof.Notify, log
	pipe, err := ingest.New(ctx, st, SpoolDir(cfg.StateDir), opts)
	if err != nil {
		st.Close()
		sg.stopPG()
		return nil, fmt.Errorf("ingest pipeline: %w", err)
	}
	sg.pipe = pipe

	bctx, cancel := context.WithCancel(context.Background())
	sg.stop = cancel
	sg.wg.Add(1)
	go func() { defer sg.wg.Done(); sg.prof.Run(bctx) }()

	if v, ok := s.Lookup(ingest.SIEMTargetsEnv); ok && strings.TrimSpace(v) != "" {
		targets, err := ingest.ParseSIEMTargets(v)
		if err != nil {
			log.Error("SIEM forwarding disabled", "err", err)
		} else {
			fo, err := ingest.ForwarderOptionsFromLookup(s.Lookup)
			if err != nil {
				log.Error("SIEM forwarding disabled", "err", err)
			} else {
				fo.Logger = log
				sg.siem = ingest.NewForwarder(targets, fo)
				sg.siem.Attach(sg.bus, 0)
				log.Info("SIEM forwarding", "targets", v)
			}
		}
	}
	return sg, nil
}

// openStoreRetry opens the store, retrying while the database is unreachable for up to timeout.
func openStoreRetry(ctx context.Context, url string, pool int, timeout time.Duration, log *slog.Logger) (*store.Store, error) {
	deadline := time.Now().Add(timeout)
	backoff := 200 * time.Millisecond
	for {
		octx, cancel := context.WithTimeout(ctx, 10*time.Second)
		st, err := store.Open(octx, url, pool)
		cancel()
		if err == nil {
			return st, nil
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return nil, fmt.Errorf("open store: %w", err)
		}
		log.Warn("database not reachable yet; retrying", "err", err, "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return nil, fmt.Errorf("open store: %w", ctx.Err())
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (s *Storage) stopPG() {
	if s.pg == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.pg.Stop(ctx); err != nil {
		s.log.Error("stop dev postgres", "err", err)
	}
}

// Store returns the store.
func (s *Storage) Store() *store.Store { return s.st }

// Bus returns the event bus of committed events.
func (s *Storage) Bus() *ingest.Bus { return s.bus }

// Pipeline returns the ingest pipeline.
func (s *Storage) Pipeline() *ingest.Pipeline { return s.pipe }

// Postgres returns the dev cluster (nil with an external database).
func (s *Storage) Postgres() *devstack.Postgres { return s.pg }

// SIEM returns the SIEM forwarder (nil when none is configured).
func (s *Storage) SIEM() *ingest.Forwarder { return s.siem }

// Close flushes the pipeline (what cannot be committed before ctx ends stays in the spool), stops the profiler
// and the forwarder, closes the store and stops the dev cluster.
func (s *Storage) Close(ctx context.Context) error {
	var err error
	s.close.Do(func() {
		if err = s.pipe.Close(ctx); err != nil {
			s.log.Error("ingest flush", "err", err)
		}
		s.stop()
		s.wg.Wait()
		if s.siem != nil {
			s.siem.Close()
		}
		s.st.Close()
		s.stopPG()
	})
	return err
}

// StreamID returns the ingest stream identity of a runtime line: "ctr:<container id>" for a service's output
// (the container id survives adoption, so the sequence continues across restarts), "host:<app>" for host-side
// emitters (the runtime's service_restarted, the mutator's decky_mutated).
func StreamID(l runtime.Line) string {
	app, msgid := headerAppMsgID(l.Text)
	if l.Container == "" {
		if app == "" || app == "-" {
			app = "daemon"
		}
		return "host:" + app
	}
	if app == "runtime" && msgid == "service_restarted" {
		return "host:runtime"
	}
	return "ctr:" + l.Container
}

// headerAppMsgID returns the APP-NAME and MSGID of an RFC 5424 header ("" when the line is not one).
func headerAppMsgID(text string) (app, msgid string) {
	rest := text
	var f [6]string
	for i := range f {
		rest = strings.TrimLeft(rest, " ")
		j := strings.IndexByte(rest, ' ')
		if j < 0 {
			if i == 5 {
				f[i] = rest
				break
			}
			return "", ""
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	return f[3], f[5]
}

// toIngest adapts a runtime stdout line to the pipeline: decky and service come from the runtime, never from the
// printed HOSTNAME.
func toIngest(l runtime.Line) ingest.Line {
	return ingest.Line{Stream: StreamID(l), Decky: l.Decky, Service: l.Service, Text: l.Text}
}

// Submit hands the lines of one stream read to the pipeline, which spools them before returning (runtime.Sink). stdout lines become events; stderr lines are diagnostics, logged at debug level only.
func (s *Storage) Submit(lines []runtime.Line) {
	batch := make([]ingest.Line, 0, len(lines))
	for _, l := range lines {
		if l.Stream == "stderr" {
			s.log.Debug("decky stderr", "decky", l.Decky, "service", l.Service, "line", l.Text)
			continue
		}
		batch = append(batch, toIngest(l))
	}
	if len(batch) > 0 {
		s.pipe.Submit(batch...)
	}
}

// Respooled returns how many leading lines of a stream's first read after a (re)attach the pipeline already
// spooled (runtime.Sink): the read a killed decnetd submitted but did not consume.
func (s *Storage) Respooled(lines []runtime.Line) int {
	if len(lines) == 0 {
		return 0
	}
	texts := make([]string, len(lines))
	for i, l := range lines {
		texts[i] = l.Text
	}
	return s.pipe.Respooled(StreamID(lines[0]), texts)
}

// consumeBatch is the most lines handed to the pipeline in one Submit.
const consumeBatch = 256

// Consume feeds lines from a channel (the engine's own event lines) to the pipeline until stop is closed, then
// drains what is buffered; the lines buffered at once go in one Submit.
func (s *Storage) Consume(lines <-chan runtime.Line, stop <-chan struct{}) {
	batch := make([]runtime.Line, 0, consumeBatch)
	drain := func() {
		for len(batch) < consumeBatch {
			select {
			case l := <-lines:
				batch = append(batch, l)
			default:
				return
			}
		}
	}
	for {
		select {
		case l := <-lines:
			batch = append(batch[:0], l)
			drain()
			s.Submit(batch)
		case <-stop:
			for {
				batch = batch[:0]
				drain()
				if len(batch) == 0 {
					return
				}
				s.Submit(batch)
			}
		}
	}
}

// Daemon is a running decnetd's handles for the layers built on it (control and TCP APIs).
type Daemon struct {
	eng     *Engine
	storage *Storage
}

// Engine returns the fleet engine.
func (d *Daemon) Engine() *Engine { return d.eng }

// Store returns the store (nil until opened).
func (d *Daemon) Store() *store.Store {
	if d == nil || d.storage == nil {
		return nil
	}
	return d.storage.st
}

// Bus returns the in-process bus of committed events.
func (d *Daemon) Bus() *ingest.Bus {
	if d == nil || d.storage == nil {
		return nil
	}
	return d.storage.bus
}

// Pipeline returns the ingest pipeline.
func (d *Daemon) Pipeline() *ingest.Pipeline {
	if d == nil || d.storage == nil {
		return nil
	}
	return d.storage.pipe
}

// Storage returns the event path.
func (d *Daemon) Storage() *Storage { return d.storage }

// IngestStats are the counters of GET /api/v1/ingest on the control socket.
type IngestStats struct {
	Pipeline    ingest.Stats       `json:"pipeline"`
	SIEM        []ingest.SIEMStats `json:"siem,omitempty"`
	SIEMBusDrop int64              `json:"siem_bus_dropped"`
}

// Stats returns the event path's counters.
func (s *Storage) Stats() IngestStats {
	out := IngestStats{Pipeline: s.pipe.Stats()}
	if s.siem != nil {
		out.SIEM, out.SIEMBusDrop = s.siem.Stats(), s.siem.BusDropped()
	}
	return out
}

// registerControl adds the routes backed by the store to the control socket's router: GET /api/v1/correlate
// (decnetctl correlate without --log-file) and GET /api/v1/ingest (counters, per-stream drops).
func (d *Daemon) registerControl(r *gin.Engine) {
	g := r.Group("/api/v1")
	api.RegisterCorrelate(g, func(ctx context.Context, minDeckies int) (correlate.Report, error) {
		return profile.Correlate(ctx, d.storage.st, minDeckies)
	}, func(lines []string) {
		in := make([]ingest.Line, len(lines))
		for i, l := range lines {
			in[i] = ingest.Line{Stream: "host:correlator", Text: l}
		}
		d.storage.pipe.Submit(in...)
	}, d.storage.log)
	api.RegisterIngestStats(g, func() any { return d.storage.Stats() })
}

// CloseWithin is Close bounded by d (error paths of Run: what is not flushed stays in the spool).
func (s *Storage) CloseWithin(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Close(ctx)
}
