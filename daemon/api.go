package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/webui"
)

// Version is decnetd's version string (reported by the API's export metadata and OpenAPI document).
var Version = "0.1.0"

// APIHandle is the running TCP API.
type APIHandle struct {
	Server *api.Server
	Addr   net.Addr // the TCP listener's address
	srv    *http.Server
	errc   chan error
}

// Stop shuts the TCP listener down.
func (h *APIHandle) Stop(ctx context.Context) error {
	if h == nil || h.srv == nil {
		return nil
	}
	return h.srv.Shutdown(ctx)
}

// Err reports the listener's terminal error.
func (h *APIHandle) Err() <-chan error { return h.errc }

// decoySubnet returns the active deployment's LAN prefix (invalid when there is none).
func (d *Daemon) decoySubnet() netip.Prefix {
	if d == nil || d.eng == nil {
		return netip.Prefix{}
	}
	return d.eng.snapshot().Plan.Subnet
}

// CheckAPIBind refuses an API bind address inside the decoy LAN (the deckies' subnet).
func CheckAPIBind(host string, decoy netip.Prefix) error {
	a, err := netip.ParseAddr(host)
	if err != nil || !decoy.IsValid() {
		return nil
	}
	if decoy.Contains(a.Unmap()) {
		return fmt.Errorf("DECNET_API_HOST=%s is inside the decoy LAN %s: the API must never listen on a decoy address", host, decoy)
	}
	return nil
}

// decoyFilter drops accepted connections whose local address lies in the decoy LAN (a wildcard bind never
// answers on a decoy address).
type decoyFilter struct {
	net.Listener
	decoy func() netip.Prefix
	log   *slog.Logger
}

func (l decoyFilter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		p := l.decoy()
		if ta, ok := c.LocalAddr().(*net.TCPAddr); ok && p.IsValid() {
			if a, ok := netip.AddrFromSlice(ta.IP); ok && p.Contains(a.Unmap()) {
				l.log.Warn("API connection on a decoy address refused", "local", c.LocalAddr(), "remote", c.RemoteAddr())
				c.Close()
				continue
			}
		}
		return c, nil
	}
}

