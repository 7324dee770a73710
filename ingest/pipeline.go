package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/store"
)

// Line is one line read from a stream.
type Line struct {
	Stream  string // stable stream identity, e.g. container id + task start identity
	Decky   string // the stream's decky from runtime metadata; "" for host-side emitters (HOSTNAME is kept)
	Service string // the stream's service slug; replaces an APP-NAME of "-"
	Text    string // the line (a trailing LF and whitespace are removed)
}

// Writer is the store side of the pipeline (implemented by *store.Store).
type Writer interface {
	WriteBatch(ctx context.Context, entries []store.Entry) (store.BatchResult, error)
	AdvanceCheckpoint(ctx context.Context, stream string, seq int64) error
	Checkpoints(ctx context.Context) (map[string]int64, error)
}

// Options configures a Pipeline. Zero values take the defaults noted.
type Options struct {
	BatchSize     int           // records per transaction; default 1000
	MaxWait       time.Duration // flush this long after a batch's first record; default 100 ms
	DropApps      []string      // services never admitted; nil = DefaultDropApps (use []string{} for none)
	RLEventTypes  []string      // rate-limited event types; nil = DefaultRLEventTypes
	RLWindow      time.Duration // rate-limit window; 0 = 1 s, < 0 disables
	LogDir        string        // forensic log directory ("" = no forensic log)
	LogMaxBytes   int64         // forensic log rotation size; default 100 MiB
	LogKeep       int           // forensic log generations kept; default 10
	MaxSpoolBytes int64         // spool bound; lines beyond it are dropped and counted; default 1 GiB
	SegmentBytes  int64         // spool segment size; default 16 MiB
	SyncInterval  time.Duration // spool fsync period; default 50 ms
	MemPerStream  int           // parsed records kept in memory per stream before reading back from the spool; default MemRecords
	MemRecords    int           // parsed records kept in memory over all streams; default 100×BatchSize
	Bus           *Bus          // committed events are published here when set
	OnCommit      func(ips []string)
	Logger        *slog.Logger
}

// OptionsFromSettings maps the DECNET_* ingest and collector settings (config.md §9) to Options.
func OptionsFromSettings(s *conf.Settings) Options {
	o := Options{BatchSize: s.BatchSize, MaxWait: time.Duration(s.BatchMaxWaitMS) * time.Millisecond,
		DropApps: s.CollectorDropApps, RLEventTypes: s.CollectorRLEventTypes, LogDir: s.LogDir}
	switch {
	case s.CollectorRLWindowSec <= 0:
		o.RLWindow = -1
	default:
		o.RLWindow = time.Duration(s.CollectorRLWindowSec * float64(time.Second))
	}
	if o.DropApps == nil {
		o.DropApps = []string{}
	}
	if o.RLEventTypes == nil {
		o.RLEventTypes = []string{}
	}
	return o
}

