package runtime

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/core/snapshots"

	"github.com/decnet/decnet/cni"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/netns"
	"github.com/decnet/decnet/runtime/testenv"
)

func TestValidate(t *testing.T) {
	ok := DeckySpec{Name: "decky-01", IP: mustAddr("10.213.0.10"), PrefixLen: 24}
	for _, tc := range []struct {
		name string
		mut  func(*DeckySpec)
		bad  bool
	}{
		{"ok", func(*DeckySpec) {}, false},
		{"upper", func(d *DeckySpec) { d.Name = "Decky" }, true},
		{"slash", func(d *DeckySpec) { d.Name = "a/b" }, true},
		{"long", func(d *DeckySpec) { d.Name = strings.Repeat("a", 41) }, true},
		{"v6", func(d *DeckySpec) { d.IP = mustAddr("::1") }, true},
		{"prefix", func(d *DeckySpec) { d.PrefixLen = 33 }, true},
		{"dup svc", func(d *DeckySpec) { d.Services = []ServiceSpec{{Name: "ssh"}, {Name: "ssh"}} }, true},
		{"bad svc", func(d *DeckySpec) { d.Services = []ServiceSpec{{Name: "../x"}} }, true},
		{"custom no image", func(d *DeckySpec) { d.Services = []ServiceSpec{{Name: "c", Custom: &conf.CustomService{}}} }, true},
	} {
		d := ok
		tc.mut(&d)
		if err := d.Validate(); (err != nil) != tc.bad {
			t.Errorf("%s: Validate = %v", tc.name, err)
		}
	}
}

func TestLabelsRoundTrip(t *testing.T) {
	d := DeckySpec{Name: "d1", IP: mustAddr("10.213.0.10"), PrefixLen: 24, Gateway: mustAddr("10.213.0.1"),
		Hostname: "web01", Distro: "debian", NmapOS: "windows"}
	l := sandboxLabels(d, "eth9", "macvlan")
	got, parent, mode, err := deckyFromLabels(l)
	if err != nil || parent != "eth9" || mode != "macvlan" || got.IP != d.IP || got.Gateway != d.Gateway || got.Hostname != "web01" || got.NmapOS != "windows" {
		t.Fatalf("round trip = %+v %s %s %v", got, parent, mode, err)
	}
	l[labelIP] = "nope"
	if _, _, _, err := deckyFromLabels(l); err == nil {
		t.Fatal("bad ip label accepted")
	}
}

func FuzzDeckyFromLabels(f *testing.F) {
	f.Add("d1", "10.213.0.10", "24", "10.213.0.1", "aa:bb:cc:dd:ee:ff")
	f.Add("", "", "", "", "")
	f.Fuzz(func(t *testing.T, name, ip, prefix, gw, mac string) {
		deckyFromLabels(map[string]string{LabelDecky: name, labelIP: ip, labelPrefix: prefix, labelGateway: gw, labelMAC: mac})
	})
}

func TestLineWriter(t *testing.T) {
	out := make(chan Line, 10)
	r := &Runtime{o: options{sink: outputSink{ch: out}}, ctx: context.Background()}
	w := &lineWriter{r: r, p: &proc{decky: "d", service: "s", id: "d-s"}, stream: "stdout"}
	w.Write([]byte("one\r\ntw"))
	w.Write([]byte("o\nthree"))
	w.flush()
	var got []string
	for len(out) > 0 {
		l := <-out
		if l.Decky != "d" || l.Service != "s" || l.Container != "d-s" || l.Stream != "stdout" {
			t.Fatalf("attribution %+v", l)
		}
		got = append(got, l.Text)
	}
	if strings.Join(got, "|") != "one|two|three" {
		t.Fatalf("lines = %q", got)
	}
	big := strings.Repeat("x", maxLineLen+5)
	w.Write([]byte(big + "\n"))
	if a, b := <-out, <-out; len(a.Text) != maxLineLen || b.Text != "xxxxx" {
		t.Fatalf("long line split %d/%d", len(a.Text), len(b.Text))
	}
}

func FuzzLineWriter(f *testing.F) {
	f.Add([]byte("a\nb\r\n"), 3)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		out := make(chan Line, len(b)+2)
		r := &Runtime{o: options{sink: outputSink{ch: out}}, ctx: context.Background()}
		w := &lineWriter{r: r, p: &proc{}, stream: "stdout"}
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		w.Write(b[:split])
		w.Write(b[split:])
		w.flush()
		total := 0
		for len(out) > 0 {
			total += len((<-out).Text)
		}
		if total > len(b) {
			t.Fatalf("delivered %d bytes from %d", total, len(b))
		}
	})
}

