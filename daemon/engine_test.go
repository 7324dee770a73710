package daemon

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/fleet"
	"github.com/decnet/decnet/runtime"
)

// fakeRuntime records deckies and their services like the real runtime would.
type fakeRuntime struct {
	mu       sync.Mutex
	parent   string
	deckies  map[string]*runtime.DeckySpec
	adopt    []string // deckies "left running" by a previous daemon
	failUp   string   // decky whose Up fails
	upCalls  int
	setCalls int
}

func newFakeRuntime(parent string) *fakeRuntime {
	return &fakeRuntime{parent: parent, deckies: map[string]*runtime.DeckySpec{}}
}

func (f *fakeRuntime) Up(_ context.Context, d *runtime.DeckySpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.upCalls++
	if d.Name == f.failUp {
		return errors.New("boom")
	}
	if f.parent == "" {
		return errors.New("no parent")
	}
	d.MAC = net.HardwareAddr{2, 0, 0, 0, 0, byte(len(f.deckies) + 1)}
	c := *d
	f.deckies[d.Name] = &c
	return nil
}

func (f *fakeRuntime) SetServices(_ context.Context, name string, s []runtime.ServiceSpec) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.setCalls++
	d, ok := f.deckies[name]
	if !ok {
		return errors.New("not found")
	}
	d.Services = slices.Clone(s)
	return nil
}

func (f *fakeRuntime) Teardown(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.deckies, name)
	return nil
}

func (f *fakeRuntime) TeardownAll(ctx context.Context) error {
	for _, n := range f.Deckies() {
		f.Teardown(ctx, n)
	}
	return nil
}

func (f *fakeRuntime) Adopt(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.adopt {
		f.deckies[n] = &runtime.DeckySpec{Name: n}
	}
	return slices.Clone(f.adopt), nil
}

