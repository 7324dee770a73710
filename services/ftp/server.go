package ftp

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// Limits of one session.
const (
	MaxUpload     = 50 << 20 // STOR bytes kept; larger uploads are aborted
	maxLoginFails = 3        // failed PASS before the server hangs up, like vsftpd/ProFTPD
	dataTimeout   = 15 * time.Second
)

func init() {
	services.Register("ftp", func() services.Emulator { return &Server{} })
}

// Server is the ftp emulator.
type Server struct {
	env     *services.Env
	banner  string
	dialect dialect
	login   string
	tree    *tree
}

// Serve binds port 21 and serves until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	s.banner = env.Persona.String("banner", Banners[env.Rand("ftp_banner").IntN(len(Banners))])
	if !strings.HasPrefix(s.banner, "220") {
		s.banner = "220 " + s.banner
	}
	s.dialect = dialectFor(s.banner)
	s.login = env.Persona.String("login", "random")
	host := env.Hostname
	if host == "" {
		host = env.Decky
	}
	s.tree = newTree(env.Rand("ftp_tree"), host)
	ln, err := env.ListenTCP(ctx, 21)
	if err != nil {
		return err
	}
	env.Started("FTP server starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// accepts decides a login: accept/reject from the persona, else accepted with probability 0.9, decided by a
// hash of the decky seed and the credential so that one pair always gets the same answer.
func (s *Server) accepts(user, pass string) bool {
	switch s.login {
	case "accept":
		return true
	case "reject":
		return false
	}
	h := fnv.New64a()
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], s.env.Seed())
	h.Write(seed[:])
	h.Write([]byte(user))
	h.Write([]byte{0})
	h.Write([]byte(pass))
	return h.Sum64()%100 < 90
}

// session is one control connection.
type session struct {
	s        *Server
	d        dialect
	c        net.Conn
	src      []event.Field
	w        *bufio.Writer
	user     string
	loggedIn bool
	fails    int
	cwd      string
	pasv     net.Listener
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	ss := &session{s: s, d: s.dialect, c: c, src: services.SrcA(c.RemoteAddr()), w: bufio.NewWriter(c), cwd: "/"}
	s.env.Info("connection", "", ss.src...)
	defer func() {
		if ss.pasv != nil {
			ss.pasv.Close()
		}
		s.env.Info("disconnect", "", ss.src...)
	}()
	ss.reply(s.banner)
	r := bufio.NewReaderSize(c, MaxLine)
	for ctx.Err() == nil {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil {
				return
			}
			ss.reply(ss.d.tooLong)
			continue
		}
		if err != nil {
			return
		}
		if !ss.command(ctx, string(line)) {
			return
		}
	}
}

// reply writes a (possibly multi-line) reply and flushes it.
func (ss *session) reply(text string, kv ...string) {
	if len(kv) > 0 {
		text = strings.NewReplacer(kv...).Replace(text)
	}
	_, _ = ss.w.WriteString(text + "\r\n")
	_ = ss.w.Flush()
}

// resolve turns an argument into an absolute clean path relative to the working directory.
func (ss *session) resolve(arg string) string {
	if arg == "" {
		return ss.cwd
	}
	if !strings.HasPrefix(arg, "/") {
		arg = path.Join(ss.cwd, arg)
	}
	return path.Clean("/" + arg)
}

