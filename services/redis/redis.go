// Package redis emulates an unprotected Redis server: a RESP2/inline parser, AUTH capture, INFO and
// CONFIG answers matching the persona, and a small per-connection key space seeded with bait keys. Every
// command is logged.
package redis

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/decnet/decnet/event"
	"github.com/decnet/decnet/services"
)

// Port is the declared Redis port.
const Port = 6379

func init() { services.Register("redis", func() services.Emulator { return &Server{} }) }

// Server is the Redis emulator.
type Server struct {
	env       *services.Env
	version   string
	modern    bool // version ≥ 6 (ACL-era AUTH errors)
	osString  string
	gcc       string
	runID     string
	buildID   string
	pid       int
	started   time.Time
	uptime0   time.Duration // uptime claimed at process start
	usedMem   int64
	baitPass  string
	baitToken string
	clientID  atomic.Int64
}

var versions = []string{"6.2.14", "7.0.15", "7.0.15", "7.2.4", "7.2.5"}

var gccByDistro = map[string]string{
	"debian": "12.2.0", "ubuntu22": "11.4.0", "ubuntu20": "9.4.0", "rocky9": "11.4.1", "centos7": "4.8.5",
	"alpine": "13.2.1", "fedora": "13.2.1", "kali": "13.2.0",
}

// Serve listens on the Redis port until ctx is done.
func (s *Server) Serve(ctx context.Context, env *services.Env) error {
	s.env = env
	rnd := env.Rand("redis")
	s.version = env.Persona.String("version", versions[rnd.IntN(len(versions))])
	major, _ := strconv.Atoi(strings.SplitN(s.version, ".", 2)[0])
	s.modern = major >= 6
	kernel := env.Distro.KernelRelease
	if kernel == "" {
		kernel = "6.1.0-18-amd64"
	}
	s.osString = env.Persona.String("os_string", "Linux "+kernel+" x86_64")
	s.gcc = gccByDistro[env.Distro.Slug]
	if s.gcc == "" {
		s.gcc = "12.2.0"
	}
	hexOf := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.IntN(256))
		}
		return hex.EncodeToString(b)
	}
	s.runID, s.buildID = hexOf(20), hexOf(8)
	s.pid = 400 + rnd.IntN(3000)
	s.uptime0 = time.Duration(3+rnd.IntN(200))*24*time.Hour + time.Duration(rnd.IntN(86400))*time.Second
	s.usedMem = 900_000 + int64(rnd.IntN(40_000_000))
	s.baitPass = []string{"Pr0d#Db2023!", "Sup3rS3cret!", "redis@prod#1", "Welcome2024$"}[rnd.IntN(4)]
	s.baitToken = hexOf(16)
	s.started = time.Now()
	s.clientID.Store(2)
	ln, err := env.ListenTCP(ctx, Port)
	if err != nil {
		return err
	}
	env.Started("Redis " + s.version + " server starting as " + env.Decky)
	return env.Serve(ctx, ln, s.handle)
}

// entry is one stored value.
type entry struct {
	val    []byte
	expire time.Time // zero = no TTL
}

// Per-connection store bounds.
const (
	maxKeys       = 10000
	maxStoreBytes = 8 << 20
)

// conn is one client's session.
type conn struct {
	s      *Server
	c      net.Conn
	src    []event.Field
	id     int64
	db     int
	dbs    map[int]map[string]*entry
	bytes  int
	config map[string]string
	name   string
	out    bytes.Buffer
	quit   bool
}

