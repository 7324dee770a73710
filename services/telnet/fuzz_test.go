package telnet

import (
	"bytes"
	"testing"
)

func TestParserSplitSequences(t *testing.T) {
	in := []byte{'a', IAC, DO, OptEcho, 'b', IAC, IAC, IAC, SB, OptNAWS, 0, 80, IAC, IAC, 24, IAC, SE, 'c'}
	for split := range len(in) + 1 {
		var p Parser
		d1, c1 := p.Feed(in[:split], nil)
		d2, c2 := p.Feed(in[split:], d1)
		cmds := append(c1, c2...)
		if string(d2) != "ab\xffc" || len(cmds) != 2 || cmds[0].Verb != DO || cmds[0].Opt != OptEcho ||
			cmds[1].Verb != SB || !bytes.Equal(cmds[1].Data, []byte{0, 80, IAC, 24}) {
			t.Fatalf("split %d: data %q cmds %+v", split, d2, cmds)
		}
	}
}

func FuzzParser(f *testing.F) {
	f.Add([]byte{IAC, WILL, 1, 'x', IAC, SB, 31, 0, 80, 0, 24, IAC, SE})
	f.Add([]byte{IAC, SB, 24, IAC})
	f.Add(bytes.Repeat([]byte{IAC}, 100))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Parser
		data, cmds := p.Feed(b, nil)
		if len(data) > len(b) {
			t.Fatalf("data grew: %d > %d", len(data), len(b))
		}
		for _, c := range cmds {
			if len(c.Data) > maxSB {
				t.Fatalf("subnegotiation of %d bytes", len(c.Data))
			}
		}
		if bytes.IndexByte(b, IAC) < 0 && !bytes.Equal(data, b) {
			t.Fatal("plain data altered")
		}
	})
}