func (o *Options) fill() {
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 100 * time.Millisecond
	}
	if o.DropApps == nil {
		o.DropApps = DefaultDropApps
	}
	if o.RLEventTypes == nil {
		o.RLEventTypes = DefaultRLEventTypes
	}
	if o.RLWindow == 0 {
		o.RLWindow = time.Second
	}
	if o.MaxSpoolBytes <= 0 {
		o.MaxSpoolBytes = 1 << 30
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 16 << 20
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = 50 * time.Millisecond
	}
	if o.MemRecords <= 0 {
		o.MemRecords = 100 * o.BatchSize
	}
	if o.MemPerStream <= 0 {
		o.MemPerStream = o.MemRecords
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

type item struct {
	seq int64
	rec event.Record
}

// stream is the spool and queue state of one stream.
type stream struct {
	name string
	dir  string

	mu        sync.Mutex
	nextSeq   int64
	segs      []segment
	wf        *os.File
	dirty     bool
	pending   []item
	spilled   bool // records past pending are only in the spool, from (readSeg, readOff)
	readSeg   int
	readOff   int64
	taken     int64 // highest seq handed to the batcher
	committed int64
	reader    segReader
	wbuf      []byte
	lastText  string // text of the last record spooled (kept in the newest segment, recovered from it)

	dropped atomic.Int64 // lines lost to a full or failing spool, or rejected by the database
}

// Stats are the pipeline's counters.
type Stats struct {
	Received         int64 // non-empty lines submitted
	Unparseable      int64 // lines only in the forensic log
	AdmissionDropped int64 // drop list and rate limit
	SpoolDropped     int64 // lines lost to a full or failing spool
	Rejected         int64 // records the database refused (stepped over, logged)
	Committed        int64 // rows written
	Duplicates       int64 // replayed records already committed
	CommitErrors     int64 // failed batch attempts (database unreachable)
	Backlog          int64 // records spooled and not yet committed
	SpoolBytes       int64
	DBUp             bool
	Streams          map[string]StreamStats
}

// StreamStats are one stream's counters.
type StreamStats struct {
	NextSeq   int64 `json:"next_seq"`
	Committed int64 `json:"committed"`
	Dropped   int64 `json:"dropped"`
}

// Pipeline is the ingest path: Submit → forensic log → parse → attribution → admission → spool → batcher →
// store transaction → checkpoint → bus (spec/events.md §5–6).
type Pipeline struct {
	w    Writer
	opts Options
	dir  string
	log  *slog.Logger
	adm  *Admission
	raw  *RawLog

	mu      sync.Mutex
	streams map[string]*stream
	order   []*stream
	rr      int
	cps     map[string]int64

	avail        atomic.Int64
	firstPending atomic.Int64
	spoolBytes   atomic.Int64
	memItems     atomic.Int64
	wake         chan struct{}
	dbDown       atomic.Bool

	received, unparseable, admDropped, spoolDropped, rejected atomic.Int64
	committed, duplicates, commitErrors                       atomic.Int64

	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closing atomic.Bool
	closed  atomic.Bool
	drained chan struct{} // closed when the batcher exits
}

// New opens the spool in spoolDir (replaying what it holds), the forensic log, and starts the batcher.
func New(ctx context.Context, w Writer, spoolDir string, opts Options) (*Pipeline, error) {
	opts.fill()
	if err := os.MkdirAll(spoolDir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool dir %s: %w", spoolDir, err)
	}
	p := &Pipeline{w: w, opts: opts, dir: spoolDir, log: opts.Logger, streams: map[string]*stream{},
		adm: NewAdmission(opts.DropApps, opts.RLEventTypes, opts.RLWindow), wake: make(chan struct{}, 1),
		drained: make(chan struct{})}
	if opts.LogDir != "" {
		raw, err := OpenRawLog(opts.LogDir, opts.LogMaxBytes, opts.LogKeep)
		if err != nil {
			return nil, err
		}
		p.raw = raw
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	cps, err := w.Checkpoints(cctx)
	cancel()
	if err != nil {
		p.log.Warn("ingest: checkpoints unavailable at start; replay relies on the store's skip", "err", err)
		p.dbDown.Store(true)
	}
	p.cps = cps
	if err := p.loadSpool(); err != nil {
		if p.raw != nil {
			p.raw.Close()
		}
		return nil, err
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(2)
	go p.batcher()
	go p.syncer()
	return p, nil
}

// loadSpool registers every stream found in the spool dir in replay (spilled) mode.
func (p *Pipeline) loadSpool() error {
	ents, err := os.ReadDir(p.dir)
	if err != nil {
		return fmt.Errorf("read spool dir: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(p.dir, e.Name())
		name, err := os.ReadFile(filepath.Join(dir, "stream"))
		if err != nil {
			p.log.Warn("ingest: spool dir without stream name; skipped", "dir", dir)
			continue
		}
		cp := p.cps[string(name)]
		segs, backlog, lastText, err := loadSegments(dir, cp)
		if err != nil {
			return err
		}
		st := &stream{name: string(name), dir: dir, segs: segs, spilled: true, lastText: lastText}
		st.taken, st.committed, st.nextSeq = cp, cp, cp+1
		var size int64
		for _, s := range segs {
			size += s.size
			if s.last+1 > st.nextSeq {
				st.nextSeq = s.last + 1
			}
			if s.first > st.nextSeq {
				st.nextSeq = s.first
			}
		}
		p.avail.Add(int64(backlog))
		p.spoolBytes.Add(size)
		if len(segs) > 0 {
			last := segs[len(segs)-1]
			if st.wf, err = os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0o600); err != nil {
				return fmt.Errorf("open spool segment: %w", err)
			}
		}
		p.streams[st.name] = st
		p.order = append(p.order, st)
	}
	if p.avail.Load() > 0 {
		p.firstPending.Store(1) // backlog: flush at once
	}
	return nil
}

func (p *Pipeline) getStream(name string) (*stream, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.streams[name]; ok {
		return st, nil
	}
	dir := filepath.Join(p.dir, streamKey(name))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool stream dir: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "stream"), []byte(name), 0o600); err != nil {
		return nil, fmt.Errorf("write spool stream name: %w", err)
	}
	cp := p.cps[name]
	st := &stream{name: name, dir: dir, nextSeq: cp + 1, taken: cp, committed: cp}
	p.streams[name] = st
	p.order = append(p.order, st)
	return st, nil
}

// Submit ingests lines; consecutive lines of the same stream are spooled with one write (call it once per read
// of a stream). It never blocks on the database.
func (p *Pipeline) Submit(lines ...Line) {
	for i := 0; i < len(lines); {
		j := i + 1
		for j < len(lines) && lines[j].Stream == lines[i].Stream {
			j++
		}
		p.submitStream(lines[i:j])
		i = j
	}
}

// Respooled returns how many leading lines of lines (one read of stream) are a re-read of lines the stream
// already spooled: those up to and including the last line spooled, when it is among them. A reader that died
// after submitting a read but before consuming it from its source leaves exactly such a head; the lines' text
// (a timestamp to the microsecond and the event) makes an accidental match practically impossible.
func (p *Pipeline) Respooled(stream string, lines []string) int {
	p.mu.Lock()
	st := p.streams[stream]
	p.mu.Unlock()
	if st == nil {
		return 0
	}
	st.mu.Lock()
	last := st.lastText
	st.mu.Unlock()
	if last == "" {
		return 0
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if trimLine(lines[i]) == last {
			return i + 1
		}
	}
	return 0
}

// trimLine is the text a submitted line is spooled as: without trailing white space.
func trimLine(t string) string { return strings.TrimRight(t, " \t\r\n\f\v") }

type parsed struct {
	text string
	rec  event.Record
}

func (p *Pipeline) submitStream(lines []Line) {
	if p.closed.Load() {
		return
	}
	now := time.Now()
	texts := make([]string, 0, len(lines))
	for i := range lines {
		t := lines[i].Text
		if strings.IndexByte(t, '\n') >= 0 {
			for _, part := range strings.Split(t, "\n") {
				if part = trimLine(part); part != "" {
					texts = append(texts, part)
				}
			}
			continue
		}
		if t = trimLine(t); t != "" {
			texts = append(texts, t)
		}
	}
	if len(texts) == 0 {
		return
	}
	p.received.Add(int64(len(texts)))
	if p.raw != nil {
		if err := p.raw.Write(texts); err != nil {
			p.log.Error("ingest: forensic log", "err", err)
		}
	}
	l := &lines[0]
	keep := make([]parsed, 0, len(texts))
	for _, t := range texts {
		rec, err := event.Parse(t, now)
		if err != nil {
			p.unparseable.Add(1)
			continue
		}
		attribute(&rec, l.Decky, l.Service)
		if !p.adm.Admit(&rec, now) {
			p.admDropped.Add(1)
			continue
		}
		keep = append(keep, parsed{text: t, rec: rec})
	}
	if len(keep) == 0 {
		return
	}
	st, err := p.getStream(l.Stream)
	if err != nil {
		p.spoolDropped.Add(int64(len(keep)))
		p.log.Error("ingest: spool", "stream", l.Stream, "err", err)
		return
	}
	n, err := p.spoolAppend(st, l, keep, now)
	if err != nil {
		p.log.Error("ingest: spool write", "stream", l.Stream, "err", err)
	}
	if n == 0 {
		return
	}
	p.avail.Add(int64(n))
	p.firstPending.CompareAndSwap(0, now.UnixNano())
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// attribute applies spec/events.md §4.1 for a stream line: the runtime's decky replaces HOSTNAME, and an
// APP-NAME of "-" becomes the stream's service.
func attribute(r *event.Record, decky, service string) {
	if decky != "" {
		r.Decky = decky
	}
	if (r.Service == "-" || r.Service == "") && service != "" {
		r.Service = service
	}
}

// spoolAppend assigns sequence numbers, appends the records to the stream's spool with one write and queues
// them. It returns how many were spooled.
func (p *Pipeline) spoolAppend(st *stream, l *Line, keep []parsed, now time.Time) (int, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	b := st.wbuf[:0]
	first := st.nextSeq
	for i, k := range keep {
		b = AppendFrame(b, SpoolRecord{Stream: st.name, Seq: first + int64(i), Recv: now, Decky: l.Decky,
			Service: l.Service, Text: k.text})
	}
	st.wbuf = b
	if p.spoolBytes.Load()+int64(len(b)) > p.opts.MaxSpoolBytes {
		st.dropped.Add(int64(len(keep)))
		p.spoolDropped.Add(int64(len(keep)))
		return 0, nil
	}
	if len(st.segs) == 0 || st.segs[len(st.segs)-1].size >= p.opts.SegmentBytes {
		if err := p.rotate(st); err != nil {
			st.dropped.Add(int64(len(keep)))
			p.spoolDropped.Add(int64(len(keep)))
			return 0, err
		}
	}
	seg := &st.segs[len(st.segs)-1]
	off := seg.size
	if n, err := st.wf.Write(b); err != nil {
		if n > 0 {
			_ = os.Truncate(seg.path, off) // drop the torn part; the seqs are reused
		}
		st.dropped.Add(int64(len(keep)))
		p.spoolDropped.Add(int64(len(keep)))
		return 0, fmt.Errorf("append to %s: %w", seg.path, err)
	}
	seg.size += int64(len(b))
	st.lastText = keep[len(keep)-1].text
	seg.last = first + int64(len(keep)) - 1
	st.nextSeq = seg.last + 1
	st.dirty = true
	p.spoolBytes.Add(int64(len(b)))
	if !st.spilled && len(st.pending)+len(keep) <= p.opts.MemPerStream &&
		p.memItems.Load()+int64(len(keep)) <= int64(p.opts.MemRecords) {
		p.memItems.Add(int64(len(keep)))
		for i := range keep {
			st.pending = append(st.pending, item{seq: first + int64(i), rec: keep[i].rec})
		}
	} else if !st.spilled {
		st.spilled, st.readSeg, st.readOff = true, len(st.segs)-1, off
	}
	return len(keep), nil
}

// rotate starts a new segment at the stream's next seq (caller holds st.mu).
func (p *Pipeline) rotate(st *stream) error {
	if st.wf != nil {
		_ = st.wf.Sync()
		st.wf.Close()
		st.wf = nil
	}
	path := filepath.Join(st.dir, segName(st.nextSeq))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create spool segment: %w", err)
	}
	st.wf = f
	st.segs = append(st.segs, segment{first: st.nextSeq, last: st.nextSeq - 1, path: path})
	return nil
}

// take hands up to max records of st to the batcher, in seq order (caller holds st.mu).
func (p *Pipeline) take(st *stream, max int, out []store.Entry) []store.Entry {
	for got := 0; got < max; {
		if len(st.pending) > 0 {
			k := len(st.pending)
			if k > max-got {
				k = max - got
			}
			for _, it := range st.pending[:k] {
				out = append(out, store.Entry{Stream: st.name, Seq: it.seq, Rec: it.rec})
			}
			st.taken = st.pending[k-1].seq
			p.memItems.Add(-int64(k))
			clear(st.pending[:k])
			st.pending = st.pending[k:]
			got += k
			continue
		}
		if !st.spilled {
			break
		}
		if st.readSeg >= len(st.segs) {
			st.spilled = false
			break
		}
		seg := st.segs[st.readSeg]
		recs, next, corrupt, err := st.reader.readFrames(seg.path, st.readOff, seg.size, max-got)
		if err != nil {
			p.log.Error("ingest: spool read", "stream", st.name, "err", err)
			break
		}
		st.readOff = next
		for _, r := range recs {
			if r.Seq <= st.taken {
				continue
			}
			rec, perr := event.Parse(r.Text, r.Recv)
			if perr != nil {
				continue
			}
			attribute(&rec, r.Decky, r.Service)
			out = append(out, store.Entry{Stream: st.name, Seq: r.Seq, Rec: rec})
			st.taken = r.Seq
			got++
		}
		if corrupt || st.readOff >= seg.size {
			if st.readSeg < len(st.segs)-1 {
				st.readSeg++
				st.readOff = 0
				continue
			}
			if corrupt {
				p.log.Warn("ingest: corrupt spool tail skipped", "segment", seg.path, "offset", st.readOff)
			}
			st.spilled = false // caught up with the writer
			st.reader.close()
			break
		}
		if len(recs) == 0 {
			break
		}
	}
	return out
}

// collect builds a batch of up to max records, draining streams round-robin.
func (p *Pipeline) collect(max int) []store.Entry {
	p.mu.Lock()
	streams := p.order
	start := 0
	if len(streams) > 0 {
		start = p.rr % len(streams)
		p.rr++
	}
	p.mu.Unlock()
	if len(streams) == 0 {
		return nil
	}
	quantum := max / len(streams)
	if quantum < 32 {
		quantum = 32
	}
	out := make([]store.Entry, 0, max)
	for {
		before := len(out)
		for i := 0; i < len(streams) && len(out) < max; i++ {
			st := streams[(start+i)%len(streams)]
			q := quantum
			if q > max-len(out) {
				q = max - len(out)
			}
			st.mu.Lock()
			out = p.take(st, q, out)
			st.mu.Unlock()
		}
		if len(out) >= max || len(out) == before {
			break
		}
	}
	p.avail.Add(-int64(len(out)))
	return out
}

func (p *Pipeline) batcher() {
	defer p.wg.Done()
	defer close(p.drained)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	wait := func(d time.Duration) bool {
		timer.Reset(d)
		defer func() {
			if !timer.Stop() {
				select {
				case <-timer.C:
				default:
				}
			}
		}()
		select {
		case <-p.wake:
		case <-timer.C:
		case <-p.ctx.Done():
			return false
		}
		return true
	}
	for {
		for p.avail.Load() <= 0 && !p.closing.Load() {
			select {
			case <-p.wake:
			case <-p.ctx.Done():
				return
			}
		}
		fp := p.firstPending.Load()
		if fp == 0 {
			fp = time.Now().UnixNano()
			p.firstPending.CompareAndSwap(0, fp)
		}
		deadline := time.Unix(0, fp).Add(p.opts.MaxWait)
		for p.avail.Load() < int64(p.opts.BatchSize) && !p.closing.Load() {
			d := time.Until(deadline)
			if d <= 0 {
				break
			}
			if !wait(d) {
				return
			}
		}
		batch := p.collect(p.opts.BatchSize)
		if p.avail.Load() <= 0 {
			p.firstPending.Store(0)
		}
		if len(batch) == 0 {
			if p.closing.Load() {
				return // drained
			}
			if p.avail.Load() > 0 && !wait(p.opts.MaxWait) {
				return
			}
			continue
		}
		if !p.commit(batch) {
			return
		}
	}
}

// commit writes one batch, retrying while the database is unreachable. It returns false when the pipeline was
// aborted.
func (p *Pipeline) commit(batch []store.Entry) bool {
	backoff := 50 * time.Millisecond
	for {
		res, err := p.w.WriteBatch(p.ctx, batch)
		if err == nil {
			if p.dbDown.Swap(false) {
				p.log.Info("ingest: database reachable again")
			}
			p.afterCommit(batch, res)
			return true
		}
		if p.ctx.Err() != nil {
			return false
		}
		if store.IsDataError(err) {
			return p.commitEach(batch)
		}
		p.commitErrors.Add(1)
		if !p.dbDown.Swap(true) {
			p.log.Warn("ingest: database unreachable; spooling", "err", err)
		}
		select {
		case <-time.After(backoff):
		case <-p.ctx.Done():
			return false
		}
		if backoff *= 2; backoff > 2*time.Second {
			backoff = 2 * time.Second
		}
	}
}

// commitEach writes a batch the database rejected one record at a time, stepping over (and counting) the
// records it refuses.
func (p *Pipeline) commitEach(batch []store.Entry) bool {
	for i := range batch {
		one := batch[i : i+1]
		for {
			res, err := p.w.WriteBatch(p.ctx, one)
			if err == nil {
				p.afterCommit(one, res)
				break
			}
			if p.ctx.Err() != nil {
				return false
			}
			if store.IsDataError(err) {
				p.log.Error("ingest: record rejected by the database", "stream", one[0].Stream, "seq", one[0].Seq, "err", err)
				if aerr := p.w.AdvanceCheckpoint(p.ctx, one[0].Stream, one[0].Seq); aerr == nil {
					p.rejected.Add(1)
					p.mu.Lock()
					st := p.streams[one[0].Stream]
					p.mu.Unlock()
					if st != nil {
						st.dropped.Add(1)
					}
					p.afterCommit(one, store.BatchResult{IDs: []int64{0}, Skipped: 0})
					break
				}
			}
			p.commitErrors.Add(1)
			select {
			case <-time.After(200 * time.Millisecond):
			case <-p.ctx.Done():
				return false
			}
		}
	}
	return true
}

func (p *Pipeline) afterCommit(batch []store.Entry, res store.BatchResult) {
	p.committed.Add(int64(res.Inserted))
	p.duplicates.Add(int64(res.Skipped))
	maxSeq := map[string]int64{}
	for _, e := range batch {
		if e.Seq > maxSeq[e.Stream] {
			maxSeq[e.Stream] = e.Seq
		}
	}
	p.mu.Lock()
	for name, seq := range maxSeq {
		st := p.streams[name]
		if st == nil {
			continue
		}
		st.mu.Lock()
		if seq > st.committed {
			st.committed = seq
		}
		p.truncate(st)
		st.mu.Unlock()
	}
	p.mu.Unlock()
	if p.opts.Bus != nil {
		evs := make([]Event, 0, len(batch))
		for i, e := range batch {
			if i < len(res.IDs) && res.IDs[i] != 0 {
				evs = append(evs, Event{ID: res.IDs[i], Stream: e.Stream, Seq: e.Seq, Record: e.Rec})
			}
		}
		p.opts.Bus.Publish(evs)
	}
	if p.opts.OnCommit != nil && len(res.IPs) > 0 {
		p.opts.OnCommit(res.IPs)
	}
}

// truncate deletes the stream's fully committed segments, never the newest one nor one still to be read
// (caller holds st.mu).
func (p *Pipeline) truncate(st *stream) {
	del := 0
	for del < len(st.segs)-1 && st.segs[del].last <= st.committed && (!st.spilled || del < st.readSeg) {
		del++
	}
	if del == 0 {
		return
	}
	for _, s := range st.segs[:del] {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			p.log.Warn("ingest: remove spool segment", "path", s.path, "err", err)
		}
		p.spoolBytes.Add(-s.size)
	}
	st.segs = append(st.segs[:0:0], st.segs[del:]...)
	if st.readSeg -= del; st.readSeg < 0 {
		st.readSeg = 0
	}
}

