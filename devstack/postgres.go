package devstack

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGBinDir is the directory of Debian's PostgreSQL 15 server binaries (initdb, postgres).
const PGBinDir = "/usr/lib/postgresql/15/bin"

// PGFallbackRoot is where cluster data lives when the state dir is not traversable by the postgres user
// (e.g. a 0700 root state dir). Each cluster gets a random sub-directory recorded in the state dir.
const PGFallbackRoot = "/var/lib/decnet-pg"

// PGDatabase is the application database created in a dev cluster.
const PGDatabase = "decnet"

// pgLocationFile, inside the state dir, records the data dir of the state dir's cluster.
const pgLocationFile = "postgres.location"

// PGOptions tunes StartPostgres; the zero value uses the defaults.
type PGOptions struct {
	BinDir       string        // default PGBinDir
	FallbackRoot string        // default PGFallbackRoot
	User         string        // OS user running the cluster; default "postgres"
	Logger       *slog.Logger  // default slog.Default()
	StartTimeout time.Duration // default 60 s
	NoRestart    bool          // do not restart the postmaster when it exits unexpectedly
}

// Postgres is a private PostgreSQL cluster owned by one state dir: started as a direct child process (or adopted
// after a kill -9 of its parent) and listening only on a unix socket.
type Postgres struct {
	DataDir   string // postgres-owned data directory
	SocketDir string // directory of the .s.PGSQL.5432 socket (recorded in postmaster.pid)

	opts    PGOptions
	uid     uint32
	gid     uint32
	log     *slog.Logger
	mu      sync.Mutex
	pid     int
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current child exits (nil when adopted)
	stopped bool
	done    chan struct{} // closed when Stop finished
	Adopted bool          // true when a running cluster was adopted instead of started
}

// PGAvailable reports whether the PostgreSQL server binaries exist in dir ("" = PGBinDir).
func PGAvailable(dir string) bool {
	if dir == "" {
		dir = PGBinDir
	}
	for _, b := range []string{"initdb", "postgres"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return false
		}
	}
	return true
}

// StartPostgres initialises (first time), starts or adopts the cluster of stateDir and waits until it accepts
// connections. The data dir is <stateDir>/postgres when the postgres user can reach it, else a random directory
// under opts.FallbackRoot recorded in <stateDir>/postgres.location (a fresh state dir gets a fresh cluster).
func StartPostgres(ctx context.Context, stateDir string, opts PGOptions) (*Postgres, error) {
	if opts.BinDir == "" {
		opts.BinDir = PGBinDir
	}
	if opts.FallbackRoot == "" {
		opts.FallbackRoot = PGFallbackRoot
	}
	if opts.User == "" {
		opts.User = "postgres"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 60 * time.Second
	}
	if !PGAvailable(opts.BinDir) {
		return nil, fmt.Errorf("postgres binaries not found in %s", opts.BinDir)
	}
	u, err := user.Lookup(opts.User)
	if err != nil {
		return nil, fmt.Errorf("lookup user %s: %w", opts.User, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	stateDir, err = filepath.Abs(stateDir)
	if err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create state dir %s: %w", stateDir, err)
	}
	p := &Postgres{opts: opts, uid: uint32(uid), gid: uint32(gid), log: opts.Logger, done: make(chan struct{})}
	if p.DataDir, err = p.locate(stateDir); err != nil {
		return nil, err
	}
	p.SocketDir = p.DataDir
	if n := len(filepath.Join(p.SocketDir, ".s.PGSQL.5432")); n > 107 {
		return nil, fmt.Errorf("postgres socket path under %s is too long (%d bytes)", p.SocketDir, n)
	}
	if err := p.initdb(ctx); err != nil {
		return nil, err
	}
	if pid, ok := p.runningPID(); ok {
		if err := p.waitReady(ctx, 5*time.Second); err == nil {
			p.pid, p.Adopted = pid, true
			p.log.Info("adopted running postgres", "pid", pid, "data_dir", p.DataDir)
			if err := p.ensureDB(ctx); err != nil {
				return nil, err
			}
			go p.watchAdopted()
			return p, nil
		}
		return nil, fmt.Errorf("postgres pid %d of %s is running but not answering on %s", pid, p.DataDir, p.SocketDir)
	}
	if err := p.spawn(); err != nil {
		return nil, err
	}
	if err := p.waitReady(ctx, opts.StartTimeout); err != nil {
		_ = p.Stop(context.Background())
		return nil, err
	}
	if err := p.ensureDB(ctx); err != nil {
		_ = p.Stop(context.Background())
		return nil, err
	}
	go p.supervise()
	return p, nil
}

// locate picks (and records) the data dir of stateDir's cluster and makes sure it is postgres-owned.
func (p *Postgres) locate(stateDir string) (string, error) {
	rec := filepath.Join(stateDir, pgLocationFile)
	if b, err := os.ReadFile(rec); err == nil {
		if d := strings.TrimSpace(string(b)); d != "" {
			return d, p.ownDir(d)
		}
	}
	var dir string
	if p.reachable(stateDir) {
		dir = filepath.Join(stateDir, "postgres")
	} else {
		var id [8]byte
		if _, err := rand.Read(id[:]); err != nil {
			return "", fmt.Errorf("random cluster id: %w", err)
		}
		if err := os.MkdirAll(p.opts.FallbackRoot, 0o755); err != nil {
			return "", fmt.Errorf("create %s: %w", p.opts.FallbackRoot, err)
		}
		dir = filepath.Join(p.opts.FallbackRoot, hex.EncodeToString(id[:]))
	}
	if err := p.ownDir(dir); err != nil {
		return "", err
	}
	if err := os.WriteFile(rec, []byte(dir+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("record postgres location: %w", err)
	}
	return dir, nil
}

// ownDir creates dir (0700) owned by the postgres user.
func (p *Postgres) ownDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create postgres data dir %s: %w", dir, err)
	}
	if err := os.Chown(dir, int(p.uid), int(p.gid)); err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	return nil
}