func (f *fakeRuntime) Deckies() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for n := range f.deckies {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

func (f *fakeRuntime) Close() error { return nil }

func (f *fakeRuntime) services(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.deckies[name]
	if !ok {
		return nil
	}
	var out []string
	for _, s := range d.Services {
		out = append(out, s.Name)
	}
	return out
}

// fakeInspector reports every decky of the fake runtime as running.
type fakeInspector struct{ rt func() *fakeRuntime }

func (fi fakeInspector) Ping(context.Context) bool { return true }
func (fi fakeInspector) Inspect(context.Context) (map[string]RuntimeInfo, error) {
	f := fi.rt()
	out := map[string]RuntimeInfo{}
	if f == nil {
		return out, nil
	}
	for _, n := range f.Deckies() {
		ri := RuntimeInfo{Sandbox: "running", Services: map[string]string{}, CreatedAt: time.Unix(1000, 0)}
		for _, s := range f.services(n) {
			ri.Services[s] = "running"
		}
		out[n] = ri
	}
	return out, nil
}

type harness struct {
	e     *Engine
	rt    *fakeRuntime
	lines chan runtime.Line
	dir   string
	now   time.Time
}

func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	h := &harness{dir: dir, lines: make(chan runtime.Line, 100), now: time.Date(2026, 4, 4, 10, 0, 0, 0, time.UTC)}
	var err error
	h.e, err = NewEngine(EngineConfig{StateDir: dir, Drawable: []string{"ftp", "http", "smb", "ssh", "telnet"},
		NewRuntime: func(parent string, _ bool) (runtime.Interface, error) {
			if h.rt == nil || h.rt.parent != parent {
				old := h.rt
				h.rt = newFakeRuntime(parent)
				if old != nil {
					h.rt.deckies = old.deckies
				}
			}
			return h.rt, nil
		},
		Inspector: fakeInspector{rt: func() *fakeRuntime { return h.rt }}, Out: h.lines,
		Detect: func() (fleet.Network, error) { return fleet.Network{}, errors.New("no detection in tests") },
		Now:    func() time.Time { return h.now }, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return h
}

const labINI = `[general]
net = 10.213.0.0/24
gw = 10.213.0.1
interface = lab0

[linux]
ip = 10.213.0.10
services = ssh, http

[embedded]
ip = 10.213.0.12
services = telnet, ftp
nmap_os = embedded

[linux.ssh]
password = s3cret
`

func (h *harness) deploy(t *testing.T, req api.DeployRequest) ([]api.Progress, error) {
	t.Helper()
	var ps []api.Progress
	err := h.e.Deploy(context.Background(), req, func(p api.Progress) { ps = append(ps, p) })
	return ps, err
}

func drain(ch chan runtime.Line) []event.Record {
	var out []event.Record
	for {
		select {
		case l := <-ch:
			ev, err := event.Parse(l.Text, time.Now())
			if err == nil {
				out = append(out, ev)
			}
		default:
			return out
		}
	}
}

func TestDeployStatusPersist(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	ps, err := h.deploy(t, api.DeployRequest{INI: labINI})
	if err != nil {
		t.Fatalf("deploy: %v (%+v)", err, ps)
	}
	var steps []string
	for _, p := range ps {
		if p.Decky == "linux" {
			steps = append(steps, p.Step)
		}
	}
	if !slices.Equal(steps, []string{"sandbox", "service ssh", "service http", "ready"}) {
		t.Errorf("linux steps %v", steps)
	}
	if last := ps[len(ps)-1]; last.Step != "done" || !slices.Equal(last.Deckies, []string{"embedded", "linux"}) {
		t.Errorf("last progress %+v", last)
	}
	if got := h.rt.services("linux"); !slices.Equal(got, []string{"ssh", "http"}) {
		t.Errorf("runtime services %v", got)
	}
	ds, _ := h.e.Deckies(context.Background())
	if len(ds) != 2 || ds[0].Name != "embedded" || ds[1].State != "running" || ds[1].MAC == "" ||
		ds[1].ServiceConfig["ssh"]["password"] != "********" || ds[0].NmapOS != "embedded" {
		t.Errorf("deckies %+v", ds)
	}
	evs := drain(h.lines)
	if len(evs) != 2 || evs[0].EventType != "decky_mutated" || evs[0].Service != "mutator" {
		t.Fatalf("events %+v", evs)
	}
	// The persisted state survives a new engine; a restart adopts instead of recreating.
	h.rt.adopt = h.rt.Deckies()
	up := h.rt.upCalls
	h2 := &harness{}
	*h2 = *h
	st, err := LoadState(dir)
	if err != nil || len(st.Plan.Deckies) != 2 || st.MAC["linux"] == "" || st.ConfigHash == "" {
		t.Fatalf("state %+v %v", st, err)
	}
	if err := h.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.rt.upCalls != up {
		t.Errorf("reconcile recreated adopted deckies")
	}
}

func TestDeployErrors(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		req    api.DeployRequest
		status int
		detail string
	}{
		{"name clash", api.DeployRequest{INI: labINI}, 409, "decky 'linux' already exists"},
		{"no emulator", api.DeployRequest{INI: "[x]\nservices = rdp\n", Mode: "replace"}, 409, "service 'rdp' has no emulator in this build"},
		{"general conflict", api.DeployRequest{INI: "[general]\ninterface = other0\n[y]\nservices = ssh\n"}, 409,
			"INI [general] interface=other0 conflicts with the active deployment (lab0)"},
		{"explicit ip in use", api.DeployRequest{INI: "[z]\nip = 10.213.0.10\nservices = ssh\n"}, 409, "IP 10.213.0.10 is already in use by an existing decky"},
		{"bad ini", api.DeployRequest{INI: "garbage"}, 409, "Invalid INI format"},
		{"bad name for runtime", api.DeployRequest{INI: "[Big.Name]\nservices = ssh\n"}, 409, "cannot be deployed"},
		{"bad subnet", api.DeployRequest{INI: "[q]\nservices=ssh\n", Network: api.Network{Subnet: "nope"}}, 422, "subnet must be an IPv4 CIDR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := h.deploy(t, c.req)
			var ae *api.Error
			if !errors.As(err, &ae) || ae.Status != c.status || !strings.Contains(ae.Detail, c.detail) {
				t.Errorf("got %v, want %d %q", err, c.status, c.detail)
			}
		})
	}
	if ds, _ := h.e.Deckies(context.Background()); len(ds) != 2 {
		t.Errorf("failed deploys changed the fleet: %d deckies", len(ds))
	}
}

func TestDeployAdditiveFlagsAndReplace(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI}); err != nil {
		t.Fatal(err)
	}
	seed := uint64(3)
	_, err := h.deploy(t, api.DeployRequest{Flags: &api.PlanFlags{Deckies: 2, Services: []string{"smb"}}, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	ds, _ := h.e.Deckies(context.Background())
	if len(ds) != 4 {
		t.Fatalf("additive: %d deckies", len(ds))
	}
	ips := map[string]bool{}
	for _, d := range ds {
		if ips[d.IP] {
			t.Errorf("duplicate ip %s", d.IP)
		}
		ips[d.IP] = true
	}
	// A failing decky is removed and reported; the others stay.
	h.rt.failUp = "bad"
	ps, err := h.deploy(t, api.DeployRequest{INI: "[bad]\nservices = ssh\n[good]\nservices = ftp\n"})
	if err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("failed decky: err %v", err)
	}
	if !slices.ContainsFunc(ps, func(p api.Progress) bool { return p.Decky == "bad" && p.Error != "" }) {
		t.Errorf("no failure progress: %+v", ps)
	}
	h.rt.failUp = ""
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI, Mode: "replace"}); err != nil {
		t.Fatal(err)
	}
	if got := h.rt.Deckies(); !slices.Equal(got, []string{"embedded", "linux"}) {
		t.Errorf("after replace runtime has %v", got)
	}
}

