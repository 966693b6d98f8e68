package epgu

import (
	"context"
	"io/fs"
	"path"
	"time"

	"github.com/shepconf/shepconf/assembly/epgu"
	"github.com/shepconf/shepconf/assembly/sut"
	epgufixtures "github.com/shepconf/shepconf/fixtures/epgu"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/epgu/api"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// Suite is what the scenarios of one run share: the CA, the services and the system under test.
// Scenario state lives in World.
type Suite struct {
	opts     Options
	ca       *nca.Authority
	tsaURL   string          // the CA's time-stamp service (WALK-SIG)
	service  epgu.Service    // the demonstration service
	identity *pki.Identity   // the reference client's certificate and key (demonstration)
	trigger  trigger.Trigger // the system under test's trigger, or the reference client's
	// reference is the reference client of a demonstration, whose callback server close stops.
	reference *epgu.Reference
	// The scripted agency and the limits (the chunk window of EPGU-2.1.3) at the run's time scale.
	script api.Script
	limits api.Limits
}

// newSuite prepares the run's scenarios; client is the agency's client in its container, already
// started (nil otherwise), whose trigger makes it act.
func newSuite(o Options, ca *nca.Authority, caURL string, client *sut.RunningContainer) (*Suite, error) {
	demo, err := epgu.DemoService()
	if err != nil {
		return nil, err
	}
	svc := demo.Archive
	s := &Suite{opts: o, ca: ca, tsaURL: caURL + nca.TSPPath, service: demo}
	s.script, s.limits = epgu.Scaled(o.TimeScale)
	if o.SUT.Demonstration() {
		s.identity, err = ca.Issue(nca.Subject{CommonName: "Reference EPGU client", Organization: "shepconf"}, o.KeyAlgorithm)
		if err != nil {
			return nil, err
		}
		ref := &epgu.Reference{Identity: s.identity, Mnemonic: o.SUT.mnemonic(), ChunkWindow: s.limits.ChunkWindow, Poll: time.Second, Defects: o.SUT.Defects,
			Services: func(code string) (archive.Service, bool) { return svc, code == svc.Code }}
		// The reference client takes ESIA's redirect after a citizen's sign-in on a loopback
		// server of its own: that is the redirect_uri ESIA registers for it (ESIA-OAUTH).
		redirect, err := ref.RedirectURI()
		if err != nil {
			return nil, err
		}
		s.trigger, s.reference = ref, ref
		s.opts.SUT.RedirectURIs = append(append([]string(nil), s.opts.SUT.RedirectURIs...), redirect)
	} else if client != nil {
		s.trigger = client.AgencyTrigger(o.SUT.ImageTrigger, o.Output)
	} else {
		s.trigger = o.SUT.Trigger
	}
	return s, nil
}

// close stops what the suite started for the run's scenarios.
func (s *Suite) close(ctx context.Context) {
	if s.reference != nil {
		s.reference.Close(ctx)
	}
}

// system names the system under test in run.json and the report.
func (s *Suite) system() steps.System {
	return steps.System{Demonstration: s.opts.SUT.Demonstration(), Reference: msg.F("the built-in reference EPGU client"), Defects: s.opts.SUT.Defects,
		Noun: msg.F("the EPGU client"), ID: s.opts.SUT.mnemonic(), Trigger: s.trigger}
}

// World is one scenario's state: its contour, the system's registration and what it did.
type World struct {
	suite   *Suite
	contour *epgu.Contour
	apiKey  []byte
	fired   time.Time      // when the system was made to act
	result  trigger.Result // what it reported
	fireErr error
	login   *signIn // what the harness saw as the citizen's browser (login_steps.go)
	// retryAfter is the Retry-After the scenario's injected faults carry.
	retryAfter time.Duration
	evidence   steps.Evidence
}

func (w *World) close(ctx context.Context) {
	if w.contour != nil {
		w.contour.Close(ctx)
	}
}

// The demonstration service's sample files (fixtures/epgu): the transport file goes beside the
// business XML the harness asks the system to send.
func (s *Suite) sampleFiles() map[string][]byte {
	return map[string][]byte{"req.xml": s.sample("req.xml")}
}

func (s *Suite) validBusinessXML() []byte   { return s.sample("application.xml") }
func (s *Suite) invalidBusinessXML() []byte { return s.sample("application-invalid.xml") }

func (s *Suite) sample(name string) []byte {
	b, err := fs.ReadFile(epgufixtures.Services, path.Join(epgufixtures.DemoServiceCode, "samples", name))
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}
