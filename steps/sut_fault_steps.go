package steps

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/sut"
)

// sutFaultWorld is a scenario's state when the owner system under test is stopped or paused
// (features tagged @sut-faults): the gateway must turn an owner that is down into SCE009 and one
// that does not answer into SCE008 (A1-P4, A2-T1 row 1), and the owner must be served again once
// it is back. An owner container is stopped and paused through the Docker engine; the reference
// owner, run by the steps, has its server closed, or replaced by a listener that accepts
// connections and never reads them, which is what a frozen process looks like from outside.
type sutFaultWorld struct {
	*World
	service         string // the service whose owner is the system under test
	stopped, paused bool

	// The reference owner as system under test: its address, kept across a restart, and while
	// paused the listener that holds connections unanswered.
	addr   string
	frozen net.Listener
	mu     sync.Mutex
	held   []net.Conn
}

func init() { stepSets = append(stepSets, registerSUTFaultSteps) }

func registerSUTFaultSteps(w *World, sc *godog.ScenarioContext) {
	s := &sutFaultWorld{World: w}
	sc.Step(`^the owner system under test of "([^"]*)" is stopped$`, s.stop)
	sc.Step(`^the owner system under test of "([^"]*)" is started again and reports healthy$`, s.start)
	sc.Step(`^the owner system under test of "([^"]*)" is paused$`, s.pause)
	sc.Step(`^the owner system under test of "([^"]*)" resumes$`, s.unpause)
	sc.Step(`^the journal records that the owner failed with code "([^"]*)" and rule "([^"]*)"$`, s.journalOwnerFailed)
	// An owner left stopped or paused by a failed step would fail every later @sut scenario.
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

// container is the launcher of an owner container, or nil for the reference owner. An owner at a
// URL runs outside the harness, which cannot stop it.
func (s *sutFaultWorld) container(serviceID string) (*sut.Launcher, error) {
	owner := sut.DefaultSystem
	if s.suite.SUT != nil {
		owner = s.suite.SUT.Config().SystemID()
	}
	if s.registry == nil {
		return nil, fmt.Errorf("start the gateway first")
	}
	if svc, ok := s.registry.Service(serviceID); !ok || svc.Owner != owner {
		return nil, fmt.Errorf("%s is not a service of the owner system under test %s", serviceID, owner)
	}
	s.service = serviceID
	l := s.suite.SUT
	if l == nil || l.Config().Kind() == sut.Reference {
		if s.owner == nil {
			return nil, fmt.Errorf("the reference owner is not running: serve a service first")
		}
		return nil, nil
	}
	if l.Config().Kind() != sut.Container {
		return nil, fmt.Errorf("%s: %w; run these scenarios with --sut-image", l.Config().Describe(), sut.ErrNotControlled)
	}
	return l, nil
}

func (s *sutFaultWorld) stop(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err != nil {
		return err
	}
	if l != nil {
		err = l.Stop(ctx)
	} else {
		err = s.closeReference(ctx)
	}
	if err != nil {
		return fmt.Errorf("stop the owner system under test: %w", err)
	}
	s.stopped = true
	s.attachState(ctx, l, "stopped")
	return nil
}

// start starts the owner again; for a container it waits until the health check answers, and
// points the registry at the port the engine published this time.
func (s *sutFaultWorld) start(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err != nil {
		return err
	}
	if l == nil {
		err = s.serveReference()
	} else {
		var t sut.Target
		if t, err = l.Start(ctx); err == nil {
			err = s.pointRegistry(t.Endpoint)
		}
	}
	if err != nil {
		return fmt.Errorf("start the owner system under test again: %w", err)
	}
	s.stopped = false
	s.attachState(ctx, l, "started again")
	return nil
}

func (s *sutFaultWorld) pause(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err != nil {
		return err
	}
	if l != nil {
		err = l.Pause(ctx)
	} else {
		err = s.freezeReference(ctx)
	}
	if err != nil {
		return fmt.Errorf("pause the owner system under test: %w", err)
	}
	s.paused = true
	s.attachState(ctx, l, "paused")
	return nil
}

func (s *sutFaultWorld) unpause(ctx context.Context, serviceID string) error {
	l, err := s.container(serviceID)
	if err != nil {
		return err
	}
	if l != nil {
		err = l.Unpause(ctx)
	} else {
		err = s.thawReference()
	}
	if err != nil {
		return fmt.Errorf("resume the owner system under test: %w", err)
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
		return s.verify("R-53", "the exchange in the gateway's journal", err.Error(), false)
	}
	observed := "no " + string(journal.OwnerAnswered) + " event"
	ok := false
	for _, e := range x.Events {
		if e.Kind == journal.OwnerAnswered {
			observed = fmt.Sprintf("%s with code %q and rule %q: %s", e.Kind, e.Code, e.Rule, e.Detail)
			ok = e.Code == code && e.Rule == ruleID
		}
	}
	return s.verify("R-53", fmt.Sprintf("%s with code %s and rule %s: the owner's failure journaled", journal.OwnerAnswered, code, ruleID), observed, ok)
}

// pointRegistry routes the service of the owner under test to endpoint, keeping its grants.
func (s *sutFaultWorld) pointRegistry(endpoint string) error {
	svc, ok := s.registry.Service(s.service)
	if !ok {
		return fmt.Errorf("service %s is not in the registry", s.service)
	}
	svc.Endpoint = endpoint
	s.registry.AddService(svc)
	return nil
}

func (s *sutFaultWorld) attachState(ctx context.Context, l *sut.Launcher, what string) {
	state := map[string]string{"owner system under test": what}
	if l != nil {
		st, err := l.State(ctx)
		if err != nil {
			st = err.Error()
		}
		state["container state"] = st
	} else {
		state["reference owner address"] = s.addr
	}
	s.attachJSON("owner system under test "+what, state)
}

// closeReference closes the reference owner's server; its address is kept for the restart.
func (s *sutFaultWorld) closeReference(ctx context.Context) error {
	for i, srv := range s.servers {
		if srv.URL()+"/sync" == s.ownerURL {
			s.servers = append(s.servers[:i], s.servers[i+1:]...)
			s.addr = srv.Addr()
			return srv.Close(ctx)
		}
	}
	return errors.New("the reference owner's server is not running")
}

// serveReference serves the reference owner again at its address.
func (s *sutFaultWorld) serveReference() error {
	srv, err := server.Start(s.addr, s.owner)
	if err != nil {
		return err
	}
	s.servers = append(s.servers, srv)
	return nil
}

// freezeReference replaces the reference owner's server with a listener that accepts connections
// and never reads them: the kernel of a frozen process still completes the TCP handshake.
func (s *sutFaultWorld) freezeReference(ctx context.Context) error {
	if err := s.closeReference(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return err
	}
	s.frozen = ln
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.held = append(s.held, c)
			s.mu.Unlock()
		}
	}()
	return nil
}

// thawReference drops the held connections and serves the reference owner again.
func (s *sutFaultWorld) thawReference() error {
	if s.frozen == nil {
		return errors.New("the reference owner is not paused")
	}
	_ = s.frozen.Close()
	s.frozen = nil
	s.mu.Lock()
	for _, c := range s.held {
		_ = c.Close()
	}
	s.held = nil
	s.mu.Unlock()
	return s.serveReference()
}
