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
	"strings"
	"syscall"

	"github.com/shepconf/shepconf/assembly/smdo"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
	smdosteps "github.com/shepconf/shepconf/steps/smdo"
)

// smdoBus is what the run flags say of the smdo profile.
var smdoBus = busRun{name: "smdo", noun: "СЭД", roles: smdosteps.Roles, tagsExample: "@SMDO-POLL",
	scaleHelp: "shrink the 5-minute poll period, the 10-second restart pause and the counterpart's delays by this factor; only 1 certifies (and takes long: every receiving scenario waits out poll periods)",
	imageHelp: "test the agency's СЭД in this container image: the harness issues its certificate, starts it with its threads' periods at the run's time scale and triggers it (default trigger: POST to its /trigger)",
	certHelp:  "PEM certificate the agency's СЭД signs its files with, which the router registers for its subscriber, followed by the CA certificates it chains to",
	defects:   strings.Join(sed.KnownDefects, ", "),
	certWhy:   "the certificate the СЭД signs its files with, which the router registers for its subscriber",
	protocols: "CMS signatures (files) and TLS",
}

// smdoFlags are the flags of run --profile smdo, apart from parsing.
type smdoFlags struct {
	busFlags
	code string
}

func (f *smdoFlags) register(fs *flag.FlagSet) {
	f.busFlags.register(fs, smdoBus)
	fs.StringVar(&f.code, "sut-code", smdosteps.DefaultCode, "the СЭД's subscriber code (smdoCode) in the router")
}

// runSMDO is shepconf run --profile smdo: the SMDO suite against the agency's СЭД (or, in a
// demonstration, the reference СЭД).
func runSMDO(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run --profile smdo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f smdoFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "shepconf run --profile smdo:", err)
		return exitError
	}
	key, err := f.check(fs, smdoBus)
	if err != nil {
		return fail(err)
	}
	sut, err := f.sut(stdout)
	if err != nil {
		return fail(err)
	}
	harnessKey, err := f.sealKey()
	if err != nil {
		return fail(err)
	}
	if f.scale == 1 {
		fmt.Fprintln(stdout, "Time scale 1: the scenarios wait out the 5-minute poll period (SMDO-POLL) several times, so the whole suite takes about an hour and a half; --time-scale 0.02 shows the same in about two minutes, certifying nothing")
	}
	res, err := smdosteps.Run(ctx, smdosteps.Options{OutDir: f.out, Tags: f.tags, TimeScale: f.scale, Output: stdout,
		Version: version(), SUT: sut, KeyAlgorithm: key, HarnessKey: harnessKey})
	if err != nil {
		return fail(err)
	}
	return busResult(stdout, smdoBus, res, f.scale, key)
}

// sut is the system under test the flags name: the reference СЭД of a demonstration (perhaps
// broken on purpose), or the agency's СЭД reached through its trigger.
func (f *smdoFlags) sut(stdout io.Writer) (smdosteps.SUT, error) {
	sut := smdosteps.SUT{Code: f.code, Defects: f.defects}
	if err := smdo.CheckSubscribers([]string{f.code}, true); err != nil {
		return sut, fmt.Errorf("--sut-code: %w", err)
	}
	if err := sed.CheckDefects(f.defects); err != nil {
		return sut, fmt.Errorf("--sample-defect: %w", err)
	}
	s, err := f.system(stdout, smdoBus)
	sut.Container, sut.Trigger, sut.Certificate, sut.Chain, sut.Roles = s.container, s.trigger, s.certificate, s.chain, s.roles
	return sut, err
}

// serveSMDO is shepconf serve --profile smdo: the simulated router for an agency's own СЭД.
func serveSMDO(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve --profile smdo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := smdo.StandaloneConfig{Counterpart: true}
	fs.StringVar(&cfg.State, "state", "state-smdo", "state folder: the CA's keys, the CA chain, each subscriber's certificate, key and credentials.json")
	fs.StringVar(&cfg.Addr, "listen", "127.0.0.1:9445", "address of the simulated SMDO router (HTTPS)")
	fs.StringVar(&cfg.NCAAddr, "listen-ca", "127.0.0.1:9082", "address of the CA's OCSP and CRL service (HTTP)")
	keyAlg := fs.String("key-algorithm", "", "key of the certificates the CA issues: "+busKeyAlgorithms)
	fs.Float64Var(&cfg.TimeScale, "time-scale", 1, "shrink the counterpart's delays (20 s to confirm, 20 s more to register) by this factor")
	fs.BoolVar(&cfg.Counterpart, "counterpart", true, "add the subscriber "+smdo.CounterpartCode+" (idAbonent "+smdo.CounterpartID+") whose СЭД the router plays: it confirms what it receives and registers documents asking for acknowledgement")
	var subscribers, hosts listFlag
	fs.Var(&subscribers, "subscriber", "smdoCode of a subscriber to register, with credentials, certificate and key (repeatable; default "+smdosteps.DefaultCode+")")
	fs.Var(&hosts, "host", "a further host name for the router's certificate (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "shepconf serve --profile smdo:", err)
		return exitError
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if cfg.TimeScale <= 0 || cfg.TimeScale > 1 {
		return fail(fmt.Errorf("--time-scale must be in (0, 1], got %g", cfg.TimeScale))
	}
	key, err := busKeyType(*keyAlg, smdoBus)
	if err != nil {
		return fail(err)
	}
	cfg.Key, cfg.Subscribers, cfg.Hosts = key, subscribers, hosts
	if len(cfg.Subscribers) == 0 {
		cfg.Subscribers = []string{smdosteps.DefaultCode}
	}
	if err := smdo.CheckSubscribers(cfg.Subscribers, cfg.Counterpart); err != nil {
		return fail(fmt.Errorf("--subscriber: %w", err))
	}
	if err := os.MkdirAll(cfg.State, 0o755); err != nil {
		return fail(fmt.Errorf("--state %s: %w; give a folder you can write", cfg.State, err))
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(stderr, nil)))
	s, err := smdo.Serve(cfg)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fail(fmt.Errorf("%w; another process listens there: give --listen (the router) or --listen-ca (the CA) another address", err))
	}
	if err != nil {
		return fail(err)
	}
	s.Describe(stdout)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	s.Close(sctx)
	return exitConformant
}

// loadSMDO refuses: the walkthrough gives the router no rate limit to judge a load against.
func loadSMDO(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shepconf load --profile smdo: the SMDO profile has no load test (the router's rate limits are not published); its timing rules, the 5-minute poll and the 10-second restart, are judged by shepconf run --profile smdo")
	return exitError
}

// actSMDO refuses: the test act is a form of the ShEP Rules.
func actSMDO(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shepconf act: the test act is the form of Appendix 4 of the ShEP Rules; an smdo run's evidence is its report and run.json")
	return exitError
}
