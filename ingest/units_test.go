package ingest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/decnet/decnet/event"
)

func sampleFrames(n int) ([]SpoolRecord, []byte) {
	var recs []SpoolRecord
	var b []byte
	for i := 0; i < n; i++ {
		r := SpoolRecord{Stream: "ctr-1/task-1", Seq: int64(i + 1), Recv: time.Unix(1700000000, int64(i)).UTC(),
			Decky: "decky-01", Service: "ssh", Text: fmt.Sprintf(`<134>1 2026-04-04T10:00:00Z d ssh - x [relay@55555 n="%d"]`, i)}
		recs = append(recs, r)
		b = AppendFrame(b, r)
	}
	return recs, b
}

func TestFrameRoundTrip(t *testing.T) {
	recs, b := sampleFrames(5)
	got, n := DecodeFrames(b)
	if n != len(b) || len(got) != 5 {
		t.Fatalf("decoded %d records, %d of %d bytes", len(got), n, len(b))
	}
	for i := range recs {
		if got[i] != recs[i] {
			t.Fatalf("record %d: %+v != %+v", i, got[i], recs[i])
		}
	}
	for _, tc := range []struct {
		name   string
		mangle func([]byte) []byte
		want   int
	}{
		{"torn tail", func(b []byte) []byte { return b[:len(b)-3] }, 4},
		{"flipped byte in last", func(b []byte) []byte { b[len(b)-5] ^= 0xff; return b }, 4},
		{"garbage appended", func(b []byte) []byte { return append(b, 0, 0, 1, 0, 9, 9, 9, 9, 1, 2) }, 5},
		{"zero length", func(b []byte) []byte { return append(b, 0, 0, 0, 0, 0, 0, 0, 0) }, 5},
		{"huge length", func(b []byte) []byte { return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0) }, 5},
	} {
		c := tc.mangle(append([]byte(nil), b...))
		got, _ := DecodeFrames(c)
		if len(got) != tc.want {
			t.Errorf("%s: %d records, want %d", tc.name, len(got), tc.want)
		}
	}
}

// FuzzSpoolReader: whatever follows a valid prefix (torn or corrupt tail), the prefix is replayed in full, and
// reading never panics or hangs; the same holds for the file reader used in replay.
func FuzzSpoolReader(f *testing.F) {
	_, good := sampleFrames(3)
	f.Add([]byte{})
	f.Add(good[:10])
	f.Add(good)
	f.Add([]byte{0, 0, 0, 4, 1, 2, 3, 4, 5})
	f.Add(bytes.Repeat([]byte{0xff}, 40))
	f.Fuzz(func(t *testing.T, tail []byte) {
		recs, prefix := sampleFrames(3)
		data := append(prefix, tail...)
		got, n := DecodeFrames(data)
		if len(got) < len(recs) || n < len(prefix) || n > len(data) {
			t.Fatalf("prefix lost: %d records, %d bytes", len(got), n)
		}
		for i := range recs {
			if got[i] != recs[i] {
				t.Fatalf("record %d changed", i)
			}
		}
		_, _ = DecodeFrames(tail)
		path := filepath.Join(t.TempDir(), "seg")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var r segReader
		defer r.close()
		fr, next, _, err := r.readFrames(path, 0, int64(len(data)), 1<<20)
		if err != nil || len(fr) != len(got) || next != int64(n) {
			t.Fatalf("file reader: %d records to %d (%v); want %d to %d", len(fr), next, err, len(got), n)
		}
	})
}

func TestLoadSegmentsCutsTornTail(t *testing.T) {
	dir := t.TempDir()
	_, b := sampleFrames(4)
	path := filepath.Join(dir, segName(1))
	if err := os.WriteFile(path, append(b, 0, 0, 0, 50, 1, 2), 0o600); err != nil {
		t.Fatal(err)
	}
	segs, n, _, err := loadSegments(dir, 1)
	if err != nil || len(segs) != 1 || n != 3 || segs[0].last != 4 || segs[0].size != int64(len(b)) {
		t.Fatalf("%v %d %+v", err, n, segs)
	}
	if st, _ := os.Stat(path); st.Size() != int64(len(b)) {
		t.Fatalf("torn tail not cut: %d", st.Size())
	}
}

func TestAdmissionE17(t *testing.T) {
	rec := func(svc, typ string) *event.Record {
		return &event.Record{AttackerIP: "1.2.3.4", Decky: "d", Service: svc, EventType: typ}
	}
	t0 := time.Now()
	for _, tc := range []struct {
		name string
		seq  []*event.Record
		at   []time.Duration
		want []bool
	}{
		{"connect twice within 1 s", []*event.Record{rec("http", "connect"), rec("http", "connect")}, []time.Duration{0, 500 * time.Millisecond}, []bool{true, false}},
		{"connect after the window", []*event.Record{rec("http", "connect"), rec("http", "connect")}, []time.Duration{0, 1100 * time.Millisecond}, []bool{true, true}},
		{"auth_attempt twice", []*event.Record{rec("http", "auth_attempt"), rec("http", "auth_attempt")}, []time.Duration{0, 0}, []bool{true, true}},
		{"connect then disconnect", []*event.Record{rec("http", "connect"), rec("http", "disconnect")}, []time.Duration{0, 0}, []bool{true, true}},
		{"drop list", []*event.Record{rec("sshd", "x"), rec("pam_unix", "x"), rec("CRON", "x")}, []time.Duration{0, 0, 0}, []bool{false, false, false}},
	} {
		a := NewAdmission(DefaultDropApps, DefaultRLEventTypes, time.Second)
		for i, r := range tc.seq {
			if got := a.Admit(r, t0.Add(tc.at[i])); got != tc.want[i] {
				t.Errorf("%s: #%d admitted %v, want %v", tc.name, i, got, tc.want[i])
			}
		}
	}
	off := NewAdmission(nil, DefaultRLEventTypes, -1)
	first := off.Admit(rec("http", "connect"), t0)
	second := off.Admit(rec("http", "connect"), t0.Add(time.Millisecond))
	if !first || !second {
		t.Error("window ≤ 0 must disable the rate limit")
	}
}

func TestRawLogRotation(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenRawLog(dir, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if err := l.Write([]string{fmt.Sprintf("line %02d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	cur, _ := os.ReadFile(filepath.Join(dir, RawLogName))
	old, _ := os.ReadFile(filepath.Join(dir, RawLogName+".1"))
	if len(cur) > 100 || !bytes.Contains(cur, []byte("line 19")) || !bytes.Contains(old, []byte("line 17")) {
		t.Fatalf("current %q / .1 %q", cur, old)
	}
	if _, err := os.Stat(filepath.Join(dir, RawLogName+".3")); !os.IsNotExist(err) {
		t.Fatal("retention exceeded")
	}
}

func TestBusDropsCounted(t *testing.T) {
	b := NewBus()
	slow := b.Subscribe(2)
	fast := b.Subscribe(10)
	b.Publish([]Event{{ID: 1}, {ID: 2}, {ID: 3}, {ID: 4}})
	if slow.Dropped() != 2 || fast.Dropped() != 0 || len(fast.C) != 4 {
		t.Fatalf("slow dropped %d, fast dropped %d queued %d", slow.Dropped(), fast.Dropped(), len(fast.C))
	}
	slow.Close()
	b.Publish([]Event{{ID: 5}})
	if _, ok := <-slow.C; !ok {
		t.Fatal("queued events must stay readable after Close")
	}
}
