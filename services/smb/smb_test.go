package smb_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	//lint:ignore SA1019 MD4 is what MS-NLMP NTOWFv2 uses; tests recompute real NTLM responses
	"golang.org/x/crypto/md4"

	"github.com/decnet/decnet/services/servicetest"
	_ "github.com/decnet/decnet/services/smb"
)

// utf16le encodes s as UTF-16LE.
func utf16le(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// verifyNetNTLMv2 recomputes NTProofStr of a hashcat 5600 line from the password (MS-NLMP 3.3.2) and
// fails the test when it does not match.
func verifyNetNTLMv2(t *testing.T, line, password string) {
	t.Helper()
	parts := strings.Split(line, ":")
	if len(parts) != 6 || parts[1] != "" {
		t.Fatalf("not a 5600 line: %q", line)
	}
	user, domain := parts[0], parts[2]
	chal, err1 := hex.DecodeString(parts[3])
	proof, err2 := hex.DecodeString(parts[4])
	blob, err3 := hex.DecodeString(parts[5])
	if err1 != nil || err2 != nil || err3 != nil || len(chal) != 8 || len(proof) != 16 {
		t.Fatalf("bad hex in %q", line)
	}
	h := md4.New()
	h.Write(utf16le(password))
	m := hmac.New(md5.New, h.Sum(nil))
	m.Write(utf16le(strings.ToUpper(user) + domain))
	ntowf := m.Sum(nil)
	m = hmac.New(md5.New, ntowf)
	m.Write(chal)
	m.Write(blob)
	if got := m.Sum(nil); !hmac.Equal(got, proof) {
		t.Fatalf("NTProofStr mismatch: computed %x, captured %x (line %q)", got, proof, line)
	}
}

func need(t *testing.T, bin string) {
	t.Helper()
	if _, err := exec.LookPath(bin); err != nil {
		t.Skipf("%s not installed: %v", bin, err)
	}
}

func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func TestSmbclientCapturesNetNTLMv2(t *testing.T) {
	need(t, "smbclient")
	for _, port := range []int{445, 139} {
		t.Run(strconv.Itoa(port), func(t *testing.T) {
			in := servicetest.Start(t, "smb")
			out, _ := run(t, 30*time.Second, "smbclient", "-L", "//127.0.0.1", "-p", strconv.Itoa(in.Port(port)),
				"-U", "alice%S3cret!", "-W", "CORPX")
			line := in.WaitType(t, 5*time.Second, "auth_attempt")
			r := servicetest.Parse(t, line)
			if !strings.HasPrefix(line, "<132>") {
				t.Errorf("auth_attempt not WARNING: %s", line)
			}
			f := r.Fields
			if f["username"] != "alice" || f["domain"] != "CORPX" || f["principal"] != `CORPX\alice` ||
				f["secret_kind"] != "ntlmssp_v2" || f["src_ip"] != "127.0.0.1" {
				t.Fatalf("fields %v\nsmbclient: %s", f, out)
			}
			verifyNetNTLMv2(t, f["secret_printable"], "S3cret!")
			nt, err := base64.StdEncoding.DecodeString(f["secret_b64"])
			if err != nil || hex.EncodeToString(nt[:16]) != strings.Split(f["secret_printable"], ":")[4] {
				t.Errorf("secret_b64 is not the NT response: %v", err)
			}
			if !strings.Contains(out, "LOGON_FAILURE") {
				t.Errorf("smbclient did not fail with LOGON_FAILURE: %s", out)
			}
			neg := servicetest.Parse(t, in.WaitType(t, time.Second, "negotiate"))
			if !strings.Contains(neg.Fields["dialects"], "0x0311") {
				t.Errorf("negotiate dialects %q", neg.Fields["dialects"])
			}
			t.Log(strings.Join(in.Lines(), "\n"))
		})
	}
}
