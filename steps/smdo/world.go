package smdo

import (
	"context"
	"time"

	"github.com/shepconf/shepconf/assembly/smdo"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/smdo/router"
	"github.com/shepconf/shepconf/steps"
)

// The walkthrough's periods (seed 002) and the counterpart's pace, at time scale 1.
const (
	PollPeriod   = 5 * time.Minute  // SMDO-POLL: the receiving thread's period
	RestartPause = 10 * time.Second // SMDO-RESTART: the sending thread's pause after a send
	// The counterpart's СЭД confirms what it receives, and then registers it, this long after
	// (reconstructed: the walkthrough gives no figure).
	counterpartConfirms  = 20 * time.Second
	counterpartRegisters = 20 * time.Second
)

// Timing is the profile's periods at a run's time scale.
type Timing struct {
	Poll, Restart     time.Duration
	Confirm, Register time.Duration
	Scale             float64
}

// Scaled gives the walkthrough's periods (sed.DefaultPollInterval, sed.DefaultRestartPause) at a
// time scale.
func Scaled(scale float64) Timing {
	by := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	return Timing{Poll: by(PollPeriod), Restart: by(RestartPause), Confirm: by(counterpartConfirms), Register: by(counterpartRegisters), Scale: scale}
}

// note says how a period was shrunk, for a failure's explanation.
func (t Timing) note() msg.Text {
	if t.Scale == 1 {
		return msg.Text{}
	}
	return msg.F(" (at time scale %g: 5 minutes are %s, 10 seconds %s)", t.Scale, t.Poll, t.Restart)
}

// Suite is what the scenarios of one run share: the CA, the system under test and its trigger.
// Scenario state lives in World.
type Suite struct {
	opts     Options
	ca       *nca.Authority
	timing   Timing
	identity *pki.Identity   // the reference СЭД's certificate and key (demonstration)
	trigger  trigger.Trigger // the system under test's trigger, or the reference СЭД
	// counterpart is the certificate of the subscriber the router plays, whose documents the
	// harness signs.
	counterpart *pki.Identity
}

// newSuite prepares the run's scenarios; container is the agency's СЭД in its container, already
// started (nil otherwise), whose trigger makes it act.
func newSuite(o Options, ca *nca.Authority, container *sut.RunningContainer) (*Suite, error) {
	s := &Suite{opts: o, ca: ca, timing: Scaled(o.TimeScale)}
	var err error
	s.counterpart, err = ca.Issue(nca.Subject{CommonName: smdo.CounterpartName, Organization: smdo.CounterpartName}, o.KeyAlgorithm)
	if err != nil {
		return nil, err
	}
	switch {
	case container != nil:
		s.trigger = container.AgencyTrigger(o.SUT.Container.Trigger, o.Output)
		return s, nil
	case !o.SUT.Demonstration():
		s.trigger = o.SUT.Trigger
		return s, nil
	}
	s.identity, err = ca.Issue(nca.Subject{CommonName: "Reference СЭД", Organization: "shepconf"}, o.KeyAlgorithm)
	if err != nil {
		return nil, err
	}
	s.trigger = &smdo.Reference{Identity: s.identity, PollInterval: s.timing.Poll, RestartPause: s.timing.Restart, Defects: o.SUT.Defects}
	return s, nil
}

// system names the system under test in run.json and the report.
func (s *Suite) system() steps.System {
	return steps.System{Demonstration: s.opts.SUT.Demonstration(), Reference: msg.F("the built-in reference СЭД"), Defects: s.opts.SUT.Defects,
		Noun: msg.F("the СЭД of subscriber"), ID: s.opts.SUT.code(), Trigger: s.trigger}
}

// sutID is the system's idAbonent in each scenario's router.
const sutID = "1001"

// World is one scenario's state: its router, the subscribers and what the system did.
type World struct {
	suite       *Suite
	contour     *smdo.Contour
	sut         router.Subscriber // the system's registration: its credentials
	counterpart router.Subscriber
	// delivered are the counterpart's documents put in the system's incoming list.
	delivered []router.Package
	// fired is each trigger request of the scenario and what the system reported.
	fired    []firing
	evidence steps.Evidence
}

// firing is one trigger request and its answer.
type firing struct {
	request trigger.Request
	result  trigger.Result
	at      time.Time
	err     error
}

func (w *World) close(ctx context.Context) {
	if w.contour != nil {
		w.contour.Close(ctx)
	}
}

// last is the system's answer to the scenario's last trigger request.
func (w *World) last() firing {
	if len(w.fired) == 0 {
		return firing{}
	}
	return w.fired[len(w.fired)-1]
}
