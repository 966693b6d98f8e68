// Package smdo holds the step definitions of the SMDO profile and its runner: the agency's СЭД is
// judged, as sender and as receiver, from what the simulated router of the AIS MV platform
// (assembly/smdo) received, each scenario with a router of its own.
package smdo

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

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/features"
	smdofixtures "github.com/shepconf/shepconf/fixtures/smdo"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/reports"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/sed"
	"github.com/shepconf/shepconf/steps"
)

// The roles the agency's СЭД plays in the SMDO profile.
const (
	RoleSender   = "smdo-sender"   // it sends documents, additional materials and replies through the router
	RoleReceiver = "smdo-receiver" // its receiving thread takes, confirms and acknowledges what comes
)

// Roles are both roles, in the order the report lists them.
var Roles = []string{RoleSender, RoleReceiver}

// DefaultCode is the smdoCode of the system under test when none is given.
const DefaultCode = "SMDO-AGENCY"

// SUT is the agency's СЭД. The zero value is the demonstration with the built-in reference СЭД.
type SUT struct {
	// Trigger makes the agency's СЭД act (internal/trigger: HTTP endpoint, command, operator); nil
	// runs the built-in reference СЭД, which certifies nothing.
	Trigger trigger.Trigger
	// Code is the system's smdoCode (its subscriber code); DefaultCode when empty.
	Code string
	// Certificate is the certificate the system signs its files with, registered for its
	// subscriber in the router. Required with Trigger.
	Certificate *x509.Certificate
	// Chain are the CA certificates the system's certificate chains to, trusted for its files'
	// signatures beside the contour's own CA; a self-signed certificate is its own chain.
	Chain []*x509.Certificate
	// Roles the system is certified in (RoleSender, RoleReceiver); both when empty.
	Roles []string
	// Defects break the reference СЭД on purpose (sed.KnownDefects), to see scenarios fail.
	Defects []string
	// Container is the agency's СЭД in a container image, started once for the run and stopped
	// after it (container.go): the harness issues its certificate from the run's CA, so Trigger and
	// Certificate stay empty.
	Container sut.AgencyImage
}

// Demonstration says the run tests the built-in reference СЭД.
func (s SUT) Demonstration() bool { return s.Trigger == nil && s.Container.Image == "" }

func (s SUT) code() string {
	if s.Code == "" {
		return DefaultCode
	}
	return s.Code
}

func (s SUT) roles() []string {
	if len(s.Roles) == 0 {
		return Roles
	}
	return s.Roles
}

// Options configure a run of the SMDO profile.
type Options struct {
	OutDir string
	Tags   string
	// TimeScale shrinks the 5-minute poll period, the 10-second restart pause and the counterpart's
	// delays; only 1 certifies.
	TimeScale float64
	Output    io.Writer
	Features  fs.FS // the embedded SMDO suite when nil
	Version   string
	SUT       SUT
	// KeyAlgorithm is the key of the certificates the run issues (the router, the reference СЭД,
	// the counterpart).
	KeyAlgorithm pki.KeyType
	HarnessKey   crypto.Signer
}

// check refuses options that cannot work, naming the fix.
func (o Options) check() error {
	if err := sed.CheckDefects(o.SUT.Defects); err != nil {
		return err
	}
	if err := o.SUT.checkContainer(); err != nil {
		return err
	}
	if !o.SUT.Demonstration() && o.SUT.Container.Image == "" && o.SUT.Certificate == nil {
		return errors.New("the system under test needs its certificate (the one its files are signed with): give --sut-cert")
	}
	if !o.SUT.Demonstration() && len(o.SUT.Defects) > 0 {
		return errors.New("defects break the built-in reference СЭД; the system under test is tested as it is")
	}
	for _, r := range o.SUT.Roles {
		if r != RoleSender && r != RoleReceiver {
			return fmt.Errorf("role %q: the SMDO profile's roles are %s and %s", r, RoleSender, RoleReceiver)
		}
	}
	return nil
}

// Run runs the SMDO suite and writes its reports like every profile's (steps.Bus).
func Run(ctx context.Context, o Options) (steps.Result, error) {
	if o.TimeScale <= 0 {
		o.TimeScale = 1
	}
	if o.Output == nil {
		o.Output = os.Stdout
	}
	if o.Features == nil {
		o.Features = features.SMDO
	}
	if err := o.check(); err != nil {
		return steps.Result{}, err
	}
	return steps.Bus{Profile: steps.ProfileSMDO, Name: "shepconf-smdo", Title: msg.F("SMDO router conformance (profile smdo)"),
		CA: "Test CA of the SMDO contour", Features: o.Features, Catalogue: Catalogue, Languages: []string{"ru", "be"},
		Roles: o.SUT.roles(), Demonstration: o.SUT.Demonstration(), OutDir: o.OutDir, Tags: o.Tags, TimeScale: o.TimeScale,
		Output: o.Output, Version: o.Version, KeyAlgorithm: o.KeyAlgorithm, HarnessKey: o.HarnessKey,
		// startSED records the certificate it issues in o.SUT, which newSuite reads.
		Start: func(ctx context.Context, ca *nca.Authority) (*sut.RunningContainer, error) {
			return startSED(ctx, &o.SUT, ca, o.KeyAlgorithm, Scaled(o.TimeScale))
		},
		LogFile: SUTLogFile,
		Scenarios: func(ca *nca.Authority, container *sut.RunningContainer) (steps.Scenarios, error) {
			s, err := newSuite(o, ca, container)
			if err != nil {
				return steps.Scenarios{}, err
			}
			return steps.Scenarios{Init: s.initScenario, System: s.system()}, nil
		},
	}.Run(ctx)
}

// Catalogue is the SMDO profile's clause catalogue (fixtures/smdo/traceability.csv).
func Catalogue() ([]reports.Requirement, error) {
	return reports.ParseCatalogue(smdofixtures.Traceability())
}

// initScenario gives each scenario a fresh World with a router of its own.
func (s *Suite) initScenario(sc *godog.ScenarioContext) {
	w := &World{suite: s}
	w.register(sc)
	steps.Hook(sc, &w.evidence, w.close)
}
