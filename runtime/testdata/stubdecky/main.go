// Command stubdecky is a test stand-in for the decky binary: `pause` sleeps until SIGTERM, `serve SVC`
// listens on DECNET_STUB_PORT (default 22) and prints one RFC 5424 line per connection on stdout.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

func line(svc, msgid, sd string) {
	fmt.Printf("<134>1 %s %s %s - %s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000000Z"),
		os.Getenv("DECNET_DECKY"), svc, msgid, sd)
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: decky pause|serve SVC")
		os.Exit(2)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	switch os.Args[1] {
	case "pause":
		<-sig
	case "serve":
		svc := "svc"
		if len(os.Args) > 2 {
			svc = os.Args[2]
		}
		port := os.Getenv("DECNET_STUB_PORT")
		if port == "" {
			port = "22"
		}
		ln, err := net.Listen("tcp", ":"+port)
		if err != nil {
			fmt.Fprintln(os.Stderr, "listen:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "stub serving", svc, "on", port)
		line(svc, "startup", "-")
		go func() {
			n := 0
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				n++
				a := c.RemoteAddr().(*net.TCPAddr)
				line(svc, "connect", fmt.Sprintf(`[relay@55555 src="%s" src_port="%d" n="%s"]`, a.IP, a.Port, strconv.Itoa(n)))
				c.Write([]byte("hello from " + os.Getenv("DECNET_HOSTNAME") + "\n"))
				c.Close()
			}
		}()
		<-sig
	default:
		fmt.Fprintln(os.Stderr, "unknown verb", os.Args[1])
		os.Exit(2)
	}
}
