package shell

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, s := range []string{"ls -la", "a;b&&c||d|e", `echo "x$Y" 'z' \q`, "cat < in > out 2>&1", "${", "$", "'", "\"\\",
		"echo 2>>x &> y", strings.Repeat("a ", 600), "|||;;;&&&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s, func(k string) string { return k })
		if err != nil {
			return
		}
		for _, pl := range p {
			if len(pl.Cmds) == 0 {
				t.Fatalf("empty pipeline from %q", s)
			}
		}
	})
}

// FuzzSession runs arbitrary command lines through a session: it must never panic or hang.
func FuzzSession(f *testing.F) {
	for _, s := range []string{"ls -la /", "cat /proc/cpuinfo | grep model | head -n 2", "find / -name '*'",
		"echo $(id) | base64 -d", "rm -rf / ; ls /", "sh -c 'sh -c \"sh -c ls\"'", "cd ..; cd -; cd ~/x", "mkdir -p a/b/c && cd a/b/c"} {
		f.Add(s)
	}
	sys := testSystem(f, "debian", false)
	f.Fuzz(func(t *testing.T, s string) {
		ss, _ := sys.NewSession("alice")
		ss.Out = io.Discard
		ss.Term = &fakeTerm{}
		ss.Run(s)
		ss.Run("ls")
	})
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("abc\r\n"), true)
	f.Add([]byte("\x1b[A\x1b[1;5C\x7f\x7f\x03\x04"), false)
	f.Add([]byte("\r\x00\r\n\n\xff\xfe"), true)
	f.Fuzz(func(t *testing.T, in []byte, echo bool) {
		lr := &LineReader{R: bytes.NewReader(in), W: io.Discard, Echo: echo}
		for range len(in) + 2 {
			l, err := lr.ReadLine("")
			if len(l) > MaxInputLine {
				t.Fatalf("line of %d bytes", len(l))
			}
			if err == io.EOF {
				return
			}
		}
	})
}
