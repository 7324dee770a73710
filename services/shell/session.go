package shell

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Terminal is the interactive side of a session: it reads a line without echo (sudo/su passwords).
// Exec sessions have no terminal.
type Terminal interface {
	ReadPassword(prompt string) (string, error)
}

// ErrPermission is returned by filesystem operations a session's user may not perform.
var ErrPermission = fs.ErrPermission

// Session is one shell of one logged-in user: cwd, environment, history, and a private overlay of
// filesystem changes on top of the System's base filesystem. A Session is not safe for concurrent use.
type Session struct {
	sys     *System
	user    *Account
	stack   []*Account // users to return to on exit (su, sudo -i)
	cwd     string
	oldpwd  string
	env     map[string]string
	envKeys []string
	overlay map[string]*Node // nil value = deleted
	history []string
	status  int
	sudoOK  bool
	closed  bool

	// Src is the client IP (w, who, last).
	Src string
	// TTY is the terminal name (pts/0).
	TTY string
	// Term reads passwords interactively; nil for exec requests.
	Term Terminal
	// Out receives everything the shell prints (LF line ends).
	Out io.Writer
	// OnCommand is called for every non-empty command line before it runs.
	OnCommand func(user string, uid int, pwd, line string)
	// OnAuth is called for every password typed to su/sudo.
	OnAuth func(user, password string, ok bool)
	// Sleep pauses for failed-password delays (nil = no delay; tests).
	Sleep func(time.Duration)
}

// NewSession starts a login shell for user (which must be an account of sys) in its home directory.
func (s *System) NewSession(user string) (*Session, error) {
	a, ok := s.accounts[user]
	if !ok {
		return nil, fmt.Errorf("no account %q", user)
	}
	ss := &Session{sys: s, overlay: map[string]*Node{}, TTY: "pts/0", Out: io.Discard}
	ss.login(a)
	ss.history = slices.Clone(s.baseHist[a.Name])
	return ss, nil
}

func (ss *Session) login(a *Account) {
	ss.user = a
	ss.cwd = a.Home
	ss.env = map[string]string{}
	ss.envKeys = nil
	path := "/usr/local/bin:/usr/bin:/bin:/usr/local/games:/usr/games"
	if a.UID == 0 {
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	}
	for _, kv := range [][2]string{{"SHELL", "/bin/bash"}, {"PWD", a.Home}, {"LOGNAME", a.Name}, {"HOME", a.Home},
		{"LANG", "C.UTF-8"}, {"TERM", "xterm-256color"}, {"USER", a.Name}, {"SHLVL", "1"}, {"PATH", path},
		{"MAIL", "/var/mail/" + a.Name}, {"_", "/usr/bin/env"}} {
		ss.setEnv(kv[0], kv[1])
	}
}

// User returns the current user's name and uid.
func (ss *Session) User() (string, int) { return ss.user.Name, ss.user.UID }

// Cwd returns the working directory.
func (ss *Session) Cwd() string { return ss.cwd }

// Closed reports whether the user ended the session (exit/logout).
func (ss *Session) Closed() bool { return ss.closed }

// SetEnv sets an environment variable (ssh "env" requests).
func (ss *Session) SetEnv(k, v string) {
	if len(ss.envKeys) < 256 && len(k) <= 256 && len(v) <= 4096 {
		ss.setEnv(k, v)
	}
}

func (ss *Session) setEnv(k, v string) {
	if _, ok := ss.env[k]; !ok {
		ss.envKeys = append(ss.envKeys, k)
	}
	ss.env[k] = v
}

func (ss *Session) unsetEnv(k string) {
	delete(ss.env, k)
	ss.envKeys = slices.DeleteFunc(ss.envKeys, func(x string) bool { return x == k })
}

// Prompt returns the PS1 of the current user and directory, in the distro's style.
func (ss *Session) Prompt() string {
	sign := "$"
	if ss.user.UID == 0 {
		sign = "#"
	}
	dir := ss.cwd
	if dir == ss.user.Home {
		dir = "~"
	} else if strings.HasPrefix(dir, ss.user.Home+"/") {
		dir = "~" + dir[len(ss.user.Home):]
	}
	switch {
	case ss.sys.rhel:
		base := path.Base(dir)
		if dir == "~" || dir == "/" {
			base = dir
		}
		return fmt.Sprintf("[%s@%s %s]%s ", ss.user.Name, ss.sys.cfg.Hostname, base, sign)
	case ss.sys.cfg.Distro.ID == "alpine":
		return fmt.Sprintf("%s:%s%s ", ss.sys.cfg.Hostname, dir, sign)
	}
	return fmt.Sprintf("%s@%s:%s%s ", ss.user.Name, ss.sys.cfg.Hostname, dir, sign)
}