// TestRuntime runs the integration scenario on one private containerd and one lab, step by step.
func TestRuntime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	r := f.newRuntime(t)
	t.Cleanup(func() { r.TeardownAll(ctx); r.Close() })

	win := f.decky("win", 10, "windows", ssh())
	lin := f.decky("lin", 11, "linux", ssh())
	emb := f.decky("emb", 12, "embedded", ssh())
	for _, d := range []*DeckySpec{win, lin, emb} {
		d.Name = strings.TrimSuffix(f.prefix, "-")[4:] + d.Name // unique decky names
		start := time.Now()
		if err := r.Up(ctx, d); err != nil {
			t.Fatalf("Up %s: %v", d.Name, err)
		}
		t.Logf("Up %s (%s) in %s, MAC %s", d.Name, d.NmapOS, time.Since(start), d.MAC)
	}

	t.Run("lan", func(t *testing.T) {
		for _, tc := range []struct {
			d      *DeckySpec
			ttl    int
			tsOpts bool
		}{{win, 128, true}, {lin, 64, true}, {emb, 255, false}} {
			if got := f.pingTTL(t, tc.d.IP); got != tc.ttl {
				t.Errorf("%s ping ttl = %d, want %d", tc.d.NmapOS, got, tc.ttl)
			}
			if got := f.dial(t, tc.d.IP, 22); got != tc.tsOpts {
				t.Errorf("%s tcp timestamps = %v, want %v", tc.d.NmapOS, got, tc.tsOpts)
			}
			out, err := exec.Command("ip", "-n", r.NetnsName(tc.d.Name), "-o", "link", "show", "eth0").CombinedOutput()
			if err != nil || !strings.Contains(string(out), tc.d.MAC.String()) {
				t.Errorf("eth0 of %s: %s (want MAC %s) %v", tc.d.Name, out, tc.d.MAC, err)
			}
		}
		// The connection produced a line attributed to the right decky/service/container.
		l := f.out.waitFor(t, 5*time.Second, "from emb ssh", func(l Line) bool {
			return l.Decky == emb.Name && l.Service == "ssh" && l.Stream == "stdout" && strings.Contains(l.Text, f.lab.Config().AttackerAddr.Addr().String())
		})
		if l.Container != emb.Name+"-ssh" {
			t.Errorf("line container = %s", l.Container)
		}
	})

	t.Run("hardening", func(t *testing.T) {
		pid := f.taskPid(t, lin.Name+"-ssh")
		st := procStatus(t, pid)
		if uid := strings.Fields(st["Uid"]); len(uid) == 0 || uid[0] == "0" || uid[0] != "65532" {
			t.Errorf("Uid = %q", st["Uid"])
		}
		for k, want := range map[string]string{"CapEff": "0000000000000400", "CapPrm": "0000000000000400",
			"CapBnd": "0000000000000400", "NoNewPrivs": "1", "Seccomp": "2"} {
			if st[k] != want {
				t.Errorf("%s = %q, want %s", k, st[k], want)
			}
		}
		root := fmt.Sprintf("/proc/%d/root", pid)
		if err := os.WriteFile(root+"/probe", []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("write to rootfs: %v, want read-only file system", err)
		}
		if err := os.WriteFile(root+"/artifacts/probe", []byte("x"), 0o644); err != nil {
			t.Errorf("write to /artifacts: %v", err)
		}
		if _, err := os.Stat(filepath.Join(f.state, "artifacts", lin.Name, "ssh", "probe")); err != nil {
			t.Errorf("artifact not on host: %v", err)
		}
		// One shim per decky: the sandbox and service tasks share a parent.
		if a, b := ppid(t, f.taskPid(t, lin.Name)), ppid(t, pid); a != b {
			t.Errorf("sandbox shim %s != service shim %s", a, b)
		}
		env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		for _, want := range []string{"DECNET_DECKY=" + lin.Name, "DECNET_HOSTNAME=" + lin.Hostname, "DECNET_NMAP_OS=linux",
			`DECNET_PERSONA={"password":"admin"}`, "DECNET_INSTANCE_ID=test-instance", "DECNET_ARTIFACTS=/artifacts"} {
			if !strings.Contains(string(env), want) {
				t.Errorf("environ lacks %s", want)
			}
		}
	})

	t.Run("restart", func(t *testing.T) {
		id := win.Name + "-ssh"
		old := f.taskPid(t, id)
		killed := time.Now()
		syscall.Kill(int(old), syscall.SIGKILL)
		var back time.Duration
		for time.Since(killed) < 2*time.Second {
			if p := f.taskPidMaybe(id); p != 0 && p != old && procAlive(p) {
				back = time.Since(killed)
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if back == 0 {
			t.Fatalf("task %s not back within 2 s", id)
		}
		t.Logf("task back after %s", back)
		l := f.out.waitFor(t, 2*time.Second, "service_restarted", func(l Line) bool {
			return l.Decky == win.Name && strings.Contains(l.Text, " runtime - service_restarted ")
		})
		for _, want := range []string{"<132>1 ", `service="ssh"`, `exit_code="137"`, `restarts="1"`, `backoff_s="0.2"`} {
			if !strings.Contains(l.Text, want) {
				t.Errorf("event %q lacks %s", l.Text, want)
			}
		}
		f.dial(t, win.IP, 22) // serving again
	})

	t.Run("adopt", func(t *testing.T) {
		cctx := testenv.Ctx()
		c, _ := f.env.Client.LoadContainer(cctx, lin.Name+"-ssh")
		before, _ := c.Info(cctx)
		pidBefore := f.taskPid(t, lin.Name+"-ssh")
		macBefore := lin.MAC.String()
		r.Close()

		// Leaks a dead daemon might leave behind: a FIFO dir, a marked netns and a CNI cache entry.
		ghost := "ghost" + f.prefix[4:9]
		os.MkdirAll(filepath.Join(f.state, "fifo", ghost, "123"), 0o700)
		os.WriteFile(filepath.Join(f.state, "netns", ghost), nil, 0o600)
		if _, err := netns.Create(f.prefix + ghost); err != nil {
			t.Fatal(err)
		}
		gm := cni.New(filepath.Join(f.state, "cni"), nil)
		if _, err := gm.Add(ctx, cni.Attachment{ID: ghost, NetNS: netns.Path(f.prefix + ghost), Parent: f.lab.Config().Parent,
			IP: f.ip(99), PrefixLen: 24}); err != nil {
			t.Fatal(err)
		}

		// Output written while no daemon reads.
		f.dial(t, lin.IP, 22)
		outageMark := time.Now()

		r = f.newRuntime(t)
		adopted, err := r.Adopt(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(adopted) != 3 {
			t.Fatalf("adopted %v", adopted)
		}
		after, _ := c.Info(cctx)
		if !after.CreatedAt.Equal(before.CreatedAt) || f.taskPid(t, lin.Name+"-ssh") != pidBefore {
			t.Errorf("container recreated: %v -> %v", before.CreatedAt, after.CreatedAt)
		}
		if mac, _ := r.MAC(lin.Name); mac != macBefore {
			t.Errorf("MAC %s -> %s", macBefore, mac)
		}
		f.out.waitFor(t, 5*time.Second, "written during the outage", func(l Line) bool {
			return l.Decky == lin.Name && strings.Contains(l.Text, " connect") && strings.Contains(l.Text, f.lab.Config().AttackerAddr.Addr().String()) &&
				lineTime(l.Text).Before(outageMark) && lineTime(l.Text).After(outageMark.Add(-3*time.Second))
		})
		if netns.Exists(f.prefix + ghost) {
			t.Error("leaked netns not swept")
		}
		if ids, _ := gm.CachedIDs(); contains(ids, ghost) {
			t.Errorf("leaked CNI cache entry not swept: %v", ids)
		}
		if _, err := os.Stat(filepath.Join(f.state, "fifo", ghost)); !os.IsNotExist(err) {
			t.Errorf("leaked fifo dir not swept: %v", err)
		}
		// Adopted tasks are supervised again.
		old := f.taskPid(t, lin.Name+"-ssh")
		syscall.Kill(int(old), syscall.SIGKILL)
		f.out.waitFor(t, 3*time.Second, "restart after adoption", func(l Line) bool {
			return l.Decky == lin.Name && strings.Contains(l.Text, "service_restarted")
		})
	})

	t.Run("mutate", func(t *testing.T) {
		cctx := testenv.Ctx()
		sbPid := f.taskPid(t, emb.Name)
		c, _ := f.env.Client.LoadContainer(cctx, emb.Name+"-ssh")
		before, _ := c.Info(cctx)
		http := ServiceSpec{Name: "http", Env: []string{"DECNET_STUB_PORT=80"}}
		custom := ServiceSpec{Name: "custom", Custom: &conf.CustomService{Name: "custom", Image: f.image,
			Exec: []string{"/decky", "serve", "ssh"}}, Env: []string{"DECNET_STUB_PORT=2222"}}
		if f.kind == "real" {
			custom.Custom.Exec = []string{"/decky", "serve", "http"}
			custom.Env = nil
		}
		if err := r.SetServices(ctx, emb.Name, []ServiceSpec{ssh(), http}); err != nil {
			t.Fatal(err)
		}
		after, _ := c.Info(cctx)
		if !after.CreatedAt.Equal(before.CreatedAt) {
			t.Error("unchanged ssh container was recreated")
		}
		f.dial(t, emb.IP, 80)
		if err := r.SetServices(ctx, emb.Name, []ServiceSpec{http}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.env.Client.LoadContainer(cctx, emb.Name+"-ssh"); err == nil {
			t.Error("ssh container still exists")
		}
		if f.kind != "real" {
			if err := r.SetServices(ctx, emb.Name, []ServiceSpec{http, custom}); err != nil {
				t.Fatal(err)
			}
			f.dial(t, emb.IP, 2222)
		}
		if f.taskPid(t, emb.Name) != sbPid {
			t.Error("sandbox task changed during mutation")
		}
		if got := f.pingTTL(t, emb.IP); got != 255 {
			t.Errorf("ttl after mutation = %d", got)
		}
	})

	t.Run("teardown", func(t *testing.T) {
		start := time.Now()
		if err := r.TeardownAll(ctx); err != nil {
			t.Fatal(err)
		}
		t.Logf("teardown of 3 deckies in %s", time.Since(start))
		cctx := testenv.Ctx()
		if cs, _ := f.env.Client.Containers(cctx); len(cs) != 0 {
			t.Errorf("%d containers left", len(cs))
		}
		n := 0
		f.env.Client.SnapshotService("overlayfs").Walk(cctx, func(_ context.Context, i snapshots.Info) error {
			if i.Kind != snapshots.KindCommitted {
				n++
			}
			return nil
		})
		if n != 0 {
			t.Errorf("%d active snapshots left", n)
		}
		if left, _ := netns.List(f.prefix); len(left) != 0 {
			t.Errorf("netns left: %v", left)
		}
		if ents, _ := os.ReadDir(filepath.Join(f.state, "cni", "results")); len(ents) != 0 {
			t.Errorf("cni cache left: %d entries", len(ents))
		}
		if ents, _ := os.ReadDir(filepath.Join(f.state, "fifo")); len(ents) != 0 {
			t.Errorf("fifo dirs left: %d", len(ents))
		}
		if ents, _ := os.ReadDir(filepath.Join(f.state, "netns")); len(ents) != 0 {
			t.Errorf("netns markers left: %d", len(ents))
		}
		if out, _ := exec.Command("ip", "-o", "link", "show").Output(); strings.Contains(string(out), "@"+f.lab.Config().Parent) {
			t.Errorf("macvlan children of the lab parent left in the host ns:\n%s", out)
		}
		if len(r.Deckies()) != 0 {
			t.Errorf("runtime still lists %v", r.Deckies())
		}
	})
}

func TestIPVLAN(t *testing.T) {
	testenv.Require(t)
	probe := fmt.Sprintf("dntp%05x", time.Now().UnixNano()&0xfffff)
	if out, err := exec.Command("ip", "link", "add", probe, "type", "veth", "peer", "name", probe+"p").CombinedOutput(); err != nil {
		t.Fatalf("veth: %v %s", err, out)
	}
	defer exec.Command("ip", "link", "del", probe).Run()
	if out, err := exec.Command("ip", "link", "add", probe+"i", "link", probe, "type", "ipvlan", "mode", "l2").CombinedOutput(); err != nil {
		t.Skipf("kernel lacks ipvlan: %s", strings.TrimSpace(string(out)))
	}
	exec.Command("ip", "link", "del", probe+"i").Run()
	f := newFixture(t)
	ctx := context.Background()
	r := f.newRuntime(t, WithMode(cni.IPVLAN))
	t.Cleanup(func() { r.TeardownAll(ctx); r.Close() })
	d := f.decky("ipv"+f.prefix[4:9], 20, "windows", ssh())
	if err := r.Up(ctx, d); err != nil {
		t.Fatal(err)
	}
	if got := f.pingTTL(t, d.IP); got != 128 {
		t.Errorf("ttl %d", got)
	}
}
