package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/cni"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/devstack"
	"github.com/decnet/decnet/images"
	"github.com/decnet/decnet/runtime"
	"github.com/decnet/decnet/services"
)

// Config is decnetd's configuration (flags and DECNET_* settings resolved by cmd/decnetd).
type Config struct {
	StateDir          string // all state: fleet.json, instance id, FIFOs, CNI cache, artifacts, dev containerd
	LogDir            string // forensic log directory (decnet.log)
	ArtifactsRoot     string // default <StateDir>/artifacts
	ContainerdAddress string // containerd socket when not using the dev stack
	AddressExplicit   bool   // ContainerdAddress was given by flag or environment
	DevStack          bool   // start/adopt and supervise a private containerd under <StateDir>/containerd
	TeardownOnExit    bool   // tear every decky down (and stop the dev containerd) on shutdown
	DeckyBinary       string // decky binary path ("" = embedded, else next to the executable)
	ControlSocket     string // control socket path (api.ControlSocketPath())
	Namespace         string // containerd namespace (default "decnet")
	NetnsPrefix       string // decky netns name prefix (default "decnet-")
	MutateTick        time.Duration
	MutateInterval    time.Duration // fleet default mutation interval
	Log               *slog.Logger
	// Settings are the resolved DECNET_* settings (database, batching, collector, SIEM); nil = from the environment.
	Settings *conf.Settings
	// Ready, when set, is called once the control socket serves.
	Ready func()
}

// DevContainerdDir is the dev containerd's directory inside the state dir.
func DevContainerdDir(stateDir string) string { return filepath.Join(stateDir, "containerd") }

// instanceID returns the instance id stored in the state dir, creating it on first start.
func instanceID(stateDir string) (string, error) {
	p := filepath.Join(stateDir, "instance-id")
	if b, err := os.ReadFile(p); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	var b [16]byte
	rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	if err := os.WriteFile(p, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write instance id: %w", err)
	}
	return id, nil
}