// StartAPI builds the v1 API over the daemon's store, event bus and engine, bootstraps the admin account,
// mounts the v1 routes on the control router (root on the socket acts as admin) and serves the TCP listener
// on DECNET_API_HOST:DECNET_API_PORT.
func (d *Daemon) StartAPI(ctx context.Context, s *conf.Settings, control *gin.Engine, containerdPing func(context.Context) error, log *slog.Logger) (*APIHandle, error) {
	if log == nil {
		log = slog.Default()
	}
	st := d.Store()
	if st == nil {
		return nil, errors.New("api: no store")
	}
	secret := s.JWTSecret
	if secret == "" {
		if !s.Testing {
			return nil, errors.New("DECNET_JWT_SECRET is required")
		}
		var b [32]byte
		rand.Read(b[:])
		secret = hex.EncodeToString(b[:])
		log.Warn("DECNET_TESTING: using a random JWT secret for this run")
	}
	if s.AdminPassword != "" {
		if err := api.Bootstrap(ctx, st, s.AdminUser, s.AdminPassword); err != nil {
			return nil, err
		}
	} else {
		log.Warn("DECNET_ADMIN_PASSWORD is not set: no admin bootstrap")
	}
	if err := st.FailStaleLifecycles(ctx); err != nil {
		log.Warn("lifecycle cleanup", "err", err)
	}
	if err := CheckAPIBind(s.APIHost, d.decoySubnet()); err != nil {
		return nil, err
	}
	m := api.NewMetrics()
	m.Sources = append(m.Sources, d.metricSamples)
	var ui http.Handler
	if webui.Built() {
		ui = webui.Handler()
	}
	o := api.Options{Users: st, Data: st, Fleet: d.eng, Containerd: containerdPing, Workers: d.workers,
		JWTSecret: secret, JWTExp: time.Duration(s.JWTExpMinutes) * time.Minute, CORSOrigins: s.CORSOrigins,
		LimiterEnabled: s.LimiterEnabled, SSEMaxPerUser: s.SSEMaxPerUser, Developer: s.Developer, Version: Version,
		UI: ui, Metrics: m, Log: log}
	if b := d.Bus(); b != nil {
		o.Notifier = api.BusNotifier{Bus: b}
	}
	if d.eng != nil {
		o.DefaultMutationInterval = strconv.Itoa(int(d.eng.cfg.MutateInterval/time.Minute)) + "m"
	}
	srv, err := api.NewServer(o)
	if err != nil {
		return nil, err
	}
	if control != nil {
		srv.MountControl(control)
	}
	addr := net.JoinHostPort(s.APIHost, strconv.Itoa(s.APIPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("API listen on %s: %w", addr, err)
	}
	h := &APIHandle{Server: srv, Addr: ln.Addr(), errc: make(chan error, 1),
		srv: &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		err := h.srv.Serve(decoyFilter{Listener: ln, decoy: d.decoySubnet, log: log})
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		h.errc <- err
	}()
	log.Info("API serving", "addr", ln.Addr().String(), "dashboard", ui != nil)
	return h, nil
}

// workers reports the event path's workers for GET /health.
func (d *Daemon) workers() map[string]api.ComponentStatus {
	out := map[string]api.ComponentStatus{}
	if d.storage == nil {
		return out
	}
	if p := d.storage.pipe; p != nil {
		if p.Stats().DBUp {
			out["ingestion_worker"] = api.ComponentStatus{Status: "ok"}
		} else {
			out["ingestion_worker"] = api.ComponentStatus{Status: "failing", Detail: "database unreachable; events are spooled"}
		}
		out["collector_worker"] = api.ComponentStatus{Status: "ok"}
	}
	if d.storage.prof != nil {
		out["attacker_worker"] = api.ComponentStatus{Status: "ok"}
	}
	return out
}

// metricSamples exports the ingest counters.
func (d *Daemon) metricSamples(context.Context) []api.Sample {
	if d.storage == nil || d.storage.pipe == nil {
		return nil
	}
	st := d.storage.pipe.Stats()
	c := func(name, help string, v int64, labels map[string]string) api.Sample {
		return api.Sample{Name: name, Help: help, Type: "counter", Value: float64(v), Labels: labels}
	}
	out := []api.Sample{
		c("decnet_events_received_total", "Lines submitted to the ingest pipeline.", st.Received, nil),
		c("decnet_events_ingested_total", "Events committed to the database.", st.Committed, nil),
		c("decnet_events_dropped_total", "Events dropped, by reason.", st.AdmissionDropped, map[string]string{"reason": "admission"}),
		c("decnet_events_dropped_total", "Events dropped, by reason.", st.SpoolDropped, map[string]string{"reason": "spool"}),
		c("decnet_events_dropped_total", "Events dropped, by reason.", st.Rejected, map[string]string{"reason": "rejected"}),
		c("decnet_events_unparseable_total", "Lines kept only in the forensic log.", st.Unparseable, nil),
		c("decnet_ingest_commit_errors_total", "Failed batch commits.", st.CommitErrors, nil),
		{Name: "decnet_ingest_queue_depth", Help: "Events spooled and not yet committed.", Type: "gauge", Value: float64(st.Backlog)},
		{Name: "decnet_ingest_spool_bytes", Help: "Bytes in the ingest spool.", Type: "gauge", Value: float64(st.SpoolBytes)},
	}
	return out
}

// startTCPAPI resolves the settings (cfg.Settings, else the environment) and starts the TCP API with a
// containerd liveness ping.
func (d *Daemon) startTCPAPI(ctx context.Context, cfg Config, control *gin.Engine, ping func(context.Context) (bool, error), log *slog.Logger) (*APIHandle, error) {
	s := cfg.Settings
	if s == nil {
		ls, err := conf.LoadSettings(nil, "")
		if err != nil {
			return nil, fmt.Errorf("api settings: %w", err)
		}
		s = ls
	}
	return d.StartAPI(ctx, s, control, func(ctx context.Context) error {
		ok, err := ping(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("containerd is not serving")
		}
		return nil
	}, log)
}