func (s *Server) handle(ctx context.Context, c net.Conn) {
	src := services.SrcS(c.RemoteAddr())
	s.env.Info("connect", "Redis connection", src...)
	defer s.env.Info("disconnect", "", src...)
	cn := &conn{s: s, c: c, src: src, id: s.clientID.Add(1), dbs: map[int]map[string]*entry{0: s.seedKeys()}, config: s.defaultConfig()}
	r := NewReader(c)
	for !cn.quit {
		args, err := ReadCommand(r)
		if err != nil {
			if pe, ok := err.(*ProtocolError); ok {
				_, _ = c.Write([]byte("-ERR " + pe.Error() + "\r\n"))
			}
			return
		}
		if len(args) == 0 {
			continue
		}
		cn.out.Reset()
		cn.dispatch(args)
		if _, err := c.Write(cn.out.Bytes()); err != nil {
			return
		}
		if cn.out.Cap() > 1<<20 {
			cn.out = bytes.Buffer{}
		}
	}
}

// seedKeys returns the bait key space of db 0.
func (s *Server) seedKeys() map[string]*entry {
	host := strings.ToLower(s.env.Hostname)
	return map[string]*entry{
		"config:db_password":          {val: []byte(s.baitPass)},
		"config:db_host":              {val: []byte("10.0.12.21:5432")},
		"config:api_key":              {val: []byte("sk_live_" + s.baitToken)},
		"session:" + s.runID[:32]:     {val: []byte(`{"user_id":1001,"username":"admin","role":"administrator","ip":"10.0.4.17"}`), expire: time.Now().Add(2 * time.Hour)},
		"session:" + s.buildID + "a1": {val: []byte(`{"user_id":1042,"username":"jsmith","role":"user"}`), expire: time.Now().Add(47 * time.Minute)},
		"cache:homepage":              {val: []byte("<!DOCTYPE html><html><head><title>" + host + "</title></head></html>")},
		"queue:mail:pending":          {val: []byte("3")},
		"user:1001:email":             {val: []byte("admin@" + host + ".local")},
	}
}

func (s *Server) defaultConfig() map[string]string {
	return map[string]string{
		"dir": "/var/lib/redis", "dbfilename": "dump.rdb", "maxmemory": "0", "maxmemory-policy": "noeviction",
		"requirepass": "", "masterauth": "", "bind": "* -::*", "port": strconv.Itoa(Port), "protected-mode": "no",
		"appendonly": "no", "appendfilename": "appendonly.aof", "save": "3600 1 300 100 60 10000", "databases": "16",
		"timeout": "0", "tcp-keepalive": "300", "logfile": "/var/log/redis/redis-server.log", "daemonize": "yes",
		"loglevel": "notice", "pidfile": "/run/redis/redis-server.pid", "replica-read-only": "yes",
		"slave-read-only": "yes", "supervised": "systemd", "maxclients": "10000", "io-threads": "1",
		"enable-module-command": "no", "enable-debug-command": "no", "rdbcompression": "yes", "hz": "10",
	}
}

// argsField returns the first 8 arguments after the command name, each cut to 256 bytes.
func argsField(args [][]byte) []string {
	out := make([]string, 0, 8)
	for _, a := range args[1:min(len(args), 9)] {
		if len(a) > 256 {
			a = a[:256]
		}
		out = append(out, string(a))
	}
	return out
}

