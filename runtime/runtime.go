package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/namespaces"
	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/decnet/decnet/cni"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/netns"
)

// Interface is what the daemon and the fleet reconciler need from the runtime (fakeable in tests).
type Interface interface {
	Up(ctx context.Context, d *DeckySpec) error
	SetServices(ctx context.Context, decky string, services []ServiceSpec) error
	Teardown(ctx context.Context, decky string) error
	TeardownAll(ctx context.Context) error
	Adopt(ctx context.Context) ([]string, error)
	Deckies() []string
	Close() error
}

var _ Interface = (*Runtime)(nil)

// Line is one line a decky container printed.
type Line struct {
	Decky     string
	Service   string // "" for the sandbox
	Container string
	Stream    string // "stdout" or "stderr"
	Text      string
}

type options struct {
	namespace   string
	stateDir    string
	artifacts   string
	image       string
	snapshotter string
	parent      string
	mode        cni.Mode
	pluginDirs  []string
	netnsPrefix string
	instanceID  string
	out         chan<- Line
	sink        Sink
	log         *slog.Logger
	memLimit    uint64
	pidsLimit   int64
	backoffMin  time.Duration
	backoffMax  time.Duration
	stableAfter time.Duration
	stopGrace   time.Duration
}

// Option configures a Runtime.
type Option func(*options)

// WithNamespace sets the containerd namespace (default "decnet").
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithStateDir sets the directory holding FIFOs, the CNI cache and netns markers (default /var/lib/decnet).
func WithStateDir(dir string) Option { return func(o *options) { o.stateDir = dir } }

// WithArtifactsRoot sets the root of per-service artifact directories (default <state dir>/artifacts).
func WithArtifactsRoot(dir string) Option { return func(o *options) { o.artifacts = dir } }

// WithImage sets the decky image reference (from images.EnsureDecky). Required for Up.
func WithImage(ref string) Option { return func(o *options) { o.image = ref } }

// WithSnapshotter sets the snapshotter (default overlayfs).
func WithSnapshotter(s string) Option { return func(o *options) { o.snapshotter = s } }

// WithParent sets the host interface deckies' macvlan/ipvlan children hang off. Required for Up.
func WithParent(iface string) Option { return func(o *options) { o.parent = iface } }

// WithMode selects macvlan (default) or ipvlan.
func WithMode(m cni.Mode) Option { return func(o *options) { o.mode = m } }

// WithPluginDirs overrides the CNI plugin search path.
func WithPluginDirs(dirs ...string) Option { return func(o *options) { o.pluginDirs = dirs } }

// WithNetnsPrefix sets the prefix of decky netns names (default "decnet-").
func WithNetnsPrefix(p string) Option { return func(o *options) { o.netnsPrefix = p } }

// WithInstanceID sets DECNET_INSTANCE_ID passed to services.
func WithInstanceID(id string) Option { return func(o *options) { o.instanceID = id } }

// WithOutput sets a channel receiving every container line and runtime event line, for callers that do not
// persist lines themselves (tests, tools). Sends block (back-pressure on the container through its FIFO) until
// the runtime is closed. Without WithOutput or WithSink lines are logged at debug level.
func WithOutput(ch chan<- Line) Option { return func(o *options) { o.out = ch } }

// WithSink sends container lines to s: each task's stdout FIFO is read so that a line leaves the FIFO only after
// s.Submit returned for it, so a sink that persists synchronously (the ingest spool) loses nothing if decnetd is
// killed, and s.Respooled drops the re-read of the last submission.
func WithSink(s Sink) Option { return func(o *options) { o.sink = s } }

// WithLogger sets the logger.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithLimits sets the memory (bytes) and pids limits of each service container.
func WithLimits(mem uint64, pids int64) Option {
	return func(o *options) { o.memLimit, o.pidsLimit = mem, pids }
}