// command runs one command line; it returns false when the session must end.
func (ss *session) command(ctx context.Context, line string) bool {
	verb, arg := ParseCommand(line)
	d, env := ss.d, ss.s.env
	switch verb {
	case "":
		if strings.TrimSpace(line) != "" {
			ss.reply(d.unknown, "{verb}", "")
		}
		return true
	case "QUIT":
		ss.reply(d.quit)
		return false
	case "USER":
		ss.user, ss.loggedIn = arg, false
		env.Info("user", "", services.With(ss.src, event.F("username", arg))...)
		ss.reply(d.userOK, "{user}", arg)
		return true
	case "PASS":
		if ss.user == "" {
			ss.reply(d.userFirst)
			return true
		}
		ok := ss.s.accepts(ss.user, arg)
		outcome := "failure"
		if ok {
			outcome = "success"
		}
		env.Info("auth_attempt", "", services.With(ss.src, append([]event.Field{event.F("username", ss.user)},
			event.CredFields(ss.user, event.KindPlaintext, []byte(arg), outcome)...)...)...)
		if ok {
			ss.loggedIn = true
			ss.reply(d.loginOK, "{user}", ss.user)
			return true
		}
		ss.user = ""
		ss.fails++
		ss.reply(d.loginFail)
		return ss.fails < maxLoginFails
	case "SYST":
		ss.reply("215 UNIX Type: L8")
		return true
	case "FEAT":
		ss.reply(d.feat)
		return true
	case "HELP":
		ss.reply(d.help)
		return true
	case "NOOP":
		ss.reply(d.noop)
		return true
	case "AUTH", "PBSZ", "PROT", "CCC":
		ss.reply(d.auth)
		return true
	case "OPTS":
		if strings.EqualFold(strings.TrimSpace(arg), "UTF8 ON") {
			ss.reply("200 Always in UTF8 mode.")
		} else {
			ss.reply("501 Option not understood.")
		}
		return true
	}
	if !ss.loggedIn {
		ss.reply(d.needLogin)
		return true
	}
	switch verb {
	case "PWD", "XPWD":
		ss.reply(d.pwd, "{dir}", ss.cwd)
	case "CWD", "XCWD", "CDUP", "XCUP":
		target := ss.resolve(arg)
		if verb == "CDUP" || verb == "XCUP" {
			target = path.Dir(ss.cwd)
		}
		if n, ok := ss.s.tree.lookup(target); ok && n.dir {
			ss.cwd = target
			ss.reply(d.cwdOK, "{dir}", target)
		} else {
			ss.reply(d.cwdFail, "{arg}", arg)
		}
	case "TYPE":
		if strings.HasPrefix(strings.ToUpper(arg), "A") {
			ss.reply(d.typeA)
		} else {
			ss.reply(d.typeI)
		}
	case "MODE", "STRU":
		ss.reply("200 Mode set to S.")
	case "REST":
		ss.reply("350 Restart position accepted (" + strconv.Itoa(atoi(arg)) + ").")
	case "PASV":
		ss.openPassive(false)
	case "EPSV":
		ss.openPassive(true)
	case "PORT", "EPRT":
		ss.reply(d.badPort)
	case "LIST", "NLST", "MLSD":
		ss.list(verb, arg)
	case "SIZE":
		p := ss.resolve(arg)
		if n, ok := ss.s.tree.lookup(p); ok && !n.dir {
			ss.reply("213 " + strconv.Itoa(ss.s.tree.size(p)))
		} else {
			ss.reply(d.noFile, "{arg}", arg)
		}
	case "MDTM":
		p := ss.resolve(arg)
		if n, ok := ss.s.tree.lookup(p); ok && !n.dir {
			ss.reply("213 " + n.mtime.UTC().Format("20060102150405"))
		} else {
			ss.reply(d.noFile, "{arg}", arg)
		}
	case "RETR":
		ss.retr(arg)
	case "STOR", "APPE", "STOU":
		ss.stor(verb, arg)
	case "DELE", "RMD", "XRMD", "MKD", "XMKD", "RNFR", "RNTO", "SITE", "MFMT", "ALLO":
		ss.reply(d.denied)
	case "ABOR":
		ss.reply("225 No transfer to ABOR.")
	case "STAT":
		ss.reply("211-FTP server status:\r\n     Connected to " + services.SourceIP(ss.c.LocalAddr()) + "\r\n     Logged in as " + ss.user + "\r\n     TYPE: BINARY\r\n211 End of status")
	default:
		ss.reply(d.unknown, "{verb}", verb)
	}
	return true
}

func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// openPassive listens on an ephemeral port of the control listener's bind address and announces it.
func (ss *session) openPassive(extended bool) {
	if ss.pasv != nil {
		ss.pasv.Close()
		ss.pasv = nil
	}
	local := services.SourceIP(ss.c.LocalAddr())
	bind := ss.s.env.Bind
	ln, err := net.Listen("tcp", net.JoinHostPort(bind, "0"))
	if err != nil {
		ss.reply("425 Could not enter passive mode.")
		return
	}
	ss.pasv = ln
	port := ln.Addr().(*net.TCPAddr).Port
	if extended {
		ss.reply(ss.d.epsv, "{port}", strconv.Itoa(port))
		return
	}
	ip := net.ParseIP(local).To4()
	if ip == nil {
		ss.reply("425 Use EPSV for IPv6.")
		ln.Close()
		ss.pasv = nil
		return
	}
	addr := fmt.Sprintf("%d,%d,%d,%d,%d,%d", ip[0], ip[1], ip[2], ip[3], port>>8, port&0xff)
	ss.reply(ss.d.pasv, "{addr}", addr)
}

// dataConn accepts the passive data connection from the control peer's address (others are refused).
func (ss *session) dataConn() (net.Conn, bool) {
	ln := ss.pasv
	if ln == nil {
		ss.reply(ss.d.noData)
		return nil, false
	}
	ss.pasv = nil
	defer ln.Close()
	peer := services.SourceIP(ss.c.RemoteAddr())
	deadline := time.Now().Add(dataTimeout)
	_ = ln.(*net.TCPListener).SetDeadline(deadline)
	for {
		c, err := ln.Accept()
		if err != nil {
			ss.reply("425 Failed to establish connection.")
			return nil, false
		}
		if services.SourceIP(c.RemoteAddr()) != peer {
			c.Close()
			continue
		}
		_ = c.SetDeadline(deadline.Add(5 * time.Minute))
		return c, true
	}
}