// Run runs decnetd until ctx ends: containerd (dev stack or given), the decky image, the runtime with
// adoption and reconcile, the forensic log sink, the mutator and the control API. On return deckies keep
// running unless cfg.TeardownOnExit.
func Run(ctx context.Context, cfg Config) error {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.Namespace == "" {
		cfg.Namespace = images.Namespace
	}
	if cfg.NetnsPrefix == "" {
		cfg.NetnsPrefix = "decnet-"
	}
	if cfg.ArtifactsRoot == "" {
		cfg.ArtifactsRoot = filepath.Join(cfg.StateDir, "artifacts")
	}
	if cfg.MutateTick <= 0 {
		cfg.MutateTick = 30 * time.Second
	}
	if cfg.ControlSocket == "" {
		cfg.ControlSocket = api.ControlSocketPath()
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("state dir: %w", err)
	}
	iid, err := instanceID(cfg.StateDir)
	if err != nil {
		return err
	}
	bin, err := DeckyBinary(cfg.DeckyBinary)
	if err != nil {
		return err
	}

	// containerd.
	addr := cfg.ContainerdAddress
	var dev *devstack.Containerd
	if cfg.DevStack && !(cfg.AddressExplicit && devstack.ProbeSocket(addr)) {
		dev = devstack.NewContainerd(DevContainerdDir(cfg.StateDir), log)
		if _, err := dev.Start(ctx); err != nil {
			return err
		}
		addr = dev.Socket()
		go dev.Supervise(ctx, time.Second)
	}
	cl, err := client.New(addr, client.WithDefaultNamespace(cfg.Namespace), client.WithTimeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("connect to containerd at %s: %w", addr, err)
	}
	defer cl.Close()
	nctx := namespaces.WithNamespace(ctx, cfg.Namespace)
	ref, imported, err := images.EnsureDecky(nctx, cl, bin, "")
	if err != nil {
		return fmt.Errorf("decky image: %w", err)
	}
	log.Info("decky image ready", "ref", ref, "imported", imported)

	// Output path: runtime lines and the host emitters' events → ingest pipeline (forensic log, spool, store).
	storage, err := OpenStorage(ctx, StorageConfig{StateDir: cfg.StateDir, LogDir: cfg.LogDir, DevStack: cfg.DevStack,
		Settings: cfg.Settings, Log: log})
	if err != nil {
		return err
	}
	// Container lines are spooled by their FIFO reader before it consumes them (runtime.WithSink): a kill -9
	// loses none, and the re-read after a restart is skipped. The engine's own lines go through a small channel.
	lines := make(chan runtime.Line, 16)
	consumerDone := make(chan struct{})
	stopConsumer := make(chan struct{})
	go func() {
		defer close(consumerDone)
		storage.Consume(lines, stopConsumer)
	}()

	factory := func(parent string, ipvlan bool) (runtime.Interface, error) {
		mode := cni.MacVLAN
		if ipvlan {
			mode = cni.IPVLAN
		}
		return runtime.New(cl, runtime.WithNamespace(cfg.Namespace), runtime.WithStateDir(cfg.StateDir),
			runtime.WithArtifactsRoot(cfg.ArtifactsRoot), runtime.WithImage(ref), runtime.WithParent(parent),
			runtime.WithMode(mode), runtime.WithNetnsPrefix(cfg.NetnsPrefix), runtime.WithInstanceID(iid),
			runtime.WithSink(storage), runtime.WithLogger(log))
	}
	eng, err := NewEngine(EngineConfig{StateDir: cfg.StateDir, Drawable: services.Names(), NewRuntime: factory,
		Inspector: ContainerdInspector{Client: cl, Namespace: cfg.Namespace}, Out: lines, InstanceID: iid,
		MutateInterval: cfg.MutateInterval, Log: log})
	if err != nil {
		storage.CloseWithin(10 * time.Second)
		return err
	}
	if err := eng.Start(ctx); err != nil {
		// Partial failures (one decky could not be recreated) must not keep the daemon down.
		log.Error("start fleet", "err", err)
	}

	d := &Daemon{eng: eng, storage: storage}
	ln, err := api.ListenControl(cfg.ControlSocket)
	if err != nil {
		eng.Close()
		storage.CloseWithin(10 * time.Second)
		return err
	}
	router := api.NewControlRouter(eng, log)
	d.registerControl(router)
	apiH, err := d.startTCPAPI(ctx, cfg, router, cl.IsServing, log)
	if err != nil {
		ln.Close()
		eng.Close()
		storage.CloseWithin(10 * time.Second)
		return err
	}
	srv := api.NewControlServer(router)
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	log.Info("decnetd serving", "socket", cfg.ControlSocket, "state_dir", cfg.StateDir, "containerd", addr,
		"log", filepath.Join(cfg.LogDir, LogFileName), "emulators", services.Names())
	if cfg.Ready != nil {
		cfg.Ready()
	}
	mctx, mcancel := context.WithCancel(ctx)
	go eng.RunMutator(mctx, cfg.MutateTick)

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-srvErr:
		if !errors.Is(err, http.ErrServerClosed) {
			runErr = fmt.Errorf("control API: %w", err)
		}
	case err := <-apiH.Err():
		runErr = fmt.Errorf("TCP API: %w", err)
	}
	mcancel()
	log.Info("decnetd stopping")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	apiH.Stop(sctx)
	srv.Shutdown(sctx)
	cancel()
	os.Remove(cfg.ControlSocket)
	if cfg.TeardownOnExit {
		if _, err := eng.TeardownAll(context.Background()); err != nil {
			log.Error("teardown on exit", "err", err)
		}
	}
	eng.Close()
	close(stopConsumer)
	<-consumerDone
	fctx, fcancel := context.WithTimeout(context.Background(), 20*time.Second)
	storage.Close(fctx)
	fcancel()
	if cfg.TeardownOnExit && dev != nil {
		if err := dev.Stop(); err != nil {
			log.Error("stop dev containerd", "err", err)
		}
	}
	return runErr
}