// WithBackoff sets the restart backoff: first delay, cap, and the run time after which it resets.
func WithBackoff(initial, max, stable time.Duration) Option {
	return func(o *options) { o.backoffMin, o.backoffMax, o.stableAfter = initial, max, stable }
}

// WithStopGrace sets how long a task gets between SIGTERM and SIGKILL on teardown (default 2 s).
func WithStopGrace(d time.Duration) Option { return func(o *options) { o.stopGrace = d } }

// Runtime runs deckies on containerd.
type Runtime struct {
	cl   *client.Client
	o    options
	cni  *cni.Manager
	log  *slog.Logger
	ctx  context.Context // lifetime of supervisors and line delivery; namespaced
	stop context.CancelFunc

	mu      sync.Mutex
	deckies map[string]*decky

	// delivering is held (read) while a sink persists lines; Close takes it after cancelling ctx, so that no
	// line is handed to the sink once Close returns (unconsumed lines stay in their FIFOs).
	delivering sync.RWMutex
}

// decky is the runtime's record of one running decky.
type decky struct {
	mu       sync.Mutex // serialises operations on this decky
	spec     DeckySpec  // decky-level fields; Services = current set
	parent   string
	mode     cni.Mode
	sandbox  *proc
	services map[string]*proc
}

// New returns a Runtime over cl.
func New(cl *client.Client, opts ...Option) (*Runtime, error) {
	o := options{namespace: "decnet", stateDir: "/var/lib/decnet", snapshotter: "overlayfs", netnsPrefix: "decnet-",
		memLimit: 128 << 20, pidsLimit: 128, backoffMin: 200 * time.Millisecond, backoffMax: 30 * time.Second,
		stableAfter: 10 * time.Second, stopGrace: 2 * time.Second, mode: cni.MacVLAN}
	for _, f := range opts {
		f(&o)
	}
	if o.artifacts == "" {
		o.artifacts = filepath.Join(o.stateDir, "artifacts")
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	for _, d := range []string{o.fifoRoot(), o.markerDir(), o.cniCache(), o.artifacts} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("runtime state dir: %w", err)
		}
	}
	os.Chmod(o.artifacts, 0o755)
	ctx, cancel := context.WithCancel(namespaces.WithNamespace(context.Background(), o.namespace))
	if o.sink == nil {
		o.sink = outputSink{ch: o.out, done: ctx.Done(), log: o.log}
	}
	return &Runtime{cl: cl, o: o, cni: cni.New(o.cniCache(), o.pluginDirs), log: o.log.With("component", "runtime"),
		ctx: ctx, stop: cancel, deckies: map[string]*decky{}}, nil
}

func (o options) fifoRoot() string  { return filepath.Join(o.stateDir, "fifo") }
func (o options) markerDir() string { return filepath.Join(o.stateDir, "netns") }
func (o options) cniCache() string  { return filepath.Join(o.stateDir, "cni") }

// NetnsName returns the netns name of a decky.
func (r *Runtime) NetnsName(decky string) string { return r.o.netnsPrefix + decky }

// CNICacheDir returns the libcni cache directory the runtime uses.
func (r *Runtime) CNICacheDir() string { return r.o.cniCache() }

// FIFODir returns the root directory of task FIFOs.
func (r *Runtime) FIFODir() string { return r.o.fifoRoot() }

func (r *Runtime) nsctx(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, r.o.namespace)
}

