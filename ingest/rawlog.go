package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// RawLogName is the forensic log's file name inside DECNET_LOG_DIR.
const RawLogName = "decnet.log"

// RawLog is the forensic raw log: every line read from a stream, appended verbatim to DECNET_LOG_DIR/decnet.log,
// rotated by size into decnet.log.1 … decnet.log.<keep>.
type RawLog struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxBytes int64
	keep     int
	buf      []byte
}

// OpenRawLog opens (appending) dir/decnet.log. maxBytes ≤ 0 means 100 MiB, keep ≤ 0 means 10 generations.
func OpenRawLog(dir string, maxBytes int64, keep int) (*RawLog, error) {
	if maxBytes <= 0 {
		maxBytes = 100 << 20
	}
	if keep <= 0 {
		keep = 10
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create log dir %s: %w", dir, err)
	}
	l := &RawLog{path: filepath.Join(dir, RawLogName), maxBytes: maxBytes, keep: keep}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *RawLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("open forensic log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("stat forensic log: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends lines (each followed by LF) in one write, rotating first when the file would exceed its size.
func (l *RawLog) Write(lines []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = l.buf[:0]
	for _, s := range lines {
		l.buf = append(l.buf, s...)
		l.buf = append(l.buf, '\n')
	}
	if l.size > 0 && l.size+int64(len(l.buf)) > l.maxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(l.buf)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("write forensic log: %w", err)
	}
	return nil
}

func (l *RawLog) rotate() error {
	l.f.Close()
	os.Remove(fmt.Sprintf("%s.%d", l.path, l.keep))
	for i := l.keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("rotate forensic log: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *RawLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}
