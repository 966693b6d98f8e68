// Command shepconf is the conformance harness for systems integrating through Kazakhstan's
// e-government gateway (ShEP). It only parses flags; the work is done by importable packages.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"

	"github.com/shepconf/shepconf/internal/config"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/steps"
	"github.com/shepconf/shepconf/steps/shep"
)

const usage = `shepconf: conformance harness for the e-government gateway (ShEP)

Usage:
  shepconf run [flags]     run the conformance suite and write its reports
  shepconf load [flags]    drive the gateway at the rates of Appendix 2 and judge the timing limits
  shepconf serve [flags]   run the gateway, NCA and reference owner from a configuration file
  shepconf act [flags]     form the Appendix 4 test act from a run, sign it; --verify FILE checks one
  shepconf version         print the version

Every command but version takes --profile shep (the default: the e-government gateway ShEP),
--profile epgu (Russia's EPGU agency API with ESIA, in its simulated test contour), --profile smdo
(Belarus's SMDO document exchange through the simulated router of the AIS MV platform) or
--profile gospochta (Russia's state e-mail system: reading an organisation's Gospochta and
legally significant sending, in a simulated contour with ESIA).

Run "shepconf run -h" (or "shepconf run --profile epgu -h", "--profile smdo -h", "--profile
gospochta -h") for the flags of run.
`

// Exit codes: 0 conformant, 1 not conformant or incomplete, 2 the run itself failed.
const (
	exitConformant = 0
	exitFailed     = 1
	exitError      = 2
)

