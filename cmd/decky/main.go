// Command decky runs inside every decky: `decky pause` holds a sandbox, `decky serve SVC` runs one emulator.
// It is a static binary with no dependencies on the container image.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/services"
)

const usage = `usage:
  decky pause
  decky serve SVC [--decky NAME] [--hostname H] [--distro SLUG] [--nmap-os FAMILY] [--persona JSON|@FILE]
                  [--bind ADDR] [--port-offset N] [--artifacts DIR] [--instance-id ID] [--max-conns-per-ip N]
  decky services

Every serve flag may also come from the environment: DECNET_DECKY, DECNET_HOSTNAME, DECNET_DISTRO,
DECNET_NMAP_OS, DECNET_PERSONA, DECNET_BIND, DECNET_PORT_OFFSET, DECNET_ARTIFACTS, DECNET_INSTANCE_ID,
DECNET_MAX_CONNS_PER_IP. Events go to stdout (RFC 5424); diagnostics go to stderr.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "pause":
		return pause()
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "services":
		fmt.Fprintln(stdout, strings.Join(services.Names(), "\n"))
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "decky: unknown command %q\n%s", args[0], usage)
	return 2
}

// pause holds a sandbox: it sleeps, reaps orphaned children (it is PID 1) and exits 0 on SIGTERM/SIGINT.
func pause() int {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		return 0
	}
	return 0
}

type serveFlags struct {
	decky, hostname, distro, nmapOS, persona, bind, artifacts, instanceID string
	portOffset, maxConns                                                  int
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

// envInt returns the integer in environment variable key, or def when it is unset. A value that is not an
// integer is recorded in errs rather than silently replaced by def (a bad DECNET_PORT_OFFSET must not
// make the decky bind the real ports).
func envInt(key string, def int, errs *[]error) int {
	v, ok := os.LookupEnv(key)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		*errs = append(*errs, fmt.Errorf("%s: invalid integer %q", key, v))
		return def
	}
	return n
}

func serve(args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, nil))
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f serveFlags
	var envErrs []error
	fs.StringVar(&f.decky, "decky", envOr("DECNET_DECKY", ""), "decky name (RFC 5424 HOSTNAME)")
	fs.StringVar(&f.hostname, "hostname", envOr("DECNET_HOSTNAME", ""), "attacker-visible hostname (default: decky name)")
	fs.StringVar(&f.distro, "distro", envOr("DECNET_DISTRO", "debian"), "distro slug")
	fs.StringVar(&f.nmapOS, "nmap-os", envOr("DECNET_NMAP_OS", "linux"), "OS family of the sandbox")
	fs.StringVar(&f.persona, "persona", envOr("DECNET_PERSONA", "{}"), "persona JSON object, or @FILE")
	fs.StringVar(&f.bind, "bind", envOr("DECNET_BIND", ""), "listen address (default: all)")
	fs.StringVar(&f.artifacts, "artifacts", envOr("DECNET_ARTIFACTS", ""), "artifact directory (default: a private temp dir)")
	fs.StringVar(&f.instanceID, "instance-id", envOr("DECNET_INSTANCE_ID", ""), "installation id feeding the per-decky seed")
	fs.IntVar(&f.portOffset, "port-offset", envInt("DECNET_PORT_OFFSET", 0, &envErrs), "added to every declared port")
	fs.IntVar(&f.maxConns, "max-conns-per-ip", envInt("DECNET_MAX_CONNS_PER_IP", 256, &envErrs), "concurrent connections per source IP")
	// Accept the service slug before or after the flags.
	var svc string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		svc, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if svc == "" && fs.NArg() > 0 {
		svc = fs.Arg(0)
	}
	if svc == "" {
		fmt.Fprint(stderr, "decky serve: missing service\n", usage)
		return 2
	}
	if len(envErrs) > 0 {
		fmt.Fprintf(stderr, "decky serve %s: %v\n", svc, errors.Join(envErrs...))
		return 2
	}
	env, err := buildEnv(svc, f, stdout, log)
	if err != nil {
		fmt.Fprintf(stderr, "decky serve %s: %v\n", svc, err)
		return 2
	}
	factory, _ := services.Lookup(svc)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- factory().Serve(ctx, env) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// A handler that ignores cancellation must not keep a stopping decky alive: after a grace
		// period, say which goroutines are still running (stderr) and exit anyway.
		select {
		case err = <-done:
		case <-time.After(shutdownGrace):
			fmt.Fprintf(stderr, "decky serve %s: handlers still running %v after the signal; exiting anyway\n", svc, shutdownGrace)
			_ = pprof.Lookup("goroutine").WriteTo(stderr, 1)
			return 0
		}
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "decky serve %s: %v\n", svc, err)
		return 1
	}
	return 0
}

// shutdownGrace bounds how long `decky serve` waits for its handlers after SIGTERM/SIGINT.
const shutdownGrace = 1500 * time.Millisecond

func buildEnv(svc string, f serveFlags, stdout io.Writer, log *slog.Logger) (*services.Env, error) {
	cs, ok := conf.LookupService(svc)
	if !ok {
		return nil, fmt.Errorf("unknown service %q", svc)
	}
	for _, p := range append(slices.Clone(cs.TCP), cs.UDP...) {
		if q := p + f.portOffset; q < 1 || q > 65535 {
			return nil, fmt.Errorf("port offset %d puts declared port %d out of range (%d)", f.portOffset, p, q)
		}
	}
	if _, ok := services.Lookup(svc); !ok {
		return nil, fmt.Errorf("service '%s' has no emulator in this build (have: %s)", svc, strings.Join(services.Names(), ", "))
	}
	distro, err := conf.LookupDistro(f.distro)
	if err != nil {
		return nil, err
	}
	if !conf.IsOSFamily(f.nmapOS) {
		return nil, fmt.Errorf("unknown nmap-os %q (want one of %s)", f.nmapOS, strings.Join(conf.OSFamilies, ", "))
	}
	raw := f.persona
	if strings.HasPrefix(raw, "@") {
		b, err := os.ReadFile(raw[1:])
		if err != nil {
			return nil, fmt.Errorf("read persona: %w", err)
		}
		raw = string(b)
	}
	var m map[string]any
	if strings.TrimSpace(raw) == "" {
		raw = "{}"
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, fmt.Errorf("persona must be a JSON object: %w", err)
	}
	persona, err := conf.ValidatePersona(svc, m)
	if err != nil {
		return nil, fmt.Errorf("persona: %w", err)
	}
	artifacts := f.artifacts
	if artifacts == "" {
		if artifacts, err = os.MkdirTemp("", "decky-"+svc+"-"); err != nil {
			return nil, fmt.Errorf("artifacts dir: %w", err)
		}
	}
	env := services.NewEnv(svc, stdout)
	env.Decky = f.decky
	if env.Decky == "" {
		env.Decky, _ = os.Hostname()
	}
	env.Hostname = f.hostname
	if env.Hostname == "" {
		env.Hostname = env.Decky
	}
	env.Distro = distro
	env.NmapOS = f.nmapOS
	env.Persona = persona
	env.InstanceID = f.instanceID
	env.Artifacts = artifacts
	env.Bind = f.bind
	env.PortOffset = f.portOffset
	env.MaxConnsPerIP = f.maxConns
	env.Log = log
	return env, nil
}