// Deckies returns the names of the deckies the runtime manages, sorted.
func (r *Runtime) Deckies() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.deckies))
	for n := range r.deckies {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// MAC returns the LAN MAC of a running decky.
func (r *Runtime) MAC(name string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, ok := r.deckies[name]
	if !ok || d.spec.MAC == nil {
		return "", false
	}
	return d.spec.MAC.String(), true
}

func (r *Runtime) attachment(d DeckySpec, parent string, mode cni.Mode) cni.Attachment {
	return cni.Attachment{ID: d.Name, NetNS: netns.Path(r.NetnsName(d.Name)), Parent: parent, Mode: mode,
		IP: d.IP, PrefixLen: d.PrefixLen, Gateway: d.Gateway}
}

// Up creates a decky: netns, CNI ADD, sandbox container and one container per service, all started and
// supervised. d.MAC is set from the CNI result. If the decky already runs, Up only applies d.Services.
func (r *Runtime) Up(ctx context.Context, d *DeckySpec) error {
	ctx = r.nsctx(ctx)
	if err := d.Validate(); err != nil {
		return fmt.Errorf("up: %w", err)
	}
	if r.o.image == "" || r.o.parent == "" {
		return errors.New("up: runtime has no image or parent interface configured")
	}
	r.mu.Lock()
	if ex, ok := r.deckies[d.Name]; ok {
		r.mu.Unlock()
		d.MAC = ex.spec.MAC
		return r.SetServices(ctx, d.Name, d.Services)
	}
	dk := &decky{spec: *d, parent: r.o.parent, mode: r.o.mode, services: map[string]*proc{}}
	dk.spec.Services = nil
	dk.mu.Lock()
	r.deckies[d.Name] = dk
	r.mu.Unlock()
	defer dk.mu.Unlock()

	// Service containers (metadata, snapshot, spec; no task) are created while the network and the
	// sandbox come up; their tasks start only once the sandbox runs and the LAN is attached.
	pre := r.precreate(ctx, dk.spec, d.Services)
	if err := r.upLocked(ctx, dk); err != nil {
		pre.discard(ctx)
		r.teardownLocked(ctx, dk)
		r.mu.Lock()
		delete(r.deckies, d.Name)
		r.mu.Unlock()
		return fmt.Errorf("up %s: %w", d.Name, err)
	}
	d.MAC = dk.spec.MAC
	if pre == nil {
		if err := r.setServicesLocked(ctx, dk, d.Services); err != nil {
			return fmt.Errorf("up %s: %w", d.Name, err)
		}
		return nil
	}
	if err := r.launchPrecreated(ctx, dk, pre, d.Services); err != nil {
		return fmt.Errorf("up %s: %w", d.Name, err)
	}
	return nil
}

// precreated is the outcome of creating the service containers of a new decky ahead of their tasks.
type precreated struct {
	hashes map[string]string
	res    chan created
	n      int
	got    []created // filled by wait
}

type created struct {
	s   ServiceSpec
	c   client.Container
	err error
}

// precreate starts creating the containers of services concurrently. It returns nil (callers then
// take the ordinary setServicesLocked path, which reports the error) if a config hash can't be made.
func (r *Runtime) precreate(ctx context.Context, d DeckySpec, services []ServiceSpec) *precreated {
	pc := &precreated{hashes: map[string]string{}, res: make(chan created, len(services)), n: len(services)}
	for _, s := range services {
		h, err := r.serviceHash(d, s)
		if err != nil {
			return nil
		}
		pc.hashes[s.Name] = h
	}
	for _, s := range services {
		go func() {
			c, err := r.createService(ctx, d, s, pc.hashes[s.Name])
			pc.res <- created{s, c, err}
		}()
	}
	return pc
}

// wait collects every creation result (once).
func (pc *precreated) wait() []created {
	for ; pc.n > 0; pc.n-- {
		pc.got = append(pc.got, <-pc.res)
	}
	return pc.got
}

// discard deletes the containers created so far (after waiting for all creations).
func (pc *precreated) discard(ctx context.Context) {
	if pc == nil {
		return
	}
	for _, x := range pc.wait() {
		if x.err == nil {
			x.c.Delete(context.WithoutCancel(ctx), client.WithSnapshotCleanup)
		}
	}
}

// launchPrecreated starts the tasks of precreated service containers concurrently and records them,
// like setServicesLocked does for a decky without services.
func (r *Runtime) launchPrecreated(ctx context.Context, dk *decky, pc *precreated, services []ServiceSpec) error {
	var errs []error
	type started struct {
		p   *proc
		err error
	}
	made := pc.wait()
	res := make(chan started, len(made))
	for _, x := range made {
		go func() {
			if x.err != nil {
				res <- started{nil, x.err}
				return
			}
			p, err := r.launchService(ctx, dk.spec.Name, x.s.Name, pc.hashes[x.s.Name], x.c)
			res <- started{p, err}
		}()
	}
	for range made {
		st := <-res
		if st.err != nil {
			errs = append(errs, st.err)
			continue
		}
		dk.services[st.p.service] = st.p
	}
	dk.spec.Services = slices.Clone(services)
	return errors.Join(errs...)
}

// upLocked creates the netns, then runs CNI ADD while the sandbox container is created and started:
// the sandbox joins the netns by path and its sysctls are netns-wide (net.ipv4.*), so neither waits for
// the other. It returns once both are done, so services never start before the LAN is attached.
func (r *Runtime) upLocked(ctx context.Context, dk *decky) error {
	d := dk.spec
	id := d.Name
	if err := os.WriteFile(filepath.Join(r.o.markerDir(), id), nil, 0o600); err != nil {
		return fmt.Errorf("netns marker: %w", err)
	}
	existed := netns.Exists(r.NetnsName(id))
	if _, err := netns.Create(r.NetnsName(id)); err != nil {
		return err
	}
	type attached struct {
		mac net.HardwareAddr
		err error
	}
	netc := make(chan attached, 1)
	go func() {
		mac, err := r.attachLAN(ctx, d, dk.parent, dk.mode, existed)
		netc <- attached{mac, err}
	}()
	sbErr := r.startSandbox(ctx, dk, d)
	na := <-netc
	if err := errors.Join(na.err, sbErr); err != nil {
		return err
	}
	if na.mac != nil {
		dk.spec.MAC = na.mac
		if _, err := dk.sandbox.ctr.SetLabels(ctx, map[string]string{labelMAC: na.mac.String()}); err != nil {
			return fmt.Errorf("sandbox %s: label mac: %w", id, err)
		}
	}
	return nil
}

// startSandbox creates and starts the sandbox container of dk (d is a snapshot of dk.spec).
func (r *Runtime) startSandbox(ctx context.Context, dk *decky, d DeckySpec) error {
	img, err := r.cl.GetImage(ctx, r.o.image)
	if err != nil {
		return fmt.Errorf("get image %s: %w", r.o.image, err)
	}
	id := d.Name
	c, err := r.cl.NewContainer(ctx, id,
		client.WithRuntime("io.containerd.runc.v2", nil),
		client.WithImage(img), client.WithSnapshotter(r.o.snapshotter), client.WithNewSnapshot(id, img),
		client.WithContainerLabels(sandboxLabels(d, dk.parent, string(dk.mode))),
		client.WithNewSpec(append([]oci.SpecOpts{
			oci.WithImageConfig(img),
			oci.WithProcessArgs("/decky", "pause"),
			oci.WithEnv([]string{"DECNET_DECKY=" + d.Name}),
			oci.WithHostname(hostnameOr(d)),
			oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netns.Path(r.NetnsName(id))}),
			withSysctls(conf.OSProfile(d.NmapOS)),
			oci.WithAnnotations(map[string]string{GroupAnnotation: d.Name}),
		}, hardening(nil, 32<<20, 16)...)...))
	if err != nil {
		return fmt.Errorf("create sandbox container: %w", err)
	}
	p := r.newProc(d.Name, "", RoleSandbox, c)
	dk.sandbox = p
	return r.launch(ctx, p, nil)
}

