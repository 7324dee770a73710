package ssh

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// MaxCapture is the largest upload kept in quarantine (catalog §1 ssh: 50 MiB); bigger ones are skipped.
const MaxCapture = 50 << 20

// capture receives one uploaded file into a temporary file under <artifacts>/quarantine, then stores it
// as quarantine/<sha256> and emits file_captured (or file_skipped when it exceeds MaxCapture).
type capture struct {
	mu     sync.Mutex
	env    *services.Env
	src    []event.Field
	f      *os.File
	size   int64 // highest end offset written
	over   bool
	closed bool
	// metadata for the event
	origPath, user, attribution, comm string
	mtime                             time.Time
}

func newCapture(env *services.Env, src []event.Field, origPath, user, attribution, comm string) (*capture, error) {
	dir := filepath.Join(env.Artifacts, "quarantine")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("quarantine dir %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("quarantine temp file: %w", err)
	}
	return &capture{env: env, src: src, f: f, origPath: origPath, user: user, attribution: attribution, comm: comm}, nil
}

// WriteAt stores p at off unless the file grew past MaxCapture (then data is dropped, size still tracked).
func (c *capture) WriteAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	end := off + int64(len(p))
	if end > c.size {
		c.size = end
	}
	if c.closed || c.over || end > MaxCapture {
		c.over = c.over || end > MaxCapture
		return len(p), nil
	}
	return c.f.WriteAt(p, off)
}

// Write appends p (sequential writers such as scp).
func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	off := c.size
	c.mu.Unlock()
	return c.WriteAt(p, off)
}

// Close finishes the capture and emits its event.
func (c *capture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	tmp := c.f.Name()
	defer os.Remove(tmp)
	if c.over {
		c.f.Close()
		c.env.Info("file_skipped", "", services.With(c.src, event.F("path", c.origPath), event.F("size", c.size),
			event.F("reason", "oversize"))...)
		return nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(c.f, 0, c.size)); err != nil {
		c.f.Close()
		return fmt.Errorf("hash upload: %w", err)
	}
	if err := c.f.Close(); err != nil {
		return fmt.Errorf("close upload: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	stored := filepath.Join("quarantine", sum)
	dst := filepath.Join(c.env.Artifacts, stored)
	if _, err := os.Stat(dst); err != nil {
		if err := os.Rename(tmp, dst); err != nil {
			return fmt.Errorf("store upload %s: %w", dst, err)
		}
	}
	mt := c.mtime
	if mt.IsZero() {
		mt = time.Now()
	}
	c.env.Info("file_captured", "", services.With(c.src, event.F("stored_as", stored), event.F("sha256", sum),
		event.F("size", c.size), event.F("orig_path", c.origPath), event.F("ssh_user", c.user),
		event.F("attribution", c.attribution), event.F("writer_comm", c.comm),
		event.F("mtime", mt.UTC().Format(time.RFC3339)))...)
	return nil
}
