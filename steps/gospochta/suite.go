// Package gospochta holds the step definitions of the Gospochta profile and its runner: the
// agency's system is judged, as sender of legally significant messages and as reader of its
// organisation's Gospochta, from what the simulated Gospochta and ESIA (assembly/gospochta)
// received, each scenario with a contour of its own.
package gospochta

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/cucumber/godog"

	gp "github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/features"
	gospochtafixtures "github.com/shepconf/shepconf/fixtures/gospochta"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/gospochta/agency"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// The roles the agency's system plays in the Gospochta profile.
const (
	RoleSender = "gospochta-sender" // it sends legally significant messages (the walkthrough's send)
	RoleReader = "gospochta-reader" // it reads its organisation's Gospochta (the published reading API)
)

// Roles are both roles, in the order the report lists them.
var Roles = []string{RoleSender, RoleReader}

// DefaultMnemonic is the system's client_id at ESIA when none is given.
const DefaultMnemonic = gp.DefaultMnemonic

// SUT is the agency's system. The zero value is the demonstration with the built-in reference
// system.
type SUT struct {
	// Trigger makes the agency's system act (internal/trigger: HTTP endpoint, command, operator);
	// nil runs the built-in reference system, which certifies nothing.
	Trigger trigger.Trigger
	// Mnemonic is the system's client_id at ESIA; DefaultMnemonic when empty.
	Mnemonic string
	// Certificate is the system's certificate: its TLS client certificate, the key of its JWT
	// assertions and its documents' signer, registered in ESIA and Gospochta. Required with Trigger.
	Certificate *x509.Certificate
	// Chain are the CA certificates the system's certificate chains to, trusted beside the
	// contour's own CA; a self-signed certificate is its own chain.
	Chain []*x509.Certificate
	// Roles the system is certified in (RoleSender, RoleReader); both when empty.
	Roles []string
	// Defects break the reference system on purpose (agency.KnownDefects), to see scenarios fail.
	Defects []string
	// Container is the agency's system in a container image, started once for the run and stopped
	// after it (container.go): the harness issues its certificate from the run's CA, so Trigger
	// and Certificate stay empty.
	Container sut.AgencyImage
}

// Demonstration says the run tests the built-in reference system.
func (s SUT) Demonstration() bool { return s.Trigger == nil && s.Container.Image == "" }

func (s SUT) mnemonic() string {
	if s.Mnemonic == "" {
		return DefaultMnemonic
	}
	return s.Mnemonic
}

func (s SUT) roles() []string {
	if len(s.Roles) == 0 {
		return Roles
	}
	return s.Roles
}

// Options configure a run of the Gospochta profile.
type Options struct {
	OutDir string
	Tags   string
	// TimeScale shrinks every period of the contour and of the judgements: delivery, reading, the
	// search's preparation, the 5 minutes of delivery confirmation; only 1 certifies.
	TimeScale float64
	Output    io.Writer
	Features  fs.FS // the embedded Gospochta suite when nil
	Version   string
	SUT       SUT
	// KeyAlgorithm is the key of the certificates the run issues.
	KeyAlgorithm pki.KeyType
	HarnessKey   crypto.Signer
}

// check refuses options that cannot work, naming the fix.
func (o Options) check() error {
	if err := agency.CheckDefects(o.SUT.Defects); err != nil {
		return err
	}
	if err := o.SUT.checkContainer(); err != nil {
		return err
	}
	if !o.SUT.Demonstration() && o.SUT.Container.Image == "" && o.SUT.Certificate == nil {
		return errors.New("the system under test needs its certificate (its TLS client certificate, which also signs its assertions and documents): give --sut-cert")
	}
	if !o.SUT.Demonstration() && len(o.SUT.Defects) > 0 {
		return errors.New("defects break the built-in reference system; the system under test is tested as it is")
	}
	for _, r := range o.SUT.Roles {
		if r != RoleSender && r != RoleReader {
			return fmt.Errorf("role %q: the Gospochta profile's roles are %s and %s", r, RoleSender, RoleReader)
		}
	}
	return nil
}

// Run runs the Gospochta suite and writes its reports like every profile's (steps.Bus).
func Run(ctx context.Context, o Options) (steps.Result, error) {
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Features == nil {
		o.Features = features.Gospochta
	}
	if err := o.check(); err != nil {
		return steps.Result{}, err
	}
	return steps.Bus{Profile: steps.ProfileGospochta, Name: "shepconf-gospochta", Title: msg.F("Gospochta conformance (profile gospochta)"),
		CA: "Test CA of the Gospochta contour", Features: o.Features, Catalogue: Catalogue, Languages: []string{"ru"},
		Roles: o.SUT.roles(), Demonstration: o.SUT.Demonstration(), OutDir: o.OutDir, Tags: o.Tags, TimeScale: o.TimeScale,
		Output: o.Output, Version: o.Version, KeyAlgorithm: o.KeyAlgorithm, HarnessKey: o.HarnessKey,
		// startSystem records the certificate it issues in o.SUT, which newSuite reads.
		Start: func(ctx context.Context, ca *nca.Authority) (*sut.RunningContainer, error) {
			return startSystem(ctx, &o.SUT, ca, o.KeyAlgorithm, Scaled(o.TimeScale))
		},
		LogFile: SUTLogFile,
		Scenarios: func(ca *nca.Authority, container *sut.RunningContainer) (steps.Scenarios, error) {
			s, err := newSuite(o, ca, container)
			if err != nil {
				return steps.Scenarios{}, err
			}
			return steps.Scenarios{Init: s.initScenario, System: s.system(), Close: s.close}, nil
		},
	}.Run(ctx)
}

// Catalogue is the Gospochta profile's clause catalogue (fixtures/gospochta/traceability.csv).
func Catalogue() ([]reports.Requirement, error) {
	return reports.ParseCatalogue(gospochtafixtures.Traceability())
}

// initScenario gives each scenario a fresh World with a contour of its own.
func (s *Suite) initScenario(sc *godog.ScenarioContext) {
	w := &World{suite: s}
	w.register(sc)
	steps.Hook(sc, &w.evidence, w.close)
}
