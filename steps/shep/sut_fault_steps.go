package shep

import (
	"context"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// sutFaultWorld is a scenario's state when the owner system under test is stopped or paused
// (features tagged @sut-faults): the gateway must turn an owner that is down into SCE009 and one
// that does not answer into SCE008 (A1-P4, A2-T1 row 1), and the owner must be served again once
// it is back. Only a container is stopped and paused, through the Docker engine: selectScenarios
// runs these scenarios for a container alone.
type sutFaultWorld struct {
	*World
	service         string // the service whose owner is the system under test
	stopped, paused bool
}

func init() { stepSets = append(stepSets, registerSUTFaultSteps) }

func registerSUTFaultSteps(w *World, sc *godog.ScenarioContext) {
	s := &sutFaultWorld{World: w}
	sc.Step(`^the owner system under test of "([^"]*)" is stopped$`, s.stop)
	sc.Step(`^the owner system under test of "([^"]*)" is started again and reports healthy$`, s.start)
	sc.Step(`^the owner system under test of "([^"]*)" is paused$`, s.pause)
	sc.Step(`^the owner system under test of "([^"]*)" resumes$`, s.unpause)
	sc.Step(`^the journal records that the owner failed with code "([^"]*)" and rule "([^"]*)"$`, s.journalOwnerFailed)
	// An owner left stopped or paused by a failed step would fail every later scenario of the role.
	w.onClose(func(context.Context) {
		ctx, cancel := context.WithTimeout(context.Background(), sut.StartupTimeout)
		defer cancel()
		if s.paused {
			_ = s.unpause(ctx, s.service)
		}
		if s.stopped {
			_ = s.start(ctx, s.service)
		}
	})
}

// container is the launcher of the owner container. A system at a URL runs outside the harness,
// and the in-process sample of a demonstration cannot be frozen: neither is stopped.
func (s *sutFaultWorld) container(serviceID string) (*sut.Launcher, error) {
	l := s.suite.SUT
	if s.registry == nil {
		return nil, msg.Errorf("start the gateway first")
	}
	if svc, ok := s.registry.Service(serviceID); !ok || svc.Owner != l.Config().SystemID() {
		return nil, msg.Errorf("%s is not a service of the owner system under test %s", serviceID, l.Config().SystemID())
	}
	if l.Config().Kind() != sut.Container {
		return nil, msg.Errorf("%s: %w; run these scenarios with --sut-image", l.Config().Describe(), sut.ErrNotControlled)
	}
	s.service = serviceID
	return l, nil
}

func (s *sutFaultWorld) stop(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err == nil {
		err = l.Stop(ctx)
	}
	if err != nil {
		return msg.Errorf("stop the owner system under test: %w", err)
	}
	s.stopped = true
	s.attachState(ctx, l, "stopped")
	return nil
}

// start starts the owner container again and waits until it is ready. It binds the same loopback
// port in the host's network, so the registry's endpoint stays right.
func (s *sutFaultWorld) start(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err == nil {
		_, err = l.Start(ctx)
	}
	if err != nil {
		return msg.Errorf("start the owner system under test again: %w", err)
	}
	s.stopped = false
	s.attachState(ctx, l, "started again")
	return nil
}

func (s *sutFaultWorld) pause(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err == nil {
		err = l.Pause(ctx)
	}
	if err != nil {
		return msg.Errorf("pause the owner system under test: %w", err)
	}
	s.paused = true
	s.attachState(ctx, l, "paused")
	return nil
}

func (s *sutFaultWorld) unpause(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err == nil {
		err = l.Unpause(ctx)
	}
	if err != nil {
		return msg.Errorf("resume the owner system under test: %w", err)
	}
	s.paused = false
	s.attachState(ctx, l, "resumed")
	return nil
}

// journalOwnerFailed checks that the gateway journaled the owner's failure on the hop to the owner
// itself (OWNER_ANSWERED with the fault code), not only the fault it sent the initiator (R-53(3)).
func (s *sutFaultWorld) journalOwnerFailed(ctx context.Context, code, ruleID string) error {
	x, err := s.journalExchange(ctx)
	if err != nil {
		return s.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	observed := msg.F("no %s event", journal.OwnerAnswered)
	ok := false
	for _, e := range x.Events {
		if e.Kind == journal.OwnerAnswered {
			observed = msg.F("%s with code %q and rule %q: %s", e.Kind, e.Code, e.Rule, gateway.Explain(e.Detail))
			ok = e.Code == code && e.Rule == ruleID
		}
	}
	return s.verify("R-53", msg.F("%s with code %s and rule %s: the owner's failure journaled", journal.OwnerAnswered, code, ruleID), observed, ok)
}

func (s *sutFaultWorld) attachState(ctx context.Context, l *sut.Launcher, what string) {
	st, err := l.State(ctx)
	if err != nil {
		st = err.Error()
	}
	s.attachJSON("owner system under test "+what, map[string]string{"owner system under test": what, "container state": st})
}
