// Package epgu holds the step definitions of the EPGU profile and its runner: the agency's EPGU
// client is judged in the simulated test contour (ESIA and the EPGU API, assembly/epgu) from what
// the contour received, each scenario with a contour of its own.
package epgu

import (
	"context"
	"crypto"
	"crypto/x509"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/features"
	epgufixtures "github.com/shepconf/shepconf/fixtures/epgu"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/runseal"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/epgu/client"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// Role is the part the agency's system plays in the EPGU profile: the client of the EPGU API that
// gets its token from ESIA, creates and pushes orders, follows them, cancels and downloads results.
const Role = "epgu-client"

// DefaultMnemonic is the mnemonic of the system under test in ESIA when none is given.
const DefaultMnemonic = "AGENCY_IS"

// SUT is the agency's EPGU client. The zero value is the demonstration with the built-in reference
// client.
type SUT struct {
	// Trigger makes the agency's client act (internal/trigger: HTTP endpoint, command, operator);
	// nil runs the built-in reference client, which certifies nothing.
	Trigger trigger.Trigger
	// Mnemonic is the system's mnemonic (client_id) in ESIA; DefaultMnemonic when empty.
	Mnemonic string
	// Certificate is the system's certificate, registered in ESIA: its client_secret and the
	// files' signatures must be made with its key. Required with Trigger.
	Certificate *x509.Certificate
	// Chain are the CA certificates the system's certificate chains to, trusted for its files'
	// signatures beside the contour's own CA; a self-signed certificate is its own chain.
	Chain []*x509.Certificate
	// RedirectURIs registered for the system in ESIA.
	RedirectURIs []string
	// Defects break the reference client on purpose (client.KnownDefects), to see scenarios fail.
	Defects []string

	// Image is the agency's client in a container image, started once for the run and stopped
	// after it (container.go): the harness issues its certificate from the run's CA, so Trigger
	// and Certificate stay empty.
	Image string
	// ImageTrigger makes the container act: a path below its base URL (default
	// sut.DefaultTriggerPath), a URL, a command run inside it (or on the host), an operator.
	ImageTrigger sut.Trigger
	// Port is the port the image serves on (SHEPCONF_LISTEN; 0: a free port); Health an HTTP path
	// answering 200 once it is ready (empty: wait for the port); Env further environment.
	Port   int
	Health string
	Env    map[string]string
}

// Demonstration says the run tests the built-in reference client.
func (s SUT) Demonstration() bool { return s.Trigger == nil && s.Image == "" }

func (s SUT) mnemonic() string {
	if s.Mnemonic == "" {
		return DefaultMnemonic
	}
	return s.Mnemonic
}

// Options configure a run of the EPGU profile.
type Options struct {
	OutDir    string
	Tags      string
	TimeScale float64 // shrinks the chunk window and the scripted agency's delays; only 1 certifies
	Output    io.Writer
	Features  fs.FS // the embedded EPGU suite when nil
	Version   string
	SUT       SUT
	// KeyAlgorithm is the key of the certificates the run issues (servers, the reference client).
	KeyAlgorithm pki.KeyType
	HarnessKey   crypto.Signer
}

// Run runs the EPGU suite and writes its reports like every profile's (steps.Publish).
func Run(ctx context.Context, o Options) (steps.Result, error) {
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Features == nil {
		o.Features = features.EPGU
	}
	if err := client.CheckDefects(o.SUT.Defects); err != nil {
		return steps.Result{}, err
	}
	if err := o.SUT.checkImage(); err != nil {
		return steps.Result{}, err
	}
	if !o.SUT.Demonstration() && o.SUT.Image == "" && o.SUT.Certificate == nil {
		return steps.Result{}, fmt.Errorf("the system under test needs its certificate (the one ESIA registers for its mnemonic): give --sut-cert")
	}
	out, harnessKey, err := steps.Begin(o.OutDir, o.HarnessKey)
	if err != nil {
		return steps.Result{}, err
	}
	res := out.Result()
	ca, err := nca.New("Test CA of the EPGU contour")
	if err != nil {
		return res, err
	}
	caServer, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		return res, fmt.Errorf("simulated CA: %w", err)
	}
	defer caServer.Close(context.Background())
	var client *sut.RunningContainer
	if o.SUT.Image != "" {
		if client, err = startClient(ctx, &o.SUT, ca, o.KeyAlgorithm); err != nil {
			return res, err
		}
		defer client.Finish(out.Dir, SUTLogFile)
	}
	s, err := newSuite(o, ca, caServer.URL(), client)
	if err != nil {
		return res, err
	}
	defer s.close(context.Background())
	tags := o.Tags
	if !o.SUT.Demonstration() {
		tags = steps.AndTags(tags, "@role-"+Role)
	}
	started := time.Now()
	feats, err := steps.Execute(ctx, steps.Suite{Name: "shepconf-epgu", Features: o.Features, Tags: tags, Output: o.Output,
		InitScenario: s.initScenario}, out)
	if err != nil {
		return res, err
	}
	catalogue, err := Catalogue()
	if err != nil {
		return res, err
	}
	info := s.system().Info()
	if client != nil {
		info = steps.ContainerInfo(info, msg.F("the EPGU client %s", info.SystemID), client)
	}
	texts, err := steps.SuiteTexts(o.Features)
	if err != nil {
		return res, err
	}
	run := reports.Run{Title: msg.F("EPGU API conformance (profile epgu)"), Catalogue: catalogue, Started: started, Finished: time.Now(),
		Texts: texts, Languages: []string{"ru"}, TimeScale: o.TimeScale, SUT: info.Describe, Version: o.Version, Tags: tags, Features: feats, KeyAlgorithm: o.KeyAlgorithm.String()}
	res.Summary = run.Summary()
	res.Info = steps.RunInfo{Profile: steps.ProfileEPGU, TimeScale: o.TimeScale, Version: o.Version, Tags: tags,
		Filtered: o.Tags != "", Verdict: res.Summary.Verdict, KeyAlgorithm: o.KeyAlgorithm.String(),
		HarnessKey: runseal.Fingerprint(harnessKey.Public()), SUT: info, Roles: []steps.RoleResult{steps.CountRole(feats, Role, "@role-"+Role)},
		Started: started, Finished: run.Finished}
	run.System, run.Roles = res.Info.Reported()
	return res, steps.Publish(out, run, res.Info, harnessKey)
}

// Catalogue is the EPGU profile's clause catalogue (fixtures/epgu/traceability.csv).
func Catalogue() ([]reports.Requirement, error) {
	return reports.ParseCatalogue(epgufixtures.Traceability())
}

// initScenario gives each scenario a fresh World with a contour of its own.
func (s *Suite) initScenario(sc *godog.ScenarioContext) {
	w := &World{suite: s}
	w.register(sc)
	steps.Hook(sc, &w.evidence, w.close)
}
