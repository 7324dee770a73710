package telnet

import (
	"bufio"
	"bytes"
	"net"
	"testing"

	"github.com/decnet/decnet/services/servicetest"
)

// BenchmarkLogin measures telnet logins per second: connect, negotiate, log in, run one command.
func BenchmarkLogin(b *testing.B) {
	in := servicetest.Start(b, "telnet")
	readUntil := func(r *bufio.Reader, s string) {
		var got []byte
		for !bytes.HasSuffix(got, []byte(s)) {
			c, err := r.ReadByte()
			if err != nil {
				b.Fatalf("read: %v (%q)", err, got)
			}
			got = append(got, c)
		}
	}
	for b.Loop() {
		c, err := net.Dial("tcp", in.Addr(23))
		if err != nil {
			b.Fatal(err)
		}
		r := bufio.NewReader(c)
		c.Write([]byte{IAC, WONT, OptTType})
		readUntil(r, "login: ")
		c.Write([]byte("root\r\n"))
		readUntil(r, "Password: ")
		c.Write([]byte("admin\r\n"))
		readUntil(r, "# ")
		c.Write([]byte("id\r\n"))
		readUntil(r, "# ")
		c.Close()
	}
}
