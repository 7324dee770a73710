package ssh

import (
	"testing"
	"time"

	xssh "golang.org/x/crypto/ssh"
)

func dialClient(t testing.TB, addr, user, pw string) *xssh.Client {
	t.Helper()
	c, err := xssh.Dial("tcp", addr, &xssh.ClientConfig{User: user, Auth: []xssh.AuthMethod{xssh.Password(pw)},
		HostKeyCallback: xssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	return c
}
