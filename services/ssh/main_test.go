package ssh

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/decnet/decnet/services"
	"github.com/decnet/decnet/services/servicetest"
)

// keyDir holds host keys generated once per test binary (RSA-3072 generation is slow).
var keyDir string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "ssh-hostkeys-")
	if err != nil {
		panic(err)
	}
	if _, err := hostKeys(d); err != nil {
		panic(err)
	}
	keyDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// withKeys copies the shared host keys into the instance's artifact dir.
func withKeys() servicetest.Option {
	return func(e *services.Env) {
		for _, f := range []string{"ssh_host_ed25519_key", "ssh_host_rsa_key"} {
			b, err := os.ReadFile(filepath.Join(keyDir, f))
			if err == nil {
				_ = os.WriteFile(filepath.Join(e.Artifacts, f), b, 0o600)
			}
		}
	}
}