func TestMutateAndTeardown(t *testing.T) {
	h := newHarness(t, t.TempDir())
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI}); err != nil {
		t.Fatal(err)
	}
	drain(h.lines)
	if _, err := h.e.Mutate(context.Background(), "nope", "me"); !isStatus(err, http.StatusNotFound) {
		t.Errorf("mutate unknown: %v", err)
	}
	h.now = h.now.Add(time.Minute)
	r, err := h.e.Mutate(context.Background(), "linux", "me")
	if err != nil || !r.Changed || slices.Equal(r.NewServices, []string{"ssh", "http"}) {
		t.Fatalf("mutate: %+v %v", r, err)
	}
	if got := h.rt.services("linux"); !slices.Equal(got, r.NewServices) {
		t.Errorf("runtime has %v, mutate said %v", got, r.NewServices)
	}
	evs := drain(h.lines)
	if len(evs) != 1 || evs[0].Decky != "linux" {
		t.Fatalf("events %+v", evs)
	}
	f := evs[0].Fields
	if f["old_services"] != "ssh,http" || f["trigger"] != "operator" || f["actor"] != "me" || f["new_services"] != strings.Join(r.NewServices, ",") {
		t.Errorf("decky_mutated fields %v", f)
	}
	// Scheduling: nothing due before 30 min, both due after.
	if due := h.e.due(h.now.Add(10 * time.Minute)); len(due) != 0 {
		t.Errorf("due early: %v", due)
	}
	if due := h.e.due(h.now.Add(31 * time.Minute)); len(due) != 2 {
		t.Errorf("due: %v", due)
	}
	if err := h.e.Teardown(context.Background(), "linux"); err != nil {
		t.Fatal(err)
	}
	if err := h.e.Teardown(context.Background(), "linux"); !isStatus(err, http.StatusNotFound) {
		t.Errorf("second teardown: %v", err)
	}
	names, err := h.e.TeardownAll(context.Background())
	if err != nil || !slices.Equal(names, []string{"embedded"}) || len(h.rt.Deckies()) != 0 {
		t.Errorf("teardown all: %v %v %v", names, err, h.rt.Deckies())
	}
	if _, err := h.e.MutateAll(context.Background(), ""); !isStatus(err, http.StatusNotFound) {
		t.Errorf("mutate empty fleet: %v", err)
	}
}

func TestReconcileCreatesMissingRemovesStrays(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	if _, err := h.deploy(t, api.DeployRequest{INI: labINI}); err != nil {
		t.Fatal(err)
	}
	// Next start: "linux" vanished (host reboot), a stray "ghost" is running.
	h.rt.Teardown(context.Background(), "linux")
	h.rt.adopt = []string{"embedded", "ghost"}
	if err := h.e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.rt.Deckies(); !slices.Equal(got, []string{"embedded", "linux"}) {
		t.Errorf("after reconcile: %v", got)
	}
	if got := h.rt.services("embedded"); !slices.Equal(got, []string{"telnet", "ftp"}) {
		t.Errorf("adopted decky services not re-applied: %v", got)
	}
}

func TestDrawRules(t *testing.T) {
	h := newHarness(t, t.TempDir())
	for range 200 {
		set, ok := h.e.draw([]string{"ssh", "http", "ftp", "smb"}, []string{"ssh"}, nil)
		if !ok || len(set) < 1 || len(set) > 3 || slices.Equal(set, []string{"ssh"}) {
			t.Fatalf("draw %v %v", set, ok)
		}
	}
	if set, ok := h.e.draw([]string{"ssh"}, []string{"ssh"}, nil); ok {
		t.Errorf("single-service pool changed: %v", set)
	}
	if _, ok := h.e.draw(nil, nil, nil); ok {
		t.Error("empty pool drew")
	}
}

func isStatus(err error, status int) bool {
	var ae *api.Error
	return errors.As(err, &ae) && ae.Status == status
}