// list sends a directory listing (LIST: ls -l lines; NLST: names). Dot files appear with -a, as in ls.
func (ss *session) list(verb, arg string) {
	all := false
	var target string
	for _, f := range strings.Fields(arg) {
		if strings.HasPrefix(f, "-") {
			all = all || strings.ContainsRune(f, 'a')
			continue
		}
		target = f
	}
	p := ss.resolve(target)
	t := ss.s.tree
	n, ok := t.lookup(p)
	if !ok {
		if ss.pasv != nil {
			ss.pasv.Close()
			ss.pasv = nil
		}
		ss.reply(ss.d.noFile, "{arg}", target)
		return
	}
	entries := []string{p}
	if n.dir {
		entries = t.children(p)
	}
	now := time.Now()
	var b strings.Builder
	if verb == "LIST" && n.dir && ss.d.name != "vsftpd" {
		fmt.Fprintf(&b, "total %d\r\n", 4*(len(entries)+2))
	}
	for _, e := range entries {
		name := path.Base(e)
		if strings.HasPrefix(name, ".") && !all && verb != "MLSD" {
			continue
		}
		switch verb {
		case "NLST":
			if target != "" && n.dir {
				b.WriteString(path.Join(target, name))
			} else {
				b.WriteString(name)
			}
		case "MLSD":
			typ := "file"
			if t.nodes[e].dir {
				typ = "dir"
			}
			fmt.Fprintf(&b, "modify=%s;perm=r;size=%d;type=%s; %s", t.nodes[e].mtime.Format("20060102150405"), t.size(e), typ, name)
		default:
			b.WriteString(t.lsLine(ss.d, e, now))
		}
		b.WriteString("\r\n")
	}
	dc, ok := ss.dataConn()
	if !ok {
		return
	}
	ss.reply(ss.d.list150)
	_, err := io.WriteString(dc, b.String())
	dc.Close()
	if err != nil {
		ss.reply("426 Failure writing network stream.")
		return
	}
	ss.reply(ss.d.xfer226)
}

// retr logs a download attempt and sends a bait file.
func (ss *session) retr(arg string) {
	p := ss.resolve(arg)
	ss.s.env.Info("download_attempt", "", services.With(ss.src, event.F("path", p))...)
	n, ok := ss.s.tree.lookup(p)
	if !ok || n.dir {
		if ss.pasv != nil {
			ss.pasv.Close()
			ss.pasv = nil
		}
		ss.reply(ss.d.noFile, "{arg}", arg)
		return
	}
	data := ss.s.tree.content(p)
	dc, ok := ss.dataConn()
	if !ok {
		return
	}
	ss.reply(ss.d.retr150, "{name}", arg, "{size}", strconv.Itoa(len(data)))
	_, err := dc.Write(data)
	dc.Close()
	if err != nil {
		ss.reply("426 Failure writing network stream.")
		return
	}
	ss.reply(ss.d.xfer226)
}

// stor captures an upload to <artifacts>/quarantine/<sha256> and emits file_captured.
func (ss *session) stor(verb, arg string) {
	env := ss.s.env
	p := ss.resolve(arg)
	if verb == "STOU" && arg == "" {
		p = ss.resolve(fmt.Sprintf("ftp%d", time.Now().UnixNano()%1000000))
	}
	qdir := filepath.Join(env.Artifacts, "quarantine")
	if err := os.MkdirAll(qdir, 0o700); err != nil {
		env.Log.Error("ftp quarantine", "err", err)
		ss.reply(ss.d.denied)
		return
	}
	dc, ok := ss.dataConn()
	if !ok {
		return
	}
	defer dc.Close()
	ss.reply(ss.d.stor150, "{name}", arg)
	tmp, err := os.CreateTemp(qdir, ".upload-*")
	if err != nil {
		env.Log.Error("ftp quarantine temp", "err", err)
		ss.reply("451 Requested action aborted. Local error in processing.")
		return
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(dc, MaxUpload+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if n > MaxUpload {
		// Drain the rest so the client sees a clean abort, counting how much it tried to send.
		rest, _ := io.Copy(io.Discard, io.LimitReader(dc, 1<<30))
		env.Info("file_skipped", "", services.With(ss.src, event.F("path", p), event.F("size", n+rest),
			event.F("reason", "oversize"))...)
		ss.reply(ss.d.storeLimit)
		return
	}
	if err != nil {
		ss.reply("426 Failure reading network stream.")
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	stored := filepath.Join("quarantine", sum)
	dst := filepath.Join(env.Artifacts, stored)
	if _, statErr := os.Stat(dst); statErr != nil {
		if err := os.Rename(tmp.Name(), dst); err != nil {
			env.Log.Error("ftp store upload", "err", err)
			ss.reply("451 Requested action aborted. Local error in processing.")
			return
		}
	}
	env.Info("file_captured", "", services.With(ss.src, event.F("stored_as", stored), event.F("sha256", sum),
		event.F("size", n), event.F("orig_path", p))...)
	ss.reply(ss.d.xfer226)
}