func (ss *Session) lookupVar(k string) string {
	switch k {
	case "?":
		return strconv.Itoa(ss.status)
	case "$":
		return strconv.Itoa(2000 + len(ss.history))
	case "0":
		return "-bash"
	case "#":
		return "0"
	case "HOSTNAME":
		return ss.sys.cfg.Hostname
	case "UID", "EUID":
		return strconv.Itoa(ss.user.UID)
	case "PWD":
		return ss.cwd
	}
	return ss.env[k]
}

// Run executes one command line typed by the user: it reports it through OnCommand, records it in the
// history and prints the output to Out. It returns the exit status of the last pipeline.
func (ss *Session) Run(line string) int {
	line = strings.TrimRight(line, "\r\n")
	trimmed := strings.TrimSpace(line)
	if trimmed == "" {
		return ss.status
	}
	if ss.OnCommand != nil {
		ss.OnCommand(ss.user.Name, ss.user.UID, ss.cwd, line)
	}
	if len(ss.history) < 5000 {
		ss.history = append(ss.history, trimmed)
	}
	return ss.exec(line, 0)
}

func (ss *Session) exec(line string, depth int) int {
	pipes, err := Parse(line, ss.lookupVar)
	if err != nil {
		fmt.Fprintf(ss.Out, "-bash: %s\n", err)
		ss.status = 2
		return 2
	}
	for _, p := range pipes {
		if ss.closed {
			break
		}
		if p.Op == "&&" && ss.status != 0 || p.Op == "||" && ss.status == 0 {
			continue
		}
		ss.status = ss.runPipeline(p, depth)
	}
	return ss.status
}

func (ss *Session) runPipeline(p Pipeline, depth int) int {
	var stdin []byte
	status := 0
	for i, c := range p.Cmds {
		last := i == len(p.Cmds)-1
		var buf bytes.Buffer
		out := io.Writer(&buf)
		if last && c.Stdout == "" {
			out = ss.Out
		}
		errw := ss.Out
		if c.NoErr {
			errw = io.Discard
		}
		in := stdin
		if c.Stdin != "" {
			data, err := ss.readFile(c.Stdin)
			if err != nil {
				fmt.Fprintf(errw, "-bash: %s: %s\n", c.Stdin, errText(err))
				stdin, status = nil, 1
				continue
			}
			in = []byte(data)
		}
		status = ss.runCommand(&call{args: c.Args, assigns: c.Assigns, stdin: in, out: out, err: errw, depth: depth})
		if c.Stdout != "" {
			if err := ss.writeFile(c.Stdout, buf.Bytes(), c.Append); err != nil {
				fmt.Fprintf(errw, "-bash: %s: %s\n", c.Stdout, errText(err))
				status = 1
			}
			buf.Reset()
		}
		stdin = buf.Bytes()
	}
	return status
}

type call struct {
	args    []string
	assigns []string
	stdin   []byte
	out     io.Writer
	err     io.Writer
	depth   int
}

func (c *call) printf(format string, a ...any) { fmt.Fprintf(c.out, format, a...) }
func (c *call) errorf(format string, a ...any) { fmt.Fprintf(c.err, format, a...) }

func (ss *Session) runCommand(c *call) int {
	if len(c.args) == 0 {
		for _, a := range c.assigns {
			k, v, _ := strings.Cut(a, "=")
			ss.setEnv(k, v)
		}
		return 0
	}
	name := c.args[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir := name[:i]
		if dir == "" || dir == "/bin" || dir == "/usr/bin" || dir == "/sbin" || dir == "/usr/sbin" || dir == "/usr/local/bin" {
			name = name[i+1:]
		} else {
			p := ss.abs(name)
			n, err := ss.stat(p)
			switch {
			case err != nil:
				c.errorf("-bash: %s: No such file or directory\n", c.args[0])
				return 127
			case n.IsDir():
				c.errorf("-bash: %s: Is a directory\n", c.args[0])
				return 126
			case n.Mode&0o111 == 0 || !ss.canRead(n):
				c.errorf("-bash: %s: Permission denied\n", c.args[0])
				return 126
			}
			return 0
		}
	}
	f, ok := commands[name]
	if !ok || ss.sys.cfg.NoSudo && name == "sudo" || !ss.sys.hasProgram(name) {
		c.errorf("-bash: %s: command not found\n", c.args[0])
		return 127
	}
	return f(ss, c)
}

// --- filesystem view of a session -------------------------------------------------------------

func (ss *Session) abs(p string) string { return cleanPath(ss.cwd, ss.user.Home, p) }

func (ss *Session) node(p string) (*Node, bool) {
	if n, ok := ss.overlay[p]; ok {
		return n, n != nil
	}
	n, ok := ss.sys.base[p]
	return n, ok
}

func (ss *Session) canRead(n *Node) bool {
	if ss.user.UID == 0 {
		return true
	}
	if n.UID == ss.user.UID {
		return n.Mode&0o400 != 0
	}
	return n.Mode&0o004 != 0
}