// reachable reports whether the postgres user can traverse every directory from / to dir.
func (p *Postgres) reachable(dir string) bool {
	for d := dir; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		mode := st.Mode().Perm()
		switch {
		case sys.Uid == p.uid:
			if mode&0o100 == 0 {
				return false
			}
		case sys.Gid == p.gid:
			if mode&0o010 == 0 {
				return false
			}
		default:
			if mode&0o001 == 0 {
				return false
			}
		}
		if d == "/" || d == filepath.Dir(d) {
			return true
		}
	}
}

func (p *Postgres) asPostgres(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: p.uid, Gid: p.gid},
		Setpgid:    true, // signals to decnetd's process group do not reach the cluster
	}
	cmd.Env = []string{"LANG=C.UTF-8", "LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin", "HOME=" + p.DataDir}
	cmd.Dir = p.DataDir
}

// initdb creates the cluster when the data dir holds none and writes the socket-only settings.
func (p *Postgres) initdb(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(p.DataDir, "PG_VERSION")); err == nil {
		return nil
	}
	cmd := exec.CommandContext(ctx, filepath.Join(p.opts.BinDir, "initdb"), "-D", p.DataDir, "-U", "postgres",
		"-A", "trust", "-E", "UTF8", "--no-locale", "--no-instructions")
	p.asPostgres(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w: %s", p.DataDir, err, strings.TrimSpace(string(out)))
	}
	conf := fmt.Sprintf("\n# decnet dev stack: unix socket only\nlisten_addresses = ''\n"+
		"unix_socket_directories = '%s'\nunix_socket_permissions = 0700\nmax_connections = 100\n"+
		"max_wal_size = 1GB\nlogging_collector = off\n", strings.ReplaceAll(p.SocketDir, "'", "''"))
	f, err := os.OpenFile(filepath.Join(p.DataDir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open postgresql.conf: %w", err)
	}
	_, werr := f.WriteString(conf)
	if err := errors.Join(werr, f.Close()); err != nil {
		return fmt.Errorf("write postgresql.conf: %w", err)
	}
	return nil
}

// PIDFile describes the interesting lines of a postmaster.pid file.
type PIDFile struct {
	PID       int
	DataDir   string
	SocketDir string
	Status    string // "ready", "starting", "stopping", … (line 8; may be empty)
}

// ReadPIDFile parses <dataDir>/postmaster.pid.
func ReadPIDFile(dataDir string) (PIDFile, error) {
	f, err := os.Open(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return PIDFile{}, fmt.Errorf("open postmaster.pid: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if len(lines) < 1 {
		return PIDFile{}, fmt.Errorf("postmaster.pid of %s is empty", dataDir)
	}
	pid, err := strconv.Atoi(lines[0])
	if err != nil || pid <= 0 {
		return PIDFile{}, fmt.Errorf("postmaster.pid of %s: bad pid %q", dataDir, lines[0])
	}
	pf := PIDFile{PID: pid}
	if len(lines) > 1 {
		pf.DataDir = lines[1]
	}
	if len(lines) > 4 {
		pf.SocketDir = lines[4]
	}
	if len(lines) > 7 {
		pf.Status = lines[7]
	}
	return pf, nil
}

// runningPID returns the pid of a live postmaster of this data dir, removing a lock file left by a process
// that no longer exists or is not postgres.
func (p *Postgres) runningPID() (int, bool) {
	pf, err := ReadPIDFile(p.DataDir)
	if err != nil {
		return 0, false
	}
	if pf.SocketDir != "" {
		p.SocketDir = pf.SocketDir
	}
	return pf.PID, isPostgres(pf.PID)
}

func isPostgres(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return false
	}
	c := strings.TrimSpace(string(b))
	return c == "postgres" || c == "postmaster"
}

