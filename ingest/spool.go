package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Spool layout: <spool dir>/<stream key>/ holds a "stream" file with the stream's name and segment files
// <first seq, 20 digits>.seg of framed records (frame.go). Segments are append-only; a fully committed segment is
// deleted, except the newest, which keeps the stream's sequence alive across restarts.

const segSuffix = ".seg"

// segment is one spool file of a stream.
type segment struct {
	first int64 // seq of its first record (the next seq when it was created)
	last  int64 // seq of its last record, first-1 when empty
	path  string
	size  int64 // bytes of valid frames
}

// streamKey is the directory name of a stream: its hex name when short, else a hash.
func streamKey(name string) string {
	if len(name) <= 60 {
		return "s" + hex.EncodeToString([]byte(name))
	}
	sum := sha256.Sum256([]byte(name))
	return "h" + hex.EncodeToString(sum[:20])
}

func segName(first int64) string { return fmt.Sprintf("%020d%s", first, segSuffix) }

// loadSegments lists a stream dir's segments in seq order, validating each: a torn or corrupt tail is cut off
// (the file truncated) so that appends continue after the last valid record. It returns the segments, the
// number of records found above seq after, and the text of the last record.
func loadSegments(dir string, after int64) ([]segment, int, string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, "", fmt.Errorf("read spool dir %s: %w", dir, err)
	}
	var segs []segment
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		first, err := strconv.ParseInt(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil || first < 1 {
			continue
		}
		segs = append(segs, segment{first: first, last: first - 1, path: filepath.Join(dir, name)})
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].first < segs[j].first })
	total := 0
	lastText := ""
	for i := range segs {
		data, err := os.ReadFile(segs[i].path)
		if err != nil {
			return nil, 0, "", fmt.Errorf("read spool segment %s: %w", segs[i].path, err)
		}
		recs, valid := DecodeFrames(data)
		for _, r := range recs {
			if r.Seq > after {
				total++
			}
		}
		if len(recs) > 0 {
			segs[i].last = recs[len(recs)-1].Seq
			lastText = recs[len(recs)-1].Text
		}
		segs[i].size = int64(valid)
		if valid < len(data) {
			if err := os.Truncate(segs[i].path, int64(valid)); err != nil {
				return nil, 0, "", fmt.Errorf("cut torn spool tail %s: %w", segs[i].path, err)
			}
		}
	}
	return segs, total, lastText, nil
}

// segReader reads frames sequentially from one segment file.
type segReader struct {
	f   *os.File
	buf []byte
}

// readFrames reads records from f starting at off, not beyond end, returning at most max records and the offset
// after the last one returned. corrupt is true when an invalid frame stops the read before end.
func (r *segReader) readFrames(path string, off, end int64, max int) (recs []SpoolRecord, next int64, corrupt bool, err error) {
	if r.f == nil || r.f.Name() != path {
		if r.f != nil {
			r.f.Close()
		}
		if r.f, err = os.Open(path); err != nil {
			r.f = nil
			return nil, off, false, fmt.Errorf("open spool segment: %w", err)
		}
	}
	next = off
	win := int64(256 << 10)
	for len(recs) < max && next < end {
		want := end - next
		if want > win {
			want = win
		}
		if int64(cap(r.buf)) < want {
			r.buf = make([]byte, want)
		}
		b := r.buf[:want]
		n, rerr := r.f.ReadAt(b, next)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return recs, next, false, fmt.Errorf("read spool segment: %w", rerr)
		}
		b = b[:n]
		off := 0
		for len(recs) < max {
			rec, k, derr := DecodeFrame(b[off:])
			if derr == errShortFrame {
				break
			}
			if derr != nil {
				return recs, next + int64(off), true, nil
			}
			recs = append(recs, rec)
			off += k
		}
		if off == 0 && len(recs) < max {
			if int64(n) < want || want == end-next || win > 2*maxFrame {
				// The readable region ends inside a frame.
				return recs, next, true, nil
			}
			win *= 2 // a frame larger than the window
			continue
		}
		next += int64(off)
	}
	return recs, next, false, nil
}

func (r *segReader) close() {
	if r.f != nil {
		r.f.Close()
		r.f = nil
	}
}
