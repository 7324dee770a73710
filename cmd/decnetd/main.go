// Command decnetd is decnet's daemon: it runs the decky fleet on containerd, keeps it reconciled and
// serves the control API on the root-only unix socket /run/decnet/decnetd.sock.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/decnet/decnet/api"
	"github.com/decnet/decnet/conf"
	"github.com/decnet/decnet/daemon"
	_ "github.com/decnet/decnet/services/all"
)

const usageText = `usage: decnetd [flags]

decnetd runs the decnet fleet: deckies as containerd sandboxes on a macvlan/ipvlan LAN, their
services, the forensic log and the control API on the root-only socket %s.

Flags:
`

// options are decnetd's resolved command-line options.
type options struct {
	cfg     daemon.Config
	verbose bool
}

// parseArgs resolves flags over DECNET_* settings. It returns flag.ErrHelp for --help.
func parseArgs(args []string, stderr io.Writer, env func(string) (string, bool)) (options, error) {
	var o options
	s, err := conf.LoadSettings(env, "")
	if err != nil {
		return o, err
	}
	if env == nil {
		env = os.LookupEnv
	}
	fs := flag.NewFlagSet("decnetd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), usageText, api.ControlSocket)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nEnvironment: DECNET_STATE_DIR, DECNET_DEV_STACK=1, DECNET_CONTAINERD_ADDRESS, DECNET_LOG_DIR,\n"+
			"DECNET_ARTIFACTS_ROOT; %s overrides the control socket path (tests only).\n", api.ControlSocketEnv)
	}
	addr, addrSet := env("DECNET_CONTAINERD_ADDRESS")
	if !addrSet || addr == "" {
		addr, addrSet = "/run/containerd/containerd.sock", false
	}
	c := &o.cfg
	fs.StringVar(&c.StateDir, "state-dir", s.StateDir, "directory for all of decnetd's state (env DECNET_STATE_DIR)")
	fs.BoolVar(&c.DevStack, "dev-stack", s.DevStack, "start and supervise a private containerd under <state-dir>/containerd (env DECNET_DEV_STACK=1)")
	fs.StringVar(&c.ContainerdAddress, "containerd-address", addr, "containerd socket (env DECNET_CONTAINERD_ADDRESS)")
	fs.BoolVar(&c.TeardownOnExit, "teardown-on-exit", false, "tear every decky down (and stop the dev containerd) on SIGTERM")
	fs.StringVar(&c.DeckyBinary, "decky-binary", "", "decky binary to put in the image (default: embedded, else ./decky next to decnetd)")
	fs.StringVar(&c.LogDir, "log-dir", s.LogDir, "forensic log directory (env DECNET_LOG_DIR)")
	fs.StringVar(&c.NetnsPrefix, "netns-prefix", "decnet-", "prefix of the deckies' network namespace names")
	fs.DurationVar(&c.MutateTick, "mutate-check", 30*time.Second, "how often the mutator looks for due deckies")
	mutDefault := fs.Duration("mutate-interval", 30*time.Minute, "fleet default mutation interval (per-decky mutate_interval wins)")
	fs.BoolVar(&o.verbose, "verbose", false, "debug logging")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "containerd-address" {
			addrSet = true
		}
	})
	c.AddressExplicit = addrSet
	c.MutateInterval = *mutDefault
	if v, ok := env("DECNET_ARTIFACTS_ROOT"); ok && v != "" {
		c.ArtifactsRoot = v
	} // else the daemon uses <state-dir>/artifacts
	if c.StateDir == "" {
		return o, errors.New("--state-dir must not be empty")
	}
	c.ControlSocket = api.ControlSocketPath()
	c.Settings = s
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:], os.Stderr, nil)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "decnetd:", err)
		os.Exit(2)
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	o.cfg.Log = log
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := daemon.Run(ctx, o.cfg); err != nil {
		log.Error("decnetd failed", "err", err)
		os.Exit(1)
	}
}
