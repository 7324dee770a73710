package ssh

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

func TestCaptureOversizeSkipped(t *testing.T) {
	var out strings.Builder
	env := services.NewEnv("ssh", &out)
	env.Decky, env.Artifacts = "d", t.TempDir()
	cp, err := newCapture(env, services.SrcA(nil), "/tmp/big", "root", "sftp", "sftp-server")
	if err != nil {
		t.Fatal(err)
	}
	cp.WriteAt([]byte("head"), 0)
	cp.WriteAt([]byte("tail"), MaxCapture) // past the cap: sparse, nothing stored
	if err := cp.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := event.Parse(strings.TrimSpace(out.String()), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.EventType != "file_skipped" || r.Fields["path"] != "/tmp/big" || r.Fields["reason"] != "oversize" ||
		r.Fields["size"] != "52428804" {
		t.Fatalf("event %+v", r)
	}
	left, _ := os.ReadDir(filepath.Join(env.Artifacts, "quarantine"))
	if len(left) != 0 {
		t.Fatalf("quarantine not empty: %v", left)
	}
}
