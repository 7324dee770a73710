package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// clearDecnetEnv points DECNET_CONFIG at a missing file and unsets the settings config check reads.
func clearDecnetEnv(t *testing.T) {
	t.Setenv("DECNET_CONFIG", filepath.Join(t.TempDir(), "none.ini"))
	for _, k := range []string{"DECNET_JWT_SECRET", "DECNET_ADMIN_PASSWORD", "DECNET_DB_PASSWORD", "DECNET_DB_URL",
		"DECNET_TESTING", "DECNET_DEVELOPER", "DECNET_DEV_STACK", "DECNET_API_HOST", "DECNET_CORS_ORIGINS"} {
		t.Setenv(k, "")
	}
}

func TestConfigCheck(t *testing.T) {
	clearDecnetEnv(t)
	out, errOut, code := newCLI(t).run("config", "check")
	if code != 2 || !strings.Contains(errOut, "DECNET_JWT_SECRET") || !strings.Contains(out, "DECNET_API_PORT") {
		t.Errorf("missing secrets: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}

	secret := "k3P9x-Lq2vR8m-Zt7Wb4n-Hy6Jd1s-Fc5G"
	t.Setenv("DECNET_JWT_SECRET", secret)
	t.Setenv("DECNET_ADMIN_PASSWORD", "correct-horse-battery")
	t.Setenv("DECNET_DB_PASSWORD", "db-secret-value")
	out, errOut, code = newCLI(t).run("config", "check")
	if code != 0 || errOut != "" {
		t.Fatalf("good settings: exit %d, stderr %q", code, errOut)
	}
	for _, s := range []string{secret, "correct-horse-battery", "db-secret-value"} {
		if strings.Contains(out, s) {
			t.Errorf("secret %q printed unmasked", s)
		}
	}
	if !strings.Contains(out, "****") || !strings.Contains(out, "configuration OK") {
		t.Errorf("output:\n%s", out)
	}

	_, errOut, code = newCLI(t).run("config", "check", "--env-file", filepath.Join(t.TempDir(), "missing.env"))
	if code != 2 || errOut == "" {
		t.Errorf("missing env file: exit %d, stderr %q", code, errOut)
	}
	if _, _, code := newCLI(t).run("config"); code != 2 {
		t.Errorf("bare config: exit %d", code)
	}
}
