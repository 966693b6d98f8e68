package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/shepconf/shepconf/assembly/standalone"
	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
)

// shutdownGrace is how long exchanges in flight may take to finish after SIGTERM or SIGINT: the
// Rules' 30 s (A2-T1 row 1), no more. Clients without an exchange in flight (idle, silent, slow to
// send) are closed at once and do not count against it; what is still open when it ends is closed
// and logged, and the stop is still a clean one (exit 0).
const shutdownGrace = rule.SyncMaxProcessing

// runServe starts the gateway with every channel, the NCA and the reference owners from a
// configuration file and serves until SIGTERM or SIGINT.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "shepconf.yaml", "configuration file (see fixtures/shep/shepconf.example.yaml)")
	state := fs.String("state", "", "state folder for the NCA's keys and the exported certificates (overrides the file's state)")
	gw := fs.String("listen", "", "address of the gateway (overrides the file's listen.gateway)")
	bind := fs.String("bind", "", "host every server listens on, keeping each port (e.g. 0.0.0.0 in a container)")
	keyAlg := fs.String("key-algorithm", "", "key of the certificates the NCA issues (overrides the file's keyAlgorithm): "+pki.KeyAlgorithms)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shepconf serve: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf serve:", err)
		return exitError
	}
	if *state != "" {
		cfg.State = *state
	}
	if *gw != "" {
		cfg.Listen.Gateway = *gw
	}
	if *bind != "" {
		cfg.Bind(*bind)
	}
	if *keyAlg != "" {
		if _, err := pki.ParseKeyType(*keyAlg); err != nil {
			fmt.Fprintln(stderr, "shepconf serve: --key-algorithm:", err)
			return exitError
		}
		cfg.KeyAlgorithm = *keyAlg
	}

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(log) // the listeners log refused and cut connections here (internal/server)
	s, err := standalone.Start(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf serve:", err)
		return exitError
	}
	s.Describe(stdout)

	<-ctx.Done()
	log.Info("shutting down", "grace", shutdownGrace)
	begin := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.Close(sctx); err != nil {
		fmt.Fprintln(stderr, "shepconf serve: shutdown:", err)
		return exitError
	}
	log.Info("drained", "took", time.Since(begin).Round(time.Millisecond))
	fmt.Fprintln(stdout, "stopped")
	return exitConformant
}
