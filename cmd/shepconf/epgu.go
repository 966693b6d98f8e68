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
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/shepconf/shepconf/assembly/epgu"
	sutpkg "github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/epgu/client"
	epgusteps "github.com/shepconf/shepconf/steps/epgu"
)

// epguBus is what the run flags say of the epgu profile.
var epguBus = busRun{name: "epgu", noun: "client", tagsExample: "@EPGU-2.1.3",
	scaleHelp: "shrink the chunk window and the scripted agency's delays by this factor; only 1 certifies",
	imageHelp: "test the agency's client in this container image: the harness issues its certificate, starts it and triggers it (default trigger: POST to its /trigger)",
	certHelp:  "PEM certificate of the agency's system, which ESIA registers (its API key signature and file signatures are checked against it), followed by the CA certificates it chains to",
	defects:   defectNames(),
	protocols: "CMS signatures (client_secret, the API key, files), JOSE (JWT assertions) and TLS",
}

// runEPGU is shepconf run --profile epgu: the EPGU suite against the agency's client (or, in a
// demonstration, the reference client).
func runEPGU(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run --profile epgu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f busFlags
	f.register(fs, epguBus)
	mnemonic := fs.String("sut-mnemonic", epgusteps.DefaultMnemonic, "the system's mnemonic (client_id) in ESIA")
	var redirects listFlag
	fs.Var(&redirects, "sut-redirect-uri", "a redirect_uri registered for the system in ESIA (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 || f.scale <= 0 || f.scale > 1 {
		fmt.Fprintln(stderr, "shepconf run --profile epgu: no arguments expected; --time-scale in (0, 1]")
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "shepconf run --profile epgu:", err)
		return exitError
	}
	key, err := busKeyType(f.keyAlg, epguBus)
	if err != nil {
		return fail(err)
	}
	sut := epgusteps.SUT{Mnemonic: *mnemonic, RedirectURIs: redirects, Defects: f.defects}
	if f.image != "" {
		switch {
		case len(f.defects) > 0:
			return fail(errors.New("--sample-defect breaks the built-in reference client; an agency's image is tested as it is"))
		case f.cert != "":
			return fail(errors.New("--sut-cert: the harness issues the certificate of a system in a container from the run's CA and writes it into the container; leave --sut-cert out with --sut-image"))
		}
		sut.Image, sut.ImageTrigger = f.image, parseTrigger(f.trigger)
	} else if f.trigger != "" {
		if len(f.defects) > 0 {
			return fail(errors.New("--sample-defect breaks the built-in reference client; an agency's client is tested as it is"))
		}
		if sut.Trigger, err = runningTrigger(f.trigger, stdout); err != nil {
			return fail(err)
		}
		if f.cert == "" {
			return fail(errors.New("--sut-trigger needs --sut-cert, the certificate ESIA registers for the system"))
		}
		if sut.Certificate, sut.Chain, err = readSUTCert(f.cert); err != nil {
			return fail(err)
		}
	}
	harnessKey, err := f.sealKey()
	if err != nil {
		return fail(err)
	}
	res, err := epgusteps.Run(ctx, epgusteps.Options{OutDir: f.out, Tags: f.tags, TimeScale: f.scale, Output: stdout,
		Version: version(), SUT: sut, KeyAlgorithm: key, HarnessKey: harnessKey})
	if err != nil {
		return fail(err)
	}
	s := res.Summary
	fmt.Fprintf(stdout, "\n%s: %d of %d scenarios passed (profile epgu, time scale %g, %s keys)\n", s.Verdict, s.Passed, s.Scenarios, f.scale, key)
	if res.Info.SUT.Demonstration {
		fmt.Fprintln(stdout, "DEMONSTRATION: the built-in reference EPGU client was tested; this run certifies nothing (give --sut-image, or --sut-trigger and --sut-cert)")
	} else {
		for _, r := range res.Info.Roles {
			fmt.Fprintf(stdout, "  %-20s %d passed, %d failed, %d skipped\n", r.Role, r.Passed, r.Failed, r.Skipped)
		}
	}
	fmt.Fprintf(stdout, "Report:  %s\nSealed:  %s\n", res.Report, res.Seal)
	if res.Info.SUT.Kind == sutpkg.Container {
		fmt.Fprintf(stdout, "Logs:    %s (the container %s, %s)\n", filepath.Join(filepath.Dir(res.Report), epgusteps.SUTLogFile), res.Info.SUT.Image, res.Info.SUT.Digest)
	}
	if s.Verdict != reports.Conformant {
		return exitFailed
	}
	return exitConformant
}

