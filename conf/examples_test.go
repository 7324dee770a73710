package conf

import (
	"path/filepath"
	"testing"
)

// TestExamplesLoad keeps every sample INI under conf/examples loadable.
func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob("examples/*.ini")
	if err != nil || len(files) < 5 {
		t.Fatalf("expected at least 5 example INI files, got %v (%v)", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			d, err := LoadFile(f)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(d.Deckies) == 0 {
				t.Fatal("no deckies")
			}
		})
	}
}
