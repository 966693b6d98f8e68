package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/standalone"
	"github.com/shepconf/shepconf/simulators/nca"
)

// shutdownGrace is how long requests in flight may take to finish after SIGTERM or SIGINT: the
// Rules' 30 s owner limit plus a margin.
const shutdownGrace = 35 * time.Second

// runServe starts the gateway, the NCA and the reference owner from a configuration file and
// serves until SIGTERM or SIGINT.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "shepconf.yaml", "configuration file (see fixtures/shepconf.example.yaml)")
	state := fs.String("state", "", "state folder for the NCA's keys and the exported certificates (overrides the file's state)")
	gw := fs.String("listen", "", "address of the gateway (overrides the file's listen.gateway)")
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

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, nil))
	s, err := standalone.Start(cfg, log)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf serve:", err)
		return exitError
	}
	fmt.Fprintf(stdout, "gateway: %s\nnca: %s\nmetrics: %s%s\nhealth: %s%s\nca chain: %s\n",
		s.GatewayURL(), s.NCAURL(), s.GatewayURL(), standalone.MetricsPath, s.GatewayURL(), standalone.HealthPath,
		filepath.Join(cfg.State, standalone.NCADir, nca.ChainFile))
	for _, sys := range cfg.Systems {
		fmt.Fprintf(stdout, "system %s: certificate %s, key %s\n", sys.ID, s.CertPath(sys.ID), s.KeyPath(sys.ID))
	}

	<-ctx.Done()
	log.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := s.Close(sctx); err != nil {
		fmt.Fprintln(stderr, "shepconf serve: shutdown:", err)
		return exitError
	}
	fmt.Fprintln(stdout, "stopped")
	return exitConformant
}
