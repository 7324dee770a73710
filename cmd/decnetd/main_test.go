package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/decnet/decnet/devstack"
)

// TestMain removes the dev PostgreSQL data directories that this package's end-to-end runs created under
// devstack.PGFallbackRoot (their state dirs are 0700 temp dirs, so the clusters live there), once no
// postmaster runs in them any more. Directories that existed before the run are never touched.
func TestMain(m *testing.M) {
	before := map[string]bool{}
	entries, _ := os.ReadDir(devstack.PGFallbackRoot)
	for _, e := range entries {
		before[e.Name()] = true
	}
	code := m.Run()
	entries, _ = os.ReadDir(devstack.PGFallbackRoot)
	for _, e := range entries {
		dir := filepath.Join(devstack.PGFallbackRoot, e.Name())
		if before[e.Name()] || postmasterAlive(dir) {
			continue
		}
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// postmasterAlive reports whether the postmaster.pid of the cluster in dir names a live process.
func postmasterAlive(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return err == nil && pid > 0 && syscall.Kill(pid, 0) == nil
}
