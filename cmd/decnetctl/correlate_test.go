package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// e20 is the traversal example of spec/events.md §10.
const e20 = `<134>1 2026-04-04T10:00:00.000000Z decky-01 ssh - login_attempt [relay@55555 src_ip="9.9.9.9"]
<134>1 2026-04-04T10:05:00.000000Z decky-02 http - request [relay@55555 src_ip="9.9.9.9"]
<134>1 2026-04-04T10:06:00.000000Z decky-02 mutator - decky_mutated [relay@55555 decky="decky-02" old_services="http" new_services="http,ftp" trigger="scheduled"]
<134>1 2026-04-04T10:10:00.000000Z decky-03 ftp - login_attempt [relay@55555 src_ip="9.9.9.9"]
<134>1 2026-04-04T10:01:00.000000Z decky-01 ssh - connection [relay@55555 src_ip="8.8.4.4"]
<134>1 2026-04-04T10:02:00.000000Z decnet-prober prober - jarm_fingerprint [relay@55555 target_ip="8.8.4.4" target_port="443"]
garbage line
`

func TestCorrelateFile(t *testing.T) {
	path := writeFile(t, "e20.log", e20)
	c := newCLI(t)

	out, errOut, code := c.run("correlate", "--log-file", path, "-o", "json")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var rep struct {
		Stats      map[string]int
		Traversals []struct {
			AttackerIP string   `json:"attacker_ip"`
			Deckies    []string `json:"deckies"`
			Path       string   `json:"path"`
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Stats["lines_parsed"] != 7 || rep.Stats["events_indexed"] != 5 || rep.Stats["unique_ips"] != 2 ||
		rep.Stats["traversals"] != 1 || len(rep.Traversals) != 1 || rep.Traversals[0].AttackerIP != "9.9.9.9" ||
		rep.Traversals[0].Path != "decky-01 → decky-02 → decky-03" {
		t.Errorf("report %+v", rep)
	}

	c.stdin = e20
	out, _, code = c.run("correlate", "-f", "-")
	if code != 0 || !strings.Contains(out, "9.9.9.9 | 3 | decky-01 → decky-02 → decky-03 | 2026-04-04 10:00:00 UTC | 10.0m | 3\n") {
		t.Errorf("table: exit %d\n%s", code, out)
	}

	out, _, code = c.run("correlate", "-f", path, "-o", "syslog")
	if code != 0 || strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "<132>1 ") ||
		!strings.Contains(out, `decnet-correlator correlator - traversal_detected [relay@55555 attacker_ip="9.9.9.9" decky_count="3"`) {
		t.Errorf("syslog: exit %d\n%s", code, out)
	}

	out, _, code = c.run("correlate", "-f", path, "-m", "4", "-o", "json")
	if code != 0 || !strings.Contains(out, `"traversals":[]`) {
		t.Errorf("min 4: exit %d\n%s", code, out)
	}

	// Unparseable input only: still exit 0.
	out, _, code = c.run("correlate", "-f", writeFile(t, "junk.log", "junk\n\x00\xff\n"), "-o", "json")
	if code != 0 || !strings.Contains(out, `"lines_parsed":2`) {
		t.Errorf("junk: exit %d\n%s", code, out)
	}
}

func TestCorrelateErrors(t *testing.T) {
	c := newCLI(t)
	_, errOut, code := c.run("correlate")
	if code != 1 || !strings.Contains(errOut, "decnetd is not reachable") {
		t.Errorf("no --log-file: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{
		{"correlate", "-f", "/nonexistent/x.log"},
		{"correlate", "-f", writeFile(t, "a.log", e20), "-o", "xml"},
		{"correlate", "-f", writeFile(t, "b.log", e20), "--emit-syslog"},
		{"correlate", "-f", writeFile(t, "c.log", e20), "-m", "0"},
	} {
		if _, errOut, code := c.run(args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
}