func defectNames() string {
	var names []string
	for _, d := range client.KnownDefects {
		names = append(names, d.Name)
	}
	return strings.Join(names, ", ")
}

// serveEPGU is shepconf serve --profile epgu: the test contour for an agency's own client.
func serveEPGU(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve --profile epgu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg epgu.StandaloneConfig
	fs.StringVar(&cfg.State, "state", "state-epgu", "state folder: the CA's keys, the CA chain, each system's certificate, key and API key file")
	fs.StringVar(&cfg.ESIAAddr, "listen-esia", "127.0.0.1:9443", "address of the simulated ESIA (HTTPS)")
	fs.StringVar(&cfg.APIAddr, "listen-api", "127.0.0.1:9444", "address of the simulated EPGU API (HTTPS)")
	fs.StringVar(&cfg.NCAAddr, "listen-ca", "127.0.0.1:9081", "address of the CA's OCSP, CRL and time-stamp service (HTTP)")
	keyAlg := fs.String("key-algorithm", "", "key of the certificates the CA issues: "+busKeyAlgorithms)
	fs.Float64Var(&cfg.TimeScale, "time-scale", 1, "shrink the scripted agency's delays and the 5-minute chunk window by this factor")
	var systems, services, hosts listFlag
	fs.Var(&systems, "system", "mnemonic of an agency system to register in ESIA (repeatable; default "+epgusteps.DefaultMnemonic+")")
	fs.Var(&services, "service", "folder of a further service: service.yaml and its schema (repeatable)")
	fs.Var(&hosts, "host", "a further host name for the servers' certificates (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	key, err := busKeyType(*keyAlg, epguBus)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf serve --profile epgu:", err)
		return exitError
	}
	if fs.NArg() > 0 || cfg.TimeScale <= 0 || cfg.TimeScale > 1 {
		fmt.Fprintln(stderr, "shepconf serve --profile epgu: no arguments expected; --time-scale in (0, 1]")
		return exitError
	}
	cfg.Key, cfg.Systems, cfg.Services, cfg.Hosts = key, systems, services, hosts
	if len(cfg.Systems) == 0 {
		cfg.Systems = []string{epgusteps.DefaultMnemonic}
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, nil)))
	s, err := epgu.Serve(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf serve --profile epgu:", err)
		return exitError
	}
	s.Describe(stdout)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	s.Close(sctx)
	return exitConformant
}

// loadEPGU is shepconf load --profile epgu: a system reads order statuses at a rate over the
// per-minute limit of Appendix 3 in a fresh contour, and the answers are judged against it.
func loadEPGU(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load --profile epgu", flag.ContinueOnError)
	fs.SetOutput(stderr)
	perMinute := fs.Int("rate", 2400, "requests per minute (the limit is 2 000 per system, EPGU-A3)")
	duration := fs.Duration("duration", time.Minute, "how long the load lasts")
	limit := fs.Int("limit", 0, "the per-minute limit the simulated API enforces (default 2 000, EPGU-A3)")
	outDir := fs.String("out", "out/load-epgu", "folder for the JSON summary")
	keyAlg := fs.String("key-algorithm", "", "key of the certificates the load issues: "+busKeyAlgorithms)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "shepconf load --profile epgu:", err)
		return exitError
	}
	key, err := busKeyType(*keyAlg, epguBus)
	if err != nil {
		return fail(err)
	}
	res, err := epgu.Load(ctx, epgu.LoadPlan{PerMinute: *perMinute, Duration: *duration, Limit: *limit}, key, stdout)
	if err != nil {
		return fail(err)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return fail(err)
	}
	raw, _ := json.MarshalIndent(res, "", "  ")
	path := filepath.Join(*outDir, "summary.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "%d requests at %d/min for %s: %d served (at most %d in a minute, limit %d), %d refused with 429, %d other; latency p50/p99 %s\n",
		res.Requests, *perMinute, *duration, res.Served, res.MostInMin, res.Limit, res.Refused, res.Other, res.Latency)
	for _, b := range res.Breaches {
		fmt.Fprintln(stdout, "  FAILED", b.Error())
	}
	fmt.Fprintln(stdout, "Summary:", path)
	if !res.Passed() {
		fmt.Fprintln(stdout, reports.NotConformant)
		return exitFailed
	}
	fmt.Fprintln(stdout, reports.Conformant)
	return exitConformant
}

// actEPGU refuses: the test act is a form of the ShEP Rules.
func actEPGU(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shepconf act: the test act is the form of Appendix 4 of the ShEP Rules; an epgu run's evidence is its report and run.json")
	return exitError
}
