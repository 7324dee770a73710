package shell

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// Recording limits (catalog §1 ssh): a session transcript is cut at MaxTranscript bytes, and no
// transcript is kept when the artifact filesystem has less than MinFreeBytes free.
const (
	MaxTranscript = 10 << 20
	MinFreeBytes  = 200 << 20
)

// shardMu serialises appends to the day shards of one process, so sessions never interleave.
var shardMu sync.Mutex

// Recorder captures one session as an asciinema v2 recording: a header line then [t,"o"|"i",data]
// event lines, appended as one block to <dir>/transcripts/sessions-YYYY-MM-DD.jsonl when closed.
type Recorder struct {
	mu        sync.Mutex
	dir       string
	sid       string
	start     time.Time
	buf       bytes.Buffer
	truncated bool
	closed    bool
	header    map[string]any
}

// FreeBytes returns the free bytes of the filesystem holding dir (-1 when unknown).
func FreeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// NewRecorder starts a transcript for session sid of service at (cols×rows) in artifacts dir.
func NewRecorder(dir, sid, service string, cols, rows int, env map[string]string, start time.Time) *Recorder {
	if cols <= 0 || cols > 1000 {
		cols = 80
	}
	if rows <= 0 || rows > 1000 {
		rows = 24
	}
	return &Recorder{dir: dir, sid: sid, start: start, header: map[string]any{
		"version": 2, "width": cols, "height": rows, "timestamp": start.Unix(), "env": env,
		"title": sid, "sid": sid, "service": service,
	}}
}

// Output records bytes sent to the client.
func (r *Recorder) Output(b []byte) { r.add("o", b) }

// Input records bytes received from the client.
func (r *Recorder) Input(b []byte) { r.add("i", b) }

func (r *Recorder) add(kind string, b []byte) {
	if r == nil || len(b) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.truncated {
		return
	}
	data := string(b)
	if !utf8.ValidString(data) {
		data = string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
	}
	ev, _ := json.Marshal([]any{roundMs(time.Since(r.start)), kind, data})
	if r.buf.Len()+len(ev)+1 > MaxTranscript {
		r.truncated = true
		return
	}
	r.buf.Write(ev)
	r.buf.WriteByte('\n')
}

func roundMs(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// Close appends the transcript to its day shard and returns its size in bytes, whether it was cut,
// and the session duration.
func (r *Recorder) Close() (size int64, truncated bool, dur time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, r.truncated, 0, nil
	}
	r.closed = true
	dur = time.Since(r.start)
	hdr, _ := json.Marshal(r.header)
	dir := filepath.Join(r.dir, "transcripts")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return 0, r.truncated, dur, fmt.Errorf("transcript dir %s: %w", dir, err)
	}
	name := filepath.Join(dir, "sessions-"+r.start.UTC().Format("2006-01-02")+".jsonl")
	shardMu.Lock()
	defer shardMu.Unlock()
	f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return 0, r.truncated, dur, fmt.Errorf("open transcript %s: %w", name, err)
	}
	defer f.Close()
	block := make([]byte, 0, len(hdr)+1+r.buf.Len())
	block = append(append(block, hdr...), '\n')
	block = append(block, r.buf.Bytes()...)
	if _, err := f.Write(block); err != nil {
		return 0, r.truncated, dur, fmt.Errorf("write transcript %s: %w", name, err)
	}
	size = int64(len(block))
	r.buf = bytes.Buffer{}
	return size, r.truncated, dur, nil
}
