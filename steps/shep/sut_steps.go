package shep

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/cucumber/godog"

	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
)

// SUTLogFile is where the container's output goes, inside the run's output folder.
const SUTLogFile = "sut-owner.log"

// sutWorld is a scenario's state for the system under test as the owner of a service on the
// synchronous channel (the sync-owner role): what the harness sent straight to it and what it
// answered, and the hop from the gateway to it when the scenario records that hop.
type sutWorld struct {
	*World
	service string     // the service the system under test owns in this scenario
	system  sut.Target // the system under test, once it serves

	status int    // the HTTP status of what it answered to a request sent straight to it
	direct []byte // that answer
	hop    *relay // the recorded hop from the gateway to it
}

func init() { stepSets = append(stepSets, registerSUTSteps) }

func registerSUTSteps(w *World, sc *godog.ScenarioContext) {
	s := &sutWorld{World: w}
	sc.Step(`^the owner system under test serves "([^"]*)" on the synchronous channel$`, s.serves)
	sc.Step(`^the hop from the gateway to the owner system under test is recorded$`, s.recordHop)
	sc.Step(`^the owner system under test received the gateway's sessionId in the request$`, s.receivedSession)
	sc.Step(`^the owner system under test received the business data unaltered$`, s.receivedData)
	sc.Step(`^the owner system under test answered valid against the synchronous channel schema$`, s.answerValid)
	sc.Step(`^the owner system under test signed its answer with its own certificate and BIN$`, s.answerSigned)
	sc.Step(`^a request that the gateway did not sign is sent straight to the owner of "([^"]*)"$`, s.sendsUnsignedDirect)
	sc.Step(`^the owner system under test refuses it with a SOAP fault$`, s.refusedWithFault)
	s.registerProbes(sc)
}

// serves registers the system under test with the gateway as the owner of serviceID.
func (s *sutWorld) serves(ctx context.Context, serviceID string) error {
	if s.registry == nil {
		return msg.Errorf("start the gateway first")
	}
	t, err := s.target(ctx)
	if err != nil {
		return err
	}
	s.registry.AddSystem(gateway.System{ID: t.SystemID, Password: t.Password, Identifier: t.BIN})
	s.registry.AddService(gateway.Service{ID: serviceID, Owner: t.SystemID, Endpoint: t.SyncURL})
	s.service, s.system = serviceID, t
	s.exercise(serviceID)
	return nil
}