func (cn *conn) dispatch(args [][]byte) {
	cmd := strings.ToLower(string(args[0]))
	if len(cmd) > 64 {
		cmd = cmd[:64]
	}
	cn.s.env.Info("command", strings.ToUpper(cmd), services.With(cn.src, event.F("cmd", cmd), event.F("args", argsField(args)))...)
	b := &cn.out
	argc := len(args)
	arity := func(min int, exact bool) bool {
		if argc < min || exact && argc != min {
			errorf(b, "ERR wrong number of arguments for '"+cmd+"' command")
			return false
		}
		return true
	}
	switch cmd {
	case "ping":
		switch argc {
		case 1:
			simple(b, "PONG")
		case 2:
			bulk(b, args[1])
		default:
			errorf(b, "ERR wrong number of arguments for 'ping' command")
		}
	case "echo":
		if arity(2, true) {
			bulk(b, args[1])
		}
	case "auth":
		cn.auth(args)
	case "hello":
		cn.hello(args)
	case "quit":
		simple(b, "OK")
		cn.quit = true
	case "info":
		section := ""
		if argc > 1 {
			section = strings.ToLower(string(args[1]))
		}
		bulk(b, []byte(cn.info(section)))
	case "config":
		cn.configCmd(args)
	case "select":
		if arity(2, true) {
			n, err := strconv.Atoi(string(args[1]))
			switch {
			case err != nil:
				errorf(b, "ERR value is not an integer or out of range")
			case n < 0 || n > 15:
				errorf(b, "ERR DB index is out of range")
			default:
				cn.db = n
				simple(b, "OK")
			}
		}
	case "keys":
		if arity(2, true) {
			bulkStrings(b, cn.keys(string(args[1])))
		}
	case "scan":
		if arity(2, false) {
			pattern := "*"
			for i := 2; i+1 < argc; i += 2 {
				if strings.EqualFold(string(args[i]), "match") {
					pattern = string(args[i+1])
				}
			}
			arrayHeader(b, 2)
			bulk(b, []byte("0"))
			bulkStrings(b, cn.keys(pattern))
		}
	case "get":
		if arity(2, true) {
			if e := cn.get(string(args[1])); e != nil {
				bulk(b, e.val)
			} else {
				nullBulk(b)
			}
		}
	case "set":
		if arity(3, false) {
			cn.set(args)
		}
	case "del", "unlink":
		if arity(2, false) {
			n := 0
			for _, k := range args[1:] {
				if e := cn.get(string(k)); e != nil {
					cn.bytes -= len(k) + len(e.val)
					delete(cn.store(), string(k))
					n++
				}
			}
			integer(b, int64(n))
		}
	case "exists":
		if arity(2, false) {
			n := 0
			for _, k := range args[1:] {
				if cn.get(string(k)) != nil {
					n++
				}
			}
			integer(b, int64(n))
		}
	case "type":
		if arity(2, true) {
			if cn.get(string(args[1])) != nil {
				simple(b, "string")
			} else {
				simple(b, "none")
			}
		}
	case "ttl", "pttl":
		if arity(2, true) {
			e := cn.get(string(args[1]))
			switch {
			case e == nil:
				integer(b, -2)
			case e.expire.IsZero():
				integer(b, -1)
			case cmd == "ttl":
				integer(b, int64(time.Until(e.expire).Round(time.Second)/time.Second))
			default:
				integer(b, time.Until(e.expire).Milliseconds())
			}
		}
	case "dbsize":
		integer(b, int64(len(cn.keys("*"))))
	case "flushall", "flushdb":
		if cmd == "flushall" {
			cn.dbs = map[int]map[string]*entry{}
			cn.bytes = 0
		} else {
			delete(cn.dbs, cn.db)
		}
		simple(b, "OK")
	case "slaveof", "replicaof":
		if arity(3, true) {
			simple(b, "OK")
		}
	case "module":
		sub := ""
		if argc > 1 {
			sub = strings.ToLower(string(args[1]))
		}
		switch sub {
		case "load", "loadex":
			if arity(3, false) {
				errorf(b, "ERR Error loading the extension. Please check the server logs.")
			}
		case "list":
			arrayHeader(b, 0)
		case "unload":
			errorf(b, "ERR Error unloading module: no such module with that name")
		default:
			errorf(b, "ERR unknown subcommand or wrong number of arguments for '"+sub+"'. Try MODULE HELP.")
		}
	case "save":
		simple(b, "OK")
	case "bgsave":
		simple(b, "Background saving started")
	case "bgrewriteaof":
		simple(b, "Background append only file rewriting started")
	case "lastsave":
		integer(b, time.Now().Add(-17*time.Minute).Unix())
	case "client":
		cn.client(args)
	case "command":
		if argc > 1 && strings.EqualFold(string(args[1]), "count") {
			integer(b, 240)
		} else {
			arrayHeader(b, 0)
		}
	case "time":
		now := time.Now()
		bulkStrings(b, []string{strconv.FormatInt(now.Unix(), 10), strconv.Itoa(now.Nanosecond() / 1000)})
	case "role":
		arrayHeader(b, 3)
		bulk(b, []byte("master"))
		integer(b, 0)
		arrayHeader(b, 0)
	default:
		cn.unknown(args)
	}
}

