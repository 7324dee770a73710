package shell

import (
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"
)

func (ss *Session) ownerName(uid int) string {
	for _, a := range ss.sys.accounts {
		if a.UID == uid {
			return a.Name
		}
	}
	if uid == 0 {
		return "root"
	}
	return fmt.Sprint(uid)
}

func modeString(m fs.FileMode) string {
	b := []byte("----------")
	switch {
	case m.IsDir():
		b[0] = 'd'
	case m&fs.ModeCharDevice != 0:
		b[0] = 'c'
	}
	for i, c := range "rwxrwxrwx" {
		if m&(1<<uint(8-i)) != 0 {
			b[i+1] = byte(c)
		}
	}
	if m&fs.ModeSticky != 0 {
		b[9] = 't'
	}
	return string(b)
}

func (ss *Session) longLine(n *Node, name string, humanSize bool) string {
	t := n.ModTime
	ts := t.Format("Jan _2 15:04")
	if ss.sys.cfg.Now().Sub(t) > 180*24*time.Hour {
		ts = t.Format("Jan _2  2006")
	}
	links := 1
	if n.IsDir() {
		links = 2
	}
	size := fmt.Sprint(n.size())
	if humanSize {
		size = humanBytes(n.size())
	}
	owner := ss.ownerName(n.UID)
	return fmt.Sprintf("%s %2d %-4s %-4s %5s %s %s", modeString(n.Mode), links, owner, owner, size, ts, name)
}

func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprint(n)
	}
	v := float64(n)
	for _, u := range []string{"K", "M", "G", "T"} {
		v /= 1024
		if v < 1024 {
			if v < 10 {
				return fmt.Sprintf("%.1f%s", v, u)
			}
			return fmt.Sprintf("%.0f%s", v, u)
		}
	}
	return fmt.Sprintf("%.0fP", v)
}

func cmdLs(ss *Session, c *call) int {
	f, ops := flags(c.args[1:])
	long, all, almost, one := f["l"], f["a"], f["A"], f["1"]
	if len(ops) == 0 {
		ops = []string{"."}
	}
	st := 0
	var files []string
	var dirs []string
	for _, o := range ops {
		n, err := ss.stat(ss.abs(o))
		if err != nil {
			c.errorf("ls: cannot access '%s': %s\n", o, errText(err))
			st = 2
			continue
		}
		if n.IsDir() && !f["d"] {
			dirs = append(dirs, o)
		} else {
			files = append(files, o)
		}
	}
	emit := func(names []string, nodes []*Node) {
		if long {
			for i, nm := range names {
				c.printf("%s\n", ss.longLine(nodes[i], nm, f["h"]))
			}
			return
		}
		if one || !c.isTerm(ss) {
			for _, nm := range names {
				c.printf("%s\n", nm)
			}
			return
		}
		c.printf("%s", columns(names, 80))
	}
	if len(files) > 0 {
		var nodes []*Node
		for _, fl := range files {
			n, _ := ss.stat(ss.abs(fl))
			nodes = append(nodes, n)
		}
		emit(files, nodes)
	}
	for i, d := range dirs {
		p := ss.abs(d)
		n, _ := ss.stat(p)
		if len(ops) > 1 {
			if i > 0 || len(files) > 0 {
				c.printf("\n")
			}
			c.printf("%s:\n", d)
		}
		if !ss.canRead(n) {
			c.errorf("ls: cannot open directory '%s': Permission denied\n", d)
			st = 2
			continue
		}
		var names []string
		var nodes []*Node
		if all {
			parent, _ := ss.node(path.Dir(p))
			names = append(names, ".", "..")
			nodes = append(nodes, n, parent)
		}
		var total int64
		for _, ch := range ss.children(p) {
			if strings.HasPrefix(ch, ".") && !all && !almost {
				continue
			}
			cn, ok := ss.node(path.Join(p, ch))
			if !ok {
				continue
			}
			names = append(names, ch)
			nodes = append(nodes, cn)
		}
		for _, cn := range nodes {
			total += (cn.size() + 4095) / 4096 * 4
		}
		if long {
			c.printf("total %d\n", total)
		}
		emit(names, nodes)
	}
	return st
}

// isTerm reports whether this call writes straight to the terminal (not a pipe or file).
func (c *call) isTerm(ss *Session) bool { return c.out == ss.Out && ss.Term != nil }

// columns lays names out in columns like ls on a terminal of the given width.
func columns(names []string, width int) string {
	if len(names) == 0 {
		return ""
	}
	w := 0
	for _, n := range names {
		w = max(w, len(n))
	}
	w += 2
	cols := max(1, width/w)
	rows := (len(names) + cols - 1) / cols
	var b strings.Builder
	for r := range rows {
		for col := range cols {
			i := col*rows + r
			if i >= len(names) {
				break
			}
			last := (col+1)*rows+r >= len(names)
			if last {
				b.WriteString(names[i])
			} else {
				fmt.Fprintf(&b, "%-*s", w, names[i])
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}