// syncer fsyncs written spool segments in batches.
func (p *Pipeline) syncer() {
	defer p.wg.Done()
	t := time.NewTicker(p.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.syncAll()
		case <-p.ctx.Done():
			return
		}
	}
}

func (p *Pipeline) syncAll() {
	p.mu.Lock()
	streams := p.order
	p.mu.Unlock()
	for _, st := range streams {
		st.mu.Lock()
		f, dirty := st.wf, st.dirty
		st.dirty = false
		st.mu.Unlock()
		if dirty && f != nil {
			_ = f.Sync() // a segment rotated meanwhile was synced before closing
		}
	}
}

// Stats returns the pipeline's counters.
func (p *Pipeline) Stats() Stats {
	s := Stats{Received: p.received.Load(), Unparseable: p.unparseable.Load(), AdmissionDropped: p.admDropped.Load(),
		SpoolDropped: p.spoolDropped.Load(), Rejected: p.rejected.Load(), Committed: p.committed.Load(),
		Duplicates: p.duplicates.Load(), CommitErrors: p.commitErrors.Load(), Backlog: p.avail.Load(),
		SpoolBytes: p.spoolBytes.Load(), DBUp: !p.dbDown.Load(), Streams: map[string]StreamStats{}}
	p.mu.Lock()
	streams := p.order
	p.mu.Unlock()
	for _, st := range streams {
		st.mu.Lock()
		s.Streams[st.name] = StreamStats{NextSeq: st.nextSeq, Committed: st.committed, Dropped: st.dropped.Load()}
		st.mu.Unlock()
	}
	return s
}

// Close stops accepting lines, commits everything spooled (until ctx ends; what remains stays in the spool for
// the next start), syncs and closes the spool.
func (p *Pipeline) Close(ctx context.Context) error {
	if p.closed.Swap(true) {
		return nil
	}
	p.closing.Store(true)
	select {
	case p.wake <- struct{}{}:
	default:
	}
	var err error
	select {
	case <-p.drained:
	case <-ctx.Done():
		err = fmt.Errorf("close ingest: %d records left in the spool: %w", p.avail.Load(), ctx.Err())
	}
	p.cancel()
	p.wg.Wait()
	p.shutdown(true)
	return err
}

// Abort stops the pipeline at once without flushing (what is spooled is replayed by the next New), as a crash
// would.
func (p *Pipeline) Abort() {
	if p.closed.Swap(true) {
		return
	}
	p.cancel()
	p.wg.Wait()
	p.shutdown(false)
}

func (p *Pipeline) shutdown(sync bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, st := range p.order {
		st.mu.Lock()
		if st.wf != nil {
			if sync {
				_ = st.wf.Sync()
			}
			st.wf.Close()
			st.wf = nil
		}
		st.reader.close()
		st.mu.Unlock()
	}
	if p.raw != nil {
		p.raw.Close()
	}
}