func hostnameOr(d DeckySpec) string {
	if d.Hostname != "" {
		return d.Hostname
	}
	return d.Name
}

// ensureNetwork creates the decky netns (with a marker so sweeps know it is ours) and attaches it to the
// LAN when the netns is new. It records the MAC.
func (r *Runtime) ensureNetwork(ctx context.Context, dk *decky) error {
	name := dk.spec.Name
	if err := os.WriteFile(filepath.Join(r.o.markerDir(), name), nil, 0o600); err != nil {
		return fmt.Errorf("netns marker: %w", err)
	}
	existed := netns.Exists(r.NetnsName(name))
	if _, err := netns.Create(r.NetnsName(name)); err != nil {
		return err
	}
	mac, err := r.attachLAN(ctx, dk.spec, dk.parent, dk.mode, existed)
	if err != nil {
		return err
	}
	if mac != nil {
		dk.spec.MAC = mac
	}
	return nil
}

// attachLAN runs CNI ADD for decky d and returns the new MAC. If the netns already existed and its
// attachment passes CNI CHECK, it is kept and the MAC is nil; a failing one is deleted and re-added.
func (r *Runtime) attachLAN(ctx context.Context, d DeckySpec, parent string, mode cni.Mode, existed bool) (net.HardwareAddr, error) {
	att := r.attachment(d, parent, mode)
	if existed {
		if err := r.cni.Check(ctx, att); err == nil {
			return nil, nil
		}
		r.cni.Del(ctx, att)
	}
	res, err := r.cni.Add(ctx, att)
	if err != nil {
		return nil, err
	}
	return res.MAC, nil
}

