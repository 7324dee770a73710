package daemon

import (
	"io"
	"log/slog"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestCheckAPIBind(t *testing.T) {
	decoy := netip.MustParsePrefix("10.213.7.0/24")
	cases := []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"localhost", true}, {"10.213.8.1", true},
		{"10.213.7.1", false}, {"10.213.7.200", false}, {"::ffff:10.213.7.9", false},
	}
	for _, c := range cases {
		if err := CheckAPIBind(c.host, decoy); (err == nil) != c.ok {
			t.Errorf("CheckAPIBind(%s): %v", c.host, err)
		}
	}
	if err := CheckAPIBind("10.213.7.1", netip.Prefix{}); err != nil {
		t.Errorf("no deployment: %v", err)
	}
}

// A wildcard listener drops connections that arrive on a decoy address.
func TestDecoyFilter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	decoy := netip.MustParsePrefix("127.0.0.0/8") // loopback stands in for the decoy LAN
	f := decoyFilter{Listener: ln, decoy: func() netip.Prefix { return decoy }, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := f.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection on a decoy address was served")
	}
	select {
	case <-accepted:
		t.Fatal("Accept returned a decoy connection")
	case <-time.After(100 * time.Millisecond):
	}
	ln.Close()
}