func main() {
	server.TuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand of one profile.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// commands are each profile's subcommands.
var commands = map[string]map[string]command{
	steps.ProfileShep:      {"run": runSuite, "load": runLoad, "serve": runServe, "act": runAct},
	steps.ProfileEPGU:      {"run": runEPGU, "load": loadEPGU, "serve": serveEPGU, "act": actEPGU},
	steps.ProfileSMDO:      {"run": runSMDO, "load": loadSMDO, "serve": serveSMDO, "act": actSMDO},
	steps.ProfileGospochta: {"run": runGospochta, "load": loadGospochta, "serve": serveGospochta, "act": actGospochta},
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitError
	}
	switch args[0] {
	case "version":
		fmt.Fprintln(stdout, "shepconf", version())
		return exitConformant
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitConformant
	}
	profile, rest, err := busProfile(args[1:])
	if err != nil {
		fmt.Fprintf(stderr, "shepconf %s: %v\n", args[0], err)
		return exitError
	}
	if cmd, ok := commands[profile][args[0]]; ok {
		return cmd(ctx, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "shepconf: unknown command %q\n\n%s", args[0], usage)
	return exitError
}

func runSuite(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "out", "folder for the reports and the journal")
	tags := fs.String("tags", "", `run only scenarios matching this tag expression, e.g. "@R-6" or "~@slow"`)
	full := fs.Bool("full", false, "include the @load scenarios (Appendix 2 rates) in a run without --tags")
	scale := fs.Float64("time-scale", 1, "shrink every timing limit and scripted delay by this factor; only 1 certifies")
	cfgPath := fs.String("config", "", "configuration file naming the system under test, its roles and trigger (see fixtures/shep/shepconf.example.yaml)")
	keyAlg := fs.String("key-algorithm", "", "key of every certificate the run issues (overrides the file's keyAlgorithm): "+pki.KeyAlgorithms)
	harnessKeyPath := fs.String("harness-key", "", "PEM private key (ECDSA P-256 or Ed25519) that seals the run's outputs for shepconf act; made on first use (default $"+runseal.KeyEnv+", else shepconf/"+runseal.KeyFile+" in the user's configuration folder)")
	var sf sutFlags
	sf.register(fs)
	var omit, defects listFlag
	fs.Var(&defects, "sample-defect", "break the demonstration's sample agency system on purpose with this defect (repeatable; see README), to see a role fail")
	fs.Var(&omit, "owner-omit", "break the reference owner: leave this element path out of its answers (repeatable; also $SHEPCONF_OWNER_OMIT, comma-separated)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shepconf run: unexpected argument %q\n", fs.Arg(0))
		return exitError
	}
	if *scale <= 0 || *scale > 1 {
		fmt.Fprintf(stderr, "shepconf run: --time-scale must be in (0, 1], got %g\n", *scale)
		return exitError
	}
	if env := os.Getenv("SHEPCONF_OWNER_OMIT"); env != "" {
		omit = append(omit, strings.Split(env, ",")...)
	}

	key, err := keyAlgorithm(*keyAlg, *cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf run:", err)
		return exitError
	}
	sutCfg, err := sutConfig(*cfgPath, sf)
	if err == nil && len(defects) > 0 {
		if !sutCfg.Demonstration() {
			err = errors.New("--sample-defect breaks the built-in sample agency system of a demonstration; an agency's system is tested as it is")
		}
		sutCfg.Defects = defects
	}
	if err != nil {
		fmt.Fprintln(stderr, "shepconf run:", err)
		return exitError
	}
	keyPath, err := runseal.KeyPath(*harnessKeyPath)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf run:", err)
		return exitError
	}
	harnessKey, err := runseal.LoadOrCreate(keyPath)
	if err != nil {
		fmt.Fprintln(stderr, "shepconf run:", err)
		return exitError
	}
	res, err := shep.Run(ctx, shep.Options{
		OutDir: *out, Tags: *tags, Full: *full, TimeScale: *scale, OwnerOmit: omit, Output: stdout, Version: version(),
		SUT: sutCfg, OperatorIn: os.Stdin, KeyAlgorithm: key, HarnessKey: harnessKey,
	})
	if err != nil {
		fmt.Fprintln(stderr, "shepconf run:", err)
		return exitError
	}
	s := res.Summary
	fmt.Fprintf(stdout, "\n%s: %d of %d scenarios passed (time scale %g, %s keys)\n", s.Verdict, s.Passed, s.Scenarios, *scale, key)
	if s.Remarks > 0 {
		fmt.Fprintf(stdout, "%d remark(s), not failures: what the real gateway tolerates but the Rules do not ask for (see the report's Remarks)\n", s.Remarks)
		for _, r := range res.Info.Remarks {
			fmt.Fprintf(stdout, "  %s (%s) in %s: %s\n", r.Code, r.Rule, r.Scenario, r.Reason)
		}
	}
	if res.Info.SUT.Demonstration {
		fmt.Fprintln(stdout, "DEMONSTRATION: the built-in sample agency system was tested; this run certifies nothing (give --sut-image or --sut-url and --sut-role)")
	} else {
		fmt.Fprintf(stdout, "System under test: %s\n", res.Info.SUT.Describe)
		for _, r := range res.Info.Roles {
			fmt.Fprintf(stdout, "  %-20s %d passed, %d failed, %d skipped\n", r.Role, r.Passed, r.Failed, r.Skipped)
		}
	}
	fmt.Fprintf(stdout, "Report:  %s\nJournal: %s\n", res.Report, res.Journal)
	fmt.Fprintf(stdout, "Sealed:  %s by the harness key %s (%s)\n", res.Seal, res.Info.HarnessKey, keyPath)
	if s.Verdict != reports.Conformant {
		return exitFailed
	}
	return exitConformant
}

// keyAlgorithm is the key of the certificates a run or a load issues: the flag's, else the
// configuration file's keyAlgorithm, else RSA-2048 as the national CA issues.
func keyAlgorithm(flagValue, cfgPath string) (pki.KeyType, error) {
	if flagValue != "" {
		k, err := pki.ParseKeyType(flagValue)
		if err != nil {
			return k, fmt.Errorf("--key-algorithm: %w", err)
		}
		return k, nil
	}
	if cfgPath == "" {
		return pki.RSA2048, nil
	}
	file, err := config.Load(cfgPath) // Load checks keyAlgorithm
	if err != nil {
		return pki.RSA2048, err
	}
	return file.KeyType(), nil
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	if v == "" {
		return errors.New("empty path")
	}
	*l = append(*l, v)
	return nil
}

// buildVersion is set by the Makefile (-ldflags "-X main.buildVersion=...").
var buildVersion string

// version is the version stamped at build time, the module version, or "dev".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
