package ldap

import (
	"io"

	"bufio"
	"bytes"
	"testing"

	"github.com/decnet/decnet/services"
)

func TestValidDN(t *testing.T) {
	cases := []struct {
		dn    string
		ad    bool
		valid bool
	}{
		{"cn=admin,dc=example,dc=com", false, true},
		{"CN=John Smith,OU=Users,DC=corp,DC=local", true, true},
		{`cn=a\,b,dc=x`, false, true},
		{"2.5.4.3=x,dc=y", false, true},
		{"not a dn", false, false},
		{"admin", true, false},
		{"admin@corp.local", true, true},
		{`CORP\admin`, true, true},
		{"admin@corp.local", false, false},
		{"cn=x,", false, false},
		{`cn=x\`, false, false},
	}
	for _, c := range cases {
		if got := ValidDN(c.dn, c.ad); got != c.valid {
			t.Errorf("ValidDN(%q, ad=%v) = %v", c.dn, c.ad, got)
		}
	}
}

func TestFilterString(t *testing.T) {
	cases := []struct {
		ber  []byte
		want string
	}{
		{[]byte("\x87\x0bobjectClass"), "(objectClass=*)"},
		{[]byte("\xa3\x0b\x04\x03uid\x04\x04b(b)"), `(uid=b\28b\29)`},
		{[]byte("\xa0\x10\xa3\x08\x04\x02cn\x04\x02ad\x87\x04mail"), "(&(cn=ad)(mail=*))"},
		{[]byte("\xa4\x0f\x04\x02cn\x30\x09\x80\x02ad\x81\x01m\x82\x00"), "(cn=ad*m*)"},
	}
	for _, c := range cases {
		e, _, err := ReadElem(c.ber)
		if err != nil {
			t.Fatalf("%x: %v", c.ber, err)
		}
		got, err := FilterString(e)
		if err != nil || got != c.want {
			t.Errorf("%x: %q %v, want %q", c.ber, got, err, c.want)
		}
	}
}

func TestReadMessageBounds(t *testing.T) {
	for _, in := range [][]byte{{0x30, 0x84, 0x7f, 0, 0, 0}, {0x30, 0x80}, {0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		if _, err := ReadMessage(bufio.NewReader(bytes.NewReader(in))); err == nil {
			t.Errorf("no error for %x", in)
		}
	}
	msg, err := ReadMessage(bufio.NewReader(bytes.NewReader([]byte{0x30, 0x81, 0x03, 1, 2, 3, 9})))
	if err != nil || len(msg) != 6 {
		t.Fatalf("%x %v", msg, err)
	}
}

func FuzzBER(f *testing.F) {
	f.Add([]byte("\x30\x0c\x02\x01\x01\x60\x07\x02\x01\x02\x04\x00\x80\x00"))
	f.Add([]byte("\x30\x84\x00\x00\x00\x2d\x02\x01\x07\x63\x84\x00\x00\x00\x24\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x64\x01\x01\x00\x87\x0b\x6f\x62\x6a\x65\x63\x74\x43\x6c\x61\x73\x73\x30\x84\x00\x00\x00\x00"))
	f.Add([]byte("\x30\x1a\x02\x01\x02\x63\x15\x04\x00\x0a\x01\x00\x0a\x01\x00\x02\x01\x00\x02\x01\x00\x01\x01\x00\xa0\x00\x30\x00"))
	s := &Server{}
	env := services.NewEnv("ldap", io.Discard)
	env.Hostname = "FUZZ"
	s.configure(env)
	f.Fuzz(func(t *testing.T, b []byte) {
		if e, _, err := ReadElem(b); err == nil {
			_, _ = FilterString(e)
			_, _ = Children(e.Value)
		}
		if msg, err := ReadMessage(bufio.NewReader(bytes.NewReader(b))); err == nil {
			cn := &conn{s: s}
			_, _ = cn.process(msg)
		}
	})
}
