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

	"github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/simulators/gospochta/agency"
	gospochtasteps "github.com/shepconf/shepconf/steps/gospochta"
)

// gospochtaBus is what the run flags say of the gospochta profile.
var gospochtaBus = busRun{name: "gospochta", noun: "system", roles: []string{gospochtasteps.RoleSender, gospochtasteps.RoleReader},
	tagsExample: "@GP-R-QUOTA",
	scaleHelp:   "shrink the search task's preparation (2 minutes in a run, the published hour shortened), the delays to delivered and read, the 5 minutes of delivery confirmation and the pauses between pushes by this factor; only 1 certifies (and takes long: every scenario waits for searches, deliveries and readings)",
	imageHelp:   "test the agency's system in this container image: the harness issues its certificate, starts it and triggers it (default trigger: POST to its /trigger)",
	certHelp:    "PEM certificate of the agency's system, followed by the CA certificates it chains to: its mTLS client certificate, the key of its JWT assertions and the signer of its documents, registered for it at ESIA and Gospochta",
	defects:     gospochtaDefectNames(),
	certWhy:     "the system's certificate (mTLS client, JWT assertions, document signatures), which ESIA and Gospochta register for it",
	protocols:   "CMS signatures (documents), JOSE (JWT assertions) and mutual TLS",
}

// gospochtaFlags are the flags of run --profile gospochta, apart from parsing.
type gospochtaFlags struct {
	busFlags
	mnemonic string
}

func (f *gospochtaFlags) register(fs *flag.FlagSet) {
	f.busFlags.register(fs, gospochtaBus)
	fs.StringVar(&f.mnemonic, "sut-mnemonic", gospochtasteps.DefaultMnemonic, "the system's mnemonic (client_id) at ESIA")
}

// gospochtaDefectNames lists the reference system's defects with the rule each breaks.
func gospochtaDefectNames() string {
	var names []string
	for _, d := range agency.KnownDefects {
		names = append(names, d.Name+" ("+d.Breaks+")")
	}
	return strings.Join(names, ", ")
}

// runGospochta is shepconf run --profile gospochta: the Gospochta suite against the agency's
// system (or, in a demonstration, the reference system).
func runGospochta(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run --profile gospochta", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var f gospochtaFlags
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "shepconf run --profile gospochta:", err)
		return exitError
	}
	key, err := f.check(fs, gospochtaBus)
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
		fmt.Fprintln(stdout, "Time scale 1: every reading scenario waits for its searches to be prepared (2 minutes each, GP-R-TASK) and every sending scenario for delivery and reading, so the whole suite takes long; --time-scale 0.02 shows the same in a few minutes, certifying nothing")
	}
	res, err := gospochtasteps.Run(ctx, gospochtasteps.Options{OutDir: f.out, Tags: f.tags, TimeScale: f.scale, Output: stdout,
		Version: version(), SUT: sut, KeyAlgorithm: key, HarnessKey: harnessKey})
	if err != nil {
		return fail(err)
	}
	return busResult(stdout, gospochtaBus, res, f.scale, key)
}

// sut is the system under test the flags name: the reference system of a demonstration (perhaps
// broken on purpose), or the agency's system reached through its trigger.
func (f *gospochtaFlags) sut(stdout io.Writer) (gospochtasteps.SUT, error) {
	sut := gospochtasteps.SUT{Mnemonic: f.mnemonic, Defects: f.defects}
	if err := gospochta.CheckMnemonics([]string{f.mnemonic}); err != nil {
		return sut, fmt.Errorf("--sut-mnemonic: %w", err)
	}
	if err := agency.CheckDefects(f.defects); err != nil {
		return sut, fmt.Errorf("--sample-defect: %w", err)
	}
	s, err := f.system(stdout, gospochtaBus)
	sut.Container, sut.Trigger, sut.Certificate, sut.Chain, sut.Roles = s.container, s.trigger, s.certificate, s.chain, s.roles
	return sut, err
}

// serveGospochta is shepconf serve --profile gospochta: the simulated contour (ESIA, the reading
// API, the sending API) for an agency's own system.
func serveGospochta(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve --profile gospochta", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg gospochta.StandaloneConfig
	fs.StringVar(&cfg.State, "state", "state-gospochta", "state folder: the CA's keys, the CA chain, recipients.json, each system's certificate, key, API key file and HMAC key")
	fs.StringVar(&cfg.Listen, "listen", gospochta.DefaultListen, "address of the contour (HTTPS, TLS 1.3): ESIA, the reading API and the sending API")
	fs.StringVar(&cfg.ListenCA, "listen-ca", gospochta.DefaultListenCA, "address of the CA's OCSP, CRL and time-stamp service (HTTP)")
	keyAlg := fs.String("key-algorithm", "", "key of the certificates the CA issues: "+busKeyAlgorithms)
	fs.Float64Var(&cfg.TimeScale, "time-scale", 1, "shrink the search task's preparation (an hour), the delays to delivered (30 s) and read (2 min) and the pause between pushes by this factor")
	var systems, hosts listFlag
	fs.Var(&systems, "system", "mnemonic of a system to register, with a certificate, a key, an API key file and an HMAC key (repeatable; default "+gospochtasteps.DefaultMnemonic+")")
	fs.Var(&hosts, "host", "a further host name for the contour's certificate (repeatable)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	fail := func(err error) int {
		fmt.Fprintln(stderr, "shepconf serve --profile gospochta:", err)
		return exitError
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if cfg.TimeScale <= 0 || cfg.TimeScale > 1 {
		return fail(fmt.Errorf("--time-scale must be in (0, 1], got %g", cfg.TimeScale))
	}
	key, err := busKeyType(*keyAlg, gospochtaBus)
	if err != nil {
		return fail(err)
	}
	cfg.Key, cfg.Systems, cfg.Hosts = key, systems, hosts
	if len(cfg.Systems) == 0 {
		cfg.Systems = []string{gospochtasteps.DefaultMnemonic}
	}
	if err := gospochta.CheckMnemonics(cfg.Systems); err != nil {
		return fail(fmt.Errorf("--system: %w", err))
	}
	if err := os.MkdirAll(cfg.State, 0o755); err != nil {
		return fail(fmt.Errorf("--state %s: %w; give a folder you can write", cfg.State, err))
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	slog.SetDefault(cfg.Logger)
	s, err := gospochta.Serve(cfg)
	if errors.Is(err, syscall.EADDRINUSE) {
		return fail(fmt.Errorf("%w; another process listens there: give --listen (the contour) or --listen-ca (the CA) another address", err))
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

// loadGospochta refuses: the load of the profile (GP-W-FAILRATE over a run of sends) is a
// scenario of run, judged with the rest.
func loadGospochta(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shepconf load --profile gospochta: the profile's load is the @load scenario of shepconf run --profile gospochta (GP-W-FAILRATE: at most 0.1 % failed sends over a run of sends); run it with --tags @load")
	return exitError
}

// actGospochta refuses: the test act is a form of the ShEP Rules.
func actGospochta(_ context.Context, _ []string, _, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shepconf act: the test act is the form of Appendix 4 of the ShEP Rules; a gospochta run's evidence is its report and run.json")
	return exitError
}