// SetServices replaces the service containers of a running decky with services, leaving the sandbox
// and netns alone. Containers whose config hash is unchanged keep running.
func (r *Runtime) SetServices(ctx context.Context, name string, services []ServiceSpec) error {
	ctx = r.nsctx(ctx)
	r.mu.Lock()
	dk, ok := r.deckies[name]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("set services %s: %w", name, errdefs.ErrNotFound)
	}
	dk.mu.Lock()
	defer dk.mu.Unlock()
	return r.setServicesLocked(ctx, dk, services)
}

func (r *Runtime) setServicesLocked(ctx context.Context, dk *decky, services []ServiceSpec) error {
	check := dk.spec
	check.Services = services
	if err := check.Validate(); err != nil {
		return fmt.Errorf("set services: %w", err)
	}
	want := map[string]ServiceSpec{}
	hashes := map[string]string{}
	for _, s := range services {
		h, err := r.serviceHash(dk.spec, s)
		if err != nil {
			return err
		}
		want[s.Name], hashes[s.Name] = s, h
	}
	// Stop services no longer wanted or changed.
	var stop []*proc
	for n, p := range dk.services {
		if _, ok := want[n]; !ok || p.hash != hashes[n] {
			stop = append(stop, p)
			delete(dk.services, n)
		}
	}
	var errs []error
	errs = append(errs, r.destroyAll(ctx, stop)...)
	// Start new services concurrently; they only share the (already running) sandbox netns.
	type started struct {
		p   *proc
		err error
	}
	var todo []ServiceSpec
	for _, s := range services {
		if _, ok := dk.services[s.Name]; !ok {
			todo = append(todo, s)
		}
	}
	res := make(chan started, len(todo))
	for _, s := range todo {
		go func() {
			p, err := r.startService(ctx, dk, s, hashes[s.Name])
			res <- started{p, err}
		}()
	}
	for range todo {
		st := <-res
		if st.err != nil {
			errs = append(errs, st.err)
			continue
		}
		dk.services[st.p.service] = st.p
	}
	dk.spec.Services = slices.Clone(services)
	return errors.Join(errs...)
}

func (r *Runtime) serviceHash(d DeckySpec, s ServiceSpec) (string, error) {
	env, err := serviceEnv(d, s, r.o.instanceID)
	if err != nil {
		return "", err
	}
	v := map[string]any{"env": env, "image": r.o.image, "mem": r.o.memLimit, "pids": r.o.pidsLimit}
	if s.Custom != nil {
		v["custom"] = s.Custom
	}
	return hashOf(v), nil
}

