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
	"slices"
	"strings"
	"syscall"

	"github.com/shepconf/shepconf/assembly/gospochta"
	sutpkg "github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/gospochta/agency"
	gospochtasteps "github.com/shepconf/shepconf/steps/gospochta"
)

// gospochtaRoles are the roles an agency's system is certified in on the Gospochta profile.
var gospochtaRoles = []string{gospochtasteps.RoleSender, gospochtasteps.RoleReader}

// gospochtaFlags are the flags of run --profile gospochta, apart from parsing.
type gospochtaFlags struct {
	out, tags, keyAlg, harnessKey  string
	scale                          float64
	image, trigger, cert, mnemonic string
	roles, defects                 listFlag
}

func (f *gospochtaFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.out, "out", "out", "folder for the reports")
	fs.StringVar(&f.tags, "tags", "", `run only scenarios matching this tag expression, e.g. "@GP-R-QUOTA"`)
	fs.Float64Var(&f.scale, "time-scale", 1, "shrink the search task's preparation (2 minutes in a run, the published hour shortened), the delays to delivered and read, the 5 minutes of delivery confirmation and the pauses between pushes by this factor; only 1 certifies (and takes long: every scenario waits for searches, deliveries and readings)")
	fs.StringVar(&f.keyAlg, "key-algorithm", "", "key of the certificates the run issues: "+pki.KeyAlgorithms)
	fs.StringVar(&f.harnessKey, "harness-key", "", "PEM private key that seals the run's outputs (default $"+runseal.KeyEnv+", else made on first use)")
	fs.StringVar(&f.trigger, "sut-trigger", "", `how the harness makes the agency's system act: a URL (POST the trigger JSON), "operator", or "host:" and a command with placeholders; with --sut-image also a path below the container's base URL (/trigger) or a command run inside the container`)
	fs.StringVar(&f.cert, "sut-cert", "", "PEM certificate of the agency's system, followed by the CA certificates it chains to: its mTLS client certificate, the key of its JWT assertions and the signer of its documents, registered for it at ESIA and Gospochta")
	fs.StringVar(&f.mnemonic, "sut-mnemonic", gospochtasteps.DefaultMnemonic, "the system's mnemonic (client_id) at ESIA")
	fs.StringVar(&f.image, "sut-image", "", "test the agency's system in this container image: the harness issues its certificate, starts it and triggers it (default trigger: POST to its /trigger)")
	fs.Var(&f.roles, "sut-role", "a role the system is certified in (repeatable, or comma-separated): "+strings.Join(gospochtaRoles, ", ")+" (default both)")
	fs.Var(&f.defects, "sample-defect", "break the reference system on purpose (repeatable): "+gospochtaDefectNames())
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
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if f.scale <= 0 || f.scale > 1 {
		return fail(fmt.Errorf("--time-scale must be in (0, 1], got %g", f.scale))
	}
	key, err := pki.ParseKeyType(f.keyAlg)
	if err != nil {
		return fail(fmt.Errorf("--key-algorithm: %w", err))
	}
	sut, err := f.sut(stdout)
	if err != nil {
		return fail(err)
	}
	keyPath, err := runseal.KeyPath(f.harnessKey)
	if err != nil {
		return fail(err)
	}
	harnessKey, err := runseal.LoadOrCreate(keyPath)
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
	s := res.Summary
	fmt.Fprintf(stdout, "\n%s: %d of %d scenarios passed (profile gospochta, time scale %g, %s keys)\n", s.Verdict, s.Passed, s.Scenarios, f.scale, key)
	if res.Info.SUT.Demonstration {
		fmt.Fprintln(stdout, "DEMONSTRATION: the built-in reference system was tested; this run certifies nothing (give --sut-trigger and --sut-cert, or --sut-image)")
	} else {
		fmt.Fprintf(stdout, "System under test: %s\n", res.Info.SUT.Describe)
		for _, r := range res.Info.Roles {
			fmt.Fprintf(stdout, "  %-20s %d passed, %d failed, %d skipped\n", r.Role, r.Passed, r.Failed, r.Skipped)
		}
	}
	fmt.Fprintf(stdout, "Report:  %s\nSealed:  %s\n", res.Report, res.Seal)
	if s.Verdict != reports.Conformant {
		return exitFailed
	}
	return exitConformant
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
	roles, err := gospochtaRoleList(f.roles)
	if err != nil {
		return sut, err
	}
	switch {
	case f.image != "" && len(f.defects) > 0:
		return sut, errors.New("--sample-defect breaks the built-in reference system; an agency's image is tested as it is")
	case f.image != "" && f.cert != "":
		return sut, errors.New("--sut-cert: the harness issues the certificate of a system in a container from the run's CA and writes it into the container; leave --sut-cert out with --sut-image")
	case f.image != "":
		sut.Container, sut.Roles = sutpkg.AgencyImage{Image: f.image, Trigger: parseTrigger(f.trigger)}, roles
		return sut, nil
	case f.trigger == "":
		if f.cert != "" || len(roles) > 0 {
			return sut, errors.New("--sut-cert and --sut-role describe an agency's system, which needs --sut-trigger; a demonstration runs every scenario against the reference system (--tags '@role-" + gospochtasteps.RoleSender + "' runs one role's)")
		}
		return sut, nil
	case len(f.defects) > 0:
		return sut, errors.New("--sample-defect breaks the built-in reference system; an agency's system is tested as it is")
	case f.cert == "":
		return sut, errors.New("--sut-trigger needs --sut-cert, the system's certificate (mTLS client, JWT assertions, document signatures), which ESIA and Gospochta register for it")
	}
	if sut.Trigger, err = runningTrigger(f.trigger, stdout); err != nil {
		return sut, err
	}
	if sut.Certificate, sut.Chain, err = readSUTCert(f.cert); err != nil {
		return sut, err
	}
	sut.Roles = roles
	return sut, nil
}

// gospochtaRoleList reads --sut-role: gospochta-sender, gospochta-reader, or both (also
// comma-separated).
func gospochtaRoleList(given []string) ([]string, error) {
	var roles []string
	for _, g := range given {
		for _, r := range strings.Split(g, ",") {
			r = strings.TrimSpace(r)
			if !slices.Contains(gospochtaRoles, r) {
				return nil, fmt.Errorf("--sut-role %q: the gospochta profile's roles are %s", r, strings.Join(gospochtaRoles, " and "))
			}
			if !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	return roles, nil
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
	keyAlg := fs.String("key-algorithm", "", "key of the certificates the CA issues: "+pki.KeyAlgorithms)
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
	key, err := pki.ParseKeyType(*keyAlg)
	if err != nil {
		return fail(fmt.Errorf("--key-algorithm: %w", err))
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
