package runtime

import (
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func contains(s []string, v string) bool { return slices.Contains(s, v) }

func procAlive(pid uint32) bool {
	_, err := os.Stat("/proc/" + itoa(pid))
	return err == nil
}

func itoa(u uint32) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + u%10)}, b...)
		u /= 10
		if u == 0 {
			return string(b)
		}
	}
}

// lineTime parses the RFC 5424 timestamp of a line (zero on failure).
func lineTime(s string) time.Time {
	f := strings.Fields(s)
	if len(f) < 2 {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, f[1])
	return t
}

func (f *fixture) taskPidMaybe(id string) uint32 {
	c, err := f.env.Client.LoadContainer(ctxNS(), id)
	if err != nil {
		return 0
	}
	t, err := c.Task(ctxNS(), nil)
	if err != nil {
		return 0
	}
	return t.Pid()
}
