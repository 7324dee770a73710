package http

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/decnet/decnet/services"
)

// certValidity is the lifetime of the self-signed certificate (catalog §0).
const certValidity = 3650 * 24 * time.Hour

// loadCertificate returns the persona certificate (tls_cert/tls_key as PEM text or file paths), else the
// self-signed certificate kept in the artifact dir, generating it (RSA-2048, CN = tls_cn or the hostname)
// when absent or issued for another CN.
func loadCertificate(env *services.Env) (tls.Certificate, error) {
	certPEM, keyPEM := env.Persona.String("tls_cert", ""), env.Persona.String("tls_key", "")
	if certPEM != "" || keyPEM != "" {
		c, err := readPEM(certPEM)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("https tls_cert: %w", err)
		}
		k, err := readPEM(keyPEM)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("https tls_key: %w", err)
		}
		cert, err := tls.X509KeyPair(c, k)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("https persona certificate: %w", err)
		}
		return cert, nil
	}
	cn := env.Persona.String("tls_cn", env.Hostname)
	if cn == "" {
		cn = "localhost"
	}
	dir := filepath.Join(env.Artifacts, "tls")
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if cert, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil && leaf.Subject.CommonName == cn &&
			time.Now().Before(leaf.NotAfter) {
			return cert, nil
		}
	}
	c, k, err := selfSigned(cn, time.Now())
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		env.Log.Warn("cannot keep self-signed certificate", "err", err)
	} else {
		if err := os.WriteFile(keyFile, k, 0o600); err != nil {
			env.Log.Warn("write tls key", "err", err)
		}
		if err := os.WriteFile(certFile, c, 0o644); err != nil {
			env.Log.Warn("write tls cert", "err", err)
		}
	}
	cert, err := tls.X509KeyPair(c, k)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("self-signed certificate: %w", err)
	}
	return cert, nil
}

// readPEM returns v when it holds PEM text, else the content of the file it names.
func readPEM(v string) ([]byte, error) {
	if strings.Contains(v, "-----BEGIN") {
		return []byte(v), nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", v, err)
	}
	return b, nil
}

// selfSigned creates an RSA-2048 self-signed server certificate for cn, valid 3650 days from now.
func selfSigned(cn string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate rsa key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.Add(certValidity).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	if ip := net.ParseIP(cn); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{cn}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(key)})
	return certPEM, keyPEM, nil
}

func mustPKCS8(key *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		// An RSA key always marshals; keep PKCS#1 as a fallback rather than panic.
		return x509.MarshalPKCS1PrivateKey(key)
	}
	return b
}
