package runtime

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/pkg/cio"
	"github.com/containerd/containerd/v2/pkg/oci"

	"github.com/decnet/decnet/runtime/testenv"
)

// parallel runs fn(i) for i in [0,n) four at a time and returns the first error.
func parallel(n int, fn func(i int) error) error {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for i := 0; i < n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := fn(i); err != nil {
				once.Do(func() { first = err })
			}
		}()
	}
	wg.Wait()
	return first
}

// pssKB sums Pss from /proc/<pid>/smaps_rollup.
func pssKB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "Pss:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// benchChunk is how many deckies (and 4× as many bare containers) each alternating round starts.
const benchChunk = 8

// BenchmarkDeckies brings up N deckies × 3 services (DECNET_BENCH_DECKIES, default 10) and compares with
// starting 4N bare containers through the same client. Metrics: up_ms/decky, bare_ms/container,
// ratio (decky fleet up time / bare up time), pss_MB/decky (shim + 4 tasks), teardown_ms/decky.
//
// Both fleets are started by the same parallel helper (four operations in flight) and in alternating
// rounds of benchChunk deckies then 4×benchChunk bare containers, so both see the same load from the
// rest of the host and the same number of live containers; the ratio would otherwise mostly measure
// load drift between two time windows.
func BenchmarkDeckies(b *testing.B) {
	n := 10
	if v, err := strconv.Atoi(os.Getenv("DECNET_BENCH_DECKIES")); err == nil && v > 0 {
		n = v
	}
	if n > 200 {
		b.Fatalf("DECNET_BENCH_DECKIES=%d: at most 200 deckies fit the lab /24", n)
	}
	f := newFixture(b)
	ctx := context.Background()
	cctx := testenv.Ctx()
	svcs := []ServiceSpec{
		{Name: "ssh", Env: []string{"DECNET_STUB_PORT=22"}},
		{Name: "http", Env: []string{"DECNET_STUB_PORT=80"}},
		{Name: "ftp", Env: []string{"DECNET_STUB_PORT=21"}},
	}
	img, err := f.env.Client.GetImage(cctx, f.image)
	if err != nil {
		b.Fatal(err)
	}
	var upTot, bareTot, downTot time.Duration
	var pssTot int
	for it := 0; it < b.N; it++ {
		r := f.newRuntime(b)
		specs := make([]*DeckySpec, n)
		for i := range specs {
			specs[i] = f.decky(fmt.Sprintf("b%s%03d", f.prefix[4:9], i), 10+i, "windows", svcs...)
		}
		// Baseline: 4N bare containers (runc-made netns, no CNI, no hardening, own shim each).
		ids := make([]string, 4*n)
		for i := range ids {
			ids[i] = fmt.Sprintf("bare%s%03d", f.prefix[4:9], i)
		}
		for lo := 0; lo < n; lo += benchChunk {
			hi := min(lo+benchChunk, n)
			start := time.Now()
			if err := parallel(hi-lo, func(i int) error { return r.Up(ctx, specs[lo+i]) }); err != nil {
				b.Fatal(err)
			}
			upTot += time.Since(start)

			start = time.Now()
			if err := parallel(4*(hi-lo), func(i int) error {
				id := ids[4*lo+i]
				c, err := f.env.Client.NewContainer(cctx, id, client.WithImage(img), client.WithNewSnapshot(id, img),
					client.WithNewSpec(oci.WithImageConfig(img), oci.WithProcessArgs("/decky", "pause")))
				if err != nil {
					return err
				}
				t, err := c.NewTask(cctx, cio.NullIO)
				if err != nil {
					return err
				}
				return t.Start(cctx)
			}); err != nil {
				b.Fatal(err)
			}
			bareTot += time.Since(start)
		}

		for _, d := range specs {
			sb := f.taskPid(b, d.Name)
			shim, _ := strconv.Atoi(procStatus(b, sb)["PPid"])
			kb := pssKB(shim) + pssKB(int(sb))
			for _, s := range svcs {
				kb += pssKB(int(f.taskPid(b, d.Name+"-"+s.Name)))
			}
			pssTot += kb
		}

		start := time.Now()
		if err := r.TeardownAll(ctx); err != nil {
			b.Fatal(err)
		}
		downTot += time.Since(start)
		r.Close()

		parallel(4*n, func(i int) error {
			c, err := f.env.Client.LoadContainer(cctx, ids[i])
			if err != nil {
				return err
			}
			if t, err := c.Task(cctx, nil); err == nil {
				ch, _ := t.Wait(cctx)
				t.Kill(cctx, syscall.SIGKILL)
				<-ch
				t.Delete(cctx)
			}
			return c.Delete(cctx, client.WithSnapshotCleanup)
		})
	}
	den := float64(b.N)
	b.ReportMetric(float64(upTot.Milliseconds())/den/float64(n), "up_ms/decky")
	b.ReportMetric(float64(bareTot.Milliseconds())/den/float64(4*n), "bare_ms/container")
	b.ReportMetric(float64(upTot)/float64(bareTot), "ratio")
	b.ReportMetric(float64(pssTot)/1024/den/float64(n), "pss_MB/decky")
	b.ReportMetric(float64(downTot.Milliseconds())/den/float64(n), "teardown_ms/decky")
}
