package ssh

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

// kexinitPacket builds an unencrypted binary packet holding a KEXINIT with the given name-lists.
func kexinitPacket(lists [10]string) []byte {
	payload := []byte{20}
	payload = append(payload, make([]byte, 16)...)
	for _, l := range lists {
		payload = binary.BigEndian.AppendUint32(payload, uint32(len(l)))
		payload = append(payload, l...)
	}
	payload = append(payload, 0, 0, 0, 0, 0)
	pad := 8 - (len(payload)+5)%8
	if pad < 4 {
		pad += 8
	}
	pkt := binary.BigEndian.AppendUint32(nil, uint32(len(payload)+pad+1))
	pkt = append(pkt, byte(pad))
	pkt = append(pkt, payload...)
	return append(pkt, make([]byte, pad)...)
}

func TestParsePreamble(t *testing.T) {
	lists := [10]string{"curve25519-sha256,ext-info-c", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""}
	full := append([]byte("SSH-2.0-libssh_0.9.6\r\n"), kexinitPacket(lists)...)
	p, err := ParsePreamble(full)
	if err != nil {
		t.Fatal(err)
	}
	algos := "curve25519-sha256,ext-info-c;aes128-ctr;hmac-sha2-256;none"
	sum := md5.Sum([]byte(algos))
	if p.Version != "SSH-2.0-libssh_0.9.6" || p.HASSHAlgorithms() != algos || p.HASSH() != hex.EncodeToString(sum[:]) {
		t.Fatalf("preamble %+v hassh %s", p, p.HASSH())
	}
	for i := range len(full) - 1 {
		if _, err := ParsePreamble(full[:i]); !errors.Is(err, errNeedMore) {
			t.Fatalf("prefix %d: want errNeedMore, got %v", i, err)
		}
	}
	for _, bad := range []string{"SSH-2.0-x\r\n\xff\xff\xff\xff\x04\x14", "SSH-2.0-x\r\n\x00\x00\x00\x08\x04\x15aaaaaaaa", strings.Repeat("x", 300)} {
		if _, err := ParsePreamble([]byte(bad)); err == nil || errors.Is(err, errNeedMore) {
			t.Errorf("%q: want a hard error, got %v", bad, err)
		}
	}
}

func FuzzParsePreamble(f *testing.F) {
	lists := [10]string{"curve25519-sha256", "ssh-ed25519", "aes128-ctr", "aes128-ctr", "hmac-sha2-256", "hmac-sha2-256", "none", "none", "", ""}
	f.Add(append([]byte("SSH-2.0-OpenSSH_9.2\r\n"), kexinitPacket(lists)...))
	f.Add([]byte("junk\r\nSSH-2.0-x\n\x00\x00\x00\x0c\x04\x14"))
	f.Add([]byte("SSH-2.0-x\r\n\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePreamble(b)
		if err == nil && (p == nil || len(p.Kex) != 4 || len(p.HASSH()) != 32) {
			t.Fatalf("accepted preamble without HASSH inputs: %+v", p)
		}
	})
}

func FuzzSCPControl(f *testing.F) {
	for _, s := range []string{"C0644 12 a.txt", "D0755 0 dir", "E", "T1700000000 0 1700000000 0", "C0644 -1 x", "C9999 1 ../x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseSCPControl(s)
		if err == nil && (c.Size < 0 || strings.Contains(c.Name, "/")) {
			t.Fatalf("accepted %q as %+v", s, c)
		}
	})
}