func (p *Postgres) spawn() error {
	logf, err := os.OpenFile(filepath.Join(p.DataDir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("open postgres log: %w", err)
	}
	cmd := exec.Command(filepath.Join(p.opts.BinDir, "postgres"), "-D", p.DataDir)
	p.asPostgres(cmd)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.pid, p.exited, p.Adopted = cmd, cmd.Process.Pid, exited, false
	p.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	p.log.Info("started postgres", "pid", cmd.Process.Pid, "data_dir", p.DataDir)
	return nil
}

// supervise restarts the postmaster (with backoff) when it exits while not stopped.
func (p *Postgres) supervise() {
	backoff := time.Second
	for {
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		select {
		case <-exited:
		case <-p.done:
			return
		}
		p.mu.Lock()
		stopped := p.stopped
		p.mu.Unlock()
		if stopped || p.opts.NoRestart {
			return
		}
		p.log.Warn("postgres exited; restarting", "backoff", backoff)
		select {
		case <-time.After(backoff):
		case <-p.done:
			return
		}
		if backoff < 30*time.Second {
			backoff *= 2
		}
		if err := p.spawn(); err != nil {
			p.log.Error("restart postgres", "err", err)
		}
	}
}

// watchAdopted notices the exit of an adopted postmaster (not our child) and starts a new one.
func (p *Postgres) watchAdopted() {
	for {
		select {
		case <-p.done:
			return
		case <-time.After(time.Second):
		}
		p.mu.Lock()
		pid, adopted, stopped := p.pid, p.Adopted, p.stopped
		p.mu.Unlock()
		if stopped || !adopted {
			return
		}
		if isPostgres(pid) {
			continue
		}
		if p.opts.NoRestart {
			return
		}
		p.log.Warn("adopted postgres exited; starting a new one", "pid", pid)
		if err := p.spawn(); err != nil {
			p.log.Error("restart postgres", "err", err)
			continue
		}
		go p.supervise()
		return
	}
}

// URL returns the connection URL of the application database (unix socket, user postgres).
func (p *Postgres) URL() string { return p.urlFor(PGDatabase) }

func (p *Postgres) urlFor(db string) string {
	q := url.Values{"host": {p.SocketDir}, "user": {"postgres"}, "sslmode": {"disable"}}
	return "postgres:///" + db + "?" + q.Encode()
}

// PID returns the postmaster's pid.
func (p *Postgres) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pid
}

func (p *Postgres) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(c, p.urlFor("postgres"))
		if err == nil {
			err = conn.Ping(c)
			conn.Close(c)
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		if ctx.Err() != nil {
			return fmt.Errorf("wait for postgres: %w", ctx.Err())
		}
		p.mu.Lock()
		exited := p.exited
		p.mu.Unlock()
		if exited != nil {
			select {
			case <-exited:
				return fmt.Errorf("postgres exited during start (see %s): %w", filepath.Join(p.DataDir, "server.log"), last)
			default:
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("postgres not ready after %s: %w", timeout, last)
}

func (p *Postgres) ensureDB(ctx context.Context) error {
	conn, err := pgx.Connect(ctx, p.urlFor("postgres"))
	if err != nil {
		return fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", PGDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("check database %s: %w", PGDatabase, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+PGDatabase); err != nil {
			return fmt.Errorf("create database %s: %w", PGDatabase, err)
		}
	}
	return nil
}

// Stop shuts the cluster down (fast shutdown: SIGINT, then SIGQUIT after ctx's deadline or 30 s) and waits for
// the postmaster to exit. Supervision ends.
func (p *Postgres) Stop(ctx context.Context) error {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return nil
	}
	p.stopped = true
	pid, exited := p.pid, p.exited
	if p.Adopted {
		exited = nil
	}
	close(p.done)
	p.mu.Unlock()
	if pid <= 0 {
		return nil
	}
	_ = syscall.Kill(pid, syscall.SIGINT)
	hard := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if exited != nil {
			select {
			case <-exited:
				return nil
			default:
			}
		} else if !isPostgres(pid) {
			return nil
		}
		select {
		case <-tick.C:
		case <-hard:
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			hard = nil
		case <-ctx.Done():
			_ = syscall.Kill(pid, syscall.SIGQUIT)
			return fmt.Errorf("stop postgres %d: %w", pid, ctx.Err())
		}
	}
}

// Kill sends SIGKILL to the postmaster without shutdown (tests: simulate a crash). Supervision ends.
func (p *Postgres) Kill() {
	p.mu.Lock()
	if !p.stopped {
		p.stopped = true
		close(p.done)
	}
	pid := p.pid
	p.mu.Unlock()
	if pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// Detach ends supervision without stopping the cluster, leaving it running for a later StartPostgres to adopt
// (as after a kill -9 of the parent).
func (p *Postgres) Detach() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		close(p.done)
	}
}