// startService creates and starts one service container.
func (r *Runtime) startService(ctx context.Context, dk *decky, s ServiceSpec, hash string) (*proc, error) {
	c, err := r.createService(ctx, dk.spec, s, hash)
	if err != nil {
		return nil, err
	}
	return r.launchService(ctx, dk.spec.Name, s.Name, hash, c)
}

// createService creates (without a task) the container of service s of decky d.
func (r *Runtime) createService(ctx context.Context, d DeckySpec, s ServiceSpec, hash string) (client.Container, error) {
	id := serviceID(d.Name, s.Name)
	ref := r.o.image
	args := []string{"/decky", "serve", s.Name}
	if s.Custom != nil {
		ref, args = s.Custom.Image, s.Custom.Exec
	}
	img, err := r.cl.GetImage(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("service %s: get image %s: %w", id, ref, err)
	}
	env, err := serviceEnv(d, s, r.o.instanceID)
	if err != nil {
		return nil, err
	}
	art := filepath.Join(r.o.artifacts, d.Name, s.Name)
	if err := os.MkdirAll(art, 0o750); err != nil {
		return nil, fmt.Errorf("service %s: artifacts dir: %w", id, err)
	}
	os.Chown(filepath.Dir(art), 0, ServiceUID)
	os.Chmod(filepath.Dir(art), 0o750)
	if err := os.Chown(art, ServiceUID, ServiceUID); err != nil {
		return nil, fmt.Errorf("service %s: artifacts dir: %w", id, err)
	}
	sopts := []oci.SpecOpts{oci.WithImageConfig(img)}
	if len(args) > 0 {
		sopts = append(sopts, oci.WithProcessArgs(args...))
	}
	sopts = append(sopts,
		oci.WithEnv(env),
		oci.WithHostname(hostnameOr(d)),
		oci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: netns.Path(r.NetnsName(d.Name))}),
		oci.WithAnnotations(map[string]string{GroupAnnotation: d.Name}),
		oci.WithMounts([]specs.Mount{{Destination: "/artifacts", Type: "bind", Source: art,
			Options: []string{"rbind", "rw", "nosuid", "nodev", "noexec"}}}),
	)
	sopts = append(sopts, hardening([]string{"CAP_NET_BIND_SERVICE"}, r.o.memLimit, r.o.pidsLimit)...)
	labels := map[string]string{LabelDecky: d.Name, LabelService: s.Name, LabelRole: RoleService, LabelConfigHash: hash}
	c, err := r.cl.NewContainer(ctx, id,
		client.WithRuntime("io.containerd.runc.v2", nil),
		client.WithImage(img), client.WithSnapshotter(r.o.snapshotter), client.WithNewSnapshot(id, img),
		client.WithContainerLabels(labels), client.WithNewSpec(sopts...))
	if err != nil {
		return nil, fmt.Errorf("service %s: create container: %w", id, err)
	}
	return c, nil
}

// launchService starts and supervises the task of a created service container; on failure the
// container is removed.
func (r *Runtime) launchService(ctx context.Context, decky, service, hash string, c client.Container) (*proc, error) {
	p := r.newProc(decky, service, RoleService, c)
	p.hash = hash
	if err := r.launch(ctx, p, nil); err != nil {
		r.destroy(ctx, p)
		return nil, err
	}
	return p, nil
}

// Teardown stops and removes everything of one decky: tasks, containers, snapshots, CNI attachment and
// cache, netns, FIFO dirs. Artifacts stay. Tearing down an unknown decky is not an error.
func (r *Runtime) Teardown(ctx context.Context, name string) error {
	ctx = r.nsctx(ctx)
	r.mu.Lock()
	dk, ok := r.deckies[name]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	dk.mu.Lock()
	defer dk.mu.Unlock()
	err := r.teardownLocked(ctx, dk)
	r.mu.Lock()
	delete(r.deckies, name)
	r.mu.Unlock()
	return err
}

