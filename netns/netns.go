// Package netns creates, lists and deletes named network namespaces under /run/netns (the iproute2
// convention), and runs code inside one.
package netns

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// Dir is where named network namespaces are pinned by bind mounts.
const Dir = "/run/netns"

// Path returns the pin path of the named netns.
func Path(name string) string { return filepath.Join(Dir, name) }

// ValidName reports whether name can be used as a netns file name.
func ValidName(name string) bool {
	return name != "" && name != "." && name != ".." && len(name) <= 255 && !strings.ContainsAny(name, "/\x00")
}

// Exists reports whether name is a pinned network namespace (a nsfs bind mount), not just a file.
func Exists(name string) bool {
	if !ValidName(name) {
		return false
	}
	var st unix.Statfs_t
	if err := unix.Statfs(Path(name), &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}

// Create creates and pins a new network namespace called name and returns its path. If a pinned
// namespace of that name already exists, Create returns its path and no error (idempotent).
func Create(name string) (string, error) {
	if !ValidName(name) {
		return "", fmt.Errorf("create netns %q: invalid name", name)
	}
	p := Path(name)
	if Exists(name) {
		return p, nil
	}
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		return "", fmt.Errorf("create netns %s: %w", name, err)
	}
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("create netns %s: %w", name, err)
		}
		// A stale plain file (e.g. a failed earlier create): reuse it as the mount point.
	} else {
		f.Close()
	}
	errc := make(chan error, 1)
	go func() {
		// The thread is never unlocked: when this goroutine returns the runtime discards the thread,
		// so no other goroutine ever runs in the new namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		src := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		if err := unix.Mount(src, p, "none", unix.MS_BIND, ""); err != nil {
			errc <- fmt.Errorf("bind mount %s: %w", src, err)
			return
		}
		errc <- nil
	}()
	if err := <-errc; err != nil {
		os.Remove(p)
		return "", fmt.Errorf("create netns %s: %w", name, err)
	}
	return p, nil
}

// Delete unpins and removes the named netns. A missing namespace is not an error.
func Delete(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("delete netns %q: invalid name", name)
	}
	p := Path(name)
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete netns %s: unmount: %w", name, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("delete netns %s: %w", name, err)
	}
	return nil
}

// List returns the names of pinned namespaces starting with prefix ("" = all), sorted.
func List(prefix string) ([]string, error) {
	ents, err := os.ReadDir(Dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("list netns: %w", err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && Exists(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Do runs fn on a fresh OS thread that has joined the named netns. Sockets fn opens belong to that
// namespace. The thread is discarded afterwards, never returned to the scheduler.
func Do(name string, fn func() error) error {
	if !ValidName(name) {
		return fmt.Errorf("enter netns %q: invalid name", name)
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(Path(name), unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", name, err)
			return
		}
		err = unix.Setns(fd, unix.CLONE_NEWNET)
		unix.Close(fd)
		if err != nil {
			errc <- fmt.Errorf("enter netns %s: setns: %w", name, err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}
