package ssh

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	xssh "golang.org/x/crypto/ssh"
)

// hostKeys loads the ed25519 and RSA-3072 host keys from dir, generating and saving any that is missing,
// so a decky keeps its host identity across restarts.
func hostKeys(dir string) ([]xssh.Signer, error) {
	specs := []struct {
		file string
		gen  func() (crypto.Signer, error)
	}{
		{"ssh_host_ed25519_key", func() (crypto.Signer, error) {
			_, k, err := ed25519.GenerateKey(rand.Reader)
			return k, err
		}},
		{"ssh_host_rsa_key", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) }},
	}
	var out []xssh.Signer
	for _, s := range specs {
		path := filepath.Join(dir, s.file)
		data, err := os.ReadFile(path)
		if err == nil {
			signer, perr := xssh.ParsePrivateKey(data)
			if perr == nil {
				out = append(out, signer)
				continue
			}
		}
		key, err := s.gen()
		if err != nil {
			return nil, fmt.Errorf("generate host key %s: %w", s.file, err)
		}
		block, err := xssh.MarshalPrivateKey(key, "")
		if err != nil {
			return nil, fmt.Errorf("marshal host key %s: %w", s.file, err)
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("host key dir %s: %w", dir, err)
		}
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return nil, fmt.Errorf("save host key %s: %w", path, err)
		}
		signer, err := xssh.NewSignerFromSigner(key)
		if err != nil {
			return nil, fmt.Errorf("host key signer %s: %w", s.file, err)
		}
		out = append(out, signer)
	}
	return out, nil
}