func (ss *Session) canWrite(n *Node) bool {
	if ss.user.UID == 0 {
		return true
	}
	if n.UID == ss.user.UID {
		return n.Mode&0o200 != 0
	}
	return n.Mode&0o002 != 0
}

// stat looks up p, checking search permission on every ancestor directory.
func (ss *Session) stat(p string) (*Node, error) {
	if p != "/" {
		dir := path.Dir(p)
		d, err := ss.stat(dir)
		if err != nil {
			return nil, err
		}
		if !d.IsDir() {
			return nil, errNotDir
		}
		if ss.user.UID != 0 && !ss.canRead(d) {
			return nil, fs.ErrPermission
		}
	}
	n, ok := ss.node(p)
	if !ok {
		return nil, fs.ErrNotExist
	}
	return n, nil
}

var (
	errNotDir = errors.New("not a directory")
	errIsDir  = errors.New("is a directory")
)

func errText(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	case errors.Is(err, errNotDir):
		return "Not a directory"
	case errors.Is(err, errIsDir):
		return "Is a directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	}
	return err.Error()
}

func (ss *Session) readFile(p string) (string, error) {
	n, err := ss.stat(ss.abs(p))
	if err != nil {
		return "", err
	}
	if n.IsDir() {
		return "", errIsDir
	}
	if !ss.canRead(n) {
		return "", fs.ErrPermission
	}
	if n.Gen != nil {
		return n.Gen(ss.sys), nil
	}
	if n.Content == "" && n.Size > 0 {
		return binaryNoise(n.Size), nil
	}
	return n.Content, nil
}

// maxFileBytes caps the content a session may write to one fake file.
const maxFileBytes = 1 << 20

func (ss *Session) writeFile(p string, data []byte, appendTo bool) error {
	ap := ss.abs(p)
	if ap == "/dev/null" {
		return nil
	}
	d, err := ss.stat(path.Dir(ap))
	if err != nil {
		return err
	}
	if !d.IsDir() {
		return errNotDir
	}
	old, err := ss.stat(ap)
	if err == nil {
		if old.IsDir() {
			return errIsDir
		}
		if !ss.canWrite(old) {
			return fs.ErrPermission
		}
		content := string(data)
		if appendTo {
			content = old.Content + content
		}
		if len(content) > maxFileBytes {
			content = content[:maxFileBytes]
		}
		n := *old
		n.Content, n.Gen, n.Size, n.ModTime = content, nil, int64(len(content)), ss.sys.cfg.Now()
		ss.overlay[ap] = &n
		return nil
	}
	if !ss.canWrite(d) {
		return fs.ErrPermission
	}
	if len(data) > maxFileBytes {
		data = data[:maxFileBytes]
	}
	ss.overlay[ap] = &Node{Mode: 0o644, UID: ss.user.UID, GID: ss.user.GID, Content: string(data), ModTime: ss.sys.cfg.Now()}
	return nil
}

// AddFile makes an uploaded file visible to the session (scp/sftp), ignoring permissions.
func (ss *Session) AddFile(p string, size int64) {
	ss.overlay[cleanPath(ss.cwd, ss.user.Home, p)] = &Node{Mode: 0o644, UID: ss.user.UID, GID: ss.user.GID, Size: size, ModTime: ss.sys.cfg.Now()}
}

// children returns the sorted names in directory p.
func (ss *Session) children(p string) []string {
	prefix := p + "/"
	if p == "/" {
		prefix = "/"
	}
	seen := map[string]bool{}
	add := func(k string) {
		if !strings.HasPrefix(k, prefix) || k == "/" {
			return
		}
		if rest := k[len(prefix):]; rest != "" && strings.IndexByte(rest, '/') < 0 {
			seen[rest] = true
		}
	}
	for k := range ss.sys.base {
		if o, over := ss.overlay[k]; !over || o != nil {
			add(k)
		}
	}
	for k, n := range ss.overlay {
		if n != nil {
			add(k)
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b string) int {
		return strings.Compare(strings.ToLower(strings.TrimLeft(a, ".")), strings.ToLower(strings.TrimLeft(b, ".")))
	})
	return out
}

func (s *System) hasProgram(name string) bool {
	switch name {
	case "python", "python3":
		return s.cfg.Distro.ID == "ubuntu" || s.rhel || s.cfg.Distro.ID == "kali"
	case "ifconfig", "netstat":
		return s.cfg.Distro.ID != "fedora" && s.cfg.Distro.ID != "rocky"
	}
	return true
}

func binaryNoise(size int64) string {
	n := min(size, 512)
	b := make([]byte, n)
	copy(b, "\x7fELF\x02\x01\x01\x00")
	for i := int64(8); i < n; i++ {
		b[i] = byte(i*131 + i>>3)
	}
	return string(b)
}

// SleepCtx returns a Sleep function that returns early when ctx is done, so a shutting-down service is
// never held by a failed-password delay.
func SleepCtx(ctx context.Context) func(time.Duration) {
	return func(d time.Duration) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}
