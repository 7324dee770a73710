package daemon

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/decnet/decnet/runtime"
)

// LineSink receives every stdout line of the deckies and of the daemon's own emitters (mutator).
// The forensic log file implements it today; the ingest pipeline replaces it later.
type LineSink interface {
	WriteLine(l runtime.Line) error
	Close() error
}

// FileSink appends lines to a file (the forensic log DECNET_LOG_DIR/decnet.log), one per line.
type FileSink struct {
	mu sync.Mutex
	f  *os.File
}

// LogFileName is the forensic log's file name inside DECNET_LOG_DIR.
const LogFileName = "decnet.log"

// OpenFileSink opens (creating) dir/decnet.log for appending.
func OpenFileSink(dir string) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("log dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LogFileName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, fmt.Errorf("open forensic log: %w", err)
	}
	return &FileSink{f: f}, nil
}

// WriteLine appends l.Text and a newline.
func (s *FileSink) WriteLine(l runtime.Line) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, 0, len(l.Text)+1)
	b = append(append(b, l.Text...), '\n')
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("append forensic log: %w", err)
	}
	return nil
}

// Close closes the file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}
