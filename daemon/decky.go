package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// HasEmbeddedDecky reports whether this decnetd carries the decky binary (built with -tags embeddecky).
func HasEmbeddedDecky() bool { return len(embeddedDecky) > 0 }

// DeckyBinary returns the decky binary: the one given by path when set, else the embedded one, else the
// `decky` file next to the running executable.
func DeckyBinary(path string) ([]byte, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read decky binary: %w", err)
		}
		return b, nil
	}
	if HasEmbeddedDecky() {
		return embeddedDecky, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("locate decky binary: %w", err)
	}
	p := filepath.Join(filepath.Dir(exe), "decky")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no embedded decky binary and no %s: build with `make build` or pass --decky-binary", p)
	}
	if err != nil {
		return nil, fmt.Errorf("read decky binary: %w", err)
	}
	return b, nil
}
