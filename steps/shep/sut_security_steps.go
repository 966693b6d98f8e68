package shep

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"

	"github.com/cucumber/godog"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/internal/xsig"
)

// The security probes send the owner system under test, on the hop from the gateway, what a
// conforming owner must refuse (A6-S1). A refusal only counts from a system seen answering what the
// gateway signed: an owner that answers HTTP 503 to everything refuses every probe and proves
// nothing, so each scenario's Background checks that first.

func (s *sutWorld) registerProbes(sc *godog.ScenarioContext) {
	sc.Step(`^the owner system under test answers a request the gateway signed$`, s.answersGatewaySigned)
	sc.Step(`^the owner is sent, as from the gateway, an unsigned request$`, func(ctx context.Context) error {
		return s.probe(ctx, "unsigned request", s.unsigned)
	})
	sc.Step(`^the owner is sent, as from the gateway, a request signed by "([^"]*)"$`, func(ctx context.Context, systemID string) error {
		return s.probe(ctx, "request signed by "+systemID, func() ([]byte, error) { return s.signedBy(systemID) })
	})
	sc.Step(`^the owner is sent, as from the gateway, a signed request altered after signing$`, func(ctx context.Context) error {
		return s.probe(ctx, "altered request", s.altered)
	})
	sc.Step(`^the owner is sent, as from the gateway, a signed request wrapped around a forged body$`, func(ctx context.Context) error {
		return s.probe(ctx, "wrapped request", s.wrapped)
	})
	sc.Step(`^the owner is sent, as from the gateway, the hostile input "([^"]*)"$`, func(ctx context.Context, name string) error {
		return s.probe(ctx, name, func() ([]byte, error) { return hostileInput(name) })
	})
	sc.Step(`^the owner refuses it$`, s.refused)
}

// request is a SendMessage for the owner's service as the gateway hands it on: with a sessionId
// and without the initiator's password.
func (s *sutWorld) request() ([]byte, error) {
	m := s.initiator("INITIATOR_SYS", "").Request(s.service, envelope.StringData("probe"))
	m.Request.RequestInfo.SessionID = envelope.NewGUID()
	return envelope.Marshal(m)
}

func (s *sutWorld) unsigned() ([]byte, error) { return s.request() }

func (s *sutWorld) signedBy(systemID string) ([]byte, error) {
	id, ok := s.identities[systemID]
	if !ok {
		var err error
		if id, err = s.issue(systemID, s.suite.Key); err != nil {
			return nil, err
		}
	}
	b, err := s.request()
	if err != nil {
		return nil, err
	}
	return xsig.Sign(b, id)
}

func (s *sutWorld) gatewaySigned() ([]byte, error) { return s.signedBy(gatewaySystem) }

func (s *sutWorld) altered() ([]byte, error) {
	b, err := s.gatewaySigned()
	return bytes.Replace(b, []byte(">probe<"), []byte(">altered<"), 1), err
}

func (s *sutWorld) wrapped() ([]byte, error) {
	b, err := s.gatewaySigned()
	if err != nil {
		return nil, err
	}
	return tamper.Wrap(b, "request/requestData/data", "forged")
}

// hostileInput reads one input of the hostile corpus (fixtures/shep/hostile).
func hostileInput(name string) ([]byte, error) {
	b, err := fs.ReadFile(shepfixtures.Hostile(), name)
	if err != nil {
		return nil, msg.Errorf("hostile input %q: %w", name, err)
	}
	return b, nil
}

func (s *sutWorld) probe(ctx context.Context, what string, build func() ([]byte, error)) error {
	body, err := build()
	if err != nil {
		return err
	}
	return s.post(ctx, "probe ("+what+")", body)
}

// answeredNormally says whether the owner served what it was sent as a valid request.
func (s *sutWorld) answeredNormally() bool {
	return s.status == http.StatusOK && bytes.Contains(s.direct, []byte("SendMessageResponse"))
}

// answersGatewaySigned: the system serves a request the gateway signed (A6-S1 step 3), which makes
// its refusals in the scenario mean something.
func (s *sutWorld) answersGatewaySigned(ctx context.Context) error {
	if err := s.probe(ctx, "request signed by the gateway", s.gatewaySigned); err != nil {
		return s.verify("A6-S1", msg.F("the owner system under test answers a request the gateway signed"), msg.Of(err), false)
	}
	return s.verify("A6-S1", msg.F("the owner system under test answers a request the gateway signed with SendMessageResponse (HTTP 200)"),
		msg.F("HTTP %d: %s", s.status, quotedBody(s.direct, 200)), s.answeredNormally())
}

// refused: the owner refused the probe with a SOAP fault or a client error, not by being
// unavailable (HTTP 502-504 say nothing about what it was sent).
func (s *sutWorld) refused() error {
	refusal := s.status >= 400 && s.status <= http.StatusInternalServerError
	return s.verify("R-59", msg.F("the owner refuses the request (a SOAP fault or HTTP 4xx), as it must accept only what the gateway signed"),
		msg.F("HTTP %d: %s", s.status, quotedBody(s.direct, 200)), refusal && !s.answeredNormally())
}