// unknown writes redis' unknown-command error.
func (cn *conn) unknown(args [][]byte) {
	var sb strings.Builder
	sb.WriteString("ERR unknown command '")
	sb.WriteString(sanitize(args[0], 128))
	sb.WriteString("', with args beginning with: ")
	for _, a := range args[1:] {
		if sb.Len() > 512 {
			break
		}
		sb.WriteString("'" + sanitize(a, 128) + "' ")
	}
	errorf(&cn.out, sb.String())
}

// sanitize cuts s to max bytes and replaces CR/LF so an error line stays one line.
func sanitize(s []byte, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, string(s))
}

func (cn *conn) auth(args [][]byte) {
	b := &cn.out
	if len(args) < 2 || len(args) > 3 || (!cn.s.modern && len(args) != 2) {
		if len(args) == 2 || len(args) == 3 {
			// pre-6 servers know only AUTH <password>; the attempt is still recorded.
			cn.logAuth(args)
		}
		errorf(b, "ERR wrong number of arguments for 'auth' command")
		return
	}
	cn.logAuth(args)
	switch {
	case len(args) == 3 && string(args[1]) == "default":
		simple(b, "OK") // the default user is "nopass": any password is accepted
	case len(args) == 3:
		errorf(b, "WRONGPASS invalid username-password pair or user is disabled.")
	case cn.s.modern:
		errorf(b, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	default:
		errorf(b, "ERR Client sent AUTH, but no password is set")
	}
}

func (cn *conn) logAuth(args [][]byte) {
	principal, secret := "", args[len(args)-1]
	if len(args) == 3 {
		principal = string(args[1])
	}
	cn.s.env.Info("auth", "Redis AUTH attempt", services.With(cn.src, event.CredFields(principal, event.KindPlaintext, secret, "")...)...)
}

func (cn *conn) hello(args [][]byte) {
	b := &cn.out
	if !cn.s.modern {
		cn.unknown(args)
		return
	}
	if len(args) > 1 && string(args[1]) != "2" {
		if string(args[1]) == "3" {
			errorf(b, "NOPROTO unsupported protocol version")
		} else {
			errorf(b, "ERR Protocol version is not an integer or out of range")
		}
		return
	}
	arrayHeader(b, 14)
	bulk(b, []byte("server"))
	bulk(b, []byte("redis"))
	bulk(b, []byte("version"))
	bulk(b, []byte(cn.s.version))
	bulk(b, []byte("proto"))
	integer(b, 2)
	bulk(b, []byte("id"))
	integer(b, cn.id)
	bulk(b, []byte("mode"))
	bulk(b, []byte("standalone"))
	bulk(b, []byte("role"))
	bulk(b, []byte("master"))
	bulk(b, []byte("modules"))
	arrayHeader(b, 0)
}

func (cn *conn) client(args [][]byte) {
	b := &cn.out
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(string(args[1]))
	}
	switch sub {
	case "list", "info":
		addr, laddr := cn.c.RemoteAddr().String(), cn.c.LocalAddr().String()
		line := fmt.Sprintf("id=%d addr=%s laddr=%s fd=8 name=%s age=0 idle=0 flags=N db=%d sub=0 psub=0 multi=-1 qbuf=26 qbuf-free=20448 argv-mem=10 obl=0 oll=0 omem=0 tot-mem=61466 events=r cmd=client|%s user=default redir=-1\n",
			cn.id, addr, laddr, cn.name, cn.db, sub)
		bulk(b, []byte(line))
	case "setname":
		if len(args) == 3 {
			cn.name = sanitize(args[2], 64)
			simple(b, "OK")
		} else {
			errorf(b, "ERR wrong number of arguments for 'client|setname' command")
		}
	case "getname":
		if cn.name == "" {
			nullBulk(b)
		} else {
			bulk(b, []byte(cn.name))
		}
	case "id":
		integer(b, cn.id)
	case "kill":
		errorf(b, "ERR No such client")
	default:
		simple(b, "OK")
	}
}

