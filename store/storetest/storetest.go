// Package storetest starts a throwaway PostgreSQL cluster (devstack, as the postgres user, under a temporary
// 0700 state dir) for tests and hands out fresh databases on it.
package storetest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/decnet/decnet/devstack"
	"github.com/jackc/pgx/v5"
)

// Cluster is a throwaway PostgreSQL cluster.
type Cluster struct {
	StateDir string
	Root     string // fallback root holding the postgres-owned data dir

	mu sync.Mutex
	pg *devstack.Postgres
	n  atomic.Int64
}

var (
	shared    *Cluster
	sharedErr error
)

// Main runs a test binary with a shared cluster (call from TestMain: os.Exit(storetest.Main(m))). When the
// PostgreSQL binaries are missing, tests calling DB skip.
func Main(m *testing.M) int {
	if devstack.PGAvailable("") {
		shared, sharedErr = Start(context.Background())
	} else {
		sharedErr = fmt.Errorf("postgres binaries not found in %s", devstack.PGBinDir)
	}
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	return code
}

// Shared returns the cluster started by Main, skipping the test when there is none.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	if shared == nil {
		if sharedErr != nil && devstack.PGAvailable("") {
			t.Fatalf("test cluster: %v", sharedErr)
		}
		t.Skipf("no PostgreSQL: %v", sharedErr)
	}
	return shared
}

// DB creates a fresh database on the shared cluster and returns its URL.
func DB(t testing.TB) string {
	t.Helper()
	return Shared(t).NewDatabase(t)
}

// Start initialises and starts a cluster under a new temporary 0700 state dir.
func Start(ctx context.Context) (*Cluster, error) {
	state, err := os.MkdirTemp("", "decnet-state-*")
	if err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	root, err := os.MkdirTemp("", "decnet-pg-*")
	if err != nil {
		return nil, fmt.Errorf("pg root: %w", err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		return nil, fmt.Errorf("chmod %s: %w", root, err)
	}
	c := &Cluster{StateDir: state, Root: root}
	if err := c.StartPG(ctx); err != nil {
		os.RemoveAll(state)
		os.RemoveAll(root)
		return nil, err
	}
	return c, nil
}

// StartPG (re)starts the cluster's postmaster (adopting one still running).
func (c *Cluster) StartPG(ctx context.Context) error {
	pg, err := devstack.StartPostgres(ctx, c.StateDir, devstack.PGOptions{FallbackRoot: c.Root, NoRestart: true})
	if err != nil {
		return fmt.Errorf("start test postgres: %w", err)
	}
	c.mu.Lock()
	c.pg = pg
	c.mu.Unlock()
	return nil
}

// StopPG stops the postmaster (the data stays; StartPG brings it back).
func (c *Cluster) StopPG(ctx context.Context) error {
	c.mu.Lock()
	pg := c.pg
	c.mu.Unlock()
	return pg.Stop(ctx)
}

// PG returns the current devstack handle.
func (c *Cluster) PG() *devstack.Postgres {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pg
}

// NewDatabase creates a fresh database and returns its URL; it is dropped at the test's end.
func (c *Cluster) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), c.n.Add(1))
	base := c.PG().URL()
	admin := strings.Replace(base, "/"+devstack.PGDatabase+"?", "/postgres?", 1)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect test cluster: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, strings.Replace(c.PG().URL(), "/"+devstack.PGDatabase+"?", "/postgres?", 1))
		if err == nil {
			_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			conn.Close(ctx)
		}
	})
	return strings.Replace(base, "/"+devstack.PGDatabase+"?", "/"+name+"?", 1)
}

// Close stops the cluster and removes its directories.
func (c *Cluster) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = c.StopPG(ctx)
	os.RemoveAll(c.StateDir)
	os.RemoveAll(c.Root)
}