// post sends an envelope straight to the system's synchronous endpoint, as the gateway would, and
// keeps what it answered.
func (s *sutWorld) post(ctx context.Context, what string, body []byte) error {
	if s.system.SyncURL == "" {
		return msg.Errorf("no owner system under test in this scenario: it must serve a service first")
	}
	s.attach(what+" sent to the owner system under test.xml", "application/xml", body)
	ctx, cancel := context.WithTimeout(ctx, s.suite.Limits.Scaled(30*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.system.SyncURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return msg.Errorf("the owner system under test did not answer at %s: %w", s.system.SyncURL, err)
	}
	defer resp.Body.Close()
	s.status = resp.StatusCode
	s.direct, err = io.ReadAll(io.LimitReader(resp.Body, gateway.MaxMessageSize))
	s.attach(fmt.Sprintf("answer of the owner system under test (HTTP %d).xml", s.status), "application/xml", s.direct)
	return err
}

// sendsUnsignedDirect posts an unsigned SendMessage to the owner's endpoint, as if the gateway had
// not signed it: R-59 has every message signed, so the owner must not serve it.
func (s *sutWorld) sendsUnsignedDirect(ctx context.Context, serviceID string) error {
	req := s.initiator("INITIATOR_SYS", "").Request(serviceID, envelope.StringData("<request>unsigned</request>"))
	req.Request.RequestInfo.SessionID = envelope.NewGUID()
	body, err := envelope.Marshal(req)
	if err != nil {
		return err
	}
	return s.post(ctx, "unsigned request", body)
}

func (s *sutWorld) refusedWithFault() error {
	var observed msg.Text
	isFault := false
	if m, err := envelope.Parse(s.direct); err == nil {
		isFault = m.IsFault()
		if isFault {
			observed = msg.F("HTTP %d, SOAP fault", s.status)
		} else {
			observed = msg.F("HTTP %d, %s: the unsigned request was served", s.status, m.Name().Local)
		}
	} else {
		observed = msg.F("HTTP %d, not SOAP: %s", s.status, msg.Of(err))
	}
	return s.verify("R-59", msg.F("a SOAP fault (HTTP 500): an unsigned request is not served"), observed,
		isFault && s.status == http.StatusInternalServerError)
}

// ---- the hop from the gateway to the system under test ----

// recordHop routes the service through a relay that records the hop; the journal's ROUTED entry
// then names the relay, which the evidence ties to the system's own endpoint.
func (s *sutWorld) recordHop() error {
	svc, ok := s.registry.Service(s.service)
	if !ok {
		return msg.Errorf("the owner system under test serves no service yet")
	}
	u, err := url.Parse(svc.Endpoint)
	if err != nil {
		return err
	}
	s.hop = newRelay(u.Scheme+"://"+u.Host, s.suite.Limits.Scaled(30*time.Second)+10*time.Second)
	srv, err := server.Start("127.0.0.1:0", s.hop)
	if err != nil {
		return err
	}
	s.servers = append(s.servers, srv)
	sutEndpoint := svc.Endpoint
	svc.Endpoint = srv.URL() + u.Path
	s.registry.AddService(svc)
	s.attachJSON("recorded hop", map[string]string{"gateway routes to": svc.Endpoint, "relayed to the system under test at": sutEndpoint})
	return nil
}

// recorded is what travelled on the hop, attached as evidence; an error names what is missing.
func (s *sutWorld) recorded(ruleID string) (request, answer []byte, err error) {
	if s.hop == nil {
		return nil, nil, msg.Errorf("record the hop to the owner system under test first")
	}
	calls := s.hop.recorded()
	if len(calls) == 0 {
		return nil, nil, s.verify(ruleID, msg.F("a request routed to the owner system under test"), msg.F("the gateway routed nothing to it"), false)
	}
	last := calls[len(calls)-1]
	s.attach("request the owner system under test received.xml", "application/xml", last.Request)
	s.attach(fmt.Sprintf("answer of the owner system under test (HTTP %d).xml", last.Status), "application/xml", last.Passed)
	return last.Request, last.Passed, nil
}

func (s *sutWorld) receivedRequest(ruleID string) (envelope.SendMessage, error) {
	var req envelope.SendMessage
	body, _, err := s.recorded(ruleID)
	if err != nil {
		return req, err
	}
	m, err := envelope.Parse(body)
	if err == nil {
		err = m.Decode(&req)
	}
	return req, err
}

// receivedSession: the request the system received carries the gateway's session (A1-T19 row 8),
// the one the gateway's answer and journal name.
func (s *sutWorld) receivedSession() error {
	req, err := s.receivedRequest("A1-T19 row 8")
	if err != nil {
		return err
	}
	want, _ := s.sessionID()
	have := req.Request.RequestInfo.SessionID
	return s.verify("A1-T19 row 8", msg.F("the gateway's sessionId %s in the request the owner system under test received", want),
		msg.F("sessionId %q", have), have != "" && have == want)
}

// receivedData: the business data reached the system as the initiator sent them.
func (s *sutWorld) receivedData() error {
	req, err := s.receivedRequest("R-61")
	if err != nil {
		return err
	}
	sent, err := canonicalData(s.sent.Request.RequestData)
	if err != nil {
		return err
	}
	received, err := canonicalData(req.Request.RequestData)
	if err != nil {
		return err
	}
	return s.verify("R-61", msg.F("business data at the owner system under test identical (exclusive C14N) to what the initiator sent: %s", string(sent)),
		msg.Raw(string(received)), bytes.Equal(sent, received))
}

// answerValid judges the system's own answer, before the gateway touched it, against the schema of
// A1-T20.
func (s *sutWorld) answerValid() error {
	_, answer, err := s.recorded("A1-T20")
	if err != nil {
		return err
	}
	v := s.suite.SyncXSD.Validate(answer)
	observed := msg.F("valid")
	if len(v) > 0 {
		observed = envelope.Explain(v[0], envelope.SyncResponseMsg).Text()
	}
	return s.verify("A1-T20", msg.F("an answer valid against the synchronous channel schema"), observed, len(v) == 0)
}

// answerSigned: the system signs its answer with its own EDS registration certificate, whose BIN
// is the one registered for it, valid at the run's NCA.
func (s *sutWorld) answerSigned(ctx context.Context) error {
	_, answer, err := s.recorded("R-59")
	if err != nil {
		return err
	}
	report, err := s.suite.checker().CheckMessage(ctx, answer, s.system.SystemID, s.system.BIN)
	s.attachJSON("transport signature of the answer", report)
	observed := msg.F("a valid transport signature of %s", s.system.SystemID)
	if err != nil {
		observed = msg.Of(err)
	}
	return s.verify("R-59", msg.F("the answer signed with the certificate of %s carrying BIN %s", s.system.SystemID, s.system.BIN),
		observed, err == nil)
}

// closeSUT stops the system under test at the end of a run and keeps the container's output
// beside the reports.
func closeSUT(l *sut.Launcher, dir string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if logs := l.Logs(ctx); len(logs) > 0 {
		_ = os.WriteFile(filepath.Join(dir, SUTLogFile), logs, 0o644)
	}
	if err := l.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shepconf:", err)
	}
}