func (r *Runtime) teardownLocked(ctx context.Context, dk *decky) error {
	var errs []error
	var ps []*proc
	for _, p := range dk.services {
		ps = append(ps, p)
	}
	errs = append(errs, r.destroyAll(ctx, ps)...)
	dk.services = map[string]*proc{}
	if dk.sandbox != nil {
		if err := r.destroy(ctx, dk.sandbox); err != nil {
			errs = append(errs, err)
		}
		dk.sandbox = nil
	}
	name := dk.spec.Name
	if err := r.cni.Del(ctx, r.attachment(dk.spec, dk.parent, dk.mode)); err != nil {
		errs = append(errs, err)
	}
	if err := netns.Delete(r.NetnsName(name)); err != nil {
		errs = append(errs, err)
	}
	os.Remove(filepath.Join(r.o.markerDir(), name))
	if err := os.RemoveAll(filepath.Join(r.o.fifoRoot(), name)); err != nil {
		errs = append(errs, fmt.Errorf("remove fifo dir: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("teardown %s: %w", name, err)
	}
	return nil
}

// TeardownAll tears down every managed decky (four at a time).
func (r *Runtime) TeardownAll(ctx context.Context) error {
	names := r.Deckies()
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, n := range names {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := r.Teardown(ctx, n); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// destroyAll destroys procs concurrently.
func (r *Runtime) destroyAll(ctx context.Context, ps []*proc) []error {
	errc := make(chan error, len(ps))
	for _, p := range ps {
		go func() { errc <- r.destroy(ctx, p) }()
	}
	var errs []error
	for range ps {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// destroy stops supervision, kills the task (SIGTERM, then SIGKILL after the grace period), deletes
// it and the container with its snapshot.
func (r *Runtime) destroy(ctx context.Context, p *proc) error {
	p.stopSupervisor()
	t := p.task
	if t == nil {
		var err error
		if t, err = p.ctr.Task(ctx, nil); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("destroy %s: load task: %w", p.id, err)
		}
	}
	if t != nil {
		if err := r.killTask(ctx, t); err != nil {
			return fmt.Errorf("destroy %s: %w", p.id, err)
		}
	}
	if err := p.ctr.Delete(ctx, client.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("destroy %s: delete container: %w", p.id, err)
	}
	return nil
}

// killTask stops and deletes a task, whatever its state.
func (r *Runtime) killTask(ctx context.Context, t client.Task) error {
	st, err := t.Status(ctx)
	if err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("task status: %w", err)
	}
	if err == nil && st.Status != client.Stopped {
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		exitCh, err := t.Wait(wctx)
		if err != nil {
			return fmt.Errorf("task wait: %w", err)
		}
		if err := t.Kill(ctx, syscall.SIGTERM); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("task kill: %w", err)
		}
		select {
		case <-exitCh:
		case <-time.After(r.o.stopGrace):
			t.Kill(ctx, syscall.SIGKILL, client.WithKillAll)
			select {
			case <-exitCh:
			case <-time.After(10 * time.Second):
				return errors.New("task did not exit after SIGKILL")
			}
		}
	}
	if _, err := t.Delete(ctx); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("task delete: %w", err)
	}
	return nil
}

// Close stops supervising and reading FIFOs without touching tasks (the daemon is going away; a new
// Runtime can Adopt them). Lines still in the FIFOs stay there for the next reader.
func (r *Runtime) Close() error {
	r.mu.Lock()
	var ps []*proc
	for _, dk := range r.deckies {
		if dk.sandbox != nil {
			ps = append(ps, dk.sandbox)
		}
		for _, p := range dk.services {
			ps = append(ps, p)
		}
	}
	r.deckies = map[string]*decky{}
	r.mu.Unlock()
	r.stop()
	r.delivering.Lock()
	//lint:ignore SA2001 a barrier: Lock waited for the submissions that started before ctx was cancelled
	r.delivering.Unlock()
	for _, p := range ps {
		p.stopSupervisor()
		if p.task != nil && p.task.IO() != nil {
			p.task.IO().Cancel() // close our read ends only; keep the FIFO files for re-attach
		}
	}
	return nil
}
