package shep

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/cucumber/godog"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/tamper"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
)

func init() { stepSets = append(stepSets, (*World).registerSyncSteps) }

func (w *World) registerSyncSteps(sc *godog.ScenarioContext) {
	sc.Step(`^the gateway runs with the timing limits of the Rules$`, w.gatewayRuns)
	sc.Step(`^the system "([^"]*)" is registered with the password "([^"]*)"$`, w.systemRegistered)
	sc.Step(`^the owner system "([^"]*)" serves "([^"]*)" on the synchronous channel$`, w.ownerServes)
	sc.Step(`^"([^"]*)" is granted access to "([^"]*)"$`, w.granted)

	sc.Step(`^the owner answers "([^"]*)" after (\d+) seconds$`, w.ownerAnswersAfter)
	sc.Step(`^the owner answers "([^"]*)" with the fault "([^"]*)" "([^"]*)"$`, w.ownerAnswersFault)
	sc.Step(`^the owner answers "([^"]*)" with HTTP (\d+)$`, w.ownerAnswersHTTP)
	sc.Step(`^the owner answers "([^"]*)" with a body that is not XML$`, w.ownerAnswersMalformed)
	sc.Step(`^the owner answers "([^"]*)" without "([^"]*)"$`, w.ownerAnswersWithout)

	sc.Step(`^"([^"]*)" sends a request to "([^"]*)"$`, w.sends)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" with the data "([^"]*)"$`, w.sendsData)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" with the password "([^"]*)"$`, w.sendsPassword)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" without "([^"]*)"$`, w.sendsWithout)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" with "([^"]*)" set to "([^"]*)"$`, w.sendsWithValue)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" with "([^"]*)" renamed to "([^"]*)"$`, w.sendsRenamed)
	sc.Step(`^"([^"]*)" sends a request to "([^"]*)" with SendMessage in the namespace "([^"]*)"$`, w.sendsInNamespace)

	sc.Step(`^the initiator receives the owner's answer$`, w.receivesAnswer)
	sc.Step(`^the answer is valid against the synchronous channel schema$`, w.answerValid)
	sc.Step(`^the answer carries the gateway's sessionId$`, w.answerHasSession)
	sc.Step(`^the owner received the business data unaltered$`, w.ownerGotDataUnaltered)
	sc.Step(`^the owner received the gateway's sessionId in the request$`, w.ownerGotSession)
	sc.Step(`^the owner received no request$`, w.ownerGotNothing)
	sc.Step(`^the initiator receives a fault with code "([^"]*)"$`, w.receivesFault)
	sc.Step(`^the fault cites "([^"]*)"$`, w.faultCites)
	sc.Step(`^the fault cites "([^"]*)" and names the field "([^"]*)"$`, w.faultCitesField)
	sc.Step(`^the fault explains that the Rules print "([^"]*)" and the wire uses "([^"]*)"$`, w.faultExplainsSpelling)
	sc.Step(`^the fault message is "([^"]*)"$`, w.faultMessage)
	sc.Step(`^the fault carries the gateway's sessionId$`, w.faultHasSession)

	sc.Step(`^the journal records the exchange as "([^"]*)"$`, w.journalOutcome)
	sc.Step(`^the journal records the exchange as "([^"]*)" with code "([^"]*)" and rule "([^"]*)"$`, w.journalOutcomeCode)
	sc.Step(`^the journal shows the four timestamps of the exchange in order$`, w.journalTimestamps)
	sc.Step(`^the gateway accepted the request within one minute$`, w.acceptedWithinLimit)
	sc.Step(`^the journal shows the owner's processing time of at least (\d+) seconds$`, w.ownerTimeAtLeast)
	sc.Step(`^the journal shows the owner's processing time within (\d+) seconds$`, w.ownerTimeWithin)
}

// ---- actors ----

func (w *World) gatewayRuns() error {
	w.registry = gateway.NewRegistry()
	w.passwords = map[string]string{}
	w.identities = map[string]*pki.Identity{}
	gwID, err := w.issue(gatewaySystem, w.suite.Key)
	if err != nil {
		return err
	}
	gw, err := gateway.New(w.registry, w.suite.Journal, gateway.WithLimits(w.suite.Limits),
		gateway.WithSignatures(gateway.Signatures{Identity: gwID, Checker: w.suite.checker(), Off: w.suite.SignatureChecksOff}))
	if err != nil {
		return err
	}
	srv, err := server.Start("127.0.0.1:0", gw.Handler())
	if err != nil {
		return err
	}
	w.servers = append(w.servers, srv)
	w.gatewayURL = srv.URL()
	w.attachJSON("limits in force", w.suite.Limits)
	return nil
}

func (w *World) systemRegistered(id, password string) error {
	if w.registry == nil {
		return msg.Errorf("start the gateway first")
	}
	cert, err := w.issue(id, w.suite.Key)
	if err != nil {
		return err
	}
	w.registry.AddSystem(gateway.System{ID: id, Password: password, Identifier: binOf(id), Certificates: []*x509.Certificate{cert.Certificate}})
	w.passwords[id] = password
	w.attach("EDS registration certificate of "+id+".pem", "application/x-pem-file", pki.PEM(cert.Certificate))
	return nil
}

func (w *World) ownerServes(ownerID, serviceID string) error {
	if w.owner == nil {
		w.owner = owner.New(ownerID, w.suite.OwnerOmit...)
		w.owner.Checker, w.owner.GatewayID = w.suite.checker(), binOf(gatewaySystem)
		srv, err := server.Start("127.0.0.1:0", w.owner)
		if err != nil {
			return err
		}
		w.servers = append(w.servers, srv)
		w.ownerURL = srv.URL() + "/sync"
		if err := w.systemRegistered(ownerID, randomPassword()); err != nil {
			return err
		}
		w.owner.Identity = w.identities[ownerID]
		w.registry.AddService(gateway.Service{ID: serviceID, Owner: ownerID, Endpoint: srv.URL() + "/sync"})
		return nil
	}
	return msg.Errorf("this scenario already has an owner system, %s", w.owner.SystemID)
}

func (w *World) granted(systemID, serviceID string) error {
	if !w.registry.Grant(serviceID, systemID) {
		return msg.Errorf("service %s is not in the registry", serviceID)
	}
	return nil
}

func (w *World) ownerAnswersAfter(serviceID string, seconds int) {
	w.owner.Handle(serviceID, owner.Behaviour{Latency: w.suite.Limits.Scaled(time.Duration(seconds) * time.Second)})
}

func (w *World) ownerAnswersFault(serviceID, code, message string) {
	w.owner.Handle(serviceID, owner.Behaviour{Fault: &envelope.ErrorInfo{ErrorCode: code, ErrorMessage: message}})
}

func (w *World) ownerAnswersHTTP(serviceID string, status int) {
	w.owner.Handle(serviceID, owner.Behaviour{HTTPStatus: status})
}

func (w *World) ownerAnswersMalformed(serviceID string) {
	w.owner.Handle(serviceID, owner.Behaviour{Malformed: true})
}

func (w *World) ownerAnswersWithout(serviceID, path string) {
	w.owner.Handle(serviceID, owner.Behaviour{Omit: []string{path}})
}

// ---- the initiator sends ----

func (w *World) sends(ctx context.Context, systemID, serviceID string) error {
	return w.send(ctx, systemID, w.passwords[systemID], serviceID, envelope.StringData("ping"))
}

func (w *World) sendsData(ctx context.Context, systemID, serviceID, data string) error {
	return w.send(ctx, systemID, w.passwords[systemID], serviceID, envelope.StringData(data))
}

func (w *World) sendsPassword(ctx context.Context, systemID, serviceID, password string) error {
	return w.send(ctx, systemID, password, serviceID, envelope.StringData("ping"))
}

func (w *World) sendsWithout(ctx context.Context, systemID, serviceID, path string) error {
	return w.send(ctx, systemID, w.passwords[systemID], serviceID, envelope.StringData("ping"), tamper.Remove("request/"+strings.TrimPrefix(path, "request/")))
}

func (w *World) sendsWithValue(ctx context.Context, systemID, serviceID, path, value string) error {
	// The gateway fills sessionId; a sender may still send one, so make sure the element exists.
	w.sent = w.initiator(systemID, w.passwords[systemID]).Request(serviceID, envelope.StringData("ping"))
	if strings.HasSuffix(path, "/sessionId") {
		w.sent.Request.RequestInfo.SessionID = envelope.NewGUID()
	}
	return w.post(ctx, systemID, w.passwords[systemID], tamper.SetText(path, value))
}

func (w *World) sendsRenamed(ctx context.Context, systemID, serviceID, path, name string) error {
	return w.send(ctx, systemID, w.passwords[systemID], serviceID, envelope.StringData("ping"), tamper.Rename(path, name))
}

func (w *World) sendsInNamespace(ctx context.Context, systemID, serviceID, ns string) error {
	return w.send(ctx, systemID, w.passwords[systemID], serviceID, envelope.StringData("ping"), tamper.SetPayloadNamespace(ns))
}

func (w *World) initiator(systemID, password string) *owner.Initiator {
	return &owner.Initiator{SystemID: systemID, Password: password, Gateway: w.gatewayURL, Identity: w.identities[systemID]}
}

func (w *World) send(ctx context.Context, systemID, password, serviceID string, data envelope.Data, ops ...tamper.Op) error {
	w.sent = w.initiator(systemID, password).Request(serviceID, data)
	return w.post(ctx, systemID, password, ops...)
}

// post marshals w.sent, alters it with ops, sends it and keeps what came back as evidence.
func (w *World) post(ctx context.Context, systemID, password string, ops ...tamper.Op) error {
	body, err := envelope.Marshal(w.sent)
	if err != nil {
		return err
	}
	if len(ops) > 0 {
		if body, err = tamper.Apply(body, ops...); err != nil {
			return err
		}
	}
	in := w.initiator(systemID, password)
	if body, err = in.Sign(body); err != nil {
		return err
	}
	return w.deliver(ctx, in, body)
}

// deliver sends an envelope as it is and keeps what came back as evidence.
func (w *World) deliver(ctx context.Context, in *owner.Initiator, body []byte) error {
	x := in.Send(ctx, body)
	w.exchange = &x
	w.attach("request sent by the initiator.xml", "application/xml", x.Request)
	w.attach(fmt.Sprintf("answer from the gateway (HTTP %d).xml", x.Status), "application/xml", x.Response)
	if w.owner != nil {
		for i, r := range w.owner.Received() {
			w.attach(fmt.Sprintf("request %d received by the owner.xml", i+1), "application/xml", r.Body)
		}
	}
	var err error
	w.answer, w.fault, err = x.Answer()
	if err != nil {
		return msg.Errorf("no usable answer from the gateway after %s: %w", x.Elapsed, err)
	}
	return nil
}

// ---- what the initiator got ----

func (w *World) receivesAnswer() error {
	observed := msg.F("no answer")
	switch {
	case w.answer != nil:
		observed = msg.F("SendMessageResponse with status %q", w.answer.Response.ResponseInfo.Status.Code)
	case w.fault != nil:
		observed = msg.F("fault %s: %s", w.fault.Detail.ErrorCode, gateway.Explain(w.fault.Detail.ErrorData))
	}
	return w.verify("A1-T20", msg.F("the owner's SendMessageResponse (HTTP 200)"), observed,
		w.answer != nil && w.exchange.Status == 200)
}

func (w *World) answerValid() error {
	v := w.suite.SyncXSD.Validate(w.exchange.Response)
	observed := msg.F("valid")
	if len(v) > 0 {
		observed = envelope.Explain(v[0], envelope.SyncResponseMsg).Text()
	}
	return w.verify("A1-T20", msg.F("an answer valid against the synchronous channel schema"), observed, len(v) == 0)
}

var guidRE = regexp.MustCompile(`^\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}$`)

func (w *World) answerHasSession(ctx context.Context) error {
	if w.answer == nil {
		return w.verify("A1-T20 row 6", msg.F("a SendMessageResponse"), msg.F("no response"), false)
	}
	return w.sessionIsGateways(ctx, "A1-T20 row 6", w.answer.Response.ResponseInfo.SessionID)
}

func (w *World) faultHasSession(ctx context.Context) error {
	if w.fault == nil {
		return w.verify("A1-T21 row 6", msg.F("a fault"), msg.F("no fault"), false)
	}
	return w.sessionIsGateways(ctx, "A1-T21 row 6", w.fault.Detail.SessionID)
}

// sessionIsGateways checks that sid is a guid and names an exchange in the gateway's journal.
func (w *World) sessionIsGateways(ctx context.Context, ruleID, sid string) error {
	_, err := w.suite.Journal.Exchange(ctx, sid)
	observed := msg.F("sessionId %q", sid)
	if err != nil {
		observed = msg.F("sessionId %q: %s", sid, msg.Of(err))
	}
	return w.verify(ruleID, msg.F("a guid sessionId naming the exchange in the gateway's journal"), observed,
		guidRE.MatchString(sid) && err == nil)
}

func (w *World) ownerReceived(ruleID string) (owner.Received, error) {
	got := w.owner.Received()
	if len(got) != 1 {
		return owner.Received{}, w.verify(ruleID, msg.F("exactly one request at the owner"), msg.F("%d requests", len(got)), false)
	}
	return got[0], nil
}

func (w *World) ownerGotDataUnaltered() error {
	got, err := w.ownerReceived("R-61")
	if err != nil {
		return err
	}
	sent, err := canonicalData(w.sent.Request.RequestData)
	if err != nil {
		return err
	}
	received, err := canonicalData(got.Request.Request.RequestData)
	if err != nil {
		return err
	}
	return w.verify("R-61", msg.F("business data at the owner identical (exclusive C14N) to what the initiator sent: %s", string(sent)),
		msg.Raw(string(received)), bytes.Equal(sent, received))
}

func canonicalData(d envelope.Data) ([]byte, error) {
	e, err := d.Element()
	if err != nil || e == nil {
		return nil, err
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(e)
}

func (w *World) ownerGotSession() error {
	got, err := w.ownerReceived("A1-T19 row 8")
	if err != nil {
		return err
	}
	want, _ := w.sessionID()
	have := got.Request.Request.RequestInfo.SessionID
	return w.verify("A1-T19 row 8", msg.F("the gateway's sessionId %s in the request the owner received", want),
		msg.F("sessionId %q", have), have != "" && have == want)
}

func (w *World) ownerGotNothing() error {
	n := len(w.owner.Received())
	return w.verify("A6-S1", msg.F("no request at the owner: a refused message is not routed"), msg.F("%d requests", n), n == 0)
}

func (w *World) receivesFault(code string) error {
	observed := msg.F("no answer")
	switch {
	case w.fault != nil:
		observed = msg.F("fault %s: %s (HTTP %d)", w.fault.Detail.ErrorCode, gateway.Explain(w.fault.Detail.ErrorData), w.exchange.Status)
	case w.answer != nil:
		observed = msg.F("SendMessageResponse, no fault")
	}
	return w.verify("A1-T21", msg.F("a SOAP fault with errorCode %s (HTTP 500)", code), observed,
		w.fault != nil && w.fault.Detail.ErrorCode == code && w.exchange.Status == 500)
}

func (w *World) faultData(ruleID string) (string, error) {
	if w.fault == nil {
		return "", w.verify(ruleID, msg.F("a fault"), msg.F("no fault"), false)
	}
	return w.fault.Detail.ErrorData, nil
}

func (w *World) faultCites(ruleID string) error {
	data, err := w.faultData(ruleID)
	if err != nil {
		return err
	}
	return w.verify(ruleID, msg.F("a fault whose errorData cites %s", ruleID), gateway.Explain(data), strings.Contains(data, "breaks "+ruleID+":"))
}

func (w *World) faultCitesField(ruleID, field string) error {
	data, err := w.faultData(ruleID)
	if err != nil {
		return err
	}
	return w.verify(ruleID, msg.F("a fault whose errorData names %s and cites %s", field, ruleID), gateway.Explain(data),
		strings.Contains(data, field+": breaks "+ruleID+":"))
}

func (w *World) faultExplainsSpelling(rules, wire string) error {
	data, err := w.faultData("A1-T19")
	if err != nil {
		return err
	}
	ok := strings.Contains(data, `Rules print "`+rules+`"`) && strings.Contains(data, `"`+wire+`"`) &&
		strings.Contains(data, "rename "+rules+" to "+wire)
	return w.verify("A1-T19", msg.F("errorData explaining the Rules' %q against the wire's %q and the fix", rules, wire), gateway.Explain(data), ok)
}

func (w *World) faultMessage(message string) error {
	if w.fault == nil {
		return w.verify("A1-T21 row 2", msg.F("a fault"), msg.F("no fault"), false)
	}
	return w.verify("A1-T21 row 2", msg.F("errorMessage %q", message), msg.Raw(strconv.Quote(w.fault.Detail.ErrorMessage)),
		w.fault.Detail.ErrorMessage == message)
}

// ---- the journal ----

func (w *World) journalOutcome(ctx context.Context, kind string) error {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return w.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	return w.verify("R-22", msg.F("the exchange journaled with outcome %s", kind), msg.Raw(string(x.Outcome)), string(x.Outcome) == kind)
}

func (w *World) journalOutcomeCode(ctx context.Context, kind, code, ruleID string) error {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return w.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	return w.verify("R-53", msg.F("journal outcome %s with code %s and rule %s", kind, code, ruleID),
		msg.F("outcome %s with code %s and rule %s", x.Outcome, x.Code, x.Rule),
		string(x.Outcome) == kind && x.Code == code && x.Rule == ruleID)
}

func (w *World) journalTimestamps(ctx context.Context) error {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return w.verify("R-53", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	stamps := []time.Time{x.Received, x.SentToOwner, x.OwnerAnswered, x.Answered}
	ok := true
	for i, t := range stamps {
		ok = ok && !t.IsZero() && (i == 0 || !t.Before(stamps[i-1]))
	}
	observed := msg.F("received %s, sent to owner +%s, owner answered +%s, answered +%s",
		x.Received.Format(time.RFC3339Nano), x.SentToOwner.Sub(x.Received), x.OwnerAnswered.Sub(x.Received), x.Answered.Sub(x.Received))
	return w.verify("R-53", msg.F("received <= sent to owner <= owner answered <= answered, none missing"), observed, ok)
}

func (w *World) acceptedWithinLimit(ctx context.Context) error {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return w.verify("R-47", msg.F("the exchange in the gateway's journal"), msg.Of(err), false)
	}
	limit := w.suite.Limits.Acceptance
	took := x.AcceptanceTime()
	return w.verify("R-47", msg.F("acceptance within %s", w.suite.Limits.Describe(rule.Acceptance)),
		msg.F("accepted %s after receipt", took), !x.Accepted.IsZero() && took <= limit)
}

func (w *World) ownerTime(ctx context.Context) (time.Duration, error) {
	x, err := w.journalExchange(ctx)
	if err != nil {
		return 0, err
	}
	if x.SentToOwner.IsZero() || x.OwnerAnswered.IsZero() {
		return 0, msg.Errorf("the journal has no owner hop for session %s", x.SessionID)
	}
	return x.OwnerTime(), nil
}

func (w *World) ownerTimeAtLeast(ctx context.Context, seconds int) error {
	rulesLimit := time.Duration(seconds) * time.Second
	return w.compareOwnerTime(ctx, rulesLimit, msg.F("owner's processing time at least %s", w.suite.Limits.Describe(rulesLimit)),
		func(took, limit time.Duration) bool { return took >= limit })
}

func (w *World) ownerTimeWithin(ctx context.Context, seconds int) error {
	rulesLimit := time.Duration(seconds) * time.Second
	return w.compareOwnerTime(ctx, rulesLimit, msg.F("owner's processing time within %s", w.suite.Limits.Describe(rulesLimit)),
		func(took, limit time.Duration) bool { return took <= limit })
}

// compareOwnerTime judges the owner's processing time the gateway measured against a limit of the
// Rules, scaled to the run; expected states the comparison.
func (w *World) compareOwnerTime(ctx context.Context, rulesLimit time.Duration, expected msg.Text, holds func(took, limit time.Duration) bool) error {
	took, err := w.ownerTime(ctx)
	if err != nil {
		return w.verify("A2-T1 row 1", msg.F("the owner hop in the gateway's journal"), msg.Of(err), false)
	}
	limit := w.suite.Limits.Scaled(rulesLimit)
	return w.verify("A2-T1 row 1", expected, msg.F("%s measured by the gateway", took.Round(time.Millisecond)), holds(took, limit))
}

func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
