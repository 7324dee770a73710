package netns

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"slices"
	"testing"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{{"decnet-a", true}, {"", false}, {"..", false}, {"a/b", false}, {"a\x00", false}} {
		if got := ValidName(tc.in); got != tc.want {
			t.Errorf("ValidName(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCreateDeleteList(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create network namespaces")
	}
	prefix := fmt.Sprintf("dnt-ns-%06x-", rand.IntN(1<<24))
	name := prefix + "a"
	t.Cleanup(func() { Delete(name) })
	p, err := Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if p != Path(name) || !Exists(name) {
		t.Fatalf("Create returned %s, exists=%v", p, Exists(name))
	}
	if p2, err := Create(name); err != nil || p2 != p {
		t.Fatalf("second Create = %s, %v", p2, err)
	}
	got, err := List(prefix)
	if err != nil || !slices.Equal(got, []string{name}) {
		t.Fatalf("List = %v, %v", got, err)
	}
	// Inside the namespace only lo exists and it differs from ours.
	var ifs []net.Interface
	if err := Do(name, func() error { var e error; ifs, e = net.Interfaces(); return e }); err != nil {
		t.Fatal(err)
	}
	if len(ifs) != 1 || ifs[0].Name != "lo" {
		t.Fatalf("interfaces in new netns = %v", ifs)
	}
	runtime.LockOSThread()
	host, _ := os.Readlink("/proc/thread-self/ns/net")
	runtime.UnlockOSThread()
	var inside string
	Do(name, func() error { inside, _ = os.Readlink("/proc/thread-self/ns/net"); return nil })
	if inside == host || inside == "" {
		t.Fatalf("netns inode %q equals host %q", inside, host)
	}
	if err := Delete(name); err != nil {
		t.Fatal(err)
	}
	if Exists(name) {
		t.Fatal("still exists after Delete")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("pin file left: %v", err)
	}
	if err := Delete(name); err != nil {
		t.Fatalf("second Delete: %v", err)
	}
}