func (cn *conn) configCmd(args [][]byte) {
	b := &cn.out
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(string(args[1]))
	}
	switch sub {
	case "get":
		if len(args) < 3 {
			errorf(b, "ERR wrong number of arguments for 'config|get' command")
			return
		}
		var names []string
		for _, p := range args[2:] {
			for k := range cn.config {
				if Match(strings.ToLower(string(p)), k) && !slices.Contains(names, k) {
					names = append(names, k)
				}
			}
		}
		slices.Sort(names)
		arrayHeader(b, 2*len(names))
		for _, k := range names {
			bulk(b, []byte(k))
			bulk(b, []byte(cn.config[k]))
		}
	case "set":
		if len(args) < 4 || len(args)%2 != 0 {
			errorf(b, "ERR wrong number of arguments for 'config|set' command")
			return
		}
		for i := 2; i+1 < len(args); i += 2 {
			if _, ok := cn.config[strings.ToLower(string(args[i]))]; !ok {
				errorf(b, "ERR Unknown option or number of arguments for CONFIG SET - '"+sanitize(args[i], 128)+"'")
				return
			}
		}
		for i := 2; i+1 < len(args); i += 2 {
			cn.config[strings.ToLower(string(args[i]))] = sanitize(args[i+1], 4096)
		}
		simple(b, "OK")
	case "resetstat", "rewrite":
		simple(b, "OK")
	default:
		errorf(b, "ERR unknown subcommand '"+sanitize([]byte(sub), 128)+"'. Try CONFIG HELP.")
	}
}

func (cn *conn) store() map[string]*entry {
	m := cn.dbs[cn.db]
	if m == nil {
		m = map[string]*entry{}
		cn.dbs[cn.db] = m
	}
	return m
}

func (cn *conn) get(k string) *entry {
	e := cn.store()[k]
	if e != nil && !e.expire.IsZero() && time.Now().After(e.expire) {
		delete(cn.store(), k)
		return nil
	}
	return e
}

func (cn *conn) keys(pattern string) []string {
	var out []string
	for k := range cn.store() {
		if cn.get(k) != nil && Match(pattern, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// set implements SET key value [EX s|PX ms] [NX|XX] [KEEPTTL] [GET] within the store bounds.
func (cn *conn) set(args [][]byte) {
	b := &cn.out
	k, v := string(args[1]), args[2]
	var ttl time.Duration
	nx, xx := false, false
	for i := 3; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "keepttl", "get":
		case "ex", "px":
			if i+1 >= len(args) {
				errorf(b, "ERR syntax error")
				return
			}
			n, err := strconv.ParseInt(string(args[i+1]), 10, 64)
			if err != nil || n <= 0 || n > 1<<40 {
				errorf(b, "ERR invalid expire time in 'set' command")
				return
			}
			ttl = time.Duration(n) * time.Second
			if strings.EqualFold(string(args[i]), "px") {
				ttl = time.Duration(n) * time.Millisecond
			}
			i++
		default:
			errorf(b, "ERR syntax error")
			return
		}
	}
	old := cn.get(k)
	if nx && old != nil || xx && old == nil {
		nullBulk(b)
		return
	}
	grow := len(k) + len(v)
	if old != nil {
		grow -= len(k) + len(old.val)
	}
	if cn.bytes+grow > maxStoreBytes || old == nil && len(cn.store()) >= maxKeys {
		errorf(b, "OOM command not allowed when used memory > 'maxmemory'.")
		return
	}
	cn.bytes += grow
	e := &entry{val: append([]byte(nil), v...)}
	if ttl > 0 {
		e.expire = time.Now().Add(ttl)
	}
	cn.store()[k] = e
	simple(b, "OK")
}
