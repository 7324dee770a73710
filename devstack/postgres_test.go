package devstack

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestPostgresStartAdoptStop(t *testing.T) {
	if !PGAvailable("") {
		t.Skipf("postgres binaries not found in %s", PGBinDir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	state := t.TempDir() // 0700 root: the cluster must live elsewhere
	root, err := os.MkdirTemp("", "decnet-pg-test-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := PGOptions{FallbackRoot: root}
	pg, err := StartPostgres(ctx, state, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Stop(context.Background())
	if !strings.HasPrefix(pg.DataDir, root) || pg.Adopted {
		t.Fatalf("data dir %s (adopted %v), want under %s", pg.DataDir, pg.Adopted, root)
	}
	rec, _ := os.ReadFile(filepath.Join(state, pgLocationFile))
	if strings.TrimSpace(string(rec)) != pg.DataDir {
		t.Fatalf("location record %q", rec)
	}
	pf, err := ReadPIDFile(pg.DataDir)
	if err != nil || pf.PID != pg.PID() || pf.SocketDir != pg.SocketDir {
		t.Fatalf("postmaster.pid %+v %v (pid %d socket %s)", pf, err, pg.PID(), pg.SocketDir)
	}
	conn, err := pgx.Connect(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	var listen, fsync string
	_ = conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen)
	_ = conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync)
	conn.Close(ctx)
	if listen != "" || fsync != "on" {
		t.Fatalf("listen_addresses %q fsync %q", listen, fsync)
	}
	st, _ := os.Stat(pg.DataDir)
	if st.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode %v", st.Mode())
	}

	// The parent "dies" (no shutdown): a new start adopts the running cluster.
	pid := pg.PID()
	pg.Detach()
	pg2, err := StartPostgres(ctx, state, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !pg2.Adopted || pg2.PID() != pid || pg2.DataDir != pg.DataDir {
		t.Fatalf("adopted %v pid %d (was %d) dir %s", pg2.Adopted, pg2.PID(), pid, pg2.DataDir)
	}
	if err := pg2.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if isPostgres(pid) {
		t.Fatal("postmaster still running after Stop")
	}
	// A fresh state dir gets a fresh cluster.
	pg3, err := StartPostgres(ctx, t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer pg3.Stop(context.Background())
	if pg3.DataDir == pg.DataDir {
		t.Fatal("fresh state dir reused the old cluster")
	}
}

func TestReachable(t *testing.T) {
	p := &Postgres{uid: 101, gid: 104}
	open := t.TempDir()
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	// t.TempDir's parent is 0700 root, so nothing below it is reachable for another user.
	if p.reachable(open) {
		t.Fatalf("%s reported reachable under a 0700 parent", open)
	}
	if !p.reachable("/") {
		t.Fatal("/ must be reachable")
	}
}
