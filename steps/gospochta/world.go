package gospochta

import (
	"context"
	"time"

	gp "github.com/shepconf/shepconf/assembly/gospochta"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/trigger"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/steps"
)

// The periods of the profile at time scale 1. The walkthrough gives the 5 minutes of delivery
// confirmation (GP-W-DELIVERY); the others are the contour's pace, reconstructed: the published
// reading API prepares a list in about an hour, which the harness shortens to 2 minutes so that a
// run of a few searches stays short (a reader that waits for COMPLETED is judged the same).
const (
	ConfirmWithin = 5 * time.Minute  // GP-W-DELIVERY
	searchWait    = 2 * time.Minute  // GP-R-TASK: until a search completes
	deliveryDelay = 30 * time.Second // sent → delivered
	readDelay     = 2 * time.Minute  // delivered → read, when a scenario does not make the recipient read at once
	retryPause    = 5 * time.Second  // between pushes of a state the sender did not acknowledge
	pollPause     = 40 * time.Second // the reference reader's pause between fetches of a search
)

// Timing is the profile's periods at a run's time scale.
type Timing struct {
	Confirm, SearchWait, Delivery, Read, Retry, Poll time.Duration
	Scale                                            float64
}

// Scaled gives the profile's periods at a time scale.
func Scaled(scale float64) Timing {
	by := func(d time.Duration) time.Duration { return time.Duration(float64(d) * scale) }
	return Timing{Confirm: by(ConfirmWithin), SearchWait: by(searchWait), Delivery: by(deliveryDelay), Read: by(readDelay),
		Retry: by(retryPause), Poll: by(pollPause), Scale: scale}
}

// note says how a period was shrunk, for a failure's explanation.
func (t Timing) note() msg.Text {
	if t.Scale == 1 {
		return msg.Text{}
	}
	return msg.F(" (at time scale %g: 5 minutes are %s)", t.Scale, t.Confirm)
}

// Suite is what the scenarios of one run share: the CA, the system under test and its trigger.
// Scenario state lives in World.
type Suite struct {
	opts     Options
	ca       *nca.Authority
	timing   Timing
	identity *pki.Identity   // the reference system's certificate and key (demonstration)
	trigger  trigger.Trigger // the system under test's trigger, or the reference system
	// loadURL is where the load scenario POSTs its trigger requests with vegeta: the system's HTTP
	// trigger, or the reference system's; empty for a command or an operator, which are fired one
	// by one at the load's pace instead.
	loadURL string
	// reference serves the reference system over loopback HTTP (demonstration): Gospochta pushes
	// the states of its messages there.
	reference *server.Server
}

// newSuite prepares the run's scenarios; container is the agency's system in its container,
// already started (nil otherwise), whose trigger makes it act.
func newSuite(o Options, ca *nca.Authority, container *sut.RunningContainer) (*Suite, error) {
	s := &Suite{opts: o, ca: ca, timing: Scaled(o.TimeScale)}
	switch {
	case container != nil:
		s.trigger = container.AgencyTrigger(o.SUT.Container.Trigger, o.Output)
	case !o.SUT.Demonstration():
		s.trigger = o.SUT.Trigger
	default:
		id, err := ca.Issue(nca.Subject{CommonName: "Reference system", Organization: "shepconf"}, o.KeyAlgorithm)
		if err != nil {
			return nil, err
		}
		s.identity = id
		ref := &gp.Reference{Identity: id, PollPause: s.timing.Poll, Defects: o.SUT.Defects}
		srv, err := server.Start("127.0.0.1:0", ref)
		if err != nil {
			return nil, err
		}
		ref.NotifyBase = srv.URL()
		s.reference, s.trigger, s.loadURL = srv, ref, srv.URL()+gp.TriggerPath
	}
	if h, ok := s.trigger.(trigger.HTTP); ok {
		s.loadURL = h.URL
	}
	return s, nil
}

func (s *Suite) close() {
	if s.reference != nil {
		_ = s.reference.Close(context.Background())
	}
}

// system names the system under test in run.json and the report.
func (s *Suite) system() steps.System {
	return steps.System{Demonstration: s.opts.SUT.Demonstration(), Reference: msg.F("the built-in reference system"), Defects: s.opts.SUT.Defects,
		Noun: msg.F("the system"), ID: s.opts.SUT.mnemonic(), Trigger: s.trigger}
}

// World is one scenario's state: its contour, the system's registration and what it did.
type World struct {
	suite   *Suite
	contour *gp.Contour
	reg     gp.Registration
	// mail are the notices the scenario put in the organisation's mailbox.
	mail []mailed
	// expiredAt is when the scenario made ESIA expire the system's tokens (zero: never).
	expiredAt time.Time
	// fired is each trigger request of the scenario and what the system reported.
	fired    []firing
	load     *loadRun
	evidence steps.Evidence
}

// mailed is a notice in the mailbox and whether a read over the scenario's period should find it.
type mailed struct {
	thread, message string
	created         time.Time
	files           []mailFile
}

type mailFile struct {
	uuid                           string
	ready, signed, forged, deleted bool
}

// firing is one trigger request and its answer.
type firing struct {
	request trigger.Request
	result  trigger.Result
	at, end time.Time
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
